package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/realip"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/store"
)

// TestClientAddressBehindProxies: with --trusted-proxies, the tenant log,
// Actions' event.request.ip and the Management API's audit entries see the address
// the trusted proxy forwarded; an untrusted sender's headers are ignored.
func TestClientAddressBehindProxies(t *testing.T) {
	f := newScriptFixture(t, `
actions:
  - name: ip
    code: |
      exports.onExecuteCredentialsExchange = async (event, api) => {
        api.accessToken.setCustomClaim("https://x.example/ip", event.request.ip);
      };
`)
	ip, err := realip.ParseList("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	ep := f.endpoint(nil)
	ep.IP = ip
	var mgmtEvents []store.LogEvent
	api := mgmt.New(mgmt.Deps{Service: f.svc, Holder: f.holder, Issuer: testIssuer, IP: ip, Events: func(ev store.LogEvent) { mgmtEvents = append(mgmtEvents, ev) }})
	h := server.New(server.Deps{Holder: f.holder, Token: ep, Management: api, Issuer: testIssuer})
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"direct client", "203.0.113.9:4000", "", "203.0.113.9"},
		{"untrusted sender cannot spoof", "203.0.113.9:4000", "198.51.100.1", "203.0.113.9"},
		{"trusted proxy", "10.1.1.1:4000", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.events, mgmtEvents = nil, nil
			r := formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets))
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			_, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
			if claims["https://x.example/ip"] != tc.want || len(f.events) != 1 || f.events[0].IP != tc.want {
				t.Fatalf("action saw %v, log saw %+v; want %s", claims["https://x.example/ip"], f.events, tc.want)
			}

			req := httptest.NewRequest("POST", "/api/v2/clients", strings.NewReader(`{"name":"via `+tc.name+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req = req.WithContext(mgmt.WithPrincipal(req.Context(), mgmt.LocalAdmin("test")))
			req.RemoteAddr = tc.remote
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			// The write's durable audit entry carries the address, in the
			// entry and in details.request.ip.
			audit, _, err := f.st.ListLogs(t.Context(), store.LogFilter{Page: store.Page{Limit: 1},
				Query: &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldType, Value: "sapi"}})
			if err != nil || rec.Code != http.StatusCreated || len(audit) != 1 || audit[0].IP != tc.want ||
				audit[0].Details["request"].(map[string]any)["ip"] != tc.want {
				t.Fatalf("audit entry %+v (status %d, %v), want ip %s", audit, rec.Code, err, tc.want)
			}
			// A refused write (a fapi event) carries it too.
			req = httptest.NewRequest("POST", "/api/v2/clients", strings.NewReader(`{"name":"<bad>"}`))
			req.Header.Set("Content-Type", "application/json")
			req = req.WithContext(mgmt.WithPrincipal(req.Context(), mgmt.LocalAdmin("test")))
			req.RemoteAddr = tc.remote
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || len(mgmtEvents) != 1 || mgmtEvents[0].Type != "fapi" || mgmtEvents[0].IP != tc.want {
				t.Fatalf("fapi event %+v (status %d), want ip %s", mgmtEvents, rec.Code, tc.want)
			}
		})
	}
}
