package tenant

import (
	"context"

	"github.com/credo-dev/credo/store"
)

// ExportSeed describes the tenant as a seed (tenant.yaml shape) that
// ApplySeed takes back: its resource servers, clients and client grants.
// It never contains a secret: client secrets are stored hashed and API
// signing secrets are left out (applying the export to the same tenant keeps
// them; applying it elsewhere generates new ones). The system API and the
// bootstrap admin, which every tenant creates for itself, are left out, as
// are grants of the bootstrap admin. Actions and hooks are not exported;
// skipped reports how many there are.
func (s *Service) ExportSeed(ctx context.Context) (seed *Seed, skipped int, err error) {
	seed = &Seed{Clients: []SeedClient{}, ResourceServers: []SeedResourceServer{}, ClientGrants: []SeedGrant{}}

	err = eachPage(func(p store.Page) (int, int, error) {
		list, total, err := s.Store.ListResourceServers(ctx, p)
		for _, rs := range list {
			if rs.IsSystem {
				continue
			}
			e := SeedResourceServer{Name: rs.Name, Identifier: rs.Identifier, SigningAlg: ptr(rs.SigningAlg),
				TokenLifetime: ptr(rs.TokenLifetime), TokenDialect: ptr(rs.TokenDialect)}
			for _, sc := range rs.Scopes {
				e.Scopes = append(e.Scopes, SeedScope{Value: sc.Value, Description: sc.Description})
			}
			seed.ResourceServers = append(seed.ResourceServers, e)
		}
		return len(list), total, err
	})
	if err != nil {
		return nil, 0, err
	}

	admins := map[string]bool{}
	err = eachPage(func(p store.Page) (int, int, error) {
		list, total, err := s.Store.ListClients(ctx, store.ClientFilter{Page: p})
		for _, c := range list {
			if c.Metadata[BootstrapMetadataKey] == "bootstrap-admin" {
				admins[c.ClientID] = true
				continue
			}
			e := SeedClient{Name: c.Name, ClientID: c.ClientID, AppType: ptr(c.AppType), GrantTypes: ptr(append([]string{}, c.GrantTypes...)),
				TokenEndpointAuthMethod: ptr(c.TokenEndpointAuthMethod), IsFirstParty: ptr(c.IsFirstParty)}
			if c.Description != "" {
				e.Description = ptr(c.Description)
			}
			if len(c.Metadata) > 0 {
				e.ClientMetadata = c.Metadata
			}
			if c.TokenLifetime != 0 {
				e.TokenLifetime = ptr(c.TokenLifetime)
			}
			if d := c.DefaultOrganization; d != nil {
				id := d.OrganizationID // by name, so that the seed applies to another tenant
				if o, err := s.Store.GetOrganization(ctx, id); err == nil {
					id = o.Name
				}
				e.DefaultOrganization = &SeedDefaultOrganization{OrganizationID: id, Flows: append([]string{}, d.Flows...)}
			}
			if c.JWTAlg != "" {
				e.JWTConfiguration = &struct {
					Alg string `yaml:"alg"`
				}{Alg: c.JWTAlg}
			}
			seed.Clients = append(seed.Clients, e)
		}
		return len(list), total, err
	})
	if err != nil {
		return nil, 0, err
	}

	err = eachPage(func(p store.Page) (int, int, error) {
		list, total, err := s.Store.ListClientGrants(ctx, store.GrantFilter{Page: p})
		for _, g := range list {
			if admins[g.ClientID] || (g.SubjectType != "" && g.SubjectType != "client") {
				continue
			}
			e := SeedGrant{ClientID: g.ClientID, Audience: g.Audience, Scope: ptr(append([]string{}, g.Scope...))}
			if g.AllowAllScopes {
				e.AllowAllScopes = ptr(true)
			}
			if g.OrganizationUsage != "" && g.OrganizationUsage != OrgUsageDeny {
				e.OrganizationUsage = ptr(g.OrganizationUsage)
			}
			if g.AllowAnyOrganization {
				e.AllowAnyOrganization = ptr(true)
			}
			seed.ClientGrants = append(seed.ClientGrants, e)
		}
		return len(list), total, err
	})
	if err != nil {
		return nil, 0, err
	}

	if seed.Organizations, err = s.exportOrganizations(ctx); err != nil {
		return nil, 0, err
	}

	_, nActions, err := s.Store.ListActions(ctx, store.Page{Limit: 1})
	if err != nil {
		return nil, 0, err
	}
	_, nHooks, err := s.Store.ListHooks(ctx, store.Page{Limit: 1})
	if err != nil {
		return nil, 0, err
	}
	return seed, nActions + nHooks, nil
}

// eachPage calls list with successive pages of 100 until it has seen total
// entries.
func eachPage(list func(store.Page) (n, total int, err error)) error {
	p := store.Page{Limit: 100}
	for {
		n, total, err := list(p)
		if err != nil {
			return err
		}
		p.Offset += n
		if n == 0 || p.Offset >= total {
			return nil
		}
	}
}

func ptr[T any](v T) *T { return &v }

// exportOrganizations describes every organization and its grant
// associations (by client id and audience).
func (s *Service) exportOrganizations(ctx context.Context) ([]SeedOrganization, error) {
	orgs, err := store.All(ctx, func(ctx context.Context, p store.Page) ([]store.Organization, int, error) {
		return s.Store.ListOrganizations(ctx, store.OrganizationFilter{Page: p})
	})
	if err != nil {
		return nil, err
	}
	var out []SeedOrganization
	for _, o := range orgs {
		e := SeedOrganization{Name: o.Name, ClientGrants: &[]SeedOrgGrant{}}
		if o.DisplayName != "" {
			e.DisplayName = ptr(o.DisplayName)
		}
		if len(o.Metadata) > 0 {
			e.Metadata = o.Metadata
		}
		if b := o.Branding; b != nil {
			e.Branding = &SeedBranding{LogoURL: b.LogoURL}
			if b.Colors != (store.OrganizationColors{}) {
				e.Branding.Colors = &struct {
					Primary        string `yaml:"primary,omitempty"`
					PageBackground string `yaml:"page_background,omitempty"`
				}{b.Colors.Primary, b.Colors.PageBackground}
			}
		}
		grants, err := store.All(ctx, func(ctx context.Context, p store.Page) ([]store.ClientGrant, int, error) {
			return s.Store.ListOrganizationGrants(ctx, o.ID, store.OrganizationGrantFilter{Page: p})
		})
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			*e.ClientGrants = append(*e.ClientGrants, SeedOrgGrant{ClientID: g.ClientID, Audience: g.Audience})
		}
		out = append(out, e)
	}
	return out, nil
}
