package client

import (
	"context"
	"net/http"
)

// TenantSettings is Auth0's tenant settings object (/api/v2/tenants/settings)
// as far as credo has settings: its flags.
type TenantSettings struct {
	Flags *TenantFlags `json:"flags,omitempty"`
}

// TenantFlags are the tenant's flags. In an update only the non-nil ones are
// sent.
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

// Get returns the tenant settings (GET /api/v2/tenants/settings). Scope
// read:tenant_settings.
func (s *SettingsService) Get(ctx context.Context) (*TenantSettings, error) {
	var out TenantSettings
	if err := s.c.do(ctx, http.MethodGet, "tenants/settings", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the settings set in u (PATCH /api/v2/tenants/settings) and
// returns them all. Scope update:tenant_settings.
func (s *SettingsService) Update(ctx context.Context, u TenantSettings) (*TenantSettings, error) {
	var out TenantSettings
	if err := s.c.do(ctx, http.MethodPatch, "tenants/settings", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
