package cli

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

func TestActionBoundsAreHookBounds(t *testing.T) {
	if config.MaxActionTimeout != hook.MaxTimeout {
		t.Fatalf("config.MaxActionTimeout %s, hook.MaxTimeout %s", config.MaxActionTimeout, hook.MaxTimeout)
	}
	if d := config.Default(); d.ActionTimeout != hook.DefaultTimeout || d.ActionMaxInFlight != hook.DefaultMaxInFlight {
		t.Fatalf("defaults %s %d, hook's %s %d", d.ActionTimeout, d.ActionMaxInFlight, hook.DefaultTimeout, hook.DefaultMaxInFlight)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--action-timeout", "30s"}, "--action-timeout 30s: want 10ms to 20s"},
		{nil, []string{"--action-max-in-flight", "0"}, "--action-max-in-flight 0"},
		{nil, []string{"--action-max-concurrent", "-1"}, "--action-max-concurrent -1"},
		{map[string]string{"CREDO_ACTION_MAX_IN_FLIGHT": "many"}, nil, `CREDO_ACTION_MAX_IN_FLIGHT="many": not an integer`},
		{map[string]string{"CREDO_ACTION_TIMEOUT": "0s"}, nil, "--action-timeout 0s"},
	} {
		code, _, errOut := run(t, tc.env, append([]string{"serve"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %v %v: exit %d, %q lacks %q", tc.env, tc.args, code, errOut, tc.want)
		}
	}
	if _, out, _ := run(t, nil, "serve", "--help"); !strings.Contains(out, "CREDO_ACTION_MAX_IN_FLIGHT") || !strings.Contains(out, "--action-timeout") {
		t.Errorf("serve --help:\n%s", out)
	}
}

// TestActionBoundFlagsApply: the serve settings reach the token endpoint's
// runtime: with one execution in flight allowed, a second concurrent request
// for a slow Action is refused with 503; with a 200ms timeout, an Action
// waiting 1 s fails.
func TestActionBoundFlagsApply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*config.Config)
		wait  string
		codes []int
	}{
		{"in flight", func(c *config.Config) { c.ActionMaxInFlight = 1 }, "400", []int{200, 503}},
		{"timeout", func(c *config.Config) { c.ActionTimeout = 200 * time.Millisecond }, "1000", []int{500, 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a := testApp(t, func(c *config.Config) { c.NoDemo = true; tc.set(c) })
			defer a.Close()
			ctx := t.Context()
			demo, err := a.svc.EnsureDemo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			code := `exports.onExecuteCredentialsExchange = async (event, api) => { await new Promise(r => setTimeout(r, ` + tc.wait + `)); };`
			name := "slow"
			x, err := a.svc.CreateAction(ctx, tenant.ActionFields{Name: &name, Code: &code, SupportedTriggers: &[]store.Trigger{{ID: tenant.TriggerCredentialsExchange, Version: "v2"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.svc.DeployAction(ctx, x.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.svc.SetBindings(ctx, tenant.TriggerCredentialsExchange, []string{x.ID}); err != nil {
				t.Fatal(err)
			}
			h := a.handler(nil)
			codes := make([]int, 2)
			var wg sync.WaitGroup
			for i := range codes {
				wg.Go(func() {
					time.Sleep(time.Duration(i) * 100 * time.Millisecond) // the second starts while the first waits
					rec := httptest.NewRecorder()
					req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"},
						"client_id": {demo.ClientID}, "client_secret": {demo.ClientSecret}, "audience": {demo.Audience}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					h.ServeHTTP(rec, req)
					codes[i] = rec.Code
					if rec.Code == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
						t.Error("503 without Retry-After")
					}
				})
			}
			wg.Wait()
			if codes[0] != tc.codes[0] || codes[1] != tc.codes[1] {
				t.Errorf("statuses %v, want %v", codes, tc.codes)
			}
		})
	}
}
