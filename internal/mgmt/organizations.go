package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// OrganizationBody is the JSON body of POST and PATCH /organizations.
// enabled_connections, third_party_client_access and token_quota are
// accepted and ignored, as the README's Organizations section documents
// (Terraform, go-auth0 and the Deploy CLI send them): the first two govern
// user logins, which an M2M server has none of, and credo enforces no
// token quota yet, so a stored one would promise a limit nobody applies.
type OrganizationBody struct {
	ID          *string               `json:"id,omitempty"` // PATCH only, and only the organization's own (what GET returns)
	Name        *string               `json:"name,omitempty"`
	DisplayName *string               `json:"display_name,omitempty"`
	Branding    *OrganizationBranding `json:"branding,omitempty"`
	// Metadata values may be null: on PATCH the key is removed.
	Metadata           *map[string]*string `json:"metadata,omitempty"`
	EnabledConnections *[]json.RawMessage  `json:"enabled_connections,omitempty"`
	TokenQuota         *json.RawMessage    `json:"token_quota,omitempty"`
	ThirdPartyAccess   *string             `json:"third_party_client_access,omitempty"`
}

// fields returns the service's fields; patch selects PATCH semantics
// (metadata merged, null removing a key).
func (b *OrganizationBody) fields(patch bool) tenant.OrganizationFields {
	f := tenant.OrganizationFields{Name: b.Name, DisplayName: b.DisplayName}
	if b.Metadata != nil {
		if patch {
			f.MetadataPatch = map[string]*string{}
			for k, v := range *b.Metadata {
				f.MetadataPatch[k] = v
			}
		} else {
			m := map[string]string{}
			for k, v := range *b.Metadata {
				if v != nil {
					m[k] = *v
				}
			}
			f.Metadata = &m
		}
	}
	if br := b.Branding; br != nil {
		f.Branding = &store.OrganizationBranding{LogoURL: br.LogoURL}
		if br.Colors != nil {
			f.Branding.Colors = store.OrganizationColors{Primary: br.Colors.Primary, PageBackground: br.Colors.PageBackground}
		}
	}
	return f
}

func (a *API) listOrganizations(c *call) (any, error) {
	// sort (e.g. name:1) is accepted and ignored: credo lists organizations
	// by id, the order from/take checkpoints need.
	return orgList(c, false, c.st().ListOrganizations)
}

// orgList answers a list of organizations: a checkpoint page when from or
// take is given (page, per_page and include_totals, which Auth0's SDKs send
// along, are then checked and ignored: the answer is always
// {organizations, next}), else an offset page. Without any paging
// parameter the answer is a checkpoint page when checkpoint is set.
func orgList(c *call, checkpoint bool, list func(context.Context, store.OrganizationFilter) ([]store.Organization, int, error)) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	paging := c.q.has("page") || c.q.has("per_page") || c.q.has("include_totals")
	if c.q.has("from") || c.q.has("take") || (checkpoint && !paging) {
		return orgCheckpoint(c, list)
	}
	orgs, total, err := list(c.r.Context(), store.OrganizationFilter{Page: store.Page{Offset: p.offset(), Limit: p.PerPage}})
	if err != nil {
		return nil, err
	}
	items := make([]any, len(orgs))
	for i, o := range orgs {
		items[i] = OrganizationView(o)
	}
	return paged(p, "organizations", items, total), nil
}

// orgCheckpoint answers a checkpoint page of organizations (from, take):
// {"organizations": […], "next": id} with next set while more follow.
func orgCheckpoint(c *call, list func(context.Context, store.OrganizationFilter) ([]store.Organization, int, error)) (any, error) {
	take, err := c.q.int("take", defaultPerPage, 1, maxPerPage)
	if err != nil {
		return nil, err
	}
	orgs, total, err := list(c.r.Context(), store.OrganizationFilter{From: c.q.str("from"), Page: store.Page{Limit: take}})
	if err != nil {
		return nil, err
	}
	views, last := make([]Organization, len(orgs)), ""
	for i, o := range orgs {
		views[i], last = OrganizationView(o), o.ID
	}
	return checkpointed("organizations", views, len(orgs), total, last), nil
}

// listGrantOrganizations answers GET /client-grants/{id}/organizations, the
// organizations a grant is associated with: a checkpoint page as Auth0
// documents it, or an offset page with page/per_page/include_totals (which
// go-auth0 sends).
func (a *API) listGrantOrganizations(c *call) (any, error) {
	id := c.r.PathValue("id")
	return orgList(c, true, func(ctx context.Context, f store.OrganizationFilter) ([]store.Organization, int, error) {
		return c.st().ListGrantOrganizations(ctx, id, f)
	})
}

func (a *API) createOrganization(c *call) (any, error) {
	var b OrganizationBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.ID != nil {
		return nil, errBody("Additional properties not allowed: id", "")
	}
	if b.Name == nil {
		return nil, errBody("Missing required property: name", "")
	}
	o, err := c.svc().CreateOrganization(c.r.Context(), b.fields(false))
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusCreated, o.ID
	return OrganizationView(o), nil
}

func (a *API) getOrganization(c *call) (any, error) {
	o, err := c.st().GetOrganization(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return OrganizationView(o), nil
}

func (a *API) getOrganizationByName(c *call) (any, error) {
	o, err := c.st().GetOrganizationByName(c.r.Context(), c.r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return OrganizationView(o), nil
}

func (a *API) updateOrganization(c *call) (any, error) {
	var b OrganizationBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	id := c.r.PathValue("id")
	if b.ID != nil && *b.ID != id {
		return nil, errBody("id cannot be changed", "id")
	}
	o, err := c.svc().UpdateOrganization(c.r.Context(), id, b.fields(true))
	if err != nil {
		return nil, err
	}
	c.target = id
	return OrganizationView(o), nil
}

// maxGrantIDs bounds grant_ids (Auth0: at most 10).
const maxGrantIDs = 10

func (a *API) listOrganizationGrants(c *call) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	ids := c.q.list("grant_ids")
	if len(ids) > maxGrantIDs {
		return nil, errQuery("Array is too long (max 10)", "grant_ids")
	}
	f := store.OrganizationGrantFilter{Audience: c.q.str("audience"), ClientID: c.q.str("client_id"), GrantIDs: ids,
		Page: store.Page{Offset: p.offset(), Limit: p.PerPage}}
	list, total, err := c.st().ListOrganizationGrants(c.r.Context(), c.r.PathValue("id"), f)
	if err != nil {
		return nil, err
	}
	items := make([]any, len(list))
	for i, g := range list {
		items[i] = ClientGrantView(g)
	}
	return paged(p, "client_grants", items, total), nil
}

// OrganizationGrantBody is the JSON body of POST /organizations/{id}/client-grants.
type OrganizationGrantBody struct {
	GrantID *string `json:"grant_id,omitempty"`
}

func (a *API) addOrganizationGrant(c *call) (any, error) {
	var b OrganizationGrantBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.GrantID == nil {
		return nil, errBody("Missing required property: grant_id", "")
	}
	id := c.r.PathValue("id")
	g, err := c.svc().AddOrganizationGrant(c.r.Context(), id, *b.GrantID)
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusCreated, id
	return ClientGrantView(g), nil
}

func (a *API) removeOrganizationGrant(c *call) (any, error) {
	id, gid := c.r.PathValue("id"), c.r.PathValue("grant_id")
	if err := c.svc().RemoveOrganizationGrant(c.r.Context(), id, gid); err != nil {
		if _, gerr := c.st().GetOrganization(c.r.Context(), id); errors.Is(gerr, store.ErrNotFound) {
			return nil, errNotFound(kindOrganization)
		}
		return nil, err
	}
	c.status, c.target = http.StatusNoContent, id
	return nil, nil
}
