package hook

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var scriptSeq atomic.Int64

// program compiles code as a script of kind with a fresh ID.
func program(t testing.TB, kind Kind, code string) *Program {
	t.Helper()
	id := "script-" + strconv.FormatInt(scriptSeq.Add(1), 10)
	p, err := Compile(Script{ID: id, Name: "test-" + kind.String(), Kind: kind, Code: code,
		Secrets: map[string]string{"API_KEY": "s3cr3t"}})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func action(t testing.TB, code string) *Program { t.Helper(); return program(t, KindAction, code) }
func hook(t testing.TB, code string) *Program   { t.Helper(); return program(t, KindHook, code) }

// testEvent is a client credentials exchange as the pipeline describes it.
func testEvent() Event {
	return Event{
		TenantID: "acme",
		Client: Client{ID: "cli_123", Name: "billing-worker",
			Metadata: map[string]string{"tier": "gold", "plan": "full"}},
		Audience:        "https://api.acme.test/",
		Scope:           []string{"read:invoices", "write:invoices"},
		RequestedScopes: []string{"read:invoices", "write:invoices"},
		Request: Request{IP: "203.0.113.7", Hostname: "auth.acme.test", Method: "POST",
			UserAgent: "go-auth0/1.0", Body: map[string]string{"grant_type": "client_credentials", "audience": "https://api.acme.test/"}},
	}
}

// trivial is a program whose Run must always succeed; the sandbox tests
// run it after each failure.
const trivial = `exports.onExecuteCredentialsExchange = async (event, api) => {
	api.accessToken.setCustomClaim('https://x/y', 1);
};`

func runOK(t *testing.T, rt *Runtime, p *Program) {
	t.Helper()
	res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
	if err != nil {
		t.Fatalf("a normal Run after the failure: %v", err)
	}
	if res.CustomClaims["https://x/y"] != 1.0 {
		t.Fatalf("a normal Run after the failure returned %#v", res)
	}
}

// logRecorder is a slog.Handler that keeps records.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *logRecorder) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.records...)
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// fakeClock is a settable clock for cache lifetimes.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// runCase runs p on ev (testEvent() when nil) and checks that it is denied
// with denial, or, when denial is nil, that it succeeds with want.
func runCase(t *testing.T, p *Program, ev *Event, denial *Denial, want Result) {
	t.Helper()
	e := testEvent()
	if ev != nil {
		e = *ev
	}
	res, err := New(Options{}).Run(t.Context(), []*Program{p}, e)
	if denial != nil {
		var d *Denial
		if !errors.As(err, &d) {
			t.Fatalf("err = %v, want a denial", err)
		}
		if *d != *denial {
			t.Fatalf("denial = %#v, want %#v", d, denial)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("result = %#v\nwant %#v", res, want)
	}
}
