package mgmt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/testkit"

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

var update = flag.Bool("update", false, "rewrite golden files")

const (
	issuer      = "https://credo.test/"
	mgmtAud     = issuer + "api/v2/"
	adminID     = "admin"
	adminSecret = "admin-secret-0123456789abcdefghijklmnopq"
)

// harness is a real tenant on a temp SQLite file behind the real router
// (server.New with the token endpoint and the Management API).
type harness struct {
	t      *testing.T
	dbPath string
	st     store.Store
	svc    *tenant.Service
	holder *tenant.Holder
	h      http.Handler
	logs   *testkit.Buffer // everything the server logged

	mu     sync.Mutex
	now    time.Time
	events []store.LogEvent
	// sink, when set, receives the events instead of the store (a real
	// tenant.EventLog, batched and bounded as in credo serve).
	sink func(store.LogEvent)

	admin string // an admin token (all Management API scopes)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := t.Context()
	h := &harness{t: t, dbPath: filepath.Join(t.TempDir(), "credo.db"), now: time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC), logs: &testkit.Buffer{}}
	st, err := sqlite.Open(ctx, h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	mk, err := keys.ParseMasterKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	km := &keys.Manager{Store: st, Master: mk, CommonName: "credo.test", Now: h.clock}
	if _, err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// Actions and Hooks are compiled and run as in credo serve.
	scripts := &token.Scripts{Runtime: hook.New(hook.Options{Logger: log}), Log: log, TenantID: "credo.test"}
	h.svc = &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: issuer, Now: h.clock, Log: log, ValidateScript: scripts.Validate}
	if err := h.svc.EnsureSystem(ctx); err != nil {
		t.Fatal(err)
	}
	if h.holder, err = tenant.NewHolder(ctx, st, mk, scripts.Compiler(mk), log, h.clock); err != nil {
		t.Fatal(err)
	}
	h.svc.Holder = h.holder
	if _, _, err := h.svc.EnsureBootstrap(ctx, adminID, adminSecret); err != nil {
		t.Fatal(err)
	}
	ep := &token.Endpoint{Holder: h.holder, Secrets: secret.NewVerifier(time.Minute, h.clock), Issuer: issuer, Now: h.clock, Log: log, Events: h.record, Extensions: scripts.Run}
	api := mgmt.New(mgmt.Deps{Service: h.svc, Holder: h.holder, Events: h.record, Log: log, Issuer: issuer, Now: h.clock,
		TestAction: func(ctx context.Context, a store.Action, payload json.RawMessage) (any, error) {
			return scripts.Test(ctx, mk, a, payload)
		}})
	h.h = server.New(server.Deps{Holder: h.holder, Token: ep, Management: api, Log: log, Issuer: issuer, JWKSMaxAge: time.Minute})
	h.admin = h.mustToken(adminID, adminSecret, mgmtAud)
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

// record keeps an event and writes it to the store at once, so GET /logs sees it.
func (h *harness) record(ev store.LogEvent) {
	if ev.ID == "" {
		ev.ID = tenant.NewLogID(ev.Date)
	}
	h.mu.Lock()
	sink := h.sink
	if sink == nil {
		h.events = append(h.events, ev)
	}
	h.mu.Unlock()
	if sink != nil {
		sink(ev)
		return
	}
	if err := h.st.AppendLogs(context.Background(), []store.LogEvent{ev}); err != nil {
		h.t.Errorf("append log: %v", err)
	}
}

// audit returns the durable audit entries (sapi), oldest first.
func (h *harness) audit() []store.LogEvent {
	h.t.Helper()
	evs, _, err := h.st.ListLogs(context.Background(), store.LogFilter{Ascending: true, Page: store.Page{Limit: 1000},
		Query: &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldType, Value: "sapi"}})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) recorded() []store.LogEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]store.LogEvent(nil), h.events...)
}

// tokenReq asks the real token endpoint for a client-credentials token.
func (h *harness) tokenReq(clientID, secret, audience string, extra ...string) (int, map[string]any) {
	h.t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "audience": {audience}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, r)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		h.t.Fatalf("token response %q: %v", rec.Body.String(), err)
	}
	return rec.Code, m
}

func (h *harness) mustToken(clientID, secret, audience string) string {
	h.t.Helper()
	code, m := h.tokenReq(clientID, secret, audience)
	if code != 200 {
		h.t.Fatalf("token for %s: %d %v", clientID, code, m)
	}
	return m["access_token"].(string)
}

// scoped creates a client whose grant to the Management API holds exactly
// scopes, and returns a token for it.
func (h *harness) scoped(scopes ...string) string {
	h.t.Helper()
	ctx := context.Background()
	name := "scoped " + strings.Join(scopes, " ")
	c, sec, err := h.svc.CreateClient(ctx, tenant.ClientFields{Name: &name})
	if err != nil {
		h.t.Fatal(err)
	}
	sc := append([]string{}, scopes...)
	if _, err := h.svc.CreateGrant(ctx, tenant.GrantFields{ClientID: c.ClientID, Audience: mgmtAud, Scope: &sc}); err != nil {
		h.t.Fatal(err)
	}
	return h.mustToken(c.ClientID, sec, mgmtAud)
}

// resp is a recorded response.
type resp struct {
	*httptest.ResponseRecorder
	t *testing.T
}

// json decodes the body into a map (or fails the test).
func (r resp) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body.Bytes(), &m); err != nil {
		r.t.Fatalf("body %q: %v", r.Body.String(), err)
	}
	return m
}

func (r resp) list() []any {
	r.t.Helper()
	var l []any
	if err := json.Unmarshal(r.Body.Bytes(), &l); err != nil {
		r.t.Fatalf("body %q: %v", r.Body.String(), err)
	}
	return l
}

func (r resp) want(code int) resp {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("status %d, want %d; body %s", r.Code, code, r.Body.String())
	}
	return r
}

// call sends a Management API request with token; body is a string (sent
// as is) or a value (sent as JSON), nil for none.
func (h *harness) call(token, method, path string, body any) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	r := httptest.NewRequest(method, path, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("User-Agent", "mgmt-test")
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, r)
	return resp{rec, h.t}
}

// do calls as the admin.
func (h *harness) do(method, path string, body any) resp {
	h.t.Helper()
	return h.call(h.admin, method, path, body)
}

// golden compares a JSON body, indented but otherwise as sent (field order,
// escaping), with testdata/name.golden. The string values of the named
// scrub keys are replaced by "<key>" first (random ids, certificates).
func golden(t *testing.T, name string, body []byte, scrub ...string) {
	t.Helper()
	for _, k := range scrub {
		re := regexp.MustCompile(`"` + regexp.QuoteMeta(k) + `":"(?:[^"\\]|\\.)*"`)
		body = re.ReplaceAll(body, []byte(`"`+k+`":"<`+k+`>"`))
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		t.Fatalf("%s: body %q: %v", name, body, err)
	}
	buf.WriteByte('\n')
	got := buf.Bytes()
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

func str(v any) string { s, _ := v.(string); return s }

func esc(s string) string { return url.PathEscape(s) }
