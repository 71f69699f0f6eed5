package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/credo-dev/credo/store"
)

var organizations = &table[store.Organization]{
	name:    "organizations",
	what:    "organization",
	cols:    []string{"id", "name"},
	kind:    store.ChangeOrganization,
	key:     func(o *store.Organization) *string { return &o.ID },
	columns: func(o *store.Organization) []any { return []any{o.Name} },
	restore: func(o *store.Organization, c []string) { o.ID, o.Name = c[0], c[1] },
}

// GetOrganization returns the organization with id or store.ErrNotFound.
func (s *Store) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	return getOne(ctx, s, organizations, id, "id = $1", id)
}

// GetOrganizationByName returns the organization named name or
// store.ErrNotFound.
func (s *Store) GetOrganizationByName(ctx context.Context, name string) (store.Organization, error) {
	return getOne(ctx, s, organizations, name, "name = $1", name)
}

// ListOrganizations returns a page of organizations ordered by id.
func (s *Store) ListOrganizations(ctx context.Context, f store.OrganizationFilter) ([]store.Organization, int, error) {
	if f.From != "" {
		p := f.Page
		p.Offset = 0
		return organizations.page(ctx, s, "id > $1", []any{f.From}, p)
	}
	return organizations.page(ctx, s, "", nil, f.Page)
}

// CreateOrganization stores a new organization; a taken id or name is
// store.ErrConflict.
func (s *Store) CreateOrganization(ctx context.Context, o store.Organization) error {
	return organizations.create(ctx, s, o, nil)
}

// UpdateOrganization applies fn to the stored organization. The id cannot be
// changed; a name another organization has is store.ErrConflict.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*store.Organization) error) (store.Organization, error) {
	return organizations.update(ctx, s, id, fn, nil)
}

// DeleteOrganization removes the organization and (by the foreign key's
// cascade, in the same transaction) its grant associations.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return organizations.remove(ctx, s, id)
}

// AddOrganizationGrant associates grant grantID with organization orgID.
func (s *Store) AddOrganizationGrant(ctx context.Context, orgID, grantID string) error {
	o := op(store.Change{Kind: store.ChangeOrganization, ID: orgID})
	if audited(ctx) {
		o.after = orgGrantDoc{orgID, grantID}
	}
	return s.write(ctx, o, func(q Querier) error {
		if err := organizations.exists(ctx, q, "id", orgID); err != nil {
			return err
		}
		if err := clientGrants.exists(ctx, q, "id", grantID); err != nil {
			return err
		}
		if err := associated(ctx, q, orgID, grantID); err == nil {
			return fmt.Errorf("%w: client grant %q is already associated with organization %q", store.ErrConflict, grantID, orgID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, err := q.Exec(ctx, `INSERT INTO organization_client_grants (organization_id, grant_id) VALUES ($1, $2)`, orgID, grantID)
		return err
	})
}

// orgGrantDoc is an association as the audit log records it.
type orgGrantDoc struct {
	OrganizationID string `json:"organization_id"`
	GrantID        string `json:"grant_id"`
}

// associated is nil when the grant is associated with the organization,
// store.ErrNotFound when not.
func associated(ctx context.Context, q Querier, orgID, grantID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM organization_client_grants WHERE organization_id = $1 AND grant_id = $2`, orgID, grantID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: client grant %q is not associated with organization %q", store.ErrNotFound, grantID, orgID)
	}
	return err
}

// RemoveOrganizationGrant removes the association of grantID with orgID.
func (s *Store) RemoveOrganizationGrant(ctx context.Context, orgID, grantID string) error {
	o := op(store.Change{Kind: store.ChangeOrganization, ID: orgID})
	if audited(ctx) {
		o.before = orgGrantDoc{orgID, grantID}
	}
	return s.write(ctx, o, func(q Querier) error {
		if err := organizations.exists(ctx, q, "id", orgID); err != nil {
			return err
		}
		n, err := q.Exec(ctx, `DELETE FROM organization_client_grants WHERE organization_id = $1 AND grant_id = $2`, orgID, grantID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: client grant %q is not associated with organization %q", store.ErrNotFound, grantID, orgID)
		}
		return nil
	})
}

// ListOrganizationGrants returns a page of the grants associated with orgID,
// ordered by grant id, with the filter's audience, client and grant ids.
func (s *Store) ListOrganizationGrants(ctx context.Context, orgID string, f store.OrganizationGrantFilter) ([]store.ClientGrant, int, error) {
	limit, offset := bounds(f.Page)
	var out []store.ClientGrant
	var total int
	err := s.db.Read(ctx, func(q Querier) error {
		if err := organizations.exists(ctx, q, "id", orgID); err != nil {
			return err
		}
		args := []any{orgID}
		where := []string{"id IN (SELECT grant_id FROM organization_client_grants WHERE organization_id = $1)"}
		add := func(cond string, arg any) {
			args = append(args, arg)
			where = append(where, cond+param(len(args)))
		}
		if f.Audience != "" {
			add("audience = ", f.Audience)
		}
		if f.ClientID != "" {
			add("client_id = ", f.ClientID)
		}
		if len(f.GrantIDs) > 0 {
			ps := make([]string, len(f.GrantIDs))
			for i, id := range f.GrantIDs {
				args = append(args, id)
				ps[i] = param(len(args))
			}
			where = append(where, "id IN ("+strings.Join(ps, ", ")+")")
		}
		w := strings.Join(where, " AND ")
		if err := q.QueryRow(ctx, "SELECT count(*) FROM client_grants WHERE "+w, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		var err error
		out, err = clientGrants.query(ctx, q, clientGrants.selectFrom()+" WHERE "+w+" ORDER BY id LIMIT "+param(n+1)+" OFFSET "+param(n+2),
			append(args, limit, offset)...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ListGrantOrganizations returns a page of the organizations grantID is
// associated with, ordered by id.
func (s *Store) ListGrantOrganizations(ctx context.Context, grantID string, f store.OrganizationFilter) ([]store.Organization, int, error) {
	if err := s.db.Query(ctx, func(q Querier) error { return clientGrants.exists(ctx, q, "id", grantID) }); err != nil {
		return nil, 0, err
	}
	where := "id IN (SELECT organization_id FROM organization_client_grants WHERE grant_id = $1)"
	args := []any{grantID}
	p := f.Page
	if f.From != "" {
		where += " AND id > $2"
		args = append(args, f.From)
		p.Offset = 0
	}
	return organizations.page(ctx, s, where, args, p)
}

// loadOrganizationGrants reads every association, by organization and grant.
func loadOrganizationGrants(ctx context.Context, q Querier) ([]store.OrganizationGrant, error) {
	rows, err := q.Query(ctx, `SELECT organization_id, grant_id FROM organization_client_grants ORDER BY organization_id, grant_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OrganizationGrant
	for rows.Next() {
		var a store.OrganizationGrant
		if err := rows.Scan(&a.OrganizationID, &a.GrantID); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
