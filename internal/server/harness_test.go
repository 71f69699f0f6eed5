package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testIssuer = "https://credo.test/"

// fixture is a real tenant on a temp SQLite file behind the real router.
type fixture struct {
	t       *testing.T
	svc     *tenant.Service
	holder  *tenant.Holder
	st      store.Store
	h       http.Handler
	now     time.Time
	events  []store.LogEvent
	scripts *token.Scripts
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, filepath.Join(t.TempDir(), "t.db"))
}

func newFixtureAt(t *testing.T, path string) *fixture {
	t.Helper()
	return newFixtureWith(t, path, nil)
}

// newFixtureWith builds the fixture; with scripts set, Actions and Hooks
// are compiled into snapshots and run by the token endpoint.
func newFixtureWith(t *testing.T, path string, scripts *token.Scripts) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	f := &fixture{t: t, st: st, now: time.Unix(1_800_000_000, 0)}
	clock := func() time.Time { return f.now }
	km := &keys.Manager{Store: st, Master: mk, CommonName: "credo.test", Now: clock}
	if _, err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: testIssuer, Now: clock}
	if err := f.svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	var compile tenant.Compiler
	if scripts != nil {
		compile = scripts.Compiler(mk)
		f.svc.ValidateScript = scripts.Validate
		f.scripts = scripts
	}
	f.holder, err = tenant.NewHolder(ctx, st, mk, compile, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Holder = f.holder
	ep := f.endpoint(nil)
	f.h = server.New(server.Deps{Holder: f.holder, Token: ep, Issuer: testIssuer, JWKSMaxAge: 10 * time.Minute, Now: clock,
		Tokens: &token.Tokens{Holder: f.holder, Service: f.svc, Secrets: ep.Secrets, Issuer: testIssuer, Now: clock, MaxRevoked: 3}})
	return f
}

// endpoint builds a token endpoint on the fixture's tenant and clock; events
// are recorded in f.events and passed to also (when set).
func (f *fixture) endpoint(also func(store.LogEvent)) *token.Endpoint {
	clock := func() time.Time { return f.now }
	var ext token.Extensions
	if f.scripts != nil {
		ext = f.scripts.Run
	}
	return &token.Endpoint{Holder: f.holder, Secrets: secret.NewVerifier(time.Minute, clock), Issuer: testIssuer, Now: clock, Extensions: ext,
		Events: func(ev store.LogEvent) {
			f.events = append(f.events, ev)
			if also != nil {
				also(ev)
			}
		}}
}

// seed applies a YAML seed.
func (f *fixture) seed(yaml string) {
	f.t.Helper()
	s, err := tenant.ParseSeed([]byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.ApplySeed(context.Background(), s); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func formReq(body string) *http.Request {
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return m
}

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s mismatch:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

const baseSeed = `
resourceServers:
  - name: Timesheets
    identifier: https://api.exampleco.com/timesheets
    scopes:
      - {value: "read:timesheets", description: Read}
      - {value: "create:timesheets", description: Create}
      - {value: "delete:timesheets", description: Delete}
  - name: Modern
    identifier: urn:credo:modern
    signing_alg: ES256
    token_dialect: rfc9068_profile
    token_lifetime: 600
    scopes: [{value: "read:x"}]
  - name: Edwards
    identifier: urn:credo:ed
    signing_alg: EdDSA
  - name: PSS
    identifier: urn:credo:pss
    signing_alg: PS256
  - name: Symmetric
    identifier: urn:credo:hs
    signing_alg: HS256
    signing_secret: "0123456789abcdef0123456789abcdef"
  - name: Ungranted
    identifier: https://api.exampleco.com/ungranted
clients:
  - name: Batch Worker
    client_id: worker
    client_secret: worker-secret-0123456789abcdefghijklmnop
  - name: Legacy Importer
    client_id: legacy
    client_secret: short-secret
  - name: SPA
    client_id: spa
    app_type: spa
    token_endpoint_auth_method: none
    grant_types: [authorization_code]
  - name: Web App
    client_id: web
    client_secret: web-secret-0123456789abcdefghijklmnopqrs
    app_type: regular_web
    grant_types: [authorization_code]
clientGrants:
  - {client_id: worker, audience: "https://api.exampleco.com/timesheets", scope: ["read:timesheets", "create:timesheets"]}
  - {client_id: Legacy Importer, audience: "https://api.exampleco.com/timesheets", scope: []}
  - {client_id: worker, audience: "urn:credo:modern", scope: ["read:x"]}
  - {client_id: worker, audience: "urn:credo:ed", scope: []}
  - {client_id: worker, audience: "urn:credo:pss", scope: []}
  - {client_id: worker, audience: "urn:credo:hs", scope: []}
  - {client_id: web, audience: "https://api.exampleco.com/timesheets", scope: ["read:timesheets"]}
`

const (
	workerSecret = "worker-secret-0123456789abcdefghijklmnop"
	timesheets   = "https://api.exampleco.com/timesheets"
)
