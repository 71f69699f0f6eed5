package mgmt

import (
	"net/http"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// GrantBody is the JSON body of POST /client-grants.
type GrantBody struct {
	ClientID       *string   `json:"client_id,omitempty"`
	Audience       *string   `json:"audience,omitempty"`
	Scope          *[]string `json:"scope,omitempty"`
	AllowAllScopes *bool     `json:"allow_all_scopes,omitempty"`
	SubjectType    *string   `json:"subject_type,omitempty"`
	ID             *string   `json:"id,omitempty"` // read-only, ignored
	readOnlyTimes
	orgFields
}

// GrantPatch is the JSON body of PATCH /client-grants/{id}.
type GrantPatch struct {
	Scope          *[]string `json:"scope,omitempty"`
	AllowAllScopes *bool     `json:"allow_all_scopes,omitempty"`
	grantReadOnly
	orgFields
}

// orgFields are Auth0's organization settings of a grant: organization_usage
// (deny, allow or require; PATCH with null leaves it as it is) and
// allow_any_organization. The service validates them.
type orgFields struct {
	OrganizationUsage    *string `json:"organization_usage,omitempty"`
	AllowAnyOrganization *bool   `json:"allow_any_organization,omitempty"`
}

func (o orgFields) check() error {
	if o.OrganizationUsage != nil && *o.OrganizationUsage == "" {
		return errBody("No enum match for: \"\"", "organization_usage")
	}
	return nil
}

// apply copies the organization settings into f.
func (o orgFields) apply(f *tenant.GrantFields) {
	f.OrganizationUsage, f.AllowAnyOrganization = o.OrganizationUsage, o.AllowAnyOrganization
}

// Fields checks the required properties and returns the service's fields.
func (b *GrantBody) Fields() (tenant.GrantFields, error) {
	if err := b.check(); err != nil {
		return tenant.GrantFields{}, err
	}
	if b.ClientID == nil {
		return tenant.GrantFields{}, errBody("Missing required property: client_id", "")
	}
	if b.Audience == nil {
		return tenant.GrantFields{}, errBody("Missing required property: audience", "")
	}
	f := tenant.GrantFields{ClientID: *b.ClientID, Audience: *b.Audience, Scope: b.Scope, AllowAllScopes: b.AllowAllScopes}
	b.apply(&f)
	if b.SubjectType != nil {
		f.SubjectType = *b.SubjectType
		if f.SubjectType == "" {
			return f, errBody("must be client or user", "subject_type")
		}
	}
	return f, nil
}

func (a *API) listGrants(c *call) (any, error) {
	ctx := c.r.Context()
	f := store.GrantFilter{ClientID: c.q.str("client_id"), Audience: c.q.str("audience"), SubjectType: c.q.str("subject_type")}
	if st := f.SubjectType; c.q.has("subject_type") && st != "client" && st != "user" {
		return nil, errQuery("must be one of client, user", "subject_type")
	}
	if c.q.has("allow_any_organization") {
		v, err := c.q.bool("allow_any_organization", false)
		if err != nil {
			return nil, err
		}
		f.AllowAnyOrganization = &v
	}
	// default_for=third_party_clients lists the default grants of
	// third-party clients: credo has none (every grant names its client).
	defaultFor := c.q.has("default_for")
	if defaultFor && c.q.str("default_for") != "third_party_clients" {
		return nil, errQuery("must be one of third_party_clients", "default_for")
	}
	fetch := func() ([]store.ClientGrant, int, error) {
		if defaultFor {
			return nil, 0, nil
		}
		return c.st().ListClientGrants(ctx, f)
	}
	if c.q.has("from") || c.q.has("take") {
		// Checkpoint pagination: {"next": id, "client_grants": […]}. As on
		// Auth0, page, per_page and include_totals are ignored then (the
		// Node SDK and the Deploy CLI send include_totals=true&take=50).
		if _, err := c.q.page(); err != nil {
			return nil, err
		}
		take, err := c.q.int("take", defaultPerPage, 1, maxPerPage)
		if err != nil {
			return nil, err
		}
		f.From, f.Limit = c.q.str("from"), take
		list, total, err := fetch()
		if err != nil {
			return nil, err
		}
		views, last := make([]ClientGrant, len(list)), ""
		for i, g := range list {
			views[i], last = ClientGrantView(g), g.ID
		}
		return checkpointed("client_grants", views, len(list), total, last), nil
	}
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	f.Offset, f.Limit = p.offset(), p.PerPage
	list, total, err := fetch()
	if err != nil {
		return nil, err
	}
	items := make([]any, len(list))
	for i, g := range list {
		items[i] = ClientGrantView(g)
	}
	return paged(p, "client_grants", items, total), nil
}

func (a *API) getGrant(c *call) (any, error) {
	g, err := c.st().GetClientGrant(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return ClientGrantView(g), nil
}

func (a *API) createGrant(c *call) (any, error) {
	var b GrantBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	f, err := b.Fields()
	if err != nil {
		return nil, err
	}
	g, err := c.svc().CreateGrant(c.r.Context(), f)
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusCreated, g.ID
	return ClientGrantView(g), nil
}

func (a *API) updateGrant(c *call) (any, error) {
	var b GrantPatch
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	id := c.r.PathValue("id")
	if err := b.grantReadOnly.same(c, id); err != nil {
		return nil, err
	}
	f := tenant.GrantFields{Scope: b.Scope, AllowAllScopes: b.AllowAllScopes}
	b.apply(&f)
	g, err := c.svc().UpdateGrant(c.r.Context(), id, f)
	if err != nil {
		return nil, err
	}
	c.target = id
	return ClientGrantView(g), nil
}
