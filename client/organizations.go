package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Organization is Auth0's organization (/api/v2/organizations): a customer
// whose machine-to-machine tokens carry its id as org_id.
type Organization struct {
	ID string `json:"id,omitempty"`
	// Name is unique: 1 to 50 lowercase letters, digits, _ and -. A token
	// request may name the organization by it.
	Name        string                `json:"name,omitempty"`
	DisplayName string                `json:"display_name,omitempty"`
	Branding    *OrganizationBranding `json:"branding,omitempty"`
	// Metadata holds at most 25 string values of at most 255 characters.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// OrganizationBranding is an organization's branding.
type OrganizationBranding struct {
	LogoURL string              `json:"logo_url,omitempty"`
	Colors  *OrganizationColors `json:"colors,omitempty"`
}

// OrganizationColors are an organization's branding colors (#rgb or #rrggbb).
type OrganizationColors struct {
	Primary        string `json:"primary,omitempty"`
	PageBackground string `json:"page_background,omitempty"`
}

// OrganizationUpdate is the body of PATCH /api/v2/organizations/{id}: only
// non-nil fields are sent. Metadata is merged into the organization's: a
// key with a nil value is removed.
type OrganizationUpdate struct {
	Name        *string               `json:"name,omitempty"`
	DisplayName *string               `json:"display_name,omitempty"`
	Branding    *OrganizationBranding `json:"branding,omitempty"`
	Metadata    map[string]*string    `json:"metadata,omitzero"`
}

// OrganizationList is one page of organizations.
type OrganizationList struct {
	Totals
	Organizations []Organization `json:"organizations"`
	// Next is the From of the next page under checkpoint pagination.
	Next string `json:"next"`
}

// OrganizationListOptions pages an organization list; with From or Take set
// the server uses checkpoint pagination.
type OrganizationListOptions struct {
	ListOptions
	From string
	Take int
}

// OrganizationGrantListOptions filters and pages the grants associated with
// an organization.
type OrganizationGrantListOptions struct {
	ListOptions
	Audience string
	ClientID string
	// GrantIDs keeps only these grants (at most 10).
	GrantIDs []string
}

// OrganizationsService manages organizations (/api/v2/organizations) and
// the client grants associated with them.
type OrganizationsService struct{ c *Client }

// List returns a page of organizations (GET /api/v2/organizations). Scope
// read:organizations.
func (s *OrganizationsService) List(ctx context.Context, opts OrganizationListOptions) (*OrganizationList, error) {
	q := opts.values()
	if opts.From != "" {
		q.Set("from", opts.From)
	}
	if opts.Take > 0 {
		q.Set("take", strconv.Itoa(opts.Take))
	}
	var out OrganizationList
	if err := s.c.list(ctx, "organizations", q, &out, &out.Organizations); err != nil {
		return nil, err
	}
	return &out, nil
}

// All returns every organization, following checkpoints 100 at a time.
func (s *OrganizationsService) All(ctx context.Context) ([]Organization, error) {
	opts := OrganizationListOptions{Take: 100}
	var out []Organization
	for {
		l, err := s.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Organizations...)
		if l.Next == "" || len(l.Organizations) == 0 {
			return out, nil
		}
		opts.From = l.Next
	}
}

// Get returns an organization by id (GET /api/v2/organizations/{id}).
func (s *OrganizationsService) Get(ctx context.Context, id string) (*Organization, error) {
	var out Organization
	if err := s.c.do(ctx, http.MethodGet, path("organizations", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetByName returns an organization by name (GET
// /api/v2/organizations/name/{name}).
func (s *OrganizationsService) GetByName(ctx context.Context, name string) (*Organization, error) {
	var out Organization
	if err := s.c.do(ctx, http.MethodGet, path("organizations", "name", name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create creates an organization (POST /api/v2/organizations); the id is
// not sent. Scope create:organizations.
func (s *OrganizationsService) Create(ctx context.Context, o *Organization) (*Organization, error) {
	body := *o
	body.ID = ""
	var out Organization
	if err := s.c.do(ctx, http.MethodPost, "organizations", nil, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields set in u (PATCH /api/v2/organizations/{id}).
// Scope update:organizations.
func (s *OrganizationsService) Update(ctx context.Context, id string, u OrganizationUpdate) (*Organization, error) {
	var out Organization
	if err := s.c.do(ctx, http.MethodPatch, path("organizations", id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes an organization and its grant associations (DELETE
// /api/v2/organizations/{id}). Scope delete:organizations.
func (s *OrganizationsService) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, path("organizations", id), nil, nil, nil)
}

// ListGrants returns the client grants associated with an organization (GET
// /api/v2/organizations/{id}/client-grants). Scope
// read:organization_client_grants.
func (s *OrganizationsService) ListGrants(ctx context.Context, id string, opts OrganizationGrantListOptions) (*ClientGrantList, error) {
	q := opts.values()
	if opts.Audience != "" {
		q.Set("audience", opts.Audience)
	}
	if opts.ClientID != "" {
		q.Set("client_id", opts.ClientID)
	}
	if len(opts.GrantIDs) > 0 {
		q.Set("grant_ids", strings.Join(opts.GrantIDs, ","))
	}
	var out ClientGrantList
	if err := s.c.list(ctx, path("organizations", id, "client-grants"), q, &out, &out.ClientGrants); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddGrant associates a client grant with an organization (POST
// /api/v2/organizations/{id}/client-grants) and returns the grant. Scope
// create:organization_client_grants.
func (s *OrganizationsService) AddGrant(ctx context.Context, id, grantID string) (*ClientGrant, error) {
	var out ClientGrant
	if err := s.c.do(ctx, http.MethodPost, path("organizations", id, "client-grants"), nil, map[string]string{"grant_id": grantID}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveGrant removes a client grant's association with an organization
// (DELETE /api/v2/organizations/{id}/client-grants/{grant_id}). Scope
// delete:organization_client_grants.
func (s *OrganizationsService) RemoveGrant(ctx context.Context, id, grantID string) error {
	return s.c.do(ctx, http.MethodDelete, path("organizations", id, "client-grants", grantID), nil, nil, nil)
}

// Organizations returns the organizations a grant is associated with (GET
// /api/v2/client-grants/{id}/organizations), a checkpoint page (opts' From
// and Take). Scope read:organization_client_grants.
func (s *ClientGrantsService) Organizations(ctx context.Context, id string, opts OrganizationListOptions) (*OrganizationList, error) {
	q := url.Values{}
	if opts.From != "" {
		q.Set("from", opts.From)
	}
	if opts.Take > 0 {
		q.Set("take", strconv.Itoa(opts.Take))
	}
	var out OrganizationList
	if err := s.c.list(ctx, path("client-grants", id, "organizations"), q, &out, &out.Organizations); err != nil {
		return nil, err
	}
	return &out, nil
}
