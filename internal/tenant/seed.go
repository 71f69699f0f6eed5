package tenant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"

	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/store"
	"gopkg.in/yaml.v3"
)

// Seed is a tenant description in the shape of Auth0 Deploy CLI's
// tenant.yaml (the subset credo uses). Unknown fields are errors.
type Seed struct {
	Clients         []SeedClient         `yaml:"clients"`
	ResourceServers []SeedResourceServer `yaml:"resourceServers"`
	ClientGrants    []SeedGrant          `yaml:"clientGrants"`
	Actions         []SeedAction         `yaml:"actions,omitempty"`
	Hooks           []SeedHook           `yaml:"hooks,omitempty"`
	Organizations   []SeedOrganization   `yaml:"organizations,omitempty"`
	// Dir resolves code_file paths (the seed file's directory).
	Dir string `yaml:"-"`
}

// SeedClient is a clients: entry.
type SeedClient struct {
	Name                    string            `yaml:"name"`
	Description             *string           `yaml:"description,omitempty"`
	AppType                 *string           `yaml:"app_type,omitempty"`
	GrantTypes              *[]string         `yaml:"grant_types,omitempty"`
	ClientID                string            `yaml:"client_id,omitempty"`
	ClientSecret            string            `yaml:"client_secret,omitempty"`
	TokenEndpointAuthMethod *string           `yaml:"token_endpoint_auth_method,omitempty"`
	ClientMetadata          map[string]string `yaml:"client_metadata,omitempty"`
	IsFirstParty            *bool             `yaml:"is_first_party,omitempty"`
	TokenLifetime           *int              `yaml:"token_lifetime,omitempty"`
	JWTConfiguration        *struct {
		Alg string `yaml:"alg"`
	} `yaml:"jwt_configuration,omitempty"`
	DefaultOrganization *SeedDefaultOrganization `yaml:"default_organization,omitempty"`
}

// SeedScope is a scope of a resource server.
type SeedScope struct {
	Value       string `yaml:"value"`
	Description string `yaml:"description,omitempty"`
}

// SeedResourceServer is a resourceServers: entry.
type SeedResourceServer struct {
	Name          string      `yaml:"name"`
	Identifier    string      `yaml:"identifier"`
	Scopes        []SeedScope `yaml:"scopes,omitempty"`
	SigningAlg    *string     `yaml:"signing_alg,omitempty"`
	SigningSecret *string     `yaml:"signing_secret,omitempty"`
	TokenLifetime *int        `yaml:"token_lifetime,omitempty"`
	TokenDialect  *string     `yaml:"token_dialect,omitempty"`
}

// SeedGrant is a clientGrants: entry; ClientID may be the client's id or name.
type SeedGrant struct {
	ClientID             string    `yaml:"client_id"`
	Audience             string    `yaml:"audience"`
	Scope                *[]string `yaml:"scope,omitempty"`
	AllowAllScopes       *bool     `yaml:"allow_all_scopes,omitempty"`
	OrganizationUsage    *string   `yaml:"organization_usage,omitempty"`
	AllowAnyOrganization *bool     `yaml:"allow_any_organization,omitempty"`
}

// SeedAction is an actions: entry (applied by the Actions support, see ApplySeedExtensions).
type SeedAction struct {
	Name              string              `yaml:"name"`
	Code              string              `yaml:"code,omitempty"`
	CodeFile          string              `yaml:"code_file,omitempty"`
	Runtime           string              `yaml:"runtime,omitempty"`
	Deployed          *bool               `yaml:"deployed,omitempty"`
	Status            string              `yaml:"status,omitempty"`
	SupportedTriggers []map[string]string `yaml:"supported_triggers,omitempty"`
	Secrets           []map[string]string `yaml:"secrets,omitempty"`
	Dependencies      []map[string]string `yaml:"dependencies,omitempty"`
}

// SeedHook is a hooks: entry.
type SeedHook struct {
	Name      string            `yaml:"name"`
	Script    string            `yaml:"script,omitempty"`
	CodeFile  string            `yaml:"code_file,omitempty"`
	TriggerID string            `yaml:"triggerId"`
	Enabled   bool              `yaml:"enabled"`
	Secrets   map[string]string `yaml:"secrets,omitempty"`
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ParseSeed decodes a seed document, expanding ${ENV_VAR} references with
// lookup (os.LookupEnv when nil). References are expanded inside decoded
// string values, never in the YAML text, so a value containing "#", ": " or
// quotes arrives intact. A reference to an unset variable is an error naming it.
func ParseSeed(data []byte, lookup func(string) (string, bool)) (*Seed, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	var s Seed
	if root.Kind == 0 { // an empty file is an empty seed
		return &s, nil
	}
	var missing []string
	expandNode(&root, lookup, &missing)
	if len(missing) > 0 {
		return nil, fmt.Errorf("environment variable(s) not set: %v", missing)
	}
	// Re-encode the expanded tree and decode it strictly, so that unknown
	// fields are still refused.
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &s, nil
}

// expandNode replaces ${VAR} in every scalar value (not in mapping keys).
func expandNode(n *yaml.Node, lookup func(string) (string, bool), missing *[]string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !envRef.MatchString(n.Value) {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			v, ok := lookup(name)
			if !ok {
				*missing = append(*missing, name)
			}
			return v
		})
		// Let the encoder pick a style that round-trips the new value; the
		// tag is re-resolved, so ${N} can also fill a number field.
		n.Tag, n.Style = "", 0
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandNode(n.Content[i], lookup, missing)
		}
	default:
		for _, c := range n.Content {
			expandNode(c, lookup, missing)
		}
	}
}

// SeedError names the entry and field of an invalid seed.
type SeedError struct {
	Section string // clients, resourceServers, clientGrants, …
	Index   int
	Entry   string // name or identifier
	Err     error
}

func (e *SeedError) Error() string {
	return fmt.Sprintf("%s[%d] (%s): %v", e.Section, e.Index, e.Entry, e.Err)
}

func (e *SeedError) Unwrap() error { return e.Err }

// SeedResult summarises an applied seed. Secrets holds generated secrets for
// clients created without one (client_id → secret), to be shown once.
type SeedResult struct {
	Created, Updated, Unchanged int
	Secrets                     map[string]string
}

// ApplySeed upserts a seed: clients by client_id (or name when no id is
// given), resource servers by identifier, grants by (client, audience).
// Applying the same seed twice changes nothing the second time. Every entry
// is validated before anything is written.
func (s *Service) ApplySeed(ctx context.Context, seed *Seed) (res SeedResult, err error) {
	res = SeedResult{Secrets: map[string]string{}}
	if err := s.validateSeed(seed); err != nil {
		return res, err
	}
	err = s.Deferred(ctx, func() error { return s.applySeed(ctx, seed, &res) })
	return res, err
}

func (s *Service) applySeed(ctx context.Context, seed *Seed, res *SeedResult) error {
	for i, rs := range seed.ResourceServers {
		if err := s.applyResourceServer(ctx, rs, res); err != nil {
			return &SeedError{"resourceServers", i, rs.Identifier, err}
		}
	}
	orgIDs := make([]string, len(seed.Organizations))
	for i, o := range seed.Organizations {
		id, err := s.applyOrganization(ctx, o, res)
		if err != nil {
			return &SeedError{"organizations", i, o.Name, err}
		}
		orgIDs[i] = id
	}
	nameToID := map[string]string{}
	for i, c := range seed.Clients {
		id, err := s.applyClient(ctx, c, res)
		if err != nil {
			return &SeedError{"clients", i, c.Name, err}
		}
		nameToID[c.Name] = id
	}
	for i, g := range seed.ClientGrants {
		cid := g.ClientID
		if id, ok := nameToID[cid]; ok {
			cid = id
		}
		if err := s.applyGrant(ctx, cid, g, res); err != nil {
			return &SeedError{"clientGrants", i, g.ClientID + " → " + g.Audience, err}
		}
	}
	for i, o := range seed.Organizations {
		if o.ClientGrants == nil {
			continue
		}
		if err := s.applyOrganizationGrants(ctx, orgIDs[i], *o.ClientGrants, nameToID, res); err != nil {
			return &SeedError{"organizations", i, o.Name, err}
		}
	}
	if len(seed.Actions) > 0 || len(seed.Hooks) > 0 {
		if err := s.applyExtensions(ctx, seed, res); err != nil {
			return err
		}
	}
	return nil
}

// validateSeed checks every entry with the same rules as the writes, on
// throwaway values, so that an invalid seed writes nothing.
func (s *Service) validateSeed(seed *Seed) error {
	if s.ValidateScript == nil && (len(seed.Actions) > 0 || len(seed.Hooks) > 0) {
		return errors.New("seed has actions: or hooks: entries, but this build of credo cannot run scripts")
	}
	names := map[string]bool{}
	for i, c := range seed.Clients {
		f := c.fields()
		var tmp store.Client
		if c.Name == "" {
			return &SeedError{"clients", i, c.Name, invalid("name", "is required")}
		}
		if err := f.apply(&tmp); err != nil {
			return &SeedError{"clients", i, c.Name, err}
		}
		if c.ClientID != "" && !clientIDRe.MatchString(c.ClientID) {
			return &SeedError{"clients", i, c.Name, invalid("client_id", "must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")}
		}
		if len(c.ClientSecret) > secret.MaxLength {
			return &SeedError{"clients", i, c.Name, invalid("client_secret", "too long")}
		}
		if names[c.Name] {
			return &SeedError{"clients", i, c.Name, invalid("name", "duplicate client name in seed")}
		}
		names[c.Name] = true
	}
	for i, rs := range seed.ResourceServers {
		if !ValidIdentifier(rs.Identifier) {
			return &SeedError{"resourceServers", i, rs.Identifier, invalid("identifier", "must be an absolute URI or URN")}
		}
		f := rs.fields()
		tmp := store.ResourceServer{ID: "validate"}
		if err := f.apply(&tmp, s.Master); err != nil {
			return &SeedError{"resourceServers", i, rs.Identifier, err}
		}
	}
	if err := validateOrganizations(seed.Organizations); err != nil {
		return err
	}
	for i, g := range seed.ClientGrants {
		if g.OrganizationUsage != nil && !slices.Contains(orgUsages, *g.OrganizationUsage) {
			return &SeedError{"clientGrants", i, g.ClientID + " → " + g.Audience, invalid("organization_usage", "must be deny, allow or require")}
		}
		if g.ClientID == "" {
			return &SeedError{"clientGrants", i, g.Audience, invalid("client_id", "is required (a client id or name)")}
		}
		if g.Audience == "" {
			return &SeedError{"clientGrants", i, g.ClientID, invalid("audience", "is required")}
		}
		if g.Scope != nil {
			if err := checkScopes(*g.Scope); err != nil {
				return &SeedError{"clientGrants", i, g.ClientID + " → " + g.Audience, err}
			}
		}
	}
	return nil
}

func (c SeedClient) fields() ClientFields {
	name := c.Name
	f := ClientFields{ClientID: c.ClientID, Name: &name, Description: c.Description, AppType: c.AppType, GrantTypes: c.GrantTypes,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, IsFirstParty: c.IsFirstParty, TokenLifetime: c.TokenLifetime}
	if c.ClientMetadata != nil {
		m := c.ClientMetadata
		f.Metadata = &m
	}
	if c.JWTConfiguration != nil {
		alg := c.JWTConfiguration.Alg
		f.JWTAlg = &alg
	}
	return f
}

func (rs SeedResourceServer) fields() ResourceServerFields {
	name, ident := rs.Name, rs.Identifier
	if name == "" {
		name = ident
	}
	f := ResourceServerFields{Name: &name, Identifier: &ident, SigningAlg: rs.SigningAlg, SigningSecret: rs.SigningSecret,
		TokenLifetime: rs.TokenLifetime, TokenDialect: rs.TokenDialect}
	scopes := make([]store.Scope, len(rs.Scopes))
	for i, sc := range rs.Scopes {
		scopes[i] = store.Scope{Value: sc.Value, Description: sc.Description}
	}
	f.Scopes = &scopes
	return f
}

func (s *Service) applyResourceServer(ctx context.Context, rs SeedResourceServer, res *SeedResult) error {
	f := rs.fields()
	cur, err := s.Store.GetResourceServer(ctx, rs.Identifier)
	if errors.Is(err, store.ErrNotFound) {
		_, err = s.CreateResourceServer(ctx, f)
		if err == nil {
			res.Created++
		}
		return err
	}
	if err != nil {
		return err
	}
	if cur.IsSystem {
		return ErrSystem
	}
	f.Identifier = nil
	if f.SigningSecret != nil && cur.SigningSecret != "" {
		if old, err := s.Master.OpenString(cur.SigningSecret, "api-signing-secret:"+cur.ID); err == nil && old == *f.SigningSecret {
			f.SigningSecret = nil
		}
	}
	probe := cur
	probe.Scopes = slices.Clone(cur.Scopes)
	if err := f.apply(&probe, s.Master); err != nil {
		return err
	}
	if sameRS(probe, cur) {
		res.Unchanged++
		return nil
	}
	_, err = s.UpdateResourceServer(ctx, cur.ID, f)
	if err == nil {
		res.Updated++
	}
	return err
}

func sameRS(a, b store.ResourceServer) bool {
	return a.Name == b.Name && slices.Equal(a.Scopes, b.Scopes) && a.SigningAlg == b.SigningAlg && a.SigningSecret == b.SigningSecret &&
		a.TokenLifetime == b.TokenLifetime && a.TokenDialect == b.TokenDialect
}

func (s *Service) applyClient(ctx context.Context, c SeedClient, res *SeedResult) (string, error) {
	f := c.fields()
	d, err := s.seedDefaultOrganization(ctx, c.DefaultOrganization)
	if err != nil {
		return "", err
	}
	f.DefaultOrganization = d
	id := c.ClientID
	if id == "" { // match by name, as the Deploy CLI does
		s.snapshot(ctx).EachClient(func(cl *Client) {
			if cl.Name == c.Name && id == "" {
				id = cl.ClientID
			}
		})
	}
	var cur store.Client
	if id != "" {
		cur, err = s.Store.GetClient(ctx, id)
	} else {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		f.ClientID = id
		f.ClientSecret = c.ClientSecret
		created, plain, err := s.CreateClient(ctx, f)
		if err != nil {
			return "", err
		}
		if plain != "" {
			res.Secrets[created.ClientID] = plain
		}
		res.Created++
		return created.ClientID, nil
	}
	if err != nil {
		return "", err
	}
	f.ClientID = ""
	probe := cur
	probe.Metadata = maps.Clone(cur.Metadata)
	probe.GrantTypes = slices.Clone(cur.GrantTypes)
	if err := f.apply(&probe); err != nil {
		return "", err
	}
	secretSame := c.ClientSecret == "" || (len(cur.Secrets) > 0 && secret.NewVerifier(0, nil).Verify(cur.Secrets[0].Hash, c.ClientSecret))
	if secretSame && sameClient(probe, cur) {
		res.Unchanged++
		return cur.ClientID, nil
	}
	if !secretSame {
		f.ClientSecret = c.ClientSecret
	}
	_, err = s.UpdateClient(ctx, cur.ClientID, f)
	if err == nil {
		res.Updated++
	}
	return cur.ClientID, err
}

func sameClient(a, b store.Client) bool {
	if len(a.Metadata) != len(b.Metadata) {
		return false
	}
	for k, v := range a.Metadata {
		if b.Metadata[k] != v {
			return false
		}
	}
	sameDefault := (a.DefaultOrganization == nil) == (b.DefaultOrganization == nil) && (a.DefaultOrganization == nil ||
		(a.DefaultOrganization.OrganizationID == b.DefaultOrganization.OrganizationID && slices.Equal(a.DefaultOrganization.Flows, b.DefaultOrganization.Flows)))
	return sameDefault && a.Name == b.Name && a.Description == b.Description && a.AppType == b.AppType && slices.Equal(a.GrantTypes, b.GrantTypes) &&
		a.TokenEndpointAuthMethod == b.TokenEndpointAuthMethod && a.IsFirstParty == b.IsFirstParty && a.JWTAlg == b.JWTAlg && a.TokenLifetime == b.TokenLifetime
}

func (s *Service) applyGrant(ctx context.Context, clientID string, g SeedGrant, res *SeedResult) error {
	list, _, err := s.Store.ListClientGrants(ctx, store.GrantFilter{ClientID: clientID, Audience: g.Audience})
	if err != nil {
		return err
	}
	for _, cur := range list {
		if cur.SubjectType != "" && cur.SubjectType != "client" {
			continue
		}
		usage := cur.OrganizationUsage
		if usage == "" {
			usage = OrgUsageDeny
		}
		same := (g.Scope == nil || slices.Equal(dedupe(*g.Scope), cur.Scope)) && (g.AllowAllScopes == nil || *g.AllowAllScopes == cur.AllowAllScopes) &&
			(g.OrganizationUsage == nil || *g.OrganizationUsage == usage) && (g.AllowAnyOrganization == nil || *g.AllowAnyOrganization == cur.AllowAnyOrganization)
		if same {
			res.Unchanged++
			return nil
		}
		_, err := s.UpdateGrant(ctx, cur.ID, GrantFields{Scope: g.Scope, AllowAllScopes: g.AllowAllScopes,
			OrganizationUsage: g.OrganizationUsage, AllowAnyOrganization: g.AllowAnyOrganization})
		if err == nil {
			res.Updated++
		}
		return err
	}
	_, err = s.CreateGrant(ctx, GrantFields{ClientID: clientID, Audience: g.Audience, Scope: g.Scope, AllowAllScopes: g.AllowAllScopes,
		OrganizationUsage: g.OrganizationUsage, AllowAnyOrganization: g.AllowAnyOrganization})
	if err == nil {
		res.Created++
	}
	return err
}
