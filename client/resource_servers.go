package client

import (
	"context"
	"net/http"
	"time"
)

// ResourceServer is Auth0's resource server object (an API), the resource of
// /api/v2/resource-servers. Identifier is the audience of its tokens.
type ResourceServer struct {
	ID         string  `json:"id,omitempty"`
	Name       string  `json:"name,omitempty"`
	Identifier string  `json:"identifier,omitempty"`
	Scopes     []Scope `json:"scopes,omitempty"`
	// SigningAlg is RS256 (the default), PS256 or HS256; credo also offers
	// ES256 and EdDSA.
	SigningAlg string `json:"signing_alg,omitempty"`
	// SigningSecret is the HS256 secret.
	SigningSecret string `json:"signing_secret,omitempty"`
	// TokenLifetime is the access-token lifetime in seconds (default 86400).
	TokenLifetime int `json:"token_lifetime,omitempty"`
	// TokenDialect is "access_token" (Auth0's profile) or "rfc9068_profile".
	TokenDialect             string                    `json:"token_dialect,omitempty"`
	SubjectTypeAuthorization *SubjectTypeAuthorization `json:"subject_type_authorization,omitempty"`

	// Read-only fields, set by the server; Create does not send them.

	IsSystem  bool       `json:"is_system,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Scope is one permission an API defines.
type Scope struct {
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// SubjectTypeAuthorization is an API's access policy per subject type.
type SubjectTypeAuthorization struct {
	User   *SubjectTypePolicy `json:"user,omitempty"`
	Client *SubjectTypePolicy `json:"client,omitempty"`
}

// SubjectTypePolicy is one access policy: for clients, "require_client_grant"
// (the default) or "deny_all".
type SubjectTypePolicy struct {
	Policy string `json:"policy"`
}

// ResourceServerUpdate is the body of PATCH /api/v2/resource-servers/{id}:
// only non-nil fields are sent (a non-nil empty Scopes clears them). The
// identifier cannot be changed.
type ResourceServerUpdate struct {
	Name                     *string                   `json:"name,omitempty"`
	Scopes                   []Scope                   `json:"scopes,omitzero"`
	SigningAlg               *string                   `json:"signing_alg,omitempty"`
	SigningSecret            *string                   `json:"signing_secret,omitempty"`
	TokenLifetime            *int                      `json:"token_lifetime,omitempty"`
	TokenDialect             *string                   `json:"token_dialect,omitempty"`
	SubjectTypeAuthorization *SubjectTypeAuthorization `json:"subject_type_authorization,omitempty"`
}

// ResourceServerList is one page of APIs.
type ResourceServerList struct {
	Totals
	ResourceServers []ResourceServer `json:"resource_servers"`
}

// ResourceServersService manages APIs (/api/v2/resource-servers). Methods that
// take idOrIdentifier accept the id or the identifier (a URL is escaped into
// one path segment).
type ResourceServersService struct{ c *Client }

// List returns a page of APIs (GET /api/v2/resource-servers). Scope
// read:resource_servers.
func (s *ResourceServersService) List(ctx context.Context, opts ListOptions) (*ResourceServerList, error) {
	var out ResourceServerList
	if err := s.c.list(ctx, "resource-servers", opts.values(), &out, &out.ResourceServers); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one API by id or identifier (GET /api/v2/resource-servers/{id}).
func (s *ResourceServersService) Get(ctx context.Context, idOrIdentifier string) (*ResourceServer, error) {
	var out ResourceServer
	if err := s.c.do(ctx, http.MethodGet, path("resource-servers", idOrIdentifier), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create creates an API (POST /api/v2/resource-servers). The id and the
// read-only fields are not sent. Scope create:resource_servers.
func (s *ResourceServersService) Create(ctx context.Context, rs *ResourceServer) (*ResourceServer, error) {
	body := *rs
	body.ID, body.IsSystem, body.CreatedAt, body.UpdatedAt = "", false, nil, nil
	var out ResourceServer
	if err := s.c.do(ctx, http.MethodPost, "resource-servers", nil, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields set in u (PATCH /api/v2/resource-servers/{id}).
// Scope update:resource_servers.
func (s *ResourceServersService) Update(ctx context.Context, idOrIdentifier string, u ResourceServerUpdate) (*ResourceServer, error) {
	var out ResourceServer
	if err := s.c.do(ctx, http.MethodPatch, path("resource-servers", idOrIdentifier), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes an API and the grants for it (DELETE
// /api/v2/resource-servers/{id}). Scope delete:resource_servers.
func (s *ResourceServersService) Delete(ctx context.Context, idOrIdentifier string) error {
	return s.c.do(ctx, http.MethodDelete, path("resource-servers", idOrIdentifier), nil, nil, nil)
}
