package server_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/server"
)

// TestTokenMetrics scrapes /metrics after issued and refused exchanges:
// counters by audience and by the step that refused, an audience a caller
// made up folded into "unknown", the client label capped, the snapshot and
// Action series present.
func TestTokenMetrics(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	m := server.NewMetrics(f.holder, func() int64 { return 7 }, server.MetricsClientLabel(1))
	h := server.New(server.Deps{Holder: f.holder, Token: f.endpoint(m.TokenEvent), Issuer: testIssuer, Metrics: m})
	tok := func(client, secret, aud string) {
		h.ServeHTTP(httptest.NewRecorder(), formReq(form("grant_type", "client_credentials", "client_id", client, "client_secret", secret, "audience", aud)))
	}
	tok("worker", workerSecret, timesheets)
	tok("worker", workerSecret, timesheets)
	tok("worker", workerSecret, "urn:credo:modern")
	tok("legacy", "short-secret", timesheets)                          // a second client: past the cap of 1
	tok("worker", "wrong", timesheets)                                 // authenticate
	tok("worker", workerSecret, "https://made-up.example/"+"x")        // grant: unknown audience
	tok("worker", workerSecret, "https://api.exampleco.com/ungranted") // policy
	tok("nobody", "x", "")                                             // no audience
	m.ScriptRun(3*time.Millisecond, "ok", "")
	m.ScriptRun(40*time.Millisecond, "denied", "Block interns")
	m.ActionRun("Block interns", 2*time.Millisecond, nil)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`credo_tokens_issued_total{audience="https://api.exampleco.com/timesheets",client="worker"} 2`,
		`credo_tokens_issued_total{audience="urn:credo:modern",client="worker"} 1`,
		`credo_tokens_issued_total{audience="https://api.exampleco.com/timesheets",client="other"} 1`,
		`credo_tokens_denied_total{audience="https://api.exampleco.com/timesheets",client="worker",error="invalid_client",reason="authenticate"} 1`,
		`credo_tokens_denied_total{audience="unknown",client="worker",error="access_denied",reason="grant"} 1`,
		`credo_tokens_denied_total{audience="https://api.exampleco.com/ungranted",client="worker",error="access_denied",reason="policy"} 1`,
		`credo_tokens_denied_total{audience="none",client="unknown"`,
		`credo_actions_duration_seconds_count{outcome="ok"} 1`,
		`credo_actions_duration_seconds_count{outcome="denied"} 1`,
		`credo_action_failures_total{action="Block interns",outcome="denied"} 1`,
		`credo_action_duration_seconds_count{action="Block interns"} 1`,
		`credo_log_events_dropped_total 7`,
		`credo_snapshot_rebuilds_total 1`,
		`credo_snapshot_patches_total`,
		`credo_snapshot_age_seconds`,
		`credo_store_errors_total 0`,
		`credo_http_request_duration_seconds_bucket{route="token",le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "made-up") {
		t.Error("a made-up audience became a label value")
	}
}
