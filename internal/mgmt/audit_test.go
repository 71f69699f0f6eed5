package mgmt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// TestAuditEntryWithTheWrite: the entry of an acknowledged write is in the
// store when the response arrives (written in the write's transaction, no
// batching), with the caller, the address, the status answered and the
// fields that changed, never a secret; a refused write has none.
func TestAuditEntryWithTheWrite(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v2/clients", map[string]any{"client_id": "audited", "name": "Audited"}).want(201)
	secret := str(r.json()["client_secret"])
	audit := h.audit()
	if len(audit) != 1 {
		t.Fatalf("%d audit entries right after the 201, want 1", len(audit))
	}
	e := audit[0]
	b, _ := json.Marshal(e)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), "$sha256$") {
		t.Fatalf("the audit entry holds the secret or its hash: %s", b)
	}
	d := jsonOf(t, e.Details)
	if e.ClientID != adminID || e.IP != "192.0.2.1" || e.Description != "Create a client" ||
		d["response"].(map[string]any)["statusCode"] != 201.0 ||
		d["target"].(map[string]any)["id"] != "audited" ||
		d["changes"].(map[string]any)["after"].(map[string]any)["Name"] != "Audited" {
		t.Fatalf("entry %s", b)
	}

	// Refused writes: no durable entry (a fapi event in the bounded log).
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "audited", "name": "Again"}).want(409)
	h.do("PATCH", "/api/v2/clients/audited", map[string]any{"name": "<bad>"}).want(400)
	ro := h.scoped("read:clients")
	h.call(ro, "DELETE", "/api/v2/clients/audited", nil).want(403)
	h.call("", "DELETE", "/api/v2/clients/audited", nil).want(401)
	if n := len(h.audit()); n != 1 {
		t.Fatalf("%d audit entries after refused writes, want 1", n)
	}
	var fapi []int
	for _, ev := range h.recorded() {
		if ev.Type == "fapi" {
			fapi = append(fapi, ev.Details["response"].(map[string]any)["statusCode"].(int))
		}
	}
	if fmt.Sprint(fapi) != "[409 400 403]" {
		t.Errorf("fapi events %v, want 409, 400, 403 (none for the anonymous 401)", fapi)
	}

	// A local operator is the actor "local admin" unless it names itself.
	h.callAs(mgmt.Principal{Scopes: []string{"update:clients"}}, "PATCH", "/api/v2/clients/audited", `{"description":"local"}`).want(200)
	last := h.audit()[len(h.audit())-1]
	if last.ClientID != "" || last.ClientName != mgmt.LocalActor {
		t.Errorf("local write's actor %q/%q", last.ClientID, last.ClientName)
	}
	ch := jsonOf(t, last.Details)["changes"].(map[string]any)
	if fmt.Sprint(ch) != "map[after:map[Description:local] before:map[Description:]]" {
		t.Errorf("changes %v", ch)
	}
}

// TestAuditEveryWriteRoute drives a write of each kind and checks that each
// has an entry whose recorded status is the one answered.
func TestAuditEveryWriteRoute(t *testing.T) {
	h := newHarness(t)
	type write struct {
		method, path string
		body         any
		code         int
	}
	var codes []int
	run := func(w write) resp {
		t.Helper()
		r := h.do(w.method, w.path, w.body).want(w.code)
		codes = append(codes, w.code)
		return r
	}
	run(write{"POST", "/api/v2/clients", map[string]any{"client_id": "c", "name": "C"}, 201})
	run(write{"PATCH", "/api/v2/clients/c", map[string]any{"description": "x"}, 200})
	run(write{"POST", "/api/v2/clients/c/rotate-secret", nil, 200})
	rs := str(run(write{"POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://api.test/", "scopes": []any{map[string]any{"value": "read"}}}, 201}).json()["id"])
	run(write{"PATCH", "/api/v2/resource-servers/" + rs, map[string]any{"name": "API"}, 200})
	g := str(run(write{"POST", "/api/v2/client-grants", map[string]any{"client_id": "c", "audience": "https://api.test/", "scope": []string{"read"}}, 201}).json()["id"])
	run(write{"PATCH", "/api/v2/client-grants/" + g, map[string]any{"scope": []string{}}, 200})
	run(write{"DELETE", "/api/v2/client-grants/" + g, nil, 204})
	run(write{"POST", "/api/v2/keys/signing/rotate", nil, 201})
	run(write{"PATCH", "/api/v2/tenants/settings", map[string]any{"flags": map[string]any{"honor_scope_subset": true}}, 200})
	hk := str(run(write{"POST", "/api/v2/hooks", map[string]any{"name": "hk", "script": "module.exports = function(client, scope, audience, context, cb) { cb(null, {}); };", "triggerId": "credentials-exchange"}, 201}).json()["id"])
	run(write{"POST", "/api/v2/hooks/" + hk + "/secrets", map[string]any{"API_KEY": "very-secret-value"}, 201})
	run(write{"DELETE", "/api/v2/hooks/" + hk, nil, 204})
	run(write{"DELETE", "/api/v2/resource-servers/" + rs, nil, 204})
	run(write{"DELETE", "/api/v2/clients/c", nil, 204})

	var got []int
	var prev string
	for _, e := range h.audit() {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "very-secret-value") {
			t.Fatalf("a hook secret reached the audit log: %s", b)
		}
		req := e.Details["request"].(map[string]any)
		key := fmt.Sprint(req["method"], req["path"])
		if key == prev {
			continue // a second write of the same request
		}
		prev = key
		got = append(got, int(e.Details["response"].(map[string]any)["statusCode"].(float64)))
	}
	if fmt.Sprint(got) != fmt.Sprint(codes) {
		t.Fatalf("recorded statuses %v, answered %v", got, codes)
	}
}

// TestAuditSurvivesTokenFlood: 20,000 failed token requests, logged through
// the real batched, bounded tenant log, evict none of the admin entries.
func TestAuditSurvivesTokenFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 requests")
	}
	h := newHarness(t)
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "before-flood", "name": "Before"}).want(201)
	ctx, cancel := context.WithCancel(context.Background())
	evlog := tenant.NewEventLog(ctx, h.st, slog.New(slog.DiscardHandler))
	h.mu.Lock()
	h.sink = evlog.Add
	h.mu.Unlock()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"wrong"}, "audience": {mgmtAud}}.Encode()
	for i := range 20000 {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, r)
		if rec.Code != 401 {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	cancel()
	<-evlog.Done()
	if n := len(h.audit()); n != 1 {
		t.Fatalf("%d audit entries after the flood, want 1", n)
	}
	_, kept, err := h.st.ListLogs(context.Background(), store.LogFilter{Query: &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldType, Value: "feccft"}})
	if err != nil || kept != 10000 {
		t.Errorf("%d feccft kept (%v), %d dropped: the bound keeps 10,000", kept, err, evlog.Dropped())
	}
}

func jsonOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRefusedTokenRequestLogged: a refused token request leaves a debug log
// line with the step that refused it and the reason.
func TestRefusedTokenRequestLogged(t *testing.T) {
	h := newHarness(t)
	h.tokenReq("nobody", "wrong", mgmtAud)
	logs := h.logs.String()
	for _, want := range []string{"level=DEBUG", `msg="token request refused"`, "step=authenticate", "error=invalid_client", "client_id=nobody"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
