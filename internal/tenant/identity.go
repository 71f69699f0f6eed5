package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/credo-dev/credo/store"
)

// IssuerMismatchError reports a process started with another issuer than
// the tenant's. Nothing was changed.
type IssuerMismatchError struct {
	// Stored is the tenant's issuer; Asked the one the process was given.
	Stored, Asked string
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("the tenant in this database has the issuer %s, not %s; nothing was changed. "+
		"Start with --issuer %s (or without --issuer) to serve it as it is, or, to change the issuer of its tokens and of its "+
		"Management API on purpose, stop every credo serving it and run: credo tenant set-issuer %s (with the same --db)",
		e.Stored, e.Asked, e.Stored, e.Asked)
}

// StoredIssuer returns the tenant's issuer: its stored identity, or, for a
// database from before identities were stored, the issuer of its
// Management API's audience; "" for a database that has no tenant yet. It
// writes nothing.
func StoredIssuer(ctx context.Context, st store.Store) (string, error) {
	t, err := st.Tenant(ctx)
	if err == nil {
		return t.Issuer, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	rs, found, err := SystemAPI(ctx, st)
	if err != nil || !found {
		return "", err
	}
	return strings.TrimSuffix(rs.Identifier, "api/v2/"), nil
}

// ResolveIssuer decides the issuer a process serves the tenant in st under:
// the tenant's own when asked is "" or the same, asked for a database
// without a tenant (fresh is then true), and otherwise an
// *IssuerMismatchError. It writes nothing.
func ResolveIssuer(ctx context.Context, st store.Store, asked string) (issuer string, fresh bool, err error) {
	stored, err := StoredIssuer(ctx, st)
	switch {
	case err != nil:
		return "", false, err
	case stored == "":
		return asked, true, nil
	case asked != "" && asked != stored:
		return "", false, &IssuerMismatchError{Stored: stored, Asked: asked}
	}
	return stored, false, nil
}

// EnsureIdentity stores the tenant's identity (s.Issuer and its Management
// API audience) when the store has none yet. An existing identity is never
// changed: one with another issuer is an *IssuerMismatchError.
func (s *Service) EnsureIdentity(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		_, err := s.Store.UpdateTenant(ctx, func(t *store.Tenant, exists bool) error {
			if exists {
				if t.Issuer != s.Issuer {
					return &IssuerMismatchError{Stored: t.Issuer, Asked: s.Issuer}
				}
				return errIdentitySet
			}
			now := s.now()
			*t = store.Tenant{Issuer: s.Issuer, ManagementAudience: s.ManagementAudience(), CreatedAt: now, UpdatedAt: now}
			return nil
		})
		switch {
		case errors.Is(err, errIdentitySet):
			return nil
		case errors.Is(err, store.ErrConflict) && attempt == 0: // another replica stored it first: compare
			continue
		}
		return err
	}
}

var errIdentitySet = errors.New("identity already stored")

// ChangeIssuer changes the tenant's issuer on purpose: the stored identity,
// and the Management API's audience with every grant to it, move to
// newIssuer (which must end in "/"). It returns the previous issuer. Tokens
// issued under the old issuer stop verifying wherever verifiers check iss.
// Every process serving the tenant must be restarted with the new issuer.
func (s *Service) ChangeIssuer(ctx context.Context, newIssuer string) (old string, err error) {
	if !strings.HasSuffix(newIssuer, "/") {
		return "", invalid("issuer", "must end with /")
	}
	old, err = StoredIssuer(ctx, s.Store)
	if err != nil {
		return "", err
	}
	if old == "" {
		return "", errors.New("this database has no tenant yet: start credo serve once to create it")
	}
	if _, err := s.Store.UpdateTenant(ctx, func(t *store.Tenant, exists bool) error {
		if !exists {
			t.CreatedAt = s.now()
		}
		t.Issuer, t.ManagementAudience, t.UpdatedAt = newIssuer, newIssuer+"api/v2/", s.now()
		return nil
	}); err != nil {
		return "", err
	}
	moved := *s
	moved.Issuer = newIssuer
	if err := moved.EnsureSystem(ctx); err != nil {
		return "", fmt.Errorf("the identity moved to %s, but the Management API did not (run the command again): %w", newIssuer, err)
	}
	return old, nil
}
