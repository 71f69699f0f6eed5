package mgmt

import (
	"github.com/credo-dev/credo/store"
)

// SettingsBody is the JSON body of PATCH /tenants/settings.
type SettingsBody struct {
	Flags *FlagsBody `json:"flags,omitempty"`
	// AllowOrganizationNameInAuthenticationAPI adds org_name to tokens
	// issued for an organization.
	AllowOrganizationNameInAuthenticationAPI *bool `json:"allow_organization_name_in_authentication_api,omitempty"`
}

// FlagsBody are the flags a PATCH may change.
type FlagsBody struct {
	HonorScopeSubset  *bool `json:"honor_scope_subset,omitempty"`
	Auth0CompatErrors *bool `json:"auth0_compat_errors,omitempty"`
}

func (a *API) getSettings(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	s, err := c.st().Settings(c.r.Context())
	if err != nil {
		return nil, err
	}
	return fl.apply(SettingsView(s))
}

func (a *API) updateSettings(c *call) (any, error) {
	var b SettingsBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	s, err := c.svc().UpdateSettings(c.r.Context(), func(s *store.Settings) error {
		if b.AllowOrganizationNameInAuthenticationAPI != nil {
			s.AllowOrganizationNameInAuthenticationAPI = *b.AllowOrganizationNameInAuthenticationAPI
		}
		if b.Flags != nil {
			if b.Flags.HonorScopeSubset != nil {
				s.HonorScopeSubset = *b.Flags.HonorScopeSubset
			}
			if b.Flags.Auth0CompatErrors != nil {
				s.Auth0CompatErrors = *b.Flags.Auth0CompatErrors
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return SettingsView(s), nil
}
