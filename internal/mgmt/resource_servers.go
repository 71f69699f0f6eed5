package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// ResourceServerBody is the JSON body of POST and PATCH /resource-servers.
type ResourceServerBody struct {
	Name       *string  `json:"name,omitempty"`
	Identifier *string  `json:"identifier,omitempty"`
	Scopes     *[]Scope `json:"scopes,omitempty"`
	SigningAlg *string  `json:"signing_alg,omitempty"`
	// SigningSecret is the HS256 secret (generated when an HS256 API is
	// created without one); sealed at rest, returned as Auth0 does.
	SigningSecret      *string `json:"signing_secret,omitempty"`
	TokenLifetime      *int    `json:"token_lifetime,omitempty"`
	TokenDialect       *string `json:"token_dialect,omitempty"`
	AllowOfflineAccess *bool   `json:"allow_offline_access,omitempty"`
	SkipConsent        *bool   `json:"skip_consent_for_verifiable_first_party_clients,omitempty"`
	EnforcePolicies    *bool   `json:"enforce_policies,omitempty"`
	// SubjectTypeAuthorization is Auth0's API access policy. credo always
	// requires a client grant for M2M access, so client.policy may only be
	// require_client_grant (Auth0's default); user flows do not exist here.
	SubjectTypeAuthorization *struct {
		User *struct {
			Policy *string `json:"policy,omitempty"`
		} `json:"user,omitempty"`
		Client *struct {
			Policy *string `json:"policy,omitempty"`
		} `json:"client,omitempty"`
	} `json:"subject_type_authorization,omitempty"`
	resourceServerReadOnly
}

// Fields checks the values credo accepts but cannot honour
// (allow_offline_access, enforce_policies) and returns the service's patch.
func (b *ResourceServerBody) Fields() (tenant.ResourceServerFields, error) {
	if b.IsSystem != nil && *b.IsSystem {
		return tenant.ResourceServerFields{}, errBody("only the Management API is a system API; is_system must be false", "is_system")
	}
	if b.AllowOfflineAccess != nil && *b.AllowOfflineAccess {
		return tenant.ResourceServerFields{}, errBody("credo issues no refresh tokens; allow_offline_access must be false", "allow_offline_access")
	}
	if b.EnforcePolicies != nil && *b.EnforcePolicies {
		return tenant.ResourceServerFields{}, errBody("credo has no RBAC policies; enforce_policies must be false", "enforce_policies")
	}
	if sta := b.SubjectTypeAuthorization; sta != nil && sta.Client != nil && sta.Client.Policy != nil && *sta.Client.Policy != "require_client_grant" {
		return tenant.ResourceServerFields{}, errBody("credo always requires a client grant for machine-to-machine access; subject_type_authorization.client.policy must be require_client_grant (delete the grants to deny all clients)", "subject_type_authorization.client.policy")
	}
	f := tenant.ResourceServerFields{
		Name: b.Name, Identifier: b.Identifier, SigningAlg: b.SigningAlg, SigningSecret: b.SigningSecret,
		TokenLifetime: b.TokenLifetime, TokenDialect: b.TokenDialect,
	}
	if b.Scopes != nil {
		scopes := make([]store.Scope, len(*b.Scopes))
		for i, s := range *b.Scopes {
			scopes[i] = store.Scope{Value: s.Value, Description: s.Description}
		}
		f.Scopes = &scopes
	}
	return f, nil
}

func (a *API) listResourceServers(c *call) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	// identifiers (repeated, at most 10, as on Auth0) selects APIs by
	// identifier.
	idents := c.q.list("identifiers")
	if len(idents) > 10 {
		return nil, errQuery("Array has more than 10 items", "identifiers")
	}
	var list []store.ResourceServer
	var total int
	if len(idents) == 0 {
		list, total, err = c.st().ListResourceServers(c.r.Context(), store.Page{Offset: p.offset(), Limit: p.PerPage})
		if err != nil {
			return nil, err
		}
	} else {
		for _, id := range idents {
			rs, err := c.st().GetResourceServer(c.r.Context(), id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && rs.Identifier != id) {
				continue // not an API, or an API whose id (not identifier) this is
			}
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(list, func(x store.ResourceServer) bool { return x.ID == rs.ID }) {
				list = append(list, rs)
			}
		}
		slices.SortFunc(list, func(a, b store.ResourceServer) int { return strings.Compare(a.ID, b.ID) })
		total = len(list)
		list = list[min(p.offset(), total):min(p.offset()+p.PerPage, total)]
	}
	items := make([]any, len(list))
	for i, rs := range list {
		if items[i], err = c.resourceServer(rs); err != nil {
			return nil, err
		}
	}
	if items, err = fl.applyAll(items); err != nil {
		return nil, err
	}
	return paged(p, "resource_servers", items, total), nil
}

func (a *API) getResourceServer(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	rs, err := c.st().GetResourceServer(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	v, err := c.resourceServer(rs)
	if err != nil {
		return nil, err
	}
	return fl.apply(v)
}

func (a *API) createResourceServer(c *call) (any, error) {
	var b ResourceServerBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	f, err := b.Fields()
	if err != nil {
		return nil, err
	}
	if f.Identifier == nil {
		return nil, errBody("Missing required property: identifier", "")
	}
	rs, err := c.svc().CreateResourceServer(c.r.Context(), f)
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusCreated, rs.ID
	return c.resourceServer(rs)
}

func (a *API) updateResourceServer(c *call) (any, error) {
	var b ResourceServerBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	f, err := b.Fields()
	if err != nil {
		return nil, err
	}
	if b.ID != nil {
		cur, err := c.st().GetResourceServer(c.r.Context(), c.r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		if err := same("id", b.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	rs, err := c.svc().UpdateResourceServer(c.r.Context(), c.r.PathValue("id"), f)
	if err != nil {
		return nil, err
	}
	c.target = rs.ID
	return c.resourceServer(rs)
}

// resourceServer is the API object of rs with its signing_secret opened
// (Auth0 returns it to holders of read:resource_servers; HS256 APIs verify
// tokens with it).
func (c *call) resourceServer(rs store.ResourceServer) (ResourceServer, error) {
	v := ResourceServerView(rs)
	secret, err := c.svc().SigningSecret(rs)
	if err != nil {
		return v, err
	}
	v.SigningSecret = secret
	return v, nil
}
