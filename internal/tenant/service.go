package tenant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/store"
)

// ValidationError reports an invalid field in a write. The Management API
// turns it into 400 invalid_body, the seed loader into a message naming the
// file and entry.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Service performs every validated write to the tenant.
type Service struct {
	Store  store.Store
	Master *keys.MasterKey
	Keys   *keys.Manager
	// ValidateScript compiles an action or hook script and reports syntax
	// errors (set by the Actions runtime; nil: scripts are refused).
	ValidateScript func(code string, kind ScriptKind) error
	// Holder, when set, gives the snapshot that writes are checked against;
	// it refreshes itself after every committed write (see NewHolder), so
	// that the very next token request sees the write.
	Holder *Holder
	// Issuer is the tenant's issuer URL with its trailing slash.
	Issuer string
	// StreamNetworks is which addresses log stream webhooks may reach
	// (empty: StreamNetworksPrivate).
	StreamNetworks StreamNetworks
	Now            func() time.Time
	Log            *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Deferred runs fn, a series of writes, with the snapshot update after each
// write held back until the end (see Holder.Deferred).
func (s *Service) Deferred(ctx context.Context, fn func() error) error {
	if s.Holder == nil {
		return fn()
	}
	return s.Holder.Deferred(ctx, fn)
}

// snapshot returns the current snapshot with every write made so far
// applied, also inside Deferred.
func (s *Service) snapshot(ctx context.Context) *Snapshot {
	return s.Holder.Fresh(ctx)
}

// ManagementAudience is the Management API's identifier: <issuer>api/v2/.
func (s *Service) ManagementAudience() string { return s.Issuer + "api/v2/" }

// Known values.
var (
	appTypes = []string{"non_interactive", "regular_web", "spa", "native", "resource_server", "express_configuration",
		"rms", "box", "cloudbees", "concur", "dropbox", "mscrm", "echosign", "egnyte", "newrelic", "office365", "salesforce", "sentry", "sharepoint", "slack", "springcm", "zendesk", "zoom", "sso_integration", "oag"}
	grantTypesKnown = []string{oauth.GrantClientCredentials, "authorization_code", "implicit", "refresh_token", "password",
		"http://auth0.com/oauth/grant-type/password-realm", "http://auth0.com/oauth/grant-type/mfa-oob",
		"http://auth0.com/oauth/grant-type/mfa-otp", "http://auth0.com/oauth/grant-type/mfa-recovery-code",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
		"urn:openid:params:grant-type:ciba", "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"}
	authMethods   = []string{oauth.AuthNone, oauth.AuthSecretPost, oauth.AuthSecretBasic}
	dialects      = []string{oauth.DialectAuth0, "access_token_authz", oauth.DialectRFC9068, "rfc9068_profile_authz"}
	clientIDRe    = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
	metadataKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// Limits on fields (Auth0's where documented).
const (
	MinTokenLifetime     = 60
	MaxTokenLifetime     = 2592000
	DefaultTokenLifetime = 86400
	maxMetadataKeys      = 10
	maxMetadataValue     = 255
	maxDescription       = 140
	maxIdentifier        = 600
	maxScope             = 280
	maxScopes            = 1000
)

// ClientFields are the writable client fields; nil means "not given".
type ClientFields struct {
	ClientID                string // create only
	ClientSecret            string // create only: an imported secret (hashed at once)
	Name                    *string
	Description             *string
	AppType                 *string
	GrantTypes              *[]string
	TokenEndpointAuthMethod *string
	IsFirstParty            *bool
	Metadata                *map[string]string
	JWTAlg                  *string
	TokenLifetime           *int
	// DefaultOrganization sets default_organization; one with an empty
	// OrganizationID clears it.
	DefaultOrganization *store.DefaultOrganization
}

func checkName(field, v string) error {
	if v == "" || utf8.RuneCountInString(v) > 255 {
		return invalid(field, "must be 1 to 255 characters")
	}
	if strings.ContainsAny(v, "<>") {
		return invalid(field, "must not contain < or >")
	}
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	return nil
}

func (f *ClientFields) apply(c *store.Client) error {
	if f.Name != nil {
		if err := checkName("name", *f.Name); err != nil {
			return err
		}
		c.Name = *f.Name
	}
	if f.Description != nil {
		if utf8.RuneCountInString(*f.Description) > maxDescription {
			return invalid("description", "must be at most %d characters", maxDescription)
		}
		c.Description = *f.Description
	}
	if f.AppType != nil {
		if !slices.Contains(appTypes, *f.AppType) {
			return invalid("app_type", "must be one of %s", strings.Join(appTypes[:5], ", "))
		}
		c.AppType = *f.AppType
	}
	if f.GrantTypes != nil {
		seen := map[string]bool{}
		for _, gt := range *f.GrantTypes {
			if !slices.Contains(grantTypesKnown, gt) {
				return invalid("grant_types", "unknown grant type %q", gt)
			}
			if seen[gt] {
				return invalid("grant_types", "duplicate grant type %q", gt)
			}
			seen[gt] = true
		}
		c.GrantTypes = slices.Clone(*f.GrantTypes)
	}
	if f.TokenEndpointAuthMethod != nil {
		if !slices.Contains(authMethods, *f.TokenEndpointAuthMethod) {
			return invalid("token_endpoint_auth_method", "must be one of %s", strings.Join(authMethods, ", "))
		}
		c.TokenEndpointAuthMethod = *f.TokenEndpointAuthMethod
	}
	if f.IsFirstParty != nil {
		c.IsFirstParty = *f.IsFirstParty
	}
	if f.Metadata != nil {
		if len(*f.Metadata) > maxMetadataKeys {
			return invalid("client_metadata", "at most %d keys", maxMetadataKeys)
		}
		for k, v := range *f.Metadata {
			if k == "" || len(k) > 255 || !metadataKeyRe.MatchString(k) {
				return invalid("client_metadata", "key %q must be 1-255 characters of A-Z a-z 0-9 _ -", k)
			}
			if utf8.RuneCountInString(v) > maxMetadataValue {
				return invalid("client_metadata", "value of %q must be at most %d characters", k, maxMetadataValue)
			}
		}
		c.Metadata = make(map[string]string, len(*f.Metadata))
		for k, v := range *f.Metadata {
			c.Metadata[k] = v
		}
	}
	if f.JWTAlg != nil {
		if !slices.Contains([]string{"HS256", "RS256", "PS256"}, *f.JWTAlg) {
			return invalid("jwt_configuration.alg", "must be HS256, RS256 or PS256")
		}
		c.JWTAlg = *f.JWTAlg
	}
	if d := f.DefaultOrganization; d != nil {
		if d.OrganizationID == "" {
			c.DefaultOrganization = nil
		} else {
			c.DefaultOrganization = &store.DefaultOrganization{OrganizationID: d.OrganizationID, Flows: slices.Clone(d.Flows)}
		}
	}
	if f.TokenLifetime != nil {
		if v := *f.TokenLifetime; v != 0 && (v < MinTokenLifetime || v > MaxTokenLifetime) {
			return invalid("token_lifetime", "must be 0 (use the API's) or between %d and %d seconds", MinTokenLifetime, MaxTokenLifetime)
		}
		c.TokenLifetime = *f.TokenLifetime
	}
	return nil
}

// randomID returns n characters of [A-Za-z0-9], as Auth0 client ids look.
func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	r := make([]byte, n)
	if _, err := rand.Read(r); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(r[i])%len(alphabet)] // bias is irrelevant for identifiers
	}
	return string(b)
}

// CreateClient validates and creates a client. Unless the client is public
// (token_endpoint_auth_method none) it gets a secret: the imported one if
// given, else a generated one, which is returned in plaintext once.
func (s *Service) CreateClient(ctx context.Context, f ClientFields) (store.Client, string, error) {
	now := s.now()
	c := store.Client{
		AppType:                 "non_interactive",
		GrantTypes:              []string{oauth.GrantClientCredentials},
		TokenEndpointAuthMethod: oauth.AuthSecretPost,
		IsFirstParty:            true,
		JWTAlg:                  "RS256",
		Metadata:                map[string]string{},
		CreatedAt:               now,
		UpdatedAt:               now,
	}
	if f.Name == nil {
		return store.Client{}, "", invalid("name", "is required")
	}
	if f.DefaultOrganization != nil {
		if err := s.checkDefaultOrganization(ctx, f.DefaultOrganization); err != nil {
			return store.Client{}, "", err
		}
	}
	if err := f.apply(&c); err != nil {
		return store.Client{}, "", err
	}
	c.ClientID = f.ClientID
	if c.ClientID == "" {
		c.ClientID = randomID(32)
	} else if !clientIDRe.MatchString(c.ClientID) {
		return store.Client{}, "", invalid("client_id", "must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")
	}
	plain := ""
	if c.TokenEndpointAuthMethod != oauth.AuthNone {
		plain = f.ClientSecret
		if plain == "" {
			plain = secret.Generate()
		}
		h, err := secret.Hash(plain)
		if err != nil {
			return store.Client{}, "", invalid("client_secret", "%v", err)
		}
		c.Secrets = []store.Secret{{Hash: h, CreatedAt: now}}
	} else if f.ClientSecret != "" {
		return store.Client{}, "", invalid("client_secret", "a public client (token_endpoint_auth_method none) has no secret")
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return store.Client{}, "", err
	}
	if f.ClientSecret != "" {
		plain = "" // imported: the caller already knows it
	}
	return c, plain, nil
}

// UpdateClient applies a patch to a client.
func (s *Service) UpdateClient(ctx context.Context, id string, f ClientFields) (store.Client, error) {
	if f.ClientID != "" && f.ClientID != id {
		return store.Client{}, invalid("client_id", "cannot be changed")
	}
	if f.DefaultOrganization != nil {
		if err := s.checkDefaultOrganization(ctx, f.DefaultOrganization); err != nil {
			return store.Client{}, err
		}
	}
	c, err := s.Store.UpdateClient(ctx, id, func(c *store.Client) error {
		if err := f.apply(c); err != nil {
			return err
		}
		if f.ClientSecret != "" {
			h, err := secret.Hash(f.ClientSecret)
			if err != nil {
				return invalid("client_secret", "%v", err)
			}
			c.Secrets = []store.Secret{{Hash: h, CreatedAt: s.now()}}
		}
		if c.TokenEndpointAuthMethod == oauth.AuthNone {
			c.Secrets = nil
		}
		c.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return store.Client{}, err
	}
	return c, nil
}

// DeleteClient deletes a client and its grants.
func (s *Service) DeleteClient(ctx context.Context, id string) error {
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return err
	}
	return nil
}

// MaxGracePeriod bounds how long a rotated-out secret stays valid.
const MaxGracePeriod = 30 * 24 * time.Hour

// RotateSecret gives the client a new generated secret and returns it. With
// grace > 0 the previous secret stays valid until now+grace (both work);
// with 0 it stops working at once (Auth0 behaviour).
func (s *Service) RotateSecret(ctx context.Context, id string, grace time.Duration) (store.Client, string, error) {
	if grace < 0 || grace > MaxGracePeriod {
		return store.Client{}, "", invalid("grace_period", "must be between 0 and %d seconds", int(MaxGracePeriod.Seconds()))
	}
	plain := secret.Generate()
	h, err := secret.Hash(plain)
	if err != nil {
		return store.Client{}, "", err
	}
	now := s.now()
	c, err := s.Store.UpdateClient(ctx, id, func(c *store.Client) error {
		if c.TokenEndpointAuthMethod == oauth.AuthNone {
			return invalid("token_endpoint_auth_method", "a public client has no secret to rotate")
		}
		next := []store.Secret{{Hash: h, CreatedAt: now}}
		if grace > 0 && len(c.Secrets) > 0 {
			old := c.Secrets[0]
			old.ExpiresAt = now.Add(grace)
			next = append(next, old)
		}
		c.Secrets = next
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return store.Client{}, "", err
	}
	return c, plain, nil
}

// ResourceServerFields are the writable API fields; nil means "not given".
type ResourceServerFields struct {
	Name          *string
	Identifier    *string // create only
	Scopes        *[]store.Scope
	SigningAlg    *string
	SigningSecret *string
	TokenLifetime *int
	TokenDialect  *string
}

// ValidScope reports whether v is a valid scope token (RFC 6749 §3.3 NQCHAR).
func ValidScope(v string) bool {
	if v == "" || len(v) > maxScope {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
}

// ValidIdentifier reports whether an API identifier is an absolute URI or URN.
func ValidIdentifier(v string) bool {
	if v == "" || len(v) > maxIdentifier || strings.ContainsAny(v, " \t\r\n<>\"") || !utf8.ValidString(v) {
		return false
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return false
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Host != ""
	}
	return u.Opaque != "" || u.Host != "" || u.Path != ""
}

func (f *ResourceServerFields) apply(rs *store.ResourceServer, mk *keys.MasterKey) error {
	if f.Name != nil {
		if err := checkName("name", *f.Name); err != nil {
			return err
		}
		rs.Name = *f.Name
	}
	if f.Scopes != nil {
		if len(*f.Scopes) > maxScopes {
			return invalid("scopes", "at most %d scopes", maxScopes)
		}
		seen := map[string]bool{}
		for _, sc := range *f.Scopes {
			if !ValidScope(sc.Value) {
				return invalid("scopes", "invalid scope value %q (1-%d printable ASCII characters, no spaces, quotes or backslashes)", sc.Value, maxScope)
			}
			if seen[sc.Value] {
				return invalid("scopes", "duplicate scope %q", sc.Value)
			}
			if utf8.RuneCountInString(sc.Description) > 500 {
				return invalid("scopes", "description of %q must be at most 500 characters", sc.Value)
			}
			seen[sc.Value] = true
		}
		rs.Scopes = slices.Clone(*f.Scopes)
	}
	if f.SigningAlg != nil {
		if _, ok := keys.TypeFor(*f.SigningAlg); !ok {
			return invalid("signing_alg", "must be one of %s", strings.Join(keys.SupportedAlgorithms, ", "))
		}
		rs.SigningAlg = *f.SigningAlg
	}
	if f.SigningSecret != nil {
		if len(*f.SigningSecret) < 16 || len(*f.SigningSecret) > 512 {
			return invalid("signing_secret", "must be 16 to 512 characters")
		}
		sealed, err := mk.SealString(*f.SigningSecret, "api-signing-secret:"+rs.ID)
		if err != nil {
			return err
		}
		rs.SigningSecret = sealed
	}
	if rs.SigningAlg == keys.HS256 && rs.SigningSecret == "" {
		sealed, err := mk.SealString(secret.Generate(), "api-signing-secret:"+rs.ID)
		if err != nil {
			return err
		}
		rs.SigningSecret = sealed
	}
	if f.TokenLifetime != nil {
		if v := *f.TokenLifetime; v < MinTokenLifetime || v > MaxTokenLifetime {
			return invalid("token_lifetime", "must be between %d and %d seconds", MinTokenLifetime, MaxTokenLifetime)
		}
		rs.TokenLifetime = *f.TokenLifetime
	}
	if f.TokenDialect != nil {
		if !slices.Contains(dialects, *f.TokenDialect) {
			return invalid("token_dialect", "must be one of %s", strings.Join(dialects, ", "))
		}
		rs.TokenDialect = *f.TokenDialect
	}
	return nil
}

// CreateResourceServer validates and creates an API.
func (s *Service) CreateResourceServer(ctx context.Context, f ResourceServerFields) (store.ResourceServer, error) {
	if f.Identifier == nil || !ValidIdentifier(*f.Identifier) {
		return store.ResourceServer{}, invalid("identifier", "is required and must be an absolute URI (e.g. https://api.example.com/) or a URN")
	}
	if *f.Identifier == s.ManagementAudience() {
		return store.ResourceServer{}, fmt.Errorf("%w: %s is the Management API", store.ErrConflict, *f.Identifier)
	}
	now := s.now()
	rs := store.ResourceServer{
		ID: randomHex(12), Identifier: *f.Identifier, Name: *f.Identifier,
		SigningAlg: keys.RS256, TokenLifetime: DefaultTokenLifetime, TokenDialect: oauth.DialectAuth0,
		Scopes: []store.Scope{}, CreatedAt: now, UpdatedAt: now,
	}
	if err := f.apply(&rs, s.Master); err != nil {
		return store.ResourceServer{}, err
	}
	if err := s.Store.CreateResourceServer(ctx, rs); err != nil {
		return store.ResourceServer{}, err
	}
	return rs, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", b)
}

// ErrSystem is returned when a write targets a system object (the Management API).
var ErrSystem = errors.New("system objects cannot be changed")

// UpdateResourceServer patches an API (by id or identifier). The identifier is immutable.
func (s *Service) UpdateResourceServer(ctx context.Context, idOrIdentifier string, f ResourceServerFields) (store.ResourceServer, error) {
	cur, err := s.Store.GetResourceServer(ctx, idOrIdentifier)
	if err != nil {
		return store.ResourceServer{}, err
	}
	if cur.IsSystem {
		return store.ResourceServer{}, ErrSystem
	}
	if f.Identifier != nil && *f.Identifier != cur.Identifier {
		return store.ResourceServer{}, invalid("identifier", "cannot be changed")
	}
	rs, err := s.Store.UpdateResourceServer(ctx, cur.ID, func(rs *store.ResourceServer) error {
		if err := f.apply(rs, s.Master); err != nil {
			return err
		}
		rs.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return store.ResourceServer{}, err
	}
	return rs, nil
}

// SigningSecret opens an API's HS256 signing secret ("" when it has none).
func (s *Service) SigningSecret(rs store.ResourceServer) (string, error) {
	if rs.SigningSecret == "" {
		return "", nil
	}
	if s.Master == nil {
		return "", errors.New("tenant: no master key to open the signing secret of " + rs.ID)
	}
	return s.Master.OpenString(rs.SigningSecret, "api-signing-secret:"+rs.ID)
}

// DeleteResourceServer deletes an API (by id or identifier) and its grants.
func (s *Service) DeleteResourceServer(ctx context.Context, idOrIdentifier string) error {
	cur, err := s.Store.GetResourceServer(ctx, idOrIdentifier)
	if err != nil {
		return err
	}
	if cur.IsSystem {
		return ErrSystem
	}
	if err := s.Store.DeleteResourceServer(ctx, cur.ID); err != nil {
		return err
	}
	return nil
}

// GrantFields are the writable client-grant fields.
type GrantFields struct {
	ClientID       string // create only
	Audience       string // create only
	Scope          *[]string
	AllowAllScopes *bool
	SubjectType    string // create only; default client
	// OrganizationUsage is deny, allow or require.
	OrganizationUsage    *string
	AllowAnyOrganization *bool
}

func checkScopes(list []string) error {
	if len(list) > maxScopes {
		return invalid("scope", "at most %d scopes", maxScopes)
	}
	for _, sc := range list {
		if !ValidScope(sc) {
			return invalid("scope", "invalid scope %q", sc)
		}
	}
	return nil
}

// NotFoundError names what a write referred to that does not exist; it wraps
// store.ErrNotFound.
type NotFoundError struct{ What, ID string }

func (e *NotFoundError) Error() string { return e.What + " not found: " + e.ID }

// Unwrap makes errors.Is(err, store.ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return store.ErrNotFound }

// CreateGrant validates and creates a client grant. The client and the API
// must exist; scopes need not be defined on the API (Auth0 behaviour).
func (s *Service) CreateGrant(ctx context.Context, f GrantFields) (store.ClientGrant, error) {
	if f.ClientID == "" {
		return store.ClientGrant{}, invalid("client_id", "is required")
	}
	if f.Audience == "" {
		return store.ClientGrant{}, invalid("audience", "is required")
	}
	if f.SubjectType == "" {
		f.SubjectType = "client"
	}
	if f.SubjectType != "client" && f.SubjectType != "user" {
		return store.ClientGrant{}, invalid("subject_type", "must be client or user")
	}
	client, err := s.Store.GetClient(ctx, f.ClientID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.ClientGrant{}, &NotFoundError{"client", f.ClientID}
		}
		return store.ClientGrant{}, err
	}
	if err := checkOrgFields(&f, &client); err != nil {
		return store.ClientGrant{}, err
	}
	if _, err := s.Store.GetResourceServer(ctx, f.Audience); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.ClientGrant{}, &NotFoundError{"resource server", f.Audience}
		}
		return store.ClientGrant{}, err
	}
	now := s.now()
	g := store.ClientGrant{ID: "cgr_" + randomID(16), ClientID: f.ClientID, Audience: f.Audience, SubjectType: f.SubjectType, Scope: []string{},
		OrganizationUsage: OrgUsageDeny, CreatedAt: now, UpdatedAt: now}
	applyOrgFields(&f, &g)
	if f.Scope != nil {
		if err := checkScopes(*f.Scope); err != nil {
			return store.ClientGrant{}, err
		}
		g.Scope = dedupe(*f.Scope)
	}
	if f.AllowAllScopes != nil {
		g.AllowAllScopes = *f.AllowAllScopes
	}
	if err := s.Store.CreateClientGrant(ctx, g); err != nil {
		return store.ClientGrant{}, err
	}
	return g, nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// UpdateGrant patches a grant's scope and allow_all_scopes.
func (s *Service) UpdateGrant(ctx context.Context, id string, f GrantFields) (store.ClientGrant, error) {
	if f.ClientID != "" || f.Audience != "" {
		return store.ClientGrant{}, invalid("audience", "client_id and audience cannot be changed")
	}
	if f.Scope != nil {
		if err := checkScopes(*f.Scope); err != nil {
			return store.ClientGrant{}, err
		}
	}
	if f.OrganizationUsage != nil || f.AllowAnyOrganization != nil {
		cur, err := s.Store.GetClientGrant(ctx, id)
		if err != nil {
			return store.ClientGrant{}, err
		}
		client, err := s.Store.GetClient(ctx, cur.ClientID)
		if err != nil {
			return store.ClientGrant{}, err
		}
		if err := checkOrgFields(&f, &client); err != nil {
			return store.ClientGrant{}, err
		}
	}
	g, err := s.Store.UpdateClientGrant(ctx, id, func(g *store.ClientGrant) error {
		if f.Scope != nil {
			g.Scope = dedupe(*f.Scope)
		}
		applyOrgFields(&f, g)
		if f.AllowAllScopes != nil {
			g.AllowAllScopes = *f.AllowAllScopes
		}
		g.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return store.ClientGrant{}, err
	}
	return g, nil
}

// DeleteGrant deletes a client grant.
func (s *Service) DeleteGrant(ctx context.Context, id string) error {
	if err := s.Store.DeleteClientGrant(ctx, id); err != nil {
		return err
	}
	return nil
}

// RotateKeys rotates the signing keys (all key types when none given).
func (s *Service) RotateKeys(ctx context.Context, types ...string) ([]store.SigningKey, error) {
	ks, err := s.Keys.Rotate(ctx, types...)
	if err != nil {
		return nil, err
	}
	return ks, nil
}

// RevokeKey revokes a previous signing key.
func (s *Service) RevokeKey(ctx context.Context, kid string) (store.SigningKey, error) {
	k, err := s.Keys.Revoke(ctx, kid)
	if err != nil {
		return store.SigningKey{}, err
	}
	return k, nil
}

// UpdateSettings changes tenant settings.
func (s *Service) UpdateSettings(ctx context.Context, fn func(*store.Settings) error) (store.Settings, error) {
	st, err := s.Store.UpdateSettings(ctx, fn)
	if err != nil {
		return store.Settings{}, err
	}
	return st, nil
}
