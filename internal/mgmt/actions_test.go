package mgmt_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	actionsPath  = "/api/v2/actions/actions"
	bindingsPath = "/api/v2/actions/triggers/credentials-exchange/bindings"
)

// claimAction is an action that sets the claim https://x.example/<claim> to value.
func claimAction(claim, value string) string {
	return "exports.onExecuteCredentialsExchange = async (event, api) => {\n" +
		"  api.accessToken.setCustomClaim(\"https://x.example/" + claim + "\", " + value + ");\n};\n"
}

// claimHook is a legacy hook that adds the claim https://x.example/<claim> = value.
func claimHook(claim, value string) string {
	return "module.exports = function (client, scope, audience, context, cb) {\n" +
		"  var access_token = {scope: scope};\n" +
		"  access_token[\"https://x.example/" + claim + "\"] = " + value + ";\n" +
		"  cb(null, access_token);\n};\n"
}

// claims asks for an admin token to the Management API and returns its
// payload, where actions and hooks put their claims.
func (h *harness) claims() map[string]any {
	h.t.Helper()
	tok := h.mustToken(adminID, adminSecret, mgmtAud)
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *harness) bind(refs ...map[string]string) resp {
	h.t.Helper()
	bs := []map[string]any{}
	for _, r := range refs {
		bs = append(bs, map[string]any{"ref": r, "display_name": r["value"]})
	}
	return h.do("PATCH", bindingsPath, map[string]any{"bindings": bs})
}

// noUUIDs replaces the random ids of actions and hooks, and the ids derived
// from them, in a body for a golden file.
func noUUIDs(b []byte) []byte {
	return regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).ReplaceAll(b, []byte("<uuid>"))
}

func newAction(name, code string) map[string]any {
	return map[string]any{"name": name, "code": code, "runtime": "node22",
		"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}}}
}

// TestActionsAndHooksScopes: each route refuses a token without its scope
// (403 naming it) and lets one with only that scope through.
func TestActionsAndHooksScopes(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		method, path string
		body         any
		scope        string
	}{
		{"GET", "/actions/actions", nil, "read:actions"},
		{"POST", "/actions/actions", newAction("scoped", claimAction("a", "1")), "create:actions"},
		{"GET", "/actions/actions/nope", nil, "read:actions"},
		{"PATCH", "/actions/actions/nope", map[string]any{}, "update:actions"},
		{"DELETE", "/actions/actions/nope", nil, "delete:actions"},
		{"POST", "/actions/actions/nope/deploy", nil, "update:actions"},
		{"GET", "/actions/triggers", nil, "read:actions"},
		{"GET", "/actions/triggers/credentials-exchange/bindings", nil, "read:actions"},
		{"PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{}}, "update:actions"},
		{"GET", "/hooks", nil, "read:hooks"},
		{"POST", "/hooks", map[string]any{"name": "scoped", "script": claimHook("h", "1"), "triggerId": "credentials-exchange"}, "create:hooks"},
		{"GET", "/hooks/nope", nil, "read:hooks"},
		{"PATCH", "/hooks/nope", map[string]any{}, "update:hooks"},
		{"DELETE", "/hooks/nope", nil, "delete:hooks"},
		{"GET", "/hooks/nope/secrets", nil, "read:hooks"},
		{"POST", "/hooks/nope/secrets", map[string]string{"K": "v"}, "create:hooks"},
		{"PATCH", "/hooks/nope/secrets", map[string]string{"K": "v"}, "update:hooks"},
		{"DELETE", "/hooks/nope/secrets", []string{"K"}, "delete:hooks"},
	}
	// Every other scope of the same objects, none of which is the route's.
	others := func(scope string) []string {
		var out []string
		for _, s := range []string{"read:actions", "create:actions", "update:actions", "delete:actions", "read:hooks", "create:hooks", "update:hooks", "delete:hooks"} {
			if s != scope {
				out = append(out, s)
			}
		}
		return out
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := h.call(h.scoped(others(tc.scope)...), tc.method, "/api/v2"+tc.path, tc.body).want(403)
			if m := r.json(); m["message"] != "Insufficient scope, expected any of: "+tc.scope || m["errorCode"] != "insufficient_scope" {
				t.Errorf("%v", m)
			}
			if got := h.call(h.scoped(tc.scope), tc.method, "/api/v2"+tc.path, tc.body); got.Code == 401 || got.Code == 403 {
				t.Errorf("with %s: status %d: %s", tc.scope, got.Code, got.Body)
			}
		})
	}
}

func TestActions(t *testing.T) {
	h := newHarness(t)
	body := newAction("add-claim", claimAction("team", "event.secrets.TEAM === \"blue-team-value\" ? \"blue\" : \"?\""))
	body["secrets"] = []map[string]string{{"name": "TEAM", "value": "blue-team-value"}}
	r := h.do("POST", actionsPath, body).want(201)
	golden(t, "action_created", noUUIDs(r.Body.Bytes()))
	id := str(r.json()["id"])

	t.Run("get list", func(t *testing.T) {
		m := h.do("GET", actionsPath+"/"+id, nil).want(200).json()
		if m["name"] != "add-claim" || m["all_changes_deployed"] != false || m["deployed_version"] != nil {
			t.Errorf("%v", m)
		}
		h.do("POST", actionsPath, newAction("other", claimAction("other", "1"))).want(201)
		r := h.do("GET", actionsPath+"?actionName=add-claim", nil).want(200)
		golden(t, "actions_page", noUUIDs(r.Body.Bytes()))
		for q, n := range map[string]float64{
			"": 2, "?deployed=false": 2, "?deployed=true": 0, "?triggerId=credentials-exchange": 2, "?triggerId=post-login": 0,
			"?installed=true": 0, "?actionName=nope": 0, "?per_page=1&page=1": 2,
		} {
			m := h.do("GET", actionsPath+q, nil).want(200).json()
			if m["total"] != n {
				t.Errorf("%q: total %v, want %v", q, m["total"], n)
			}
		}
		if m := h.do("GET", actionsPath+"?per_page=1&page=1", nil).want(200).json(); len(m["actions"].([]any)) != 1 || m["page"] != 1.0 || m["per_page"] != 1.0 {
			t.Errorf("%v", m)
		}
		h.do("GET", actionsPath+"?include_totals=true", nil).want(400)
		h.do("GET", actionsPath+"?deployed=yes", nil).want(400)
	})

	t.Run("deploy", func(t *testing.T) {
		r := h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(200)
		golden(t, "action_version", noUUIDs(r.Body.Bytes()))
		if m := r.json(); m["action_id"] != id || m["number"] != 1.0 || m["deployed"] != true {
			t.Errorf("%v", m)
		}
		r = h.do("GET", actionsPath+"/"+id, nil).want(200)
		golden(t, "action", noUUIDs(r.Body.Bytes()))
		if m := h.do("GET", actionsPath+"?deployed=true", nil).want(200).json(); m["total"] != 1.0 {
			t.Errorf("%v", m)
		}
		// A draft change is not deployed until the next deploy.
		m := h.do("PATCH", actionsPath+"/"+id, map[string]any{"code": claimAction("team", "\"red\"")}).want(200).json()
		if m["all_changes_deployed"] != false || m["deployed_version"].(map[string]any)["number"] != 1.0 {
			t.Errorf("%v", m)
		}
		if v := h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(200).json(); v["number"] != 2.0 || !strings.Contains(str(v["code"]), "red") {
			t.Errorf("%v", v)
		}
		if m := h.do("GET", actionsPath+"/"+id, nil).want(200).json(); m["all_changes_deployed"] != true {
			t.Errorf("%v", m)
		}
	})

	t.Run("triggers and bindings", func(t *testing.T) {
		r := h.do("GET", "/api/v2/actions/triggers", nil).want(200)
		golden(t, "triggers", r.Body.Bytes())
		r = h.bind(map[string]string{"type": "action_id", "value": id}).want(200)
		golden(t, "bindings_patched", noUUIDs(r.Body.Bytes()))
		r = h.do("GET", bindingsPath, nil).want(200)
		golden(t, "bindings", noUUIDs(r.Body.Bytes()))
		m := r.json()
		bid := str(m["bindings"].([]any)[0].(map[string]any)["id"])
		// By name, and by the id of the existing binding: the same action.
		for _, ref := range []map[string]string{{"type": "action_name", "value": "add-claim"}, {"type": "binding_id", "value": bid}} {
			b := h.bind(ref).want(200).json()["bindings"].([]any)
			if len(b) != 1 || b[0].(map[string]any)["id"] != bid {
				t.Errorf("%v: %v", ref, b)
			}
		}
		if m := h.do("GET", bindingsPath+"?per_page=1&page=1", nil).want(200).json(); m["total"] != 1.0 || len(m["bindings"].([]any)) != 0 {
			t.Errorf("%v", m)
		}
	})

	t.Run("errors", func(t *testing.T) {
		r := h.do("GET", actionsPath+"/nope", nil).want(404)
		golden(t, "error_404_action", r.Body.Bytes())
		h.do("PATCH", actionsPath+"/nope", map[string]any{"name": "x"}).want(404)
		h.do("DELETE", actionsPath+"/nope", nil).want(404)
		h.do("POST", actionsPath+"/nope/deploy", nil).want(404)

		r = h.do("POST", actionsPath, newAction("add-claim", claimAction("a", "1"))).want(409)
		golden(t, "error_409_action", r.Body.Bytes())
		h.do("PATCH", actionsPath+"/"+id, map[string]any{"name": "other"}).want(409)

		dep := newAction("with-deps", claimAction("a", "1"))
		dep["dependencies"] = []map[string]string{{"name": "lodash", "version": "4.17.21"}}
		r = h.do("POST", actionsPath, dep).want(400)
		golden(t, "error_400_action_dependencies", r.Body.Bytes())
		dep["dependencies"] = []any{}
		h.do("POST", actionsPath, dep).want(201)

		broken := newAction("broken", "exports.onExecuteCredentialsExchange = async (event, api) => {\n  let x = ;\n};\n")
		bid := str(h.do("POST", actionsPath, broken).want(201).json()["id"])
		r = h.do("POST", actionsPath+"/"+bid+"/deploy", nil).want(400)
		golden(t, "error_400_action_syntax", r.Body.Bytes())
		if m := r.json(); !strings.Contains(str(m["message"]), "line 2, column 11") || m["errorCode"] != "invalid_body" {
			t.Errorf("no line number: %v", m)
		}
		broken["name"], broken["deploy"] = "broken-deployed-at-once", true
		h.do("POST", actionsPath, broken).want(400)
		if m := h.do("GET", actionsPath+"?actionName=broken-deployed-at-once", nil).want(200).json(); m["total"] != 0.0 {
			t.Errorf("a refused deploy left the action: %v", m)
		}
		// An undeployed action cannot be bound.
		r = h.bind(map[string]string{"type": "action_id", "value": bid}).want(400)
		if m := r.json(); !strings.Contains(str(m["message"]), "not deployed") {
			t.Errorf("%v", m)
		}

		r = h.do("GET", "/api/v2/actions/triggers/post-login/bindings", nil).want(404)
		if m := r.json(); m["errorCode"] != "inexistent_trigger" {
			t.Errorf("%v", m)
		}
		for name, tc := range map[string]struct {
			body   any
			status int
		}{
			"missing bindings":   {map[string]any{}, 400},
			"missing ref":        {map[string]any{"bindings": []any{map[string]any{"display_name": "x"}}}, 400},
			"bad ref type":       {map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"type": "action_code", "value": "x"}}}}, 400},
			"empty ref value":    {map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"type": "action_id", "value": ""}}}}, 400},
			"unknown property":   {map[string]any{"bindings": []any{}, "foo": 1}, 400},
			"inexistent id":      {map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"type": "action_id", "value": "nope"}}}}, 404},
			"inexistent name":    {map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"type": "action_name", "value": "nope"}}}}, 404},
			"inexistent binding": {map[string]any{"bindings": []any{map[string]any{"ref": map[string]string{"type": "binding_id", "value": "nope"}}}}, 404},
			"bound twice": {map[string]any{"bindings": []any{
				map[string]any{"ref": map[string]string{"type": "action_id", "value": id}},
				map[string]any{"ref": map[string]string{"type": "action_name", "value": "add-claim"}}}}, 400},
		} {
			if r := h.do("PATCH", bindingsPath, tc.body); r.Code != tc.status {
				t.Errorf("%s: status %d, want %d: %s", name, r.Code, tc.status, r.Body)
			}
		}
		if m := h.do("GET", bindingsPath, nil).want(200).json(); m["total"] != 1.0 {
			t.Errorf("a refused PATCH changed the bindings: %v", m)
		}

		for name, b := range map[string]any{
			"missing name":       map[string]any{"code": "x", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}},
			"missing triggers":   map[string]any{"name": "x", "code": "x"},
			"missing code":       map[string]any{"name": "x", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}},
			"other trigger":      map[string]any{"name": "x", "code": "x", "supported_triggers": []map[string]string{{"id": "post-login"}}},
			"bad runtime":        map[string]any{"name": "x", "code": "x", "runtime": "python3", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}},
			"unknown property":   map[string]any{"name": "x", "code": "x", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}, "foo": 1},
			"trigger extra":      map[string]any{"name": "x", "code": "x", "supported_triggers": []map[string]any{{"id": "credentials-exchange", "foo": 1}}},
			"secret needs value": map[string]any{"name": "x", "code": "x", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}, "secrets": []map[string]string{{"name": "K"}}},
			"secret name":        map[string]any{"name": "x", "code": "x", "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}, "secrets": []map[string]string{{"name": "a b", "value": "v"}}},
			"code type":          map[string]any{"name": "x", "code": 1, "supported_triggers": []map[string]string{{"id": "credentials-exchange"}}},
		} {
			r := h.do("POST", actionsPath, b)
			if m := r.json(); r.Code != 400 || m["errorCode"] != "invalid_body" {
				t.Errorf("%s: %d %v", name, r.Code, m)
			}
		}
		h.do("PATCH", actionsPath+"/"+id, map[string]any{"deploy": true}).want(400)
		h.do("DELETE", actionsPath+"/"+id+"?force=maybe", nil).want(400)
	})

	t.Run("delete", func(t *testing.T) {
		r := h.do("DELETE", actionsPath+"/"+id, nil).want(409)
		golden(t, "error_409_action_bound", r.Body.Bytes())
		h.do("GET", actionsPath+"/"+id, nil).want(200)
		h.do("DELETE", actionsPath+"/"+id+"?force=true", nil).want(204)
		h.do("GET", actionsPath+"/"+id, nil).want(404)
		if m := h.do("GET", bindingsPath, nil).want(200).json(); m["total"] != 0.0 {
			t.Errorf("binding of a deleted action: %v", m)
		}
		other := str(h.do("GET", actionsPath+"?actionName=other", nil).want(200).json()["actions"].([]any)[0].(map[string]any)["id"])
		h.do("DELETE", actionsPath+"/"+other, nil).want(204)
	})

	t.Run("events", func(t *testing.T) {
		want := map[string]bool{"Create an action": false, "Update an action": false, "Deploy an action": false, "Update trigger bindings": false, "Delete an action": false}
		for _, ev := range h.audit() {
			if _, ok := want[ev.Description]; ok && ev.Type == "sapi" && ev.Details["target"] != nil {
				want[ev.Description] = true
			}
		}
		for d, seen := range want {
			if !seen {
				t.Errorf("no sapi event %q", d)
			}
		}
	})
}

// TestActionsChangeTokens drives the scenario: an action created,
// deployed and bound through the API changes the very next token; unbinding
// it or enabling a hook does too.
func TestActionsChangeTokens(t *testing.T) {
	h := newHarness(t)
	const claim = "https://x.example/via"
	if c := h.claims(); c[claim] != nil {
		t.Fatalf("claim before any action: %v", c)
	}
	id := str(h.do("POST", actionsPath, newAction("via-api", claimAction("via", "\"action v1\""))).want(201).json()["id"])
	h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(200)
	if c := h.claims(); c[claim] != nil {
		t.Fatalf("claim of a deployed but unbound action: %v", c)
	}
	h.bind(map[string]string{"type": "action_name", "value": "via-api"}).want(200)
	if c := h.claims(); c[claim] != "action v1" {
		t.Fatalf("bound: claim %v", c[claim])
	}
	h.do("PATCH", actionsPath+"/"+id, map[string]any{"code": claimAction("via", "\"action v2\"")}).want(200)
	if c := h.claims(); c[claim] != "action v1" {
		t.Fatalf("undeployed draft ran: claim %v", c[claim])
	}
	h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(200)
	if c := h.claims(); c[claim] != "action v2" {
		t.Fatalf("redeployed: claim %v", c[claim])
	}
	// A deploy that does not compile leaves the deployed version running.
	h.do("PATCH", actionsPath+"/"+id, map[string]any{"code": "exports.onExecuteCredentialsExchange = async (event, api) => {"}).want(200)
	h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(400)
	if c := h.claims(); c[claim] != "action v2" {
		t.Fatalf("after a refused deploy: claim %v", c[claim])
	}
	h.bind().want(200)
	if c := h.claims(); c[claim] != nil {
		t.Fatalf("unbound: claim %v", c[claim])
	}

	const hookClaim = "https://x.example/hook"
	hk := h.do("POST", "/api/v2/hooks", map[string]any{"name": "legacy", "script": claimHook("hook", "context.webtask.secrets.K === \"hook-secret-value\" ? \"on\" : \"no secret\""), "triggerId": "credentials-exchange"}).want(201).json()
	hid := str(hk["id"])
	h.do("POST", "/api/v2/hooks/"+hid+"/secrets", map[string]string{"K": "hook-secret-value"}).want(201)
	if c := h.claims(); c[hookClaim] != nil {
		t.Fatalf("disabled hook ran: %v", c)
	}
	h.do("PATCH", "/api/v2/hooks/"+hid, map[string]any{"enabled": true}).want(200)
	if c := h.claims(); c[hookClaim] != "on" {
		t.Fatalf("enabled hook: claim %v", c[hookClaim])
	}
	r := h.do("POST", "/api/v2/hooks", map[string]any{"name": "second", "script": claimHook("second", "1"), "triggerId": "credentials-exchange", "enabled": true}).want(409)
	golden(t, "error_409_hook", r.Body.Bytes())
	h.do("PATCH", "/api/v2/hooks/"+hid, map[string]any{"enabled": false}).want(200)
	if c := h.claims(); c[hookClaim] != nil {
		t.Fatalf("disabled hook: claim %v", c[hookClaim])
	}
}

func TestHooks(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v2/hooks", map[string]any{"name": "add-claim", "script": claimHook("h", "1"), "triggerId": "credentials-exchange", "enabled": true, "dependencies": map[string]string{}}).want(201)
	golden(t, "hook", noUUIDs(r.Body.Bytes()))
	id := str(r.json()["id"])
	path := "/api/v2/hooks/" + id

	t.Run("get list patch", func(t *testing.T) {
		if m := h.do("GET", path+"?fields=name,enabled", nil).want(200).json(); len(m) != 2 || m["enabled"] != true {
			t.Errorf("%v", m)
		}
		h.do("POST", "/api/v2/hooks", map[string]any{"name": "spare", "script": claimHook("s", "1"), "triggerId": "credentials-exchange"}).want(201)
		for q, n := range map[string]int{"": 2, "?enabled=true": 1, "?enabled=false": 1, "?triggerId=credentials-exchange": 2, "?triggerId=pre-user-registration": 0, "?per_page=1&page=1": 1} {
			if l := h.do("GET", "/api/v2/hooks"+q, nil).want(200).list(); len(l) != n {
				t.Errorf("%q: %d hooks, want %d", q, len(l), n)
			}
		}
		m := h.do("GET", "/api/v2/hooks?include_totals=true&per_page=1", nil).want(200).json()
		if m["total"] != 2.0 || len(m["hooks"].([]any)) != 1 {
			t.Errorf("%v", m)
		}
		m = h.do("PATCH", path, map[string]any{"name": "renamed", "script": claimHook("h", "2")}).want(200).json()
		if m["name"] != "renamed" || !strings.Contains(str(m["script"]), "= 2;") || m["enabled"] != true {
			t.Errorf("%v", m)
		}
	})

	t.Run("secrets", func(t *testing.T) {
		sp := path + "/secrets"
		if m := h.do("GET", sp, nil).want(200).json(); len(m) != 0 {
			t.Errorf("%v", m)
		}
		h.do("POST", sp, map[string]string{"B_KEY": "hook-secret-b-1", "A_KEY": "hook-secret-a-1"}).want(201)
		r := h.do("GET", sp, nil).want(200)
		golden(t, "hook_secrets", r.Body.Bytes())
		r = h.do("POST", sp, map[string]string{"A_KEY": "again"}).want(409)
		if m := r.json(); m["errorCode"] != "hook_secret_conflict" {
			t.Errorf("%v", m)
		}
		h.do("PATCH", sp, map[string]string{"A_KEY": "hook-secret-a-2"}).want(200)
		r = h.do("PATCH", sp, map[string]string{"C_KEY": "x"}).want(404)
		if m := r.json(); m["errorCode"] != "inexistent_hook_secret" {
			t.Errorf("%v", m)
		}
		h.do("PATCH", sp, map[string]string{"A_KEY": ""}).want(400)
		h.do("POST", sp, map[string]string{}).want(400)
		h.do("POST", sp, map[string]any{"X": 1}).want(400)
		many := map[string]string{}
		for i := range 19 {
			many["K"+strings.Repeat("x", i)] = "v"
		}
		h.do("POST", sp, many).want(400) // 2 + 19 > 20
		h.do("DELETE", sp, []string{"Z_KEY"}).want(404)
		h.do("DELETE", sp, []string{}).want(400)
		h.do("DELETE", sp, []string{"B_KEY"}).want(204)
		if m := h.do("GET", sp, nil).want(200).json(); len(m) != 1 || m["A_KEY"] != "_VALUE_NOT_SHOWN_" {
			t.Errorf("%v", m)
		}
		h.do("GET", "/api/v2/hooks/nope/secrets", nil).want(404)
	})

	t.Run("errors", func(t *testing.T) {
		r := h.do("GET", "/api/v2/hooks/nope", nil).want(404)
		golden(t, "error_404_hook", r.Body.Bytes())
		h.do("PATCH", "/api/v2/hooks/nope", map[string]any{"enabled": false}).want(404)
		h.do("DELETE", "/api/v2/hooks/nope", nil).want(404)
		for name, b := range map[string]any{
			"missing name":     map[string]any{"script": "x", "triggerId": "credentials-exchange"},
			"missing script":   map[string]any{"name": "x", "triggerId": "credentials-exchange"},
			"missing trigger":  map[string]any{"name": "x", "script": claimHook("x", "1")},
			"other trigger":    map[string]any{"name": "x", "script": claimHook("x", "1"), "triggerId": "pre-user-registration"},
			"syntax error":     map[string]any{"name": "x", "script": "module.exports = function (client, scope, audience, context, cb) {\n  cb(null, {;\n};", "triggerId": "credentials-exchange"},
			"dependencies":     map[string]any{"name": "x", "script": claimHook("x", "1"), "triggerId": "credentials-exchange", "dependencies": map[string]string{"axios": "1.0.0"}},
			"secrets in body":  map[string]any{"name": "x", "script": claimHook("x", "1"), "triggerId": "credentials-exchange", "secrets": map[string]string{"K": "v"}},
			"enabled not bool": map[string]any{"name": "x", "script": claimHook("x", "1"), "triggerId": "credentials-exchange", "enabled": "yes"},
		} {
			r := h.do("POST", "/api/v2/hooks", b)
			if m := r.json(); r.Code != 400 || m["errorCode"] != "invalid_body" {
				t.Errorf("%s: %d %v", name, r.Code, m)
			}
		}
		h.do("PATCH", path, map[string]any{"triggerId": "credentials-exchange"}).want(400)
		// A second enabled hook on the same point is a conflict, by PATCH too.
		spare := h.do("GET", "/api/v2/hooks?enabled=false", nil).want(200).list()[0].(map[string]any)
		h.do("PATCH", "/api/v2/hooks/"+str(spare["id"]), map[string]any{"enabled": true}).want(409)
	})

	t.Run("delete", func(t *testing.T) {
		h.do("DELETE", path, nil).want(204)
		h.do("GET", path, nil).want(404)
	})
}

// TestActionAndHookSecretsStayHidden: the values of action and hook secrets
// reach the scripts yet appear in no response, log, event or database file.
func TestActionAndHookSecretsStayHidden(t *testing.T) {
	h := newHarness(t)
	secrets := []string{"action-secret-Vq7LmN2pXz9RtB4kWc", "action-secret-Jd3HsY8uQe1FoG6aMx", "hook-secret-Pw5CzK0vEn7TyU2bLr", "hook-secret-Rm8XgA3jSi6DhO1qNf"}
	var bodies bytes.Buffer
	keep := func(r resp) resp { bodies.Write(r.Body.Bytes()); return r }

	// The scripts answer the value reversed, so that it appears in no code.
	const reversed = `.split("").reverse().join("")`
	a := newAction("secretive", claimAction("ok", "event.secrets.S"+reversed))
	a["secrets"] = []map[string]string{{"name": "S", "value": secrets[0]}}
	id := str(keep(h.do("POST", actionsPath, a).want(201)).json()["id"])
	keep(h.do("PATCH", actionsPath+"/"+id, map[string]any{"secrets": []map[string]string{{"name": "S", "value": secrets[1]}}}).want(200))
	keep(h.do("POST", actionsPath+"/"+id+"/deploy", nil).want(200))
	keep(h.bind(map[string]string{"type": "action_id", "value": id}).want(200))
	keep(h.do("GET", actionsPath+"/"+id, nil).want(200))
	keep(h.do("GET", bindingsPath, nil).want(200))
	keep(h.do("GET", actionsPath, nil).want(200))

	hk := keep(h.do("POST", "/api/v2/hooks", map[string]any{"name": "secretive", "triggerId": "credentials-exchange", "enabled": true,
		"script": claimHook("hook-ok", "context.webtask.secrets.S"+reversed)}).want(201)).json()
	sp := "/api/v2/hooks/" + str(hk["id"]) + "/secrets"
	keep(h.do("POST", sp, map[string]string{"S": secrets[2]}).want(201))
	keep(h.do("PATCH", sp, map[string]string{"S": secrets[3]}).want(200))
	keep(h.do("GET", sp, nil).want(200))
	keep(h.do("GET", "/api/v2/hooks", nil).want(200))

	reverse := func(s string) string {
		b := []byte(s)
		slices.Reverse(b)
		return string(b)
	}
	if c := h.claims(); c["https://x.example/ok"] != reverse(secrets[1]) || c["https://x.example/hook-ok"] != reverse(secrets[3]) {
		t.Fatalf("the scripts did not see the current secrets: %v", c)
	}
	evs, _ := json.Marshal(h.recorded())
	keep(h.do("GET", "/api/v2/logs?per_page=100", nil).want(200))
	paths, err := filepath.Glob(h.dbPath + "*") // the database, its WAL and shared memory
	if err != nil || len(paths) == 0 {
		t.Fatalf("no database files: %v", err)
	}
	for _, s := range secrets {
		for _, p := range paths {
			if b, err := os.ReadFile(p); err != nil || bytes.Contains(b, []byte(s)) {
				t.Errorf("secret %q in %s (%v)", s, p, err)
			}
		}
		if bytes.Contains(bodies.Bytes(), []byte(s)) {
			t.Errorf("secret %q in a response", s)
		}
		if strings.Contains(h.logs.String(), s) || bytes.Contains(evs, []byte(s)) {
			t.Errorf("secret %q in a log", s)
		}
	}
}
