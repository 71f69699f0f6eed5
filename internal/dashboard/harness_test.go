package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/dashboard"
	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

const (
	adminSecret    = "admin-secret-0123456789abcdefghijklmnop"
	readerSecret   = "reader-secret-0123456789abcdefghijklmno"
	workerSecret   = "worker-secret-0123456789abcdefghijklmno"
	timesheets     = "https://api.exampleco.com/timesheets"
	defaultTimeout = 15 * time.Minute
)

// fixture is a real tenant on a temp SQLite file behind the real router
// (internal/server), with the Management API and the Dashboard mounted.
type fixture struct {
	t      *testing.T
	st     store.Store
	svc    *tenant.Service
	holder *tenant.Holder
	usage  *dashboard.Usage
	srv    *httptest.Server
	issuer string

	mu  sync.Mutex
	now time.Time
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T, secure bool) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, now: time.Now().UTC().Truncate(time.Second)}
	// The issuer is the test server's URL, known once it listens.
	var h http.Handler
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL + "/"
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	km := &keys.Manager{Store: st, Master: mk, CommonName: "credo.test", Now: f.clock}
	if _, err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: f.issuer, Now: f.clock}
	if err := f.svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	scripts := &token.Scripts{Runtime: hook.New(hook.Options{}), TenantID: "credo.test"}
	f.svc.ValidateScript = scripts.Validate
	if f.holder, err = tenant.NewHolder(ctx, st, mk, scripts.Compiler(mk), nil, f.clock); err != nil {
		t.Fatal(err)
	}
	f.svc.Holder = f.holder
	f.seed()
	events := func(ev store.LogEvent) {
		if err := st.AppendLogs(context.Background(), []store.LogEvent{ev}); err != nil {
			t.Error(err)
		}
	}
	f.usage = &dashboard.Usage{Store: st}
	verifier := secret.NewVerifier(time.Minute, f.clock)
	ep := &token.Endpoint{Holder: f.holder, Secrets: verifier, Issuer: f.issuer, Now: f.clock, Extensions: scripts.Run,
		Events: func(ev store.LogEvent) { f.usage.Add(ev); events(ev) }}
	api := mgmt.New(mgmt.Deps{Service: f.svc, Holder: f.holder, Events: events, Issuer: f.issuer, Now: f.clock,
		TestAction: func(ctx context.Context, a store.Action, payload json.RawMessage) (any, error) {
			return scripts.Test(ctx, mk, a, payload)
		}})
	d, err := dashboard.New(dashboard.Deps{
		Management: api, Token: ep, Holder: f.holder, Auth: clientauth.New(verifier), Store: st,
		Issuer: f.issuer, Secure: secure, IdleTimeout: defaultTimeout, Usage: f.usage, Now: f.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	h = server.New(server.Deps{Holder: f.holder, Token: ep, Management: api, Dashboard: d, Issuer: f.issuer})
	return f
}

func (f *fixture) seed() {
	f.t.Helper()
	mgmtAud := f.issuer + "api/v2/"
	var reads []string
	for _, s := range tenant.ManagementScopes {
		if strings.HasPrefix(s, "read:") {
			reads = append(reads, s)
		}
	}
	yaml := `
resourceServers:
  - name: Timesheets
    identifier: ` + timesheets + `
    scopes:
      - {value: "read:timesheets", description: Read}
      - {value: "create:timesheets", description: Create}
clients:
  - {name: Admin, client_id: admin, client_secret: ` + adminSecret + `}
  - {name: Reader, client_id: reader, client_secret: ` + readerSecret + `}
  - {name: Worker, client_id: worker, client_secret: ` + workerSecret + `}
clientGrants:
  - {client_id: admin, audience: "` + mgmtAud + `", scope: ["` + strings.Join(tenant.ManagementScopes, `","`) + `"]}
  - {client_id: reader, audience: "` + mgmtAud + `", scope: ["` + strings.Join(reads, `","`) + `"]}
  - {client_id: worker, audience: "` + timesheets + `", scope: ["read:timesheets"]}
`
	s, err := tenant.ParseSeed([]byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.ApplySeed(context.Background(), s); err != nil {
		f.t.Fatal(err)
	}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that each test sees every answer.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) loc() string { return r.header.Get("Location") }

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp{res.StatusCode, res.Header, string(body)}
}

func (b *browser) get(path string) resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.f.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form with the last CSRF token seen (unless the form has one).
func (b *browser) post(path string, form url.Values, hdr ...string) resp {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// signIn signs in with client credentials and checks it worked.
func (b *browser) signIn(id, sec string) {
	b.t.Helper()
	b.get("/dashboard/login")
	r := b.post("/dashboard/login", url.Values{"client_id": {id}, "client_secret": {sec}})
	if r.status != http.StatusSeeOther || r.loc() != "/dashboard/" {
		b.t.Fatalf("sign-in as %s: %d %s\n%s", id, r.status, r.loc(), r.body)
	}
	if r := b.get("/dashboard/"); r.status != 200 {
		b.t.Fatalf("after sign-in: %d %s", r.status, r.loc())
	}
}

// follow GETs the redirect target of r and returns that page.
func (b *browser) follow(r resp) resp {
	b.t.Helper()
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("want 303, got %d\n%s", r.status, r.body)
	}
	return b.get(r.loc())
}

func mustContain(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Fatalf("%s: want %q in the page:\n%s", what, s, body)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Fatalf("%s: did not want %q in the page:\n%s", what, s, body)
		}
	}
}
