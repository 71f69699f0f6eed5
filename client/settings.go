package client

import (
	"context"
	"net/http"
)

// TenantSettings is Auth0's tenant settings object (/api/v2/tenants/settings)
// as far as credo acts on it. In an update only the non-nil fields are sent.
// Every other Auth0 setting (friendly_name, session_lifetime, …) credo
// stores and returns without acting on it: read and write those with
// [SettingsService.GetAll] and [SettingsService.Patch].
type TenantSettings struct {
	Flags *TenantFlags `json:"flags,omitempty"`
	// DefaultAudience is the API a token request without an audience gets;
	// "" (sent as "") clears it.
	DefaultAudience *string `json:"default_audience,omitempty"`
	// AllowOrganizationNameInAuthenticationAPI adds org_name to tokens
	// issued for an organization.
	AllowOrganizationNameInAuthenticationAPI *bool `json:"allow_organization_name_in_authentication_api,omitempty"`
}

// TenantFlags are the tenant's flags credo acts on. In an update only the
// non-nil ones are sent.
type TenantFlags struct {
	// HonorScopeSubset issues only the requested scopes when a token request
	// names some (RFC 6749 §3.3); off is Auth0's behaviour (a credo flag).
	HonorScopeSubset *bool `json:"honor_scope_subset,omitempty"`
	// Auth0CompatErrors reproduces Auth0's legacy token error strings (a
	// credo flag).
	Auth0CompatErrors *bool `json:"auth0_compat_errors,omitempty"`
}

// SettingsService reads and changes the tenant settings
// (/api/v2/tenants/settings).
type SettingsService struct{ c *Client }

// Get returns the tenant settings credo acts on (GET
// /api/v2/tenants/settings). Scope read:tenant_settings.
func (s *SettingsService) Get(ctx context.Context) (*TenantSettings, error) {
	var out TenantSettings
	if err := s.c.do(ctx, http.MethodGet, "tenants/settings", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the settings set in u (PATCH /api/v2/tenants/settings) and
// returns them. Scope update:tenant_settings.
func (s *SettingsService) Update(ctx context.Context, u TenantSettings) (*TenantSettings, error) {
	var out TenantSettings
	if err := s.c.do(ctx, http.MethodPatch, "tenants/settings", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAll returns every setting as the server sends it, decoded from JSON.
// Scope read:tenant_settings.
func (s *SettingsService) GetAll(ctx context.Context) (map[string]any, error) {
	out := map[string]any{}
	if err := s.c.do(ctx, http.MethodGet, "tenants/settings", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Patch sends settings as given, Auth0's names to JSON values (nil, sent as
// null, removes a stored setting), and returns every setting. Scope
// update:tenant_settings.
func (s *SettingsService) Patch(ctx context.Context, settings map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if err := s.c.do(ctx, http.MethodPatch, "tenants/settings", nil, settings, &out); err != nil {
		return nil, err
	}
	return out, nil
}
