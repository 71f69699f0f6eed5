package mgmt_test

import (
	"net/http"
	"testing"
)

// TestActionTestRun: POST /actions/actions/{id}/test runs the action's
// current code (deployed or not) on the payload's event, with its secrets.
func TestActionTestRun(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v2/actions/actions", map[string]any{
		"name": "tier", "supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}},
		"secrets": []map[string]string{{"name": "TIER", "value": "gold"}},
		"code": `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.client_id === "blocked") { api.access.deny("invalid_request", "blocked client"); return; }
  api.accessToken.setCustomClaim("https://example.com/tier", event.secrets.TIER + ":" + event.resource_server.identifier);
  api.accessToken.setCustomClaim("https://example.com/scope", event.accessToken.scope.join(" "));
};`,
	})
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	id := r.json()["id"].(string)
	path := "/api/v2/actions/actions/" + id + "/test"
	event := map[string]any{
		"client":          map[string]any{"client_id": "c1", "name": "Builder"},
		"resource_server": map[string]any{"identifier": "https://api.example.com"},
		"accessToken":     map[string]any{"scope": []string{"read:x"}},
	}
	r = h.do("POST", path, map[string]any{"payload": event})
	if r.Code != 200 {
		t.Fatalf("test: %d %s", r.Code, r.Body)
	}
	tok := r.json()["payload"].(map[string]any)["accessToken"].(map[string]any)
	claims := tok["customClaims"].(map[string]any)
	if claims["https://example.com/tier"] != "gold:https://api.example.com" || claims["https://example.com/scope"] != "read:x" {
		t.Fatalf("claims %v", claims)
	}
	// A denial is a result.
	event["client"] = map[string]any{"client_id": "blocked"}
	r = h.do("POST", path, map[string]any{"payload": event})
	den := r.json()["payload"].(map[string]any)["denied"].(map[string]any)
	if r.Code != 200 || den["code"] != "invalid_request" || den["reason"] != "blocked client" {
		t.Fatalf("deny: %d %s", r.Code, r.Body)
	}
	// The draft is what runs: a syntax error in it is a result too.
	if r := h.do("PATCH", "/api/v2/actions/actions/"+id, map[string]any{"code": "exports.onExecuteCredentialsExchange = async (event, api) => {"}); r.Code != 200 {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	r = h.do("POST", path, map[string]any{"payload": event})
	if msg, _ := r.json()["payload"].(map[string]any)["error"].(string); r.Code != 200 || msg == "" {
		t.Fatalf("syntax error: %d %s", r.Code, r.Body)
	}
	for _, tc := range []struct {
		body any
		path string
		want int
	}{
		{map[string]any{}, path, 400},
		{map[string]any{"payload": "x"}, path, 400},
		{map[string]any{"payload": event, "other": 1}, path, 400},
		{map[string]any{"payload": event}, "/api/v2/actions/actions/nope/test", 404},
	} {
		if r := h.do("POST", tc.path, tc.body); r.Code != tc.want {
			t.Fatalf("%v: %d, want %d: %s", tc.body, r.Code, tc.want, r.Body)
		}
	}
	// It needs create:actions.
	if r := h.call(h.scoped("read:actions", "update:actions"), "POST", path, map[string]any{"payload": event}); r.Code != 403 {
		t.Fatalf("without create:actions: %d", r.Code)
	}
}
