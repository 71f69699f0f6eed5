package mgmt

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/credo-dev/credo/store"
)

// GET and PATCH /tenants/settings take every setting of Auth0's tenant
// object (go-auth0's management.Tenant, Auth0's docs). credo honours:
//
//   - default_audience: the API a token request without audience gets;
//   - allow_organization_name_in_authentication_api: org_name in tokens
//     issued for an organization;
//   - flags.honor_scope_subset and flags.auth0_compat_errors, credo's own.
//
// Every other setting is checked for its JSON type, stored and returned
// as given, and not acted upon: they configure logins, sessions, pages and
// quotas that credo does not have (README, "Using Auth0's tools with
// credo", says why for each). null removes a stored setting, as in Auth0.

// settingKind is the JSON type a tenant setting takes.
type settingKind byte

const (
	kString settingKind = iota
	kBool
	kNumber
	kStrings // array of strings
	kObject
)

// auth0Settings are the stored-and-returned settings, by Auth0 name.
var auth0Settings = map[string]settingKind{
	"friendly_name": kString, "picture_url": kString, "support_email": kString, "support_url": kString,
	"default_directory": kString, "default_redirection_uri": kString, "sandbox_version": kString,
	"resource_parameter_profile": kString, "dynamic_client_registration_security_mode": kString,
	"session_lifetime": kNumber, "idle_session_lifetime": kNumber,
	"ephemeral_session_lifetime": kNumber, "idle_ephemeral_session_lifetime": kNumber,
	"allowed_logout_urls": kStrings, "enabled_locales": kStrings, "acr_values_supported": kStrings,
	"customize_mfa_in_postlogin_action":       kBool,
	"pushed_authorization_requests_supported": kBool, "skip_non_verifiable_callback_uri_confirmation_prompt": kBool,
	"phone_consolidated_experience": kBool, "client_id_metadata_document_supported": kBool,
	"authorization_response_iss_parameter_supported": kBool,
	"change_password": kObject, "guardian_mfa_page": kObject, "error_page": kObject, "device_flow": kObject,
	"universal_login": kObject, "session_cookie": kObject, "sessions": kObject, "oidc_logout": kObject,
	"mtls": kObject, "default_token_quota": kObject, "country_codes": kObject,
}

// readOnlySettings are returned by Auth0 and ignored on PATCH.
var readOnlySettings = []string{"sandbox_versions_available"}

// auth0Flags are Auth0's tenant flags beside credo's two; stored and
// returned, not acted upon (credo has no logins, legacy grants or
// dashboard they could switch).
var auth0Flags = []string{
	"enable_client_connections", "enable_apis_section", "disable_impersonation", "enable_pipeline2",
	"enable_dynamic_client_registration", "enable_custom_domain_in_emails", "enable_sso",
	"allow_changing_enable_sso", "universal_login", "enable_legacy_logs_search_v2",
	"disable_clickjack_protection_headers", "enable_public_signup_user_exists_error",
	"use_scope_descriptions_for_consent", "allow_legacy_delegation_grant_types",
	"allow_legacy_ro_grant_types", "allow_legacy_tokeninfo_endpoint", "enable_legacy_profile",
	"enable_idtoken_api2", "no_disclose_enterprise_connections", "disable_management_api_sms_obfuscation",
	"enable_adfs_waad_email_verification", "revoke_refresh_token_grant", "dashboard_log_streams_next",
	"dashboard_insights_view", "disable_fields_map_fix", "mfa_show_factor_list_on_enrollment",
	"require_pushed_authorization_requests", "remove_alg_from_jwks", "allow_legacy_ro_grant_types",
	"enable_sso_for_passwordless", "change_pwd_flow_v1",
}

// SettingsBody is the JSON body of PATCH /tenants/settings: the settings
// credo honours as fields, every other one checked against auth0Settings.
type SettingsBody struct {
	Flags           *FlagsBody
	DefaultAudience *string
	// AllowOrganizationNameInAuthenticationAPI adds org_name to tokens
	// issued for an organization.
	AllowOrganizationNameInAuthenticationAPI *bool
	// Other are the remaining settings (null: remove).
	Other map[string]json.RawMessage
}

// FlagsBody are the flags a PATCH may change.
type FlagsBody struct {
	HonorScopeSubset  *bool
	Auth0CompatErrors *bool
	Other             map[string]bool
}

// UnmarshalJSON checks every property's name and JSON type.
func (b *SettingsBody) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return errBody("Expected type object but found type "+rawType(bytes.TrimSpace(data)), "")
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := bytes.TrimSpace(m[name])
		switch {
		case name == "flags":
			var f FlagsBody
			if err := f.parse(v); err != nil {
				return err
			}
			b.Flags = &f
		case name == "default_audience":
			if string(v) == "null" {
				empty := ""
				b.DefaultAudience = &empty
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return errBody("Expected type string but found type "+rawType(v), name)
			}
			b.DefaultAudience = &s
		case name == "allow_organization_name_in_authentication_api":
			var on bool
			if string(v) == "null" {
				b.AllowOrganizationNameInAuthenticationAPI = &on
				continue
			}
			if !kBool.fits(v) || json.Unmarshal(v, &on) != nil {
				return errBody("Expected type boolean but found type "+rawType(v), name)
			}
			b.AllowOrganizationNameInAuthenticationAPI = &on
		case slices.Contains(readOnlySettings, name):
		default:
			kind, ok := auth0Settings[name]
			if !ok {
				return errBody("Additional properties not allowed: "+name, "")
			}
			if string(v) != "null" && !kind.fits(v) {
				return errBody("Expected type "+kind.String()+" but found type "+rawType(v), name)
			}
			if b.Other == nil {
				b.Other = map[string]json.RawMessage{}
			}
			b.Other[name] = json.RawMessage(v)
		}
	}
	return nil
}

func (f *FlagsBody) parse(v []byte) error {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil || m == nil {
		return errBody("Expected type object but found type "+rawType(v), "flags")
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		var on bool
		if json.Unmarshal(m[name], &on) != nil || string(bytes.TrimSpace(m[name])) == "null" {
			return errBody("Expected type boolean but found type "+rawType(bytes.TrimSpace(m[name])), "flags."+name)
		}
		switch {
		case name == "honor_scope_subset":
			f.HonorScopeSubset = &on
		case name == "auth0_compat_errors":
			f.Auth0CompatErrors = &on
		case slices.Contains(auth0Flags, name):
			if f.Other == nil {
				f.Other = map[string]bool{}
			}
			f.Other[name] = on
		default:
			return errBody("Additional properties not allowed: "+name, "flags")
		}
	}
	return nil
}

func (k settingKind) String() string {
	return [...]string{"string", "boolean", "number", "array", "object"}[k]
}

// fits reports whether the JSON value v has kind k.
func (k settingKind) fits(v []byte) bool {
	switch k {
	case kString:
		var s string
		return json.Unmarshal(v, &s) == nil && v[0] == '"'
	case kBool:
		var b bool
		return json.Unmarshal(v, &b) == nil && v[0] != 'n'
	case kNumber:
		var f float64
		return json.Unmarshal(v, &f) == nil && v[0] != 'n'
	case kStrings:
		var l []string
		return json.Unmarshal(v, &l) == nil && v[0] == '['
	}
	return v[0] == '{' && json.Valid(v)
}

// rawType names a JSON value's type as Auth0's validation messages do.
func rawType(v []byte) string {
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
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
		if f := b.Flags; f != nil {
			if f.HonorScopeSubset != nil {
				s.HonorScopeSubset = *f.HonorScopeSubset
			}
			if f.Auth0CompatErrors != nil {
				s.Auth0CompatErrors = *f.Auth0CompatErrors
			}
			for k, v := range f.Other {
				if s.Auth0Flags == nil {
					s.Auth0Flags = map[string]bool{}
				}
				s.Auth0Flags[k] = v
			}
		}
		if b.DefaultAudience != nil {
			s.DefaultAudience = strings.TrimSpace(*b.DefaultAudience)
		}
		for k, v := range b.Other {
			if string(v) == "null" {
				delete(s.Auth0, k)
				continue
			}
			if s.Auth0 == nil {
				s.Auth0 = map[string]json.RawMessage{}
			}
			s.Auth0[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return SettingsView(s), nil
}
