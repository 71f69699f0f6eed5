package tenant_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

func newService(t *testing.T) *tenant.Service {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "t.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	km := &keys.Manager{Store: st, Master: mk, CommonName: "t"}
	if _, err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	svc := &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: "https://credo.test/",
		ValidateScript: func(code string, kind tenant.ScriptKind) error {
			if strings.Contains(code, "SYNTAX ERROR") {
				return errors.New("SyntaxError: Unexpected identifier (line 1)")
			}
			return nil
		}}
	if err := svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := tenant.NewHolder(ctx, st, mk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Holder = h
	dbPaths.Store(svc, path)
	return svc
}

// dbPaths remembers each test service's database file.
var dbPaths sync.Map

// dbPath is the file of a service made by newService.
func dbPath(t *testing.T, svc *tenant.Service) string {
	t.Helper()
	p, ok := dbPaths.Load(svc)
	if !ok {
		t.Fatal("not a newService service")
	}
	return p.(string)
}

const seedYAML = `
resourceServers:
  - name: API
    identifier: https://api.example.com/
    scopes: [{value: "read:x", description: Read}]
clients:
  - name: Worker
    client_id: worker
    client_secret: ${WORKER_SECRET}
    client_metadata: {tier: gold}
  - name: Nameless Id
clientGrants:
  - {client_id: Worker, audience: "https://api.example.com/", scope: ["read:x"]}
  - {client_id: Nameless Id, audience: "https://api.example.com/", scope: []}
actions:
  - name: add-claim
    code: "exports.onExecuteCredentialsExchange = async (event, api) => {};"
    supported_triggers: [{id: credentials-exchange, version: v2}]
    secrets: [{name: KEY, value: s3cr3t}]
hooks:
  - name: legacy
    script: "module.exports = function (client, scope, audience, context, cb) { cb(null, {}); };"
    triggerId: credentials-exchange
    enabled: true
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestSeedIsIdempotent(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	seed, err := tenant.ParseSeed([]byte(seedYAML), env(map[string]string{"WORKER_SECRET": "worker-secret-0123456789abcdefghijklmnop"}))
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.ApplySeed(ctx, seed)
	if err != nil {
		t.Fatal(err)
	}
	if first.Created != 7 || len(first.Secrets) != 1 {
		t.Fatalf("first apply: %+v", first)
	}
	v1, _ := svc.Store.Version(ctx)
	second, err := svc.ApplySeed(ctx, seed)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created != 0 || second.Updated != 0 || second.Unchanged != 7 {
		t.Fatalf("second apply changed things: %+v", second)
	}
	if v2, _ := svc.Store.Version(ctx); v2 != v1 {
		t.Fatalf("version moved on an idempotent apply: %d → %d", v1, v2)
	}
	snap := svc.Holder.Current()
	if _, ok := snap.Grant("worker", "https://api.example.com/"); !ok {
		t.Fatal("grant by client name not applied")
	}
	bound, err := svc.Bound(ctx, tenant.TriggerCredentialsExchange)
	if err != nil || len(bound) != 1 || bound[0].DeployedCode == "" {
		t.Fatalf("action not deployed and bound: %+v %v", bound, err)
	}
	if strings.Contains(bound[0].Secrets[0].Sealed, "s3cr3t") {
		t.Fatal("action secret stored in clear")
	}
	// A changed secret updates the client, and only that.
	seed2, _ := tenant.ParseSeed([]byte(seedYAML), env(map[string]string{"WORKER_SECRET": "another-secret-0123456789abcdefghijklmnop"}))
	third, err := svc.ApplySeed(ctx, seed2)
	if err != nil || third.Updated != 1 || third.Unchanged != 6 {
		t.Fatalf("third apply: %+v %v", third, err)
	}
}

func TestSeedErrorsNameEntryAndField(t *testing.T) {
	svc := newService(t)
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field":     {"clients:\n  - name: a\n    colour: blue\n", "colour"},
		"bad identifier":    {"resourceServers:\n  - name: x\n    identifier: not a uri\n", "resourceServers[0] (not a uri): identifier"},
		"bad alg":           {"resourceServers:\n  - identifier: urn:x\n    signing_alg: none\n", "signing_alg"},
		"lifetime":          {"resourceServers:\n  - identifier: urn:x\n    token_lifetime: 10\n", "token_lifetime"},
		"client name <>":    {"clients:\n  - name: <b>\n", "clients[0] (<b>): name"},
		"grant no audience": {"clientGrants:\n  - client_id: a\n", "clientGrants[0] (a): audience"},
		"grant bad scope":   {"clientGrants:\n  - {client_id: a, audience: urn:x, scope: [\"a b\"]}\n", "scope"},
		"grant unknown client": {"resourceServers:\n  - identifier: urn:x\nclientGrants:\n  - {client_id: ghost, audience: urn:x}\n",
			"clientGrants[0] (ghost → urn:x): client not found: ghost"},
		"action syntax":    {"actions:\n  - name: a\n    code: SYNTAX ERROR\n", "actions[0] (a): code: SyntaxError"},
		"action deps":      {"actions:\n  - name: a\n    code: x\n    dependencies: [{name: axios, version: '1'}]\n", "dependencies"},
		"two hooks":        {"hooks:\n  - {name: a, script: x, triggerId: credentials-exchange, enabled: true}\n  - {name: b, script: y, triggerId: credentials-exchange, enabled: true}\n", "only one hook"},
		"wrong hook point": {"hooks:\n  - {name: a, script: x, triggerId: pre-user-registration, enabled: true}\n", "triggerId"},
	} {
		t.Run(name, func(t *testing.T) {
			seed, err := tenant.ParseSeed([]byte(tc.yaml), env(nil))
			if err == nil {
				_, err = svc.ApplySeed(t.Context(), seed)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSeedEnvExpansion(t *testing.T) {
	if _, err := tenant.ParseSeed([]byte("clients:\n  - name: ${NAME}\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "NAME") {
		t.Fatalf("unset variable: %v", err)
	}
	s, err := tenant.ParseSeed([]byte("clients:\n  - name: ${NAME}\n"), env(map[string]string{"NAME": "svc"}))
	if err != nil || s.Clients[0].Name != "svc" {
		t.Fatalf("%+v %v", s, err)
	}
	if s, err := tenant.ParseSeed(nil, env(nil)); err != nil || len(s.Clients) != 0 {
		t.Fatalf("empty seed: %v", err)
	}
}

func TestServiceValidation(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	str := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	for name, f := range map[string]tenant.ClientFields{
		"no name":        {},
		"long name":      {Name: str(strings.Repeat("a", 256))},
		"bad app type":   {Name: str("a"), AppType: str("robot")},
		"bad grant":      {Name: str("a"), GrantTypes: &[]string{"magic"}},
		"bad method":     {Name: str("a"), TokenEndpointAuthMethod: str("private_key_jwt_x")},
		"bad lifetime":   {Name: str("a"), TokenLifetime: n(30)},
		"bad client id":  {Name: str("a"), ClientID: "has:colon"},
		"long desc":      {Name: str("a"), Description: str(strings.Repeat("d", 141))},
		"too much meta":  {Name: str("a"), Metadata: &map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1", "g": "1", "h": "1", "i": "1", "j": "1", "k": "1"}},
		"public+secret":  {Name: str("a"), TokenEndpointAuthMethod: str("none"), ClientSecret: "x"},
		"bad jwt alg":    {Name: str("a"), JWTAlg: str("none")},
		"bad meta value": {Name: str("a"), Metadata: &map[string]string{"a": strings.Repeat("v", 256)}},
	} {
		if _, _, err := svc.CreateClient(ctx, f); err == nil {
			t.Errorf("%s: accepted", name)
		} else if ve := (*tenant.ValidationError)(nil); !errors.As(err, &ve) {
			t.Errorf("%s: %v is not a ValidationError", name, err)
		}
	}
	c, sec, err := svc.CreateClient(ctx, tenant.ClientFields{Name: str("ok")})
	if err != nil || len(sec) != 43 || len(c.ClientID) != 32 {
		t.Fatalf("create: %v %q %q", err, sec, c.ClientID)
	}
	if _, _, err := svc.CreateClient(ctx, tenant.ClientFields{Name: str("dup"), ClientID: c.ClientID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := svc.UpdateResourceServer(ctx, svc.ManagementAudience(), tenant.ResourceServerFields{Name: str("x")}); !errors.Is(err, tenant.ErrSystem) {
		t.Fatalf("system API changed: %v", err)
	}
	if err := svc.DeleteResourceServer(ctx, svc.ManagementAudience()); !errors.Is(err, tenant.ErrSystem) {
		t.Fatalf("system API deleted: %v", err)
	}
	if _, err := svc.CreateGrant(ctx, tenant.GrantFields{ClientID: c.ClientID, Audience: "urn:none"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("grant to unknown API: %v", err)
	}
	if _, _, err := svc.RotateSecret(ctx, c.ClientID, -1); err == nil {
		t.Fatal("negative grace accepted")
	}
	for _, id := range []string{"urn:ok:x", "https://a.example/", "https://a.example/p?q"} {
		if !tenant.ValidIdentifier(id) {
			t.Errorf("ValidIdentifier(%q) = false", id)
		}
	}
	for _, id := range []string{"", "nope", "https://", "http:///x", "a b:c"} {
		if tenant.ValidIdentifier(id) {
			t.Errorf("ValidIdentifier(%q) = true", id)
		}
	}
}

func TestBootstrapIsIdempotent(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	id, sec, err := svc.EnsureBootstrap(ctx, "", "")
	if err != nil || id == "" || sec == "" {
		t.Fatalf("generated: %q %q %v", id, sec, err)
	}
	id2, sec2, err := svc.EnsureBootstrap(ctx, "", "")
	if err != nil || id2 != id || sec2 != "" {
		t.Fatalf("second start must reuse the admin and print nothing: %q %q %v", id2, sec2, err)
	}
	if _, _, err := svc.EnsureBootstrap(ctx, "admin", "admin-secret-0123456789abcdefghijklmno"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.EnsureBootstrap(ctx, "admin", "changed-secret-0123456789abcdefghijklm"); err != nil {
		t.Fatal(err)
	}
	g, ok := svc.Holder.Current().Grant("admin", svc.ManagementAudience())
	if !ok || len(g.Scopes) != len(tenant.ManagementScopes) {
		t.Fatalf("admin grant: %+v %v", g, ok)
	}
	if _, _, err := svc.EnsureBootstrap(ctx, "admin", ""); err == nil {
		t.Fatal("half-configured bootstrap accepted")
	}
}

func TestIssuerChangeKeepsAdminGrants(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, _, err := svc.EnsureBootstrap(ctx, "admin", "admin-secret-0123456789abcdefghijklmno"); err != nil {
		t.Fatal(err)
	}
	svc.Issuer = "https://moved.example/"
	if err := svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.Holder.Current().Grant("admin", "https://moved.example/api/v2/"); !ok {
		t.Fatal("admin grant lost when the issuer changed")
	}
	if _, ok := svc.Holder.Current().API("https://credo.test/api/v2/"); ok {
		t.Fatal("old Management API audience still served")
	}
}

// The system API carries Auth0's name, by which the Deploy CLI leaves it
// alone; a tenant created under the former name gets it at the next start.
func TestSystemAPIName(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	rs, found, err := tenant.SystemAPI(ctx, svc.Store)
	if err != nil || !found || rs.Name != "Auth0 Management API" {
		t.Fatalf("system API %q (found %v, err %v), want Auth0 Management API", rs.Name, found, err)
	}
	if _, err := svc.Store.UpdateResourceServer(ctx, rs.ID, func(r *store.ResourceServer) error {
		r.Name = "credo Management API"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	if rs, _, _ := tenant.SystemAPI(ctx, svc.Store); rs.Name != tenant.SystemAPIName {
		t.Errorf("after EnsureSystem the system API is named %q", rs.Name)
	}
}

func TestSeedEnvValuesArriveIntact(t *testing.T) {
	for _, v := range []string{"0123456789abcdefghij #0123456789abcdefghij", "a: b", "@at", "*star", "'quoted\"", "!bang", "line1\nline2"} {
		s, err := tenant.ParseSeed([]byte("clients:\n  - name: x\n    client_secret: ${S}\n"), env(map[string]string{"S": v}))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if s.Clients[0].ClientSecret != v {
			t.Fatalf("secret %q arrived as %q", v, s.Clients[0].ClientSecret)
		}
	}
	// Expansion inside a longer value, and no expansion in keys.
	s, err := tenant.ParseSeed([]byte("resourceServers:\n  - identifier: https://${HOST}/api\n"), env(map[string]string{"HOST": "a.example"}))
	if err != nil || s.ResourceServers[0].Identifier != "https://a.example/api" {
		t.Fatalf("%+v %v", s, err)
	}
	// Non-string fields still decode as their types.
	s, err = tenant.ParseSeed([]byte("resourceServers:\n  - identifier: urn:x\n    token_lifetime: 600\n"), env(nil))
	if err != nil || *s.ResourceServers[0].TokenLifetime != 600 {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestSeedEnvFillsNumbers(t *testing.T) {
	s, err := tenant.ParseSeed([]byte("resourceServers:\n  - identifier: urn:x\n    token_lifetime: ${L}\n"), env(map[string]string{"L": "3600"}))
	if err != nil || *s.ResourceServers[0].TokenLifetime != 3600 {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = tenant.ParseSeed([]byte("clients:\n  - name: x\n    client_secret: ${S}\n"), env(map[string]string{"S": "true"}))
	if err != nil || s.Clients[0].ClientSecret != "true" {
		t.Fatalf("%+v %v", s, err)
	}
}
