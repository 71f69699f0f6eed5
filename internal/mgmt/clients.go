package mgmt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// ClientBody is the JSON body of POST and PATCH /clients. Pointer fields
// are "not given" when nil.
type ClientBody struct {
	ClientID                *string            `json:"client_id,omitempty"`     // create only (credo extension)
	ClientSecret            *string            `json:"client_secret,omitempty"` // an imported secret; PATCH needs update:client_keys
	Name                    *string            `json:"name,omitempty"`
	Description             *string            `json:"description,omitempty"`
	AppType                 *string            `json:"app_type,omitempty"`
	GrantTypes              *[]string          `json:"grant_types,omitempty"`
	TokenEndpointAuthMethod *string            `json:"token_endpoint_auth_method,omitempty"`
	ClientMetadata          *map[string]string `json:"client_metadata,omitempty"`
	IsFirstParty            *bool              `json:"is_first_party,omitempty"`
	OIDCConformant          *bool              `json:"oidc_conformant,omitempty"`
	JWTConfiguration        *JWTConfigBody     `json:"jwt_configuration,omitempty"`
	TokenLifetime           *int               `json:"token_lifetime,omitempty"`
	// DefaultOrganization sets default_organization; null removes it.
	DefaultOrganization defaultOrgBody `json:"default_organization"`
	clientReadOnly
}

// defaultOrgBody is default_organization in a client body: absent, null
// (remove) or {organization_id, flows}.
type defaultOrgBody struct {
	set bool
	v   *DefaultOrganization
}

func (d *defaultOrgBody) UnmarshalJSON(b []byte) error {
	d.set = true
	if string(b) == "null" {
		return nil
	}
	var v struct {
		OrganizationID *string   `json:"organization_id"`
		Flows          *[]string `json:"flows"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		if e, ok := jsonError(err).(*apiError); ok && e.Code == "invalid_body" {
			return errBody(strings.TrimSuffix(strings.TrimPrefix(e.Message, "Payload validation error: '"), "'."), "default_organization")
		}
		return errBody("Expected type object", "default_organization")
	}
	if v.OrganizationID == nil || *v.OrganizationID == "" {
		return errBody("Missing required property: organization_id", "default_organization")
	}
	if v.Flows == nil {
		return errBody("Missing required property: flows", "default_organization")
	}
	d.v = &DefaultOrganization{OrganizationID: *v.OrganizationID, Flows: *v.Flows}
	return nil
}

// JWTConfigBody is jwt_configuration in a client body. lifetime_in_seconds,
// secret_encoded and scopes configure ID tokens, which credo does not issue;
// they are accepted (Terraform and the Deploy CLI send them) and ignored.
type JWTConfigBody struct {
	Alg               *string         `json:"alg,omitempty"`
	LifetimeInSeconds *int            `json:"lifetime_in_seconds,omitempty"`
	SecretEncoded     *bool           `json:"secret_encoded,omitempty"`
	Scopes            *map[string]any `json:"scopes,omitempty"`
}

// Fields validates what the Management API checks beyond the service
// (oidc_conformant, empty ids) and returns the service's patch.
func (b *ClientBody) Fields() (tenant.ClientFields, error) {
	if err := b.clientReadOnly.check(); err != nil {
		return tenant.ClientFields{}, err
	}
	if b.OIDCConformant != nil && !*b.OIDCConformant {
		return tenant.ClientFields{}, errBody("credo clients are always OIDC conformant", "oidc_conformant")
	}
	f := tenant.ClientFields{
		Name: b.Name, Description: b.Description, AppType: b.AppType, GrantTypes: b.GrantTypes,
		TokenEndpointAuthMethod: b.TokenEndpointAuthMethod, IsFirstParty: b.IsFirstParty,
		Metadata: b.ClientMetadata, TokenLifetime: b.TokenLifetime,
	}
	if d := b.DefaultOrganization; d.set {
		f.DefaultOrganization = &store.DefaultOrganization{}
		if d.v != nil {
			f.DefaultOrganization = &store.DefaultOrganization{OrganizationID: d.v.OrganizationID, Flows: d.v.Flows}
		}
	}
	if b.ClientID != nil {
		f.ClientID = *b.ClientID
		if f.ClientID == "" {
			return f, errBody("String is too short (0 chars), minimum 1", "client_id")
		}
	}
	if b.ClientSecret != nil {
		f.ClientSecret = *b.ClientSecret
		if f.ClientSecret == "" {
			return f, errBody("String is too short (0 chars), minimum 1", "client_secret")
		}
	}
	if b.JWTConfiguration != nil {
		f.JWTAlg = b.JWTConfiguration.Alg
	}
	return f, nil
}

func (a *API) listClients(c *call) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	var types []string
	for _, t := range strings.Split(c.q.str("app_type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	// is_global: credo has no global client (Auth0's legacy per-tenant
	// client), so is_global=true matches none and false matches all.
	global, err := c.q.bool("is_global", false)
	if err != nil {
		return nil, err
	}
	firstParty, err := c.q.bool("is_first_party", false)
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	searched, found, err := c.clientSearch(ctx, c.q.str("q"))
	if err != nil {
		return nil, err
	}
	none := searched && len(found) == 0
	checkpoint := c.q.has("from") || c.q.has("take")
	take, err := c.q.int("take", defaultPerPage, 1, maxPerPage)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range strings.Split(c.q.str("client_ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	// external_client_id selects clients registered from a Client ID
	// Metadata Document (CIMD); credo has none.
	none = none || c.q.has("external_client_id")
	filtered := len(ids) > 0 || c.q.has("is_first_party") || searched
	match := func(cl store.Client) bool {
		return (len(types) == 0 || slices.Contains(types, cl.AppType)) &&
			(!c.q.has("is_first_party") || cl.IsFirstParty == firstParty) &&
			(len(ids) == 0 || slices.Contains(ids, cl.ClientID)) &&
			(!searched || found[cl.ClientID])
	}
	var list []store.Client
	var total int
	remaining := 0 // under checkpoint pagination: the clients from the checkpoint on
	switch {
	case none:
	case global:
		// The tenant's global client only (below).
	case len(types) <= 1 && !filtered:
		// The store pages: by offset, or after the checkpoint from (the
		// "next" of the previous page, a client_id), so that reading
		// every client page by page costs one pass.
		f := store.ClientFilter{Page: store.Page{Offset: p.offset(), Limit: p.PerPage}}
		if checkpoint {
			f = store.ClientFilter{From: c.q.str("from"), Page: store.Page{Limit: take}}
		}
		if len(types) == 1 {
			f.AppType = types[0]
		}
		if list, total, err = c.st().ListClients(ctx, f); err != nil {
			return nil, err
		}
		remaining = total
	default:
		// Filters the store does not take: filter every client here.
		all, err := store.All(ctx, func(ctx context.Context, pg store.Page) ([]store.Client, int, error) {
			return c.st().ListClients(ctx, store.ClientFilter{Page: pg})
		})
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(cl store.Client) bool { return !match(cl) })
		total = len(all)
		if checkpoint {
			// from is the client_id after which the page starts (the
			// "next" of the previous page): the clients after it in the
			// store's byte-wise client_id order, as the store's own
			// checkpoint (unfiltered lists) reads on.
			from := c.q.str("from")
			start := 0
			if from != "" {
				start = sort.Search(len(all), func(i int) bool { return all[i].ClientID > from })
			}
			list, remaining = all[start:min(start+take, len(all))], len(all)-start
		} else {
			list = all[min(p.offset(), total):min(p.offset()+p.PerPage, total)]
		}
	}
	now := c.now()
	items := make([]any, len(list))
	for i, cl := range list {
		items[i] = ClientView(cl, now)
	}
	if global && !none && !searched && p.Page == 0 && len(types) == 0 && len(ids) == 0 && (!c.q.has("is_first_party") || firstParty) {
		items, total = append(items, c.api.globalClient()), 1
	}
	if items, err = fl.applyAll(items); err != nil {
		return nil, err
	}
	if checkpoint {
		// Checkpoint pagination: {"clients": […], "next": client_id}; as on
		// Auth0, page, per_page and include_totals are ignored then.
		last := ""
		if len(list) > 0 {
			last = list[len(list)-1].ClientID
		}
		return checkpointed("clients", items, len(list), remaining, last), nil
	}
	return paged(p, "clients", items, total), nil
}

// clientSearch runs GET /clients' q, Auth0's search over the clients'
// grants (reference §4): client_grant.organization_id:ID (clients with a
// grant associated with that organization) and
// client_grant.allow_any_organization:true (clients with a grant that
// allows any organization). searched is false for an empty q; other
// searches are not Auth0's and are refused.
func (c *call) clientSearch(ctx context.Context, q string) (searched bool, found map[string]bool, err error) {
	q = strings.TrimSpace(q)
	var grants []store.ClientGrant
	switch org, isOrg := strings.CutPrefix(q, "client_grant.organization_id:"); {
	case q == "":
		return false, nil, nil
	case isOrg && org != "":
		grants, err = store.All(ctx, func(ctx context.Context, pg store.Page) ([]store.ClientGrant, int, error) {
			return c.st().ListOrganizationGrants(ctx, org, store.OrganizationGrantFilter{Page: pg})
		})
		if errors.Is(err, store.ErrNotFound) { // no such organization: no client
			err = nil
		}
	case q == "client_grant.allow_any_organization:true":
		yes := true
		grants, err = store.All(ctx, func(ctx context.Context, pg store.Page) ([]store.ClientGrant, int, error) {
			return c.st().ListClientGrants(ctx, store.GrantFilter{AllowAnyOrganization: &yes, Page: pg})
		})
	default:
		return false, nil, errQuery("q supports client_grant.organization_id:ID and client_grant.allow_any_organization:true", "q")
	}
	if err != nil {
		return false, nil, err
	}
	found = map[string]bool{}
	for _, g := range grants {
		found[g.ClientID] = true
	}
	return true, found, nil
}

// checkpointed wraps a checkpoint page (from, take) as Auth0 does:
// {"<key>": […], "next": id}, next being lastID while more follow the page
// (n items on the page, remaining counted from the checkpoint on).
func checkpointed(key string, items any, n, remaining int, lastID string) map[string]any {
	out := map[string]any{key: items}
	if remaining > n && n > 0 {
		out["next"] = lastID
	}
	return out
}

// paged wraps a page of items as Auth0 does: the bare array, or with
// include_totals {"start","limit","length","total","<key>":[…]}.
func paged(p page, key string, items []any, total int) any {
	if !p.Totals {
		return items
	}
	return map[string]any{"start": p.offset(), "limit": p.PerPage, "length": len(items), "total": total, key: items}
}

func (a *API) getClient(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	cl, err := c.st().GetClient(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return fl.apply(ClientView(cl, c.now()))
}

func (a *API) createClient(c *call) (any, error) {
	var b ClientBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	f, err := b.Fields()
	if err != nil {
		return nil, err
	}
	if f.Name == nil {
		return nil, errBody("Missing required property: name", "")
	}
	cl, plain, err := c.svc().CreateClient(c.r.Context(), f)
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusCreated, cl.ClientID
	v := ClientView(cl, c.now())
	v.ClientSecret = plain
	return v, nil
}

func (a *API) updateClient(c *call) (any, error) {
	var b ClientBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	id := c.r.PathValue("id")
	if err := same("client_id", b.ClientID, id); err != nil {
		return nil, err
	}
	b.ClientID = nil
	if b.ClientSecret != nil && !slices.Contains(c.who.Scopes, "update:client_keys") {
		return nil, errScope(false, []string{"update:client_keys"})
	}
	f, err := b.Fields()
	if err != nil {
		return nil, err
	}
	cl, err := c.svc().UpdateClient(c.r.Context(), id, f)
	if err != nil {
		return nil, err
	}
	c.target = id
	return ClientView(cl, c.now()), nil
}

func (a *API) rotateSecret(c *call) (any, error) {
	grace, err := c.q.int("grace_period", 0, 0, int(tenant.MaxGracePeriod/time.Second))
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("id")
	cl, plain, err := c.svc().RotateSecret(c.r.Context(), id, time.Duration(grace)*time.Second)
	if err != nil {
		return nil, err
	}
	c.target = id
	v := ClientView(cl, c.now())
	v.ClientSecret = plain
	return v, nil
}

// globalClient is the tenant's global client as Auth0 lists it for
// is_global=true ("All Applications", the holder of tenant-wide login
// settings such as the custom login page, which every Auth0 tenant has and
// the Deploy CLI looks up on export). It is not a client of credo: it holds
// no secret, cannot ask for tokens, appears in no other list and cannot be
// read, patched or deleted by id. Its client_id is derived from the issuer
// so that it is stable.
func (a *API) globalClient() Client {
	sum := sha256.Sum256([]byte("credo global client\x00" + a.d.Issuer))
	return Client{
		ClientID: hex.EncodeToString(sum[:16]), Name: "All Applications", Global: true,
		GrantTypes: []string{}, ClientMetadata: map[string]string{}, Callbacks: []string{},
		IsFirstParty: true, OIDCConformant: true, TokenEndpointAuthMethod: "none",
	}
}
