// Package store defines credo's persistent domain types and the Store
// interface that every backend (store/sqlite, store/postgres) implements.
//
// Values go in and come out; nothing returned aliases backend state. Every
// write runs in one transaction that also increments the tenant version, so
// readers that hold an in-memory snapshot (internal/tenant) can tell when to
// rebuild it. Backends are proven by the conformance suite in store/storetest.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors returned by every backend. Callers test them with errors.Is.
var (
	// ErrNotFound means the addressed object does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a create or update would violate a uniqueness rule
	// (duplicate id, identifier, (client, audience, subject_type) grant, or a
	// second current signing key of one key type).
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable means the backend could not be reached or could not
	// take the write now (a connection refused or lost, a database shutting
	// down or locked past its timeout, a full disk): nothing was written
	// that the caller can know of, and the caller may retry later.
	ErrUnavailable = errors.New("store: unavailable")
)

// Client is an application (Auth0 "client"). Secrets are stored only as hashes.
type Client struct {
	ClientID                string            `json:"ClientID"`
	Name                    string            `json:"Name"`
	Description             string            `json:"Description"`
	AppType                 string            `json:"AppType"`                 // non_interactive, regular_web, spa, native, …
	GrantTypes              []string          `json:"GrantTypes"`              // e.g. client_credentials
	TokenEndpointAuthMethod string            `json:"TokenEndpointAuthMethod"` // client_secret_post, client_secret_basic, none
	IsFirstParty            bool              `json:"IsFirstParty"`
	Metadata                map[string]string `json:"Metadata"`
	JWTAlg                  string            `json:"JWTAlg"` // jwt_configuration.alg
	// TokenLifetime overrides the API's token_lifetime for this client when > 0
	// (seconds). A credo extension.
	TokenLifetime int `json:"TokenLifetime"`
	// DefaultOrganization is the organization a client-credentials request
	// without organization gets when its grant requires one (Auth0's
	// default_organization); nil: none.
	DefaultOrganization *DefaultOrganization `json:"DefaultOrganization"`
	// Secrets holds the hashed client secrets; the first is the current one.
	// During a rotation grace period the previous secret follows it with an
	// ExpiresAt in the future.
	Secrets []Secret `json:"Secrets"`
	// TokensNotBefore revokes every token issued to the client before it
	// (iat < TokensNotBefore); zero: none. A credo extension.
	TokensNotBefore time.Time `json:"TokensNotBefore"`
	CreatedAt       time.Time `json:"CreatedAt"`
	UpdatedAt       time.Time `json:"UpdatedAt"`
}

// RevokedToken is one access token revoked by its jti (RFC 7009), kept
// until it would have expired anyway.
type RevokedToken struct {
	JTI       string    `json:"JTI"`
	ClientID  string    `json:"ClientID"`
	ExpiresAt time.Time `json:"ExpiresAt"`
	RevokedAt time.Time `json:"RevokedAt"`
}

// LogStream sends the tenant log to a sink (Auth0 "log stream"): an HTTP
// webhook, or (a credo extension) standard output.
type LogStream struct {
	ID     string `json:"ID"`
	Name   string `json:"Name"`
	Type   string `json:"Type"`   // http, stdout
	Status string `json:"Status"` // active, paused (by an operator), suspended (by credo after failures)
	// HTTP sink.
	HTTPEndpoint      string `json:"HTTPEndpoint"`
	HTTPContentType   string `json:"HTTPContentType"`
	HTTPContentFormat string `json:"HTTPContentFormat"` // JSONARRAY, JSONLINES, JSONOBJECT
	// HTTPAuthorization is the Authorization header value, sealed by
	// internal/keys (never plaintext, never returned).
	HTTPAuthorization string         `json:"HTTPAuthorization"`
	HTTPCustomHeaders []StreamHeader `json:"HTTPCustomHeaders"`
	Filters           []StreamFilter `json:"Filters"`
	IsPriority        bool           `json:"IsPriority"`
	// Cursor is the id of the last log event delivered: delivery goes on
	// with the events after it, in id order.
	Cursor string `json:"Cursor"`
	// LastError and FailingSince describe the current run of failed
	// deliveries (empty and zero after a success).
	LastError    string    `json:"LastError"`
	FailingSince time.Time `json:"FailingSince"`
	// LeaseOwner and LeaseUntil name the process delivering the stream, so
	// that replicas do not deliver it twice.
	LeaseOwner string    `json:"LeaseOwner"`
	LeaseUntil time.Time `json:"LeaseUntil"`
	CreatedAt  time.Time `json:"CreatedAt"`
	UpdatedAt  time.Time `json:"UpdatedAt"`
}

// StreamHeader is one custom HTTP header of a log stream.
type StreamHeader struct {
	Header string `json:"Header"`
	Value  string `json:"Value"`
}

// StreamFilter is one Auth0 log stream filter ({"type":"category","name":…}).
type StreamFilter struct {
	Type string `json:"Type"`
	Name string `json:"Name"`
}

// DefaultOrganization is a client's default_organization: the organization
// and the flows it applies to (Auth0 knows only "client_credentials").
type DefaultOrganization struct {
	OrganizationID string   `json:"OrganizationID"`
	Flows          []string `json:"Flows"`
}

// Secret is one hashed client secret (see internal/secret for the format).
type Secret struct {
	Hash      string    `json:"Hash"`
	CreatedAt time.Time `json:"CreatedAt"`
	ExpiresAt time.Time `json:"ExpiresAt"` // zero: does not expire
}

// Scope is one permission an API defines.
type Scope struct {
	Value       string `json:"Value"`
	Description string `json:"Description"`
}

// ResourceServer is an API (Auth0 "resource server"); Identifier is the audience.
type ResourceServer struct {
	ID         string  `json:"ID"`
	Name       string  `json:"Name"`
	Identifier string  `json:"Identifier"`
	Scopes     []Scope `json:"Scopes"`
	SigningAlg string  `json:"SigningAlg"` // RS256, PS256, ES256, EdDSA, HS256
	// SigningSecret is the HS256 secret, sealed by internal/keys (never plaintext).
	SigningSecret string    `json:"SigningSecret"`
	TokenLifetime int       `json:"TokenLifetime"` // seconds
	TokenDialect  string    `json:"TokenDialect"`  // access_token, rfc9068_profile
	IsSystem      bool      `json:"IsSystem"`
	CreatedAt     time.Time `json:"CreatedAt"`
	UpdatedAt     time.Time `json:"UpdatedAt"`
}

// ClientGrant authorises a client to get tokens for an audience with scopes.
type ClientGrant struct {
	ID             string   `json:"ID"`
	ClientID       string   `json:"ClientID"`
	Audience       string   `json:"Audience"`
	Scope          []string `json:"Scope"`
	AllowAllScopes bool     `json:"AllowAllScopes"`
	SubjectType    string   `json:"SubjectType"` // client (default) or user
	// OrganizationUsage is deny ("" reads as deny), allow or require: whether
	// a token for this grant may or must name an organization.
	OrganizationUsage string `json:"OrganizationUsage"`
	// AllowAnyOrganization lets the grant be used with every organization,
	// not only those it is associated with.
	AllowAnyOrganization bool      `json:"AllowAnyOrganization"`
	CreatedAt            time.Time `json:"CreatedAt"`
	UpdatedAt            time.Time `json:"UpdatedAt"`
}

// Organization is an Auth0 organization: a customer whose M2M tokens carry
// org_id. Name is unique.
type Organization struct {
	ID          string            `json:"ID"` // org_…
	Name        string            `json:"Name"`
	DisplayName string            `json:"DisplayName"`
	Metadata    map[string]string `json:"Metadata"`
	// Branding is stored and returned; credo has no login pages to use it.
	Branding  *OrganizationBranding `json:"Branding"`
	CreatedAt time.Time             `json:"CreatedAt"`
	UpdatedAt time.Time             `json:"UpdatedAt"`
}

// OrganizationBranding is an organization's branding.
type OrganizationBranding struct {
	LogoURL string `json:"LogoURL"`
	// Colors holds primary and page_background ("" when not set).
	Colors OrganizationColors `json:"Colors"`
}

// OrganizationColors are an organization's branding colors.
type OrganizationColors struct {
	Primary        string `json:"Primary"`
	PageBackground string `json:"PageBackground"`
}

// OrganizationGrant associates a client grant with an organization: the
// grant may be used with that organization.
type OrganizationGrant struct {
	OrganizationID string
	GrantID        string
}

// KeyState is a signing key's place in its lifecycle.
type KeyState string

// Signing key states. A key is created as next, published in the JWKS, and
// only later promoted to current; current becomes previous on rotation;
// previous becomes revoked and leaves the JWKS.
const (
	KeyNext     KeyState = "next"
	KeyCurrent  KeyState = "current"
	KeyPrevious KeyState = "previous"
	KeyRevoked  KeyState = "revoked"
)

// SigningKey is one asymmetric tenant signing key. There is one lifecycle per
// KeyType (RSA, EC, OKP): at most one current key of each type.
type SigningKey struct {
	KID     string   `json:"KID"`
	KeyType string   `json:"KeyType"` // RSA, EC, OKP
	State   KeyState `json:"State"`
	// SealedPrivateKey is the PKCS#8 private key encrypted with the master key.
	SealedPrivateKey []byte    `json:"SealedPrivateKey"`
	CertDER          []byte    `json:"CertDER"` // self-signed certificate for x5c, /pem, /cer
	CreatedAt        time.Time `json:"CreatedAt"`
	CurrentSince     time.Time `json:"CurrentSince"` // zero until promoted
	CurrentUntil     time.Time `json:"CurrentUntil"` // zero while current or next
	RevokedAt        time.Time `json:"RevokedAt"`
}

// Trigger names an Actions trigger and version an action supports.
type Trigger struct {
	ID      string `json:"ID"`
	Version string `json:"Version"`
}

// ActionSecret is a named secret available to an action as event.secrets.
type ActionSecret struct {
	Name      string    `json:"Name"`
	Sealed    string    `json:"Sealed"` // encrypted value; never returned by the Management API
	UpdatedAt time.Time `json:"UpdatedAt"`
}

// Action is an Auth0 Action. Code is the draft; DeployedCode is what runs.
type Action struct {
	ID                string         `json:"ID"`
	Name              string         `json:"Name"`
	Code              string         `json:"Code"`
	Runtime           string         `json:"Runtime"`
	SupportedTriggers []Trigger      `json:"SupportedTriggers"`
	Secrets           []ActionSecret `json:"Secrets"`
	DeployedCode      string         `json:"DeployedCode"` // empty until deployed
	DeployedVersion   int            `json:"DeployedVersion"`
	DeployedAt        time.Time      `json:"DeployedAt"`
	CreatedAt         time.Time      `json:"CreatedAt"`
	UpdatedAt         time.Time      `json:"UpdatedAt"`
}

// Hook is a legacy Auth0 Hook (credentials-exchange extensibility point).
type Hook struct {
	ID        string         `json:"ID"`
	Name      string         `json:"Name"`
	Script    string         `json:"Script"`
	TriggerID string         `json:"TriggerID"`
	Enabled   bool           `json:"Enabled"`
	Secrets   []ActionSecret `json:"Secrets"`
	CreatedAt time.Time      `json:"CreatedAt"`
	UpdatedAt time.Time      `json:"UpdatedAt"`
}

// Tenant is the tenant's identity, stored once: the issuer its tokens
// carry and its Management API's audience. A process started with another
// issuer refuses to start rather than change it (see internal/tenant).
type Tenant struct {
	// Issuer is the iss claim, with its trailing slash.
	Issuer string `json:"Issuer"`
	// ManagementAudience is the Management API's identifier, Issuer + "api/v2/".
	ManagementAudience string    `json:"ManagementAudience"`
	CreatedAt          time.Time `json:"CreatedAt"`
	UpdatedAt          time.Time `json:"UpdatedAt"`
}

// Settings are tenant-wide options.
type Settings struct {
	// HonorScopeSubset issues only the requested scopes (intersected with the
	// grant) when a token request carries scope. Off = Auth0 behaviour: all
	// granted scopes.
	HonorScopeSubset bool `json:"HonorScopeSubset"`
	// Auth0CompatErrors reproduces Auth0's legacy error strings exactly
	// (401 access_denied "Unauthorized" for a bad secret).
	Auth0CompatErrors bool `json:"Auth0CompatErrors"`
	// AllowOrganizationNameInAuthenticationAPI adds org_name to tokens issued
	// for an organization (Auth0's allow_organization_name_in_authentication_api).
	AllowOrganizationNameInAuthenticationAPI bool `json:"AllowOrganizationNameInAuthenticationAPI"`
	// DefaultAudience is the API a token request without audience (or
	// resource) gets, Auth0's default_audience; empty: audience is required.
	DefaultAudience string `json:"DefaultAudience,omitempty"`
	// Auth0 holds the other Auth0 tenant settings (friendly_name,
	// default_token_quota, session_lifetime, …) by their Auth0 names, as
	// JSON, stored and returned so that tools round-trip them; credo does
	// not act on them (README lists each and why).
	Auth0 map[string]json.RawMessage `json:"Auth0,omitempty"`
	// Auth0Flags are Auth0's tenant flags other than credo's two, stored
	// and returned likewise.
	Auth0Flags map[string]bool `json:"Auth0Flags,omitempty"`
}

// LogEvent is one tenant log entry in Auth0's shape (type codes such as
// seccft, feccft, sapi).
type LogEvent struct {
	ID          string    `json:"ID"`
	Date        time.Time `json:"Date"`
	Type        string    `json:"Type"`
	Description string    `json:"Description"`
	ClientID    string    `json:"ClientID"`
	ClientName  string    `json:"ClientName"`
	IP          string    `json:"IP"`
	UserAgent   string    `json:"UserAgent"`
	Hostname    string    `json:"Hostname"`
	Audience    string    `json:"Audience"`
	Scope       string    `json:"Scope"`
	// OrganizationID and OrganizationName name the organization a token
	// exchange was for ("" for none).
	OrganizationID   string         `json:"OrganizationID"`
	OrganizationName string         `json:"OrganizationName"`
	Details          map[string]any `json:"Details"`
}

// Audit describes who makes a write, for the durable audit log. A write
// whose context carries one (WithAudit) records an entry in the same
// transaction as the change, so a committed write always has its entry and a
// write that fails leaves none. The entry is Event with, in its Details,
// "target" ({"kind","id"} of what the write changed) and "changes"
// ({"before","after"}: the stored fields that changed, secrets replaced by
// "[redacted]"). A request that makes several writes records one entry per
// write: the first has Event.ID, the next ones Event.ID with ".1", ".2", …
type Audit struct {
	Event LogEvent
	// Written counts the entries recorded so far (set by the store).
	Written int
}

type auditKey struct{}

// WithAudit returns a context whose writes record a as their audit entry.
func WithAudit(ctx context.Context, a *Audit) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// AuditFrom returns the Audit of ctx, or nil.
func AuditFrom(ctx context.Context) *Audit {
	a, _ := ctx.Value(auditKey{}).(*Audit)
	return a
}

// Redacted replaces a secret's value in an audit entry.
const Redacted = "[redacted]"

// UsageCount is one hourly usage counter: how many token exchanges
// (Metric "tokens") or denials (Metric "denials", by Reason: the OAuth
// error code) a client had in the hour starting at Hour (UTC, truncated).
type UsageCount struct {
	Hour     time.Time
	Metric   string
	ClientID string
	Reason   string
	Count    int64
}

// Usage metrics.
const (
	UsageTokens  = "tokens"
	UsageDenials = "denials"
)

// UsageRetention is how long usage counters are kept.
const UsageRetention = 31 * 24 * time.Hour

// LoginLink is a one-time dashboard sign-in link: only the SHA-256 of its
// token is stored.
type LoginLink struct {
	Hash      string
	Name      string   // who it is for, as the dashboard names the session
	Scopes    []string // the Management API scopes the session gets
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Page selects a page of a list: Offset/Limit. Limit 0 means the backend default (50).
type Page struct {
	Offset int
	Limit  int
}

// ClientFilter narrows ListClients.
type ClientFilter struct {
	AppType string
	// From, when set, is a checkpoint: the client_id after which listing
	// continues (clients are ordered by client_id); Page.Offset is ignored
	// then and the total counts the clients after From.
	From string
	Page
}

// GrantFilter narrows ListClientGrants. From, when set, is a checkpoint: the
// id after which listing continues (ordered by id); Page.Offset is ignored then.
type GrantFilter struct {
	ClientID    string
	Audience    string
	SubjectType string // client or user; empty: both
	// AllowAnyOrganization, when set, keeps the grants whose
	// allow_any_organization equals it.
	AllowAnyOrganization *bool
	From                 string
	Page
}

// OrganizationFilter narrows ListOrganizations. From, when set, is a
// checkpoint: the id after which listing continues (ordered by id);
// Page.Offset is ignored then.
type OrganizationFilter struct {
	From string
	Page
}

// OrganizationGrantFilter narrows ListOrganizationGrants.
type OrganizationGrantFilter struct {
	Audience string
	ClientID string
	// GrantIDs, when not empty, keeps only these grants.
	GrantIDs []string
	Page
}

// LogFilter narrows ListLogs. From is a checkpoint log id (ordered by id).
type LogFilter struct {
	From string
	// Query, when set, keeps only the events it matches.
	Query *LogQuery
	// After and Before, when set, keep the events whose id is after After
	// and before Before; unlike From, After need not exist (a log stream's
	// cursor may have been evicted).
	After, Before string
	// Ascending lists oldest first (the default is newest first; a
	// checkpoint listing is always oldest first).
	Ascending bool
	Page
}

// LogField names a log event field a LogQuery can test.
type LogField string

// The fields of a log event a query can test: a LogEvent's field of the same
// name (LogID is its ID, Date its Date).
const (
	LogFieldID          LogField = "log_id"
	LogFieldDate        LogField = "date"
	LogFieldType        LogField = "type"
	LogFieldDescription LogField = "description"
	LogFieldClientID    LogField = "client_id"
	LogFieldClientName  LogField = "client_name"
	LogFieldIP          LogField = "ip"
	LogFieldUserAgent   LogField = "user_agent"
	LogFieldHostname    LogField = "hostname"
	LogFieldAudience    LogField = "audience"
	LogFieldScope       LogField = "scope"
)

// LogOp is what a LogQuery node does.
type LogOp int

// LogQuery operators.
const (
	LogMatch   LogOp = iota // Field equals Value (or starts with it, when Prefix)
	LogRange                // Field (LogFieldDate only) lies between From and To
	LogAnd                  // every one of Args
	LogOr                   // any of Args
	LogNot                  // not Args[0]
	LogNothing              // matches no event (a field credo never sets)
)

// LogQuery is a boolean expression over log event fields, the tree of an
// Auth0 log search (q=type:seccft AND date:[2026-01-01 TO *]).
type LogQuery struct {
	Op     LogOp
	Field  LogField
	Value  string
	Prefix bool
	// From and To bound a LogRange (zero: unbounded); FromExcl and ToExcl
	// exclude the bound itself.
	From, To         time.Time
	FromExcl, ToExcl bool
	Args             []*LogQuery
}

// Data is everything the token endpoint reads, loaded in one consistent
// transaction, with the version it reflects.
type Data struct {
	Version         int64
	Clients         []Client
	ResourceServers []ResourceServer
	Grants          []ClientGrant
	Keys            []SigningKey
	Actions         []Action // only actions bound to a trigger, in binding order per trigger
	Bindings        map[string][]string
	Hooks           []Hook
	Settings        Settings
	Organizations   []Organization
	// OrganizationGrants are every organization's associated grants,
	// ordered by organization and grant id.
	OrganizationGrants []OrganizationGrant
	// Revoked are the revoked tokens that have not expired yet.
	Revoked []RevokedToken
}

// Store is the persistence contract. Every method takes a context; every
// write is transactional and bumps the version; list methods return the page
// and the total count.
type Store interface {
	// Version returns the tenant version, incremented by every write.
	Version(ctx context.Context) (int64, error)
	// Load reads the whole token-path state consistently.
	Load(ctx context.Context) (*Data, error)
	// ChangesSince returns the tenant version and the writes after version
	// since, oldest first, from one consistent read. The log keeps only the
	// newest writes, so fewer than current-since changes mean it does not
	// reach back to since (then Load everything).
	ChangesSince(ctx context.Context, since int64) (current int64, changes []Change, err error)

	GetClient(ctx context.Context, clientID string) (Client, error)
	ListClients(ctx context.Context, f ClientFilter) ([]Client, int, error)
	CreateClient(ctx context.Context, c Client) error
	// UpdateClient reads the client, applies fn and writes it back in one
	// transaction. fn's error aborts the update and is returned as is.
	UpdateClient(ctx context.Context, clientID string, fn func(*Client) error) (Client, error)
	// DeleteClient removes the client and its grants.
	DeleteClient(ctx context.Context, clientID string) error

	// GetResourceServer finds an API by id or by identifier.
	GetResourceServer(ctx context.Context, idOrIdentifier string) (ResourceServer, error)
	ListResourceServers(ctx context.Context, p Page) ([]ResourceServer, int, error)
	CreateResourceServer(ctx context.Context, rs ResourceServer) error
	UpdateResourceServer(ctx context.Context, id string, fn func(*ResourceServer) error) (ResourceServer, error)
	// DeleteResourceServer removes the API and the grants for its identifier.
	DeleteResourceServer(ctx context.Context, id string) error

	GetClientGrant(ctx context.Context, id string) (ClientGrant, error)
	ListClientGrants(ctx context.Context, f GrantFilter) ([]ClientGrant, int, error)
	// CreateClientGrant fails with ErrConflict when (client, audience,
	// subject_type) already has a grant.
	CreateClientGrant(ctx context.Context, g ClientGrant) error
	UpdateClientGrant(ctx context.Context, id string, fn func(*ClientGrant) error) (ClientGrant, error)
	// DeleteClientGrant removes the grant and its associations with
	// organizations.
	DeleteClientGrant(ctx context.Context, id string) error

	// GetOrganization returns the organization with id.
	GetOrganization(ctx context.Context, id string) (Organization, error)
	// GetOrganizationByName returns the organization named name.
	GetOrganizationByName(ctx context.Context, name string) (Organization, error)
	ListOrganizations(ctx context.Context, f OrganizationFilter) ([]Organization, int, error)
	// CreateOrganization fails with ErrConflict when the id or name is taken.
	CreateOrganization(ctx context.Context, o Organization) error
	UpdateOrganization(ctx context.Context, id string, fn func(*Organization) error) (Organization, error)
	// DeleteOrganization removes the organization and its grant associations.
	DeleteOrganization(ctx context.Context, id string) error
	// AddOrganizationGrant associates a client grant with an organization.
	// Either missing is ErrNotFound; an existing association ErrConflict.
	AddOrganizationGrant(ctx context.Context, orgID, grantID string) error
	// RemoveOrganizationGrant removes an association (ErrNotFound when the
	// organization does not exist or the grant is not associated with it).
	RemoveOrganizationGrant(ctx context.Context, orgID, grantID string) error
	// ListOrganizationGrants returns a page of the grants associated with an
	// organization (ErrNotFound when it does not exist), ordered by grant id.
	ListOrganizationGrants(ctx context.Context, orgID string, f OrganizationGrantFilter) ([]ClientGrant, int, error)
	// ListGrantOrganizations returns a page of the organizations a grant is
	// associated with (ErrNotFound when the grant does not exist), ordered
	// by id; f.From is a checkpoint as in ListOrganizations.
	ListGrantOrganizations(ctx context.Context, grantID string, f OrganizationFilter) ([]Organization, int, error)

	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// UpdateSigningKeys runs fn on all keys under an exclusive lock and
	// upserts (by KID) every key fn returns. A second current key of one key
	// type is refused with ErrConflict.
	UpdateSigningKeys(ctx context.Context, fn func(keys []SigningKey) ([]SigningKey, error)) error
	// DeleteSigningKey removes a revoked key (audit retention keeps only the
	// newest few). A key in any other state is refused with ErrConflict.
	DeleteSigningKey(ctx context.Context, kid string) error

	GetAction(ctx context.Context, id string) (Action, error)
	ListActions(ctx context.Context, p Page) ([]Action, int, error)
	CreateAction(ctx context.Context, a Action) error
	UpdateAction(ctx context.Context, id string, fn func(*Action) error) (Action, error)
	// DeleteAction removes the action and its bindings.
	DeleteAction(ctx context.Context, id string) error
	// Bindings returns the ordered action ids bound to a trigger.
	Bindings(ctx context.Context, trigger string) ([]string, error)
	SetBindings(ctx context.Context, trigger string, actionIDs []string) error

	GetHook(ctx context.Context, id string) (Hook, error)
	ListHooks(ctx context.Context, p Page) ([]Hook, int, error)
	CreateHook(ctx context.Context, h Hook) error
	UpdateHook(ctx context.Context, id string, fn func(*Hook) error) (Hook, error)
	DeleteHook(ctx context.Context, id string) error

	Settings(ctx context.Context) (Settings, error)
	UpdateSettings(ctx context.Context, fn func(*Settings) error) (Settings, error)

	// Tenant returns the tenant's identity, or ErrNotFound before it is set.
	Tenant(ctx context.Context) (Tenant, error)
	// UpdateTenant applies fn to the identity (the zero Tenant and exists
	// false before it is set) and writes it, in one transaction.
	UpdateTenant(ctx context.Context, fn func(t *Tenant, exists bool) error) (Tenant, error)

	// OnCommit registers fn, called after every committed write of this
	// Store that moved the version (log appends do not), in the writer's
	// goroutine with its context, before the write method returns. It
	// returns a function that unregisters fn.
	OnCommit(fn func(ctx context.Context)) (remove func())

	// AppendLogs writes log events (does not bump the version). Backends keep
	// at most a bounded number of events, deleting the oldest. These are the
	// token-exchange events; audit entries are written by the writes
	// themselves (WithAudit) into a table of their own that AppendLogs never
	// touches.
	AppendLogs(ctx context.Context, events []LogEvent) error
	// ListLogs lists the log events and the audit entries together, by id.
	ListLogs(ctx context.Context, f LogFilter) ([]LogEvent, int, error)
	// GetLog returns a log event or an audit entry by id.
	GetLog(ctx context.Context, id string) (LogEvent, error)
	// PruneAudit deletes the audit entries dated before t and returns how
	// many it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int, error)

	GetLogStream(ctx context.Context, id string) (LogStream, error)
	// ListLogStreams returns every log stream, by id.
	ListLogStreams(ctx context.Context) ([]LogStream, error)
	CreateLogStream(ctx context.Context, ls LogStream) error
	UpdateLogStream(ctx context.Context, id string, fn func(*LogStream) error) (LogStream, error)
	DeleteLogStream(ctx context.Context, id string) error
	// SetLogStreamState applies fn (the delivery cursor, failure state and
	// lease) like UpdateLogStream, but without moving the version.
	SetLogStreamState(ctx context.Context, id string, fn func(*LogStream) error) (LogStream, error)

	// RevokeToken records a revoked token (a second revocation of one jti
	// keeps the first) and deletes the revocations of tokens that expired
	// before t.RevokedAt.
	RevokeToken(ctx context.Context, t RevokedToken) error
	// RevokedTokens lists the recorded revocations, by jti.
	RevokedTokens(ctx context.Context) ([]RevokedToken, error)

	// AddUsage adds counts to the hourly usage counters (the dashboard's
	// charts): each count is added to its (Hour, Metric, ClientID, Reason)
	// row, created at 0. Like AppendLogs it does not bump the version.
	AddUsage(ctx context.Context, counts []UsageCount) error
	// ListUsage returns the counters of the hours in [from, to), oldest
	// first; it also deletes the counters older than the retention.
	ListUsage(ctx context.Context, from, to time.Time) ([]UsageCount, error)
	// CreateLoginLink stores a dashboard login link by the hash of its
	// token (does not bump the version).
	CreateLoginLink(ctx context.Context, l LoginLink) error
	// ConsumeLoginLink removes the link with this hash and returns it:
	// a link works once. A missing or expired link is ErrNotFound.
	ConsumeLoginLink(ctx context.Context, hash string, now time.Time) (LoginLink, error)

	// Ping reports whether the backend is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// ChangeKind names what a write changed.
type ChangeKind string

// The kinds of change. A change's ID is the id of what it wrote: a client
// id, a resource server id, a client grant id, an action id, a hook id or a
// trigger id (bindings), an organization id (the organization or its grant
// associations), a revoked token's jti; "" for signing keys (a write may change several),
// settings and the tenant.
const (
	ChangeClient         ChangeKind = "client"
	ChangeResourceServer ChangeKind = "resource_server"
	ChangeClientGrant    ChangeKind = "client_grant"
	ChangeSigningKeys    ChangeKind = "signing_keys"
	ChangeAction         ChangeKind = "action"
	ChangeBindings       ChangeKind = "bindings"
	ChangeHook           ChangeKind = "hook"
	ChangeSettings       ChangeKind = "settings"
	ChangeTenant         ChangeKind = "tenant"
	ChangeOrganization   ChangeKind = "organization"
	ChangeRevocation     ChangeKind = "revocation" // ID: the jti
	ChangeLogStream      ChangeKind = "log_stream" // not part of the token path's snapshot
)

// Change is one write in the change log, by the tenant version it produced:
// the kind and id of what it wrote. Kind is "" for writes logged before the
// log had kinds, which a reader treats as "anything may have changed".
type Change struct {
	Version int64
	Kind    ChangeKind
	ID      string
	// ClientID names the client a client or client-grant write belongs to
	// (for a grant moved between clients: "", as two clients changed).
	ClientID string
}

// Notifier is implemented by backends that can push change notifications
// (PostgreSQL LISTEN/NOTIFY). The channel receives a value after any write by
// any process; it is closed when ctx ends. Readers still poll Version as a
// safety net.
type Notifier interface {
	Changes(ctx context.Context) <-chan struct{}
}

// All collects every page of a list method (ListClients, ListClientGrants
// with a filter bound in, …), 100 values at a time.
func All[T any](ctx context.Context, list func(context.Context, Page) ([]T, int, error)) ([]T, error) {
	var out []T
	for p := (Page{Limit: 100}); ; {
		batch, total, err := list(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, batch...)
		p.Offset += len(batch)
		if len(batch) == 0 || p.Offset >= total {
			return out, nil
		}
	}
}
