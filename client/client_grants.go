package client

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// ClientGrant authorizes an application to get tokens for an API with a
// ceiling of scopes (Auth0's client grant, /api/v2/client-grants).
type ClientGrant struct {
	ID       string `json:"id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Audience is the API identifier; required on create and immutable.
	Audience string `json:"audience,omitempty"`
	// Scope is the list of granted scopes. Create sends [] when it is nil.
	Scope          []string `json:"scope"`
	AllowAllScopes *bool    `json:"allow_all_scopes,omitempty"`
	// SubjectType is "client" (client credentials, the default) or "user".
	SubjectType string `json:"subject_type,omitempty"`
	// OrganizationUsage is "deny", "allow" or "require".
	OrganizationUsage    string `json:"organization_usage,omitempty"`
	AllowAnyOrganization *bool  `json:"allow_any_organization,omitempty"`

	// Read-only fields, set by the server; Create does not send them.

	IsSystem  bool       `json:"is_system,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// ClientGrantUpdate is the body of PATCH /api/v2/client-grants/{id}: only
// non-nil fields are sent. Scope replaces the granted scopes; a non-nil empty
// slice revokes them all.
type ClientGrantUpdate struct {
	Scope                []string `json:"scope,omitzero"`
	AllowAllScopes       *bool    `json:"allow_all_scopes,omitempty"`
	OrganizationUsage    *string  `json:"organization_usage,omitempty"`
	AllowAnyOrganization *bool    `json:"allow_any_organization,omitempty"`
}

// ClientGrantListOptions filters and pages a grant list. With From or Take set
// the server uses checkpoint pagination and the result's Next names the next
// page's From.
type ClientGrantListOptions struct {
	ListOptions
	ClientID string // only grants of this application
	Audience string // only grants for this API identifier
	From     string // checkpoint id to start from
	Take     int    // checkpoint page size
}

// ClientGrantList is one page of grants.
type ClientGrantList struct {
	Totals
	ClientGrants []ClientGrant `json:"client_grants"`
	// Next is the From of the next page under checkpoint pagination; empty
	// on the last page.
	Next string `json:"next"`
}

// ClientGrantsService manages client grants (/api/v2/client-grants).
type ClientGrantsService struct{ c *Client }

// List returns grants, optionally filtered (GET /api/v2/client-grants). Scope
// read:client_grants.
func (s *ClientGrantsService) List(ctx context.Context, opts ClientGrantListOptions) (*ClientGrantList, error) {
	q := opts.values()
	if opts.ClientID != "" {
		q.Set("client_id", opts.ClientID)
	}
	if opts.Audience != "" {
		q.Set("audience", opts.Audience)
	}
	if opts.From != "" {
		q.Set("from", opts.From)
	}
	if opts.Take > 0 {
		q.Set("take", strconv.Itoa(opts.Take))
	}
	var out ClientGrantList
	if err := s.c.list(ctx, "client-grants", q, &out, &out.ClientGrants); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one grant (GET /api/v2/client-grants/{id}).
func (s *ClientGrantsService) Get(ctx context.Context, id string) (*ClientGrant, error) {
	var out ClientGrant
	if err := s.c.do(ctx, http.MethodGet, path("client-grants", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create grants an application access to an API (POST
// /api/v2/client-grants). The id and the read-only fields are not sent.
// Scope create:client_grants.
func (s *ClientGrantsService) Create(ctx context.Context, g *ClientGrant) (*ClientGrant, error) {
	body := *g
	body.ID, body.IsSystem, body.CreatedAt, body.UpdatedAt = "", false, nil, nil
	if body.Scope == nil {
		body.Scope = []string{}
	}
	var out ClientGrant
	if err := s.c.do(ctx, http.MethodPost, "client-grants", nil, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes a grant's scopes or organization settings (PATCH
// /api/v2/client-grants/{id}). Scope update:client_grants.
func (s *ClientGrantsService) Update(ctx context.Context, id string, u ClientGrantUpdate) (*ClientGrant, error) {
	var out ClientGrant
	if err := s.c.do(ctx, http.MethodPatch, path("client-grants", id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete removes a grant (DELETE /api/v2/client-grants/{id}). Scope
// delete:client_grants.
func (s *ClientGrantsService) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, path("client-grants", id), nil, nil, nil)
}
