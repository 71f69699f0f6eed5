package tenant

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/credo-dev/credo/store"
)

// SeedOrganization is an organizations: entry in the Deploy CLI's shape.
// connections, token_quota and discovery_domains are accepted and ignored,
// as OrganizationBody's (README, Organizations): connections and discovery
// domains route user logins, which an M2M server has none of, and credo
// enforces no token quota yet.
type SeedOrganization struct {
	Name        string            `yaml:"name"`
	DisplayName *string           `yaml:"display_name,omitempty"`
	Branding    *SeedBranding     `yaml:"branding,omitempty"`
	Metadata    map[string]string `yaml:"metadata,omitempty"`
	// ClientGrants, when given, is the organization's whole set of grant
	// associations (as the Deploy CLI applies it): client_id is the
	// application's id or name; audience picks its grant when it has
	// several.
	ClientGrants     *[]SeedOrgGrant  `yaml:"client_grants,omitempty"`
	Connections      []map[string]any `yaml:"connections,omitempty"`
	TokenQuota       map[string]any   `yaml:"token_quota,omitempty"`
	DiscoveryDomains []map[string]any `yaml:"discovery_domains,omitempty"`
}

// SeedBranding is an organization's branding.
type SeedBranding struct {
	LogoURL string `yaml:"logo_url,omitempty"`
	Colors  *struct {
		Primary        string `yaml:"primary,omitempty"`
		PageBackground string `yaml:"page_background,omitempty"`
	} `yaml:"colors,omitempty"`
}

// SeedOrgGrant names a client grant associated with an organization.
type SeedOrgGrant struct {
	ClientID string `yaml:"client_id"`
	Audience string `yaml:"audience,omitempty"`
}

// SeedDefaultOrganization is a client's default_organization;
// organization_id may also be the organization's name.
type SeedDefaultOrganization struct {
	OrganizationID string   `yaml:"organization_id"`
	Flows          []string `yaml:"flows"`
}

func (o SeedOrganization) fields() OrganizationFields {
	name := o.Name
	f := OrganizationFields{Name: &name, DisplayName: o.DisplayName}
	if o.Metadata != nil {
		m := maps.Clone(o.Metadata)
		f.Metadata = &m
	}
	if b := o.Branding; b != nil {
		f.Branding = &store.OrganizationBranding{LogoURL: b.LogoURL}
		if b.Colors != nil {
			f.Branding.Colors = store.OrganizationColors{Primary: b.Colors.Primary, PageBackground: b.Colors.PageBackground}
		}
	}
	return f
}

// validateOrganizations checks the organizations: entries.
func validateOrganizations(orgs []SeedOrganization) error {
	names := map[string]bool{}
	for i, o := range orgs {
		f := o.fields()
		var tmp store.Organization
		if err := f.apply(&tmp); err != nil {
			return &SeedError{"organizations", i, o.Name, err}
		}
		if names[o.Name] {
			return &SeedError{"organizations", i, o.Name, invalid("name", "duplicate organization name in seed")}
		}
		names[o.Name] = true
		if o.ClientGrants != nil {
			for _, g := range *o.ClientGrants {
				if g.ClientID == "" {
					return &SeedError{"organizations", i, o.Name, invalid("client_grants.client_id", "is required (a client id or name)")}
				}
			}
		}
	}
	return nil
}

// applyOrganization creates or updates an organization by name and returns
// its id.
func (s *Service) applyOrganization(ctx context.Context, o SeedOrganization, res *SeedResult) (string, error) {
	f := o.fields()
	cur, err := s.Store.GetOrganizationByName(ctx, o.Name)
	if errors.Is(err, store.ErrNotFound) {
		created, err := s.CreateOrganization(ctx, f)
		if err == nil {
			res.Created++
		}
		return created.ID, err
	}
	if err != nil {
		return "", err
	}
	probe := cur
	probe.Metadata = maps.Clone(cur.Metadata)
	if err := f.apply(&probe); err != nil {
		return "", err
	}
	if sameOrg(probe, cur) {
		res.Unchanged++
		return cur.ID, nil
	}
	_, err = s.UpdateOrganization(ctx, cur.ID, f)
	if err == nil {
		res.Updated++
	}
	return cur.ID, err
}

func sameOrg(a, b store.Organization) bool {
	brand := func(o store.Organization) store.OrganizationBranding {
		if o.Branding == nil {
			return store.OrganizationBranding{}
		}
		return *o.Branding
	}
	return a.Name == b.Name && a.DisplayName == b.DisplayName && maps.Equal(a.Metadata, b.Metadata) && brand(a) == brand(b)
}

// applyOrganizationGrants makes the organization's associations the
// listed grants.
func (s *Service) applyOrganizationGrants(ctx context.Context, orgID string, list []SeedOrgGrant, nameToID map[string]string, res *SeedResult) error {
	want := map[string]bool{}
	for _, g := range list {
		id, err := s.seedGrantID(ctx, g, nameToID)
		if err != nil {
			return err
		}
		want[id] = true
	}
	cur, err := store.All(ctx, func(ctx context.Context, p store.Page) ([]store.ClientGrant, int, error) {
		return s.Store.ListOrganizationGrants(ctx, orgID, store.OrganizationGrantFilter{Page: p})
	})
	if err != nil {
		return err
	}
	changed := false
	for _, g := range cur {
		if want[g.ID] {
			delete(want, g.ID)
			continue
		}
		if err := s.RemoveOrganizationGrant(ctx, orgID, g.ID); err != nil {
			return err
		}
		changed = true
	}
	for id := range want {
		if _, err := s.AddOrganizationGrant(ctx, orgID, id); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		res.Updated++
	}
	return nil
}

// seedGrantID finds the client-subject grant an organization entry names.
func (s *Service) seedGrantID(ctx context.Context, g SeedOrgGrant, nameToID map[string]string) (string, error) {
	cid := g.ClientID
	if id, ok := nameToID[cid]; ok {
		cid = id
	} else if _, err := s.Store.GetClient(ctx, cid); errors.Is(err, store.ErrNotFound) {
		s.snapshot(ctx).EachClient(func(c *Client) {
			if c.Name == g.ClientID {
				cid = c.ClientID
			}
		})
	}
	list, err := store.All(ctx, func(ctx context.Context, p store.Page) ([]store.ClientGrant, int, error) {
		return s.Store.ListClientGrants(ctx, store.GrantFilter{ClientID: cid, Audience: g.Audience, Page: p})
	})
	if err != nil {
		return "", err
	}
	var ids []string
	for _, cg := range list {
		if cg.SubjectType == "" || cg.SubjectType == "client" {
			ids = append(ids, cg.ID)
		}
	}
	switch {
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) == 0 && g.Audience != "":
		return "", invalid("client_grants", "client %q has no grant for %q", g.ClientID, g.Audience)
	case len(ids) == 0:
		return "", invalid("client_grants", "client %q has no grant", g.ClientID)
	}
	return "", invalid("client_grants", "client %q has %d grants (%s): add audience to pick one", g.ClientID, len(ids), strings.Join(ids, ", "))
}

// seedDefaultOrganization resolves a client's default_organization, whose
// organization_id may be a name.
func (s *Service) seedDefaultOrganization(ctx context.Context, d *SeedDefaultOrganization) (*store.DefaultOrganization, error) {
	if d == nil {
		return nil, nil
	}
	id := d.OrganizationID
	if o, ok := s.snapshot(ctx).Organization(id); ok {
		id = o.ID
	} else if o, err := s.Store.GetOrganizationByName(ctx, id); err == nil {
		id = o.ID
	}
	if id == "" {
		return nil, fmt.Errorf("default_organization: organization_id is required")
	}
	return &store.DefaultOrganization{OrganizationID: id, Flows: d.Flows}, nil
}
