package mgmt_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogStreams drives /api/v2/log-streams through the real router: Auth0's
// shapes, the write-only authorization, validation, pause, 404s, scopes,
// audit entries without the secret.
func TestLogStreams(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"name": "SIEM", "type": "http", "sink": map[string]any{
		"httpEndpoint": "https://siem.example.com/credo", "httpAuthorization": "Bearer siem-secret",
		"httpContentFormat": "JSONLINES", "httpCustomHeaders": []any{map[string]any{"header": "X-Tenant", "value": "prod"}}},
		"filters": []any{map[string]any{"type": "category", "name": "auth.token_exchange.fail"}}, "pii_config": map[string]any{"log_fields": []string{"ip"}}}
	r := h.do("POST", "/api/v2/log-streams", body).want(201)
	golden(t, "log_stream", r.Body.Bytes(), "id", "last_log_id")
	m := r.json()
	id := str(m["id"])
	if !strings.HasPrefix(id, "lst_") || m["status"] != "active" || strings.Contains(r.Body.String(), "siem-secret") {
		t.Fatalf("created %s", r.Body)
	}
	if l := h.do("GET", "/api/v2/log-streams", nil).want(200).list(); len(l) != 1 {
		t.Fatalf("list %v", l)
	}
	r = h.do("PATCH", "/api/v2/log-streams/"+id, map[string]any{"status": "paused", "name": "SIEM (paused)"}).want(200)
	if m := r.json(); m["status"] != "paused" || m["name"] != "SIEM (paused)" {
		t.Errorf("patched %v", m)
	}
	if m := h.do("GET", "/api/v2/log-streams/"+id, nil).want(200).json(); m["status"] != "paused" {
		t.Errorf("get %v", m)
	}
	for name, b := range map[string]any{
		"suspend by hand": map[string]any{"status": "suspended"},
		"bad format":      map[string]any{"sink": map[string]any{"httpContentFormat": "XML"}},
		"bad endpoint":    map[string]any{"sink": map[string]any{"httpEndpoint": "ftp://x"}},
		"type":            map[string]any{"type": "datadog"},
		"unknown field":   map[string]any{"colour": "red"},
		"auth as header":  map[string]any{"sink": map[string]any{"httpCustomHeaders": []any{map[string]any{"header": "Authorization", "value": "x"}}}},
	} {
		if r := h.do("PATCH", "/api/v2/log-streams/"+id, b); r.Code != 400 {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	h.do("POST", "/api/v2/log-streams", map[string]any{"type": "datadog", "sink": map[string]any{}}).want(400)
	h.do("POST", "/api/v2/log-streams", map[string]any{"type": "http"}).want(400) // no endpoint
	h.do("POST", "/api/v2/log-streams", map[string]any{"type": "stdout", "name": "console"}).want(201)
	h.do("GET", "/api/v2/log-streams/lst_nope", nil).want(404)
	ro := h.scoped("read:log_streams")
	h.call(ro, "GET", "/api/v2/log-streams", nil).want(200)
	h.call(ro, "DELETE", "/api/v2/log-streams/"+id, nil).want(403)
	h.do("DELETE", "/api/v2/log-streams/"+id, nil).want(204)
	h.do("GET", "/api/v2/log-streams/"+id, nil).want(404)

	var descs []string
	for _, e := range h.audit() {
		descs = append(descs, e.Description)
		if b, _ := json.Marshal(e); strings.Contains(string(b), "siem-secret") {
			t.Errorf("the stream's authorization reached the audit log: %v", e.Details)
		}
	}
	if got := strings.Join(descs, "|"); !strings.Contains(got, "Create a log stream|Update a log stream|Create a log stream|Delete a log stream") {
		t.Errorf("audit %s", got)
	}
}
