package client

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Application is Auth0's client object (an application), the resource of
// /api/v2/clients. Only the fields that matter for machine-to-machine use are
// modelled; the server may return more, which are ignored. Zero fields are
// omitted from requests.
type Application struct {
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret is returned by Create and RotateSecret (and by Get when the
	// token has read:client_keys). Store it; it cannot be read back later
	// from credo, which keeps only a hash.
	ClientSecret string `json:"client_secret,omitempty"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	// AppType is "non_interactive" for machine-to-machine applications.
	AppType        string `json:"app_type,omitempty"`
	IsFirstParty   *bool  `json:"is_first_party,omitempty"`
	OIDCConformant *bool  `json:"oidc_conformant,omitempty"`
	// GrantTypes must include "client_credentials" for M2M use.
	GrantTypes []string `json:"grant_types,omitempty"`
	// TokenEndpointAuthMethod is "client_secret_post" (the default for M2M),
	// "client_secret_basic" or "none".
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method,omitempty"`
	ClientMetadata          map[string]string `json:"client_metadata,omitempty"`
	JWTConfiguration        *JWTConfiguration `json:"jwt_configuration,omitempty"`
	// TokenLifetime, when > 0, overrides the API's token lifetime for this
	// application, in seconds (a credo extension).
	TokenLifetime int `json:"token_lifetime,omitempty"`
	// DefaultOrganization is the organization a token request without
	// organization gets when the grant requires one.
	DefaultOrganization *DefaultOrganization `json:"default_organization,omitempty"`

	// Read-only fields, set by the server; Create does not send them.

	// PreviousSecretExpiresAt is when the secret replaced by RotateSecret
	// with a grace period stops working (a credo extension).
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               *time.Time `json:"created_at,omitempty"`
	UpdatedAt               *time.Time `json:"updated_at,omitempty"`
}

// JWTConfiguration is an application's jwt_configuration.
type JWTConfiguration struct {
	Alg               string `json:"alg,omitempty"` // HS256, RS256 or PS256
	LifetimeInSeconds int    `json:"lifetime_in_seconds,omitempty"`
	SecretEncoded     *bool  `json:"secret_encoded,omitempty"`
}

// ApplicationUpdate is the body of PATCH /api/v2/clients/{id}: only non-nil
// fields are sent. A non-nil empty GrantTypes slice is sent as [] (clearing
// the list); a nil one is left out.
type ApplicationUpdate struct {
	Name                    *string           `json:"name,omitempty"`
	Description             *string           `json:"description,omitempty"`
	AppType                 *string           `json:"app_type,omitempty"`
	IsFirstParty            *bool             `json:"is_first_party,omitempty"`
	OIDCConformant          *bool             `json:"oidc_conformant,omitempty"`
	GrantTypes              []string          `json:"grant_types,omitzero"`
	TokenEndpointAuthMethod *string           `json:"token_endpoint_auth_method,omitempty"`
	ClientMetadata          map[string]string `json:"client_metadata,omitzero"`
	JWTConfiguration        *JWTConfiguration `json:"jwt_configuration,omitempty"`
	TokenLifetime           *int              `json:"token_lifetime,omitempty"`
	// DefaultOrganization sets the default organization;
	// RemoveDefaultOrganization removes it (sent as null). Not both.
	DefaultOrganization       *DefaultOrganization `json:"default_organization,omitempty"`
	RemoveDefaultOrganization bool                 `json:"-"`
}

// MarshalJSON encodes the non-nil fields, and default_organization null
// when RemoveDefaultOrganization is set.
func (u ApplicationUpdate) MarshalJSON() ([]byte, error) {
	type plain ApplicationUpdate
	b, err := json.Marshal(plain(u))
	if err != nil || !u.RemoveDefaultOrganization {
		return b, err
	}
	if u.DefaultOrganization != nil {
		return nil, errors.New("client: ApplicationUpdate sets and removes the default organization")
	}
	if string(b) == "{}" {
		return []byte(`{"default_organization":null}`), nil
	}
	return append(b[:len(b)-1], `,"default_organization":null}`...), nil
}

// DefaultOrganization is an application's default_organization; Flows is
// ["client_credentials"].
type DefaultOrganization struct {
	OrganizationID string   `json:"organization_id"`
	Flows          []string `json:"flows"`
}

// ApplicationList is one page of applications.
type ApplicationList struct {
	Totals
	Clients []Application `json:"clients"`
}

// ClientsService manages applications (/api/v2/clients).
type ClientsService struct{ c *Client }

// List returns a page of applications (GET /api/v2/clients). Scope
// read:clients.
func (s *ClientsService) List(ctx context.Context, opts ListOptions) (*ApplicationList, error) {
	var out ApplicationList
	if err := s.c.list(ctx, "clients", opts.values(), &out, &out.Clients); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one application (GET /api/v2/clients/{id}).
func (s *ClientsService) Get(ctx context.Context, id string) (*Application, error) {
	var out Application
	if err := s.c.do(ctx, http.MethodGet, path("clients", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create creates an application (POST /api/v2/clients) and returns it with
// its client_id and generated client_secret. ClientID and ClientSecret, when
// set, import an existing application (a credo extension); the read-only
// fields are not sent. Scope create:clients.
func (s *ClientsService) Create(ctx context.Context, app *Application) (*Application, error) {
	body := *app
	body.PreviousSecretExpiresAt, body.CreatedAt, body.UpdatedAt = nil, nil, nil
	var out Application
	if err := s.c.do(ctx, http.MethodPost, "clients", nil, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields set in u (PATCH /api/v2/clients/{id}). Scope
// update:clients.
func (s *ClientsService) Update(ctx context.Context, id string, u ApplicationUpdate) (*Application, error) {
	var out Application
	if err := s.c.do(ctx, http.MethodPatch, path("clients", id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes an application and its grants (DELETE /api/v2/clients/{id}).
// Scope delete:clients.
func (s *ClientsService) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, path("clients", id), nil, nil, nil)
}

// RotateSecret generates a new client secret (POST
// /api/v2/clients/{id}/rotate-secret) and returns the application with it.
// With gracePeriod > 0, credo keeps accepting the old secret for that long
// (sent as ?grace_period=SECONDS, rounded up; a credo extension that Auth0,
// which has no overlap, ignores). Scope update:client_keys.
func (s *ClientsService) RotateSecret(ctx context.Context, id string, gracePeriod time.Duration) (*Application, error) {
	if gracePeriod < 0 {
		return nil, errors.New("client: RotateSecret grace period must not be negative")
	}
	var q url.Values
	if gracePeriod > 0 {
		q = url.Values{"grace_period": {strconv.FormatInt(int64(math.Ceil(gracePeriod.Seconds())), 10)}}
	}
	var out Application
	if err := s.c.do(ctx, http.MethodPost, path("clients", id, "rotate-secret"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
