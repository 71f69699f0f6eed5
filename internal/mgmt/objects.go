package mgmt

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// The JSON objects of the Management API, in Auth0's field names. They are
// exported so that the CLI prints exactly what the API returns.

// Client is the Auth0 client (application) object.
type Client struct {
	ClientID                string            `json:"client_id"`
	Name                    string            `json:"name"`
	Description             string            `json:"description"`
	AppType                 string            `json:"app_type"`
	GrantTypes              []string          `json:"grant_types"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method"`
	ClientMetadata          map[string]string `json:"client_metadata"`
	IsFirstParty            bool              `json:"is_first_party"`
	OIDCConformant          bool              `json:"oidc_conformant"`
	JWTConfiguration        JWTConfiguration  `json:"jwt_configuration"`
	Callbacks               []string          `json:"callbacks"`
	// IsGlobal is set only on the tenant's global client (GET
	// /clients?is_global=true); every credo client is not global.
	IsGlobal bool `json:"is_global,omitempty"`
	// ClientSecret is set only in the answers to create and rotate-secret.
	ClientSecret string `json:"client_secret,omitempty"`
	// PreviousSecretExpiresAt is when the secret replaced by a rotation with
	// a grace period stops working (credo extension).
	PreviousSecretExpiresAt string `json:"previous_secret_expires_at,omitempty"`
	// TokenLifetime overrides the API's token_lifetime when > 0 (credo extension).
	TokenLifetime int `json:"token_lifetime"`
	// DefaultOrganization is omitted when the client has none.
	DefaultOrganization *DefaultOrganization `json:"default_organization,omitempty"`
	CreatedAt           string               `json:"created_at"`
	UpdatedAt           string               `json:"updated_at"`
}

// JWTConfiguration is a client's jwt_configuration.
type JWTConfiguration struct {
	Alg string `json:"alg"`
}

// Scope is one scope of a resource server.
type Scope struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// ResourceServer is the Auth0 resource server (API) object.
type ResourceServer struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Identifier string  `json:"identifier"`
	IsSystem   bool    `json:"is_system"`
	Scopes     []Scope `json:"scopes"`
	SigningAlg string  `json:"signing_alg"`
	// SigningSecret is the HS256 secret, set only for an API that has one
	// (HS256 now or before) and only where the caller may read it.
	SigningSecret      string `json:"signing_secret,omitempty"`
	TokenLifetime      int    `json:"token_lifetime"`
	TokenDialect       string `json:"token_dialect"`
	AllowOfflineAccess bool   `json:"allow_offline_access"`
	SkipConsent        bool   `json:"skip_consent_for_verifiable_first_party_clients"`
	EnforcePolicies    bool   `json:"enforce_policies"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
}

// ClientGrant is the Auth0 client grant object.
type ClientGrant struct {
	ID             string   `json:"id"`
	ClientID       string   `json:"client_id"`
	Audience       string   `json:"audience"`
	Scope          []string `json:"scope"`
	AllowAllScopes bool     `json:"allow_all_scopes"`
	SubjectType    string   `json:"subject_type"`
	// OrganizationUsage is deny, allow or require.
	OrganizationUsage    string `json:"organization_usage"`
	AllowAnyOrganization bool   `json:"allow_any_organization"`
	CreatedAt            string `json:"created_at"`
	UpdatedAt            string `json:"updated_at"`
}

// Organization is the Auth0 organization object.
type Organization struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	DisplayName string                `json:"display_name"`
	Branding    *OrganizationBranding `json:"branding,omitempty"`
	Metadata    map[string]string     `json:"metadata"`
}

// OrganizationBranding is an organization's branding (also the body form).
type OrganizationBranding struct {
	LogoURL string              `json:"logo_url,omitempty"`
	Colors  *OrganizationColors `json:"colors,omitempty"`
}

// OrganizationColors are an organization's branding colors.
type OrganizationColors struct {
	Primary        string `json:"primary,omitempty"`
	PageBackground string `json:"page_background,omitempty"`
}

// DefaultOrganization is a client's default_organization.
type DefaultOrganization struct {
	OrganizationID string   `json:"organization_id"`
	Flows          []string `json:"flows"`
}

// Flags are credo's tenant switches (GET/PATCH /tenants/settings "flags").
type Flags struct {
	// HonorScopeSubset issues only the requested scopes when a token request
	// names some (RFC 6749 §3.3); off is Auth0's behaviour.
	HonorScopeSubset bool `json:"honor_scope_subset"`
	// Auth0CompatErrors reproduces Auth0's legacy token error strings.
	Auth0CompatErrors bool `json:"auth0_compat_errors"`
}

// Settings is the tenant settings object: default_audience, flags (credo's
// two, then the Auth0 flags stored) and the other Auth0 settings stored.
type Settings struct {
	DefaultAudience string
	Flags           Flags
	// AllowOrganizationNameInAuthenticationAPI: tokens for an organization
	// carry org_name as well as org_id.
	AllowOrganizationNameInAuthenticationAPI bool
	Auth0Flags                               map[string]bool
	Other                                    map[string]json.RawMessage
}

// MarshalJSON writes default_audience, flags and the stored settings by
// name, in a stable order.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"default_audience":`)
	v, _ := json.Marshal(s.DefaultAudience)
	b.Write(v)
	b.WriteString(`,"flags":{"honor_scope_subset":`)
	b.WriteString(strconv.FormatBool(s.Flags.HonorScopeSubset))
	b.WriteString(`,"auth0_compat_errors":`)
	b.WriteString(strconv.FormatBool(s.Flags.Auth0CompatErrors))
	for _, k := range slices.Sorted(maps.Keys(s.Auth0Flags)) {
		v, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(v)
		b.WriteString(":" + strconv.FormatBool(s.Auth0Flags[k]))
	}
	b.WriteString(`},"allow_organization_name_in_authentication_api":`)
	b.WriteString(strconv.FormatBool(s.AllowOrganizationNameInAuthenticationAPI))
	for _, k := range slices.Sorted(maps.Keys(s.Other)) {
		v, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(v)
		b.WriteByte(':')
		b.Write(s.Other[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// LogEvent is the Auth0 log event object. _id and log_id carry the same
// value, as Auth0's do (go-auth0's Log.Read and the Node SDK read _id).
type LogEvent struct {
	ID          string `json:"_id"`
	LogID       string `json:"log_id"`
	Date        string `json:"date"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
	ClientName  string `json:"client_name,omitempty"`
	IP          string `json:"ip,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`
	Hostname    string `json:"hostname,omitempty"`
	Audience    string `json:"audience,omitempty"`
	Scope       string `json:"scope,omitempty"`
	// OrganizationID and OrganizationName are set on token exchanges for an
	// organization (Auth0's seccft fields).
	OrganizationID   string         `json:"organization_id,omitempty"`
	OrganizationName string         `json:"organization_name,omitempty"`
	Details          map[string]any `json:"details,omitempty"`
	IsMobile         bool           `json:"isMobile"`
}

// SigningKeyRef is the answer to rotate and revoke: {"cert","kid"}.
type SigningKeyRef struct {
	Cert string `json:"cert"`
	KID  string `json:"kid"`
}

// Time formats a time as Auth0 does (ISO 8601 UTC with milliseconds); the
// zero time is "".
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClientView is the API object of a stored client. now decides whether a
// previous secret is still in its grace period.
func ClientView(c store.Client, now time.Time) Client {
	meta := map[string]string{}
	for k, v := range c.Metadata {
		meta[k] = v
	}
	out := Client{
		ClientID:                c.ClientID,
		Name:                    c.Name,
		Description:             c.Description,
		AppType:                 c.AppType,
		GrantTypes:              orEmpty(slices.Clone(c.GrantTypes)),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		ClientMetadata:          meta,
		IsFirstParty:            c.IsFirstParty,
		OIDCConformant:          true,
		JWTConfiguration:        JWTConfiguration{Alg: c.JWTAlg},
		Callbacks:               []string{},
		TokenLifetime:           c.TokenLifetime,
		CreatedAt:               Time(c.CreatedAt),
		UpdatedAt:               Time(c.UpdatedAt),
	}
	if d := c.DefaultOrganization; d != nil {
		out.DefaultOrganization = &DefaultOrganization{OrganizationID: d.OrganizationID, Flows: orEmpty(slices.Clone(d.Flows))}
	}
	for _, s := range c.Secrets[min(1, len(c.Secrets)):] {
		if !s.ExpiresAt.IsZero() && s.ExpiresAt.After(now) {
			out.PreviousSecretExpiresAt = Time(s.ExpiresAt)
		}
	}
	return out
}

// ResourceServerView is the API object of a stored resource server.
func ResourceServerView(rs store.ResourceServer) ResourceServer {
	scopes := make([]Scope, len(rs.Scopes))
	for i, s := range rs.Scopes {
		scopes[i] = Scope{Value: s.Value, Description: s.Description}
	}
	return ResourceServer{
		ID:            rs.ID,
		Name:          rs.Name,
		Identifier:    rs.Identifier,
		IsSystem:      rs.IsSystem,
		Scopes:        scopes,
		SigningAlg:    rs.SigningAlg,
		TokenLifetime: rs.TokenLifetime,
		TokenDialect:  rs.TokenDialect,
		SkipConsent:   true,
		CreatedAt:     Time(rs.CreatedAt),
		UpdatedAt:     Time(rs.UpdatedAt),
	}
}

// ClientGrantView is the API object of a stored grant.
func ClientGrantView(g store.ClientGrant) ClientGrant {
	st := g.SubjectType
	if st == "" {
		st = "client"
	}
	usage := g.OrganizationUsage
	if usage == "" {
		usage = tenant.OrgUsageDeny
	}
	return ClientGrant{
		ID:             g.ID,
		ClientID:       g.ClientID,
		Audience:       g.Audience,
		Scope:          orEmpty(slices.Clone(g.Scope)),
		AllowAllScopes: g.AllowAllScopes,
		SubjectType:    st,
		CreatedAt:      Time(g.CreatedAt),
		UpdatedAt:      Time(g.UpdatedAt),

		OrganizationUsage:    usage,
		AllowAnyOrganization: g.AllowAnyOrganization,
	}
}

// OrganizationView is the API object of a stored organization.
func OrganizationView(o store.Organization) Organization {
	meta := map[string]string{}
	for k, v := range o.Metadata {
		meta[k] = v
	}
	out := Organization{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Metadata: meta}
	if b := o.Branding; b != nil {
		out.Branding = &OrganizationBranding{LogoURL: b.LogoURL}
		if b.Colors != (store.OrganizationColors{}) {
			out.Branding.Colors = &OrganizationColors{Primary: b.Colors.Primary, PageBackground: b.Colors.PageBackground}
		}
	}
	return out
}

// SettingsView is the API object of the tenant settings.
func SettingsView(s store.Settings) Settings {
	return Settings{
		DefaultAudience: s.DefaultAudience,
		Flags:           Flags{HonorScopeSubset: s.HonorScopeSubset, Auth0CompatErrors: s.Auth0CompatErrors},
		Auth0Flags:      s.Auth0Flags, Other: s.Auth0,
		AllowOrganizationNameInAuthenticationAPI: s.AllowOrganizationNameInAuthenticationAPI,
	}
}

// LogEventView is the API object of a stored log event.
func LogEventView(e store.LogEvent) LogEvent {
	return LogEvent{
		ID: e.ID, LogID: e.ID, Date: Time(e.Date), Type: e.Type, Description: e.Description,
		ClientID: e.ClientID, ClientName: e.ClientName, IP: e.IP, UserAgent: e.UserAgent,
		Hostname: e.Hostname, Audience: e.Audience, Scope: e.Scope, Details: e.Details,
		OrganizationID: e.OrganizationID, OrganizationName: e.OrganizationName,
	}
}
