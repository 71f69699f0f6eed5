package mgmt_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestSettings(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/api/v2/tenants/settings", nil).want(200)
	golden(t, "settings", r.Body.Bytes())

	api := "urn:credo:subset"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api, "scopes": []map[string]string{{"value": "a"}, {"value": "b"}}}).want(201)
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": api, "scope": []string{"a", "b"}}).want(201)
	_, tok := h.tokenReq(adminID, adminSecret, api, "scope", "a")
	if tok["scope"] != "a b" {
		t.Fatalf("Auth0 behaviour issues every granted scope: %v", tok)
	}

	m := h.do("PATCH", "/api/v2/tenants/settings", map[string]any{"flags": map[string]any{"honor_scope_subset": true}}).want(200).json()
	if f := m["flags"].(map[string]any); f["honor_scope_subset"] != true || f["auth0_compat_errors"] != false {
		t.Errorf("%v", m)
	}
	// The next token request sees it.
	if _, tok := h.tokenReq(adminID, adminSecret, api, "scope", "a"); tok["scope"] != "a" {
		t.Errorf("with honor_scope_subset: %v", tok)
	}
	if m := h.do("GET", "/api/v2/tenants/settings?fields=flags", nil).want(200).json(); m["flags"].(map[string]any)["honor_scope_subset"] != true {
		t.Errorf("%v", m)
	}
	r = h.do("PATCH", "/api/v2/tenants/settings", map[string]any{"flags": map[string]any{"enable_colour": false}}).want(400)
	golden(t, "error_400_unknown_flag", r.Body.Bytes())
	h.do("PATCH", "/api/v2/tenants/settings", map[string]any{"colour": "x"}).want(400)
}

// Every setting of Auth0's tenant object is accepted: default_audience is
// honoured by the token endpoint, the others are stored and returned.
func TestSettingsAuth0(t *testing.T) {
	h := newHarness(t)
	api := "urn:credo:default"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api, "scopes": []map[string]string{{"value": "a"}}}).want(201)
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": api, "scope": []string{"a"}}).want(201)
	if st, tok := h.tokenReq(adminID, adminSecret, ""); st != 400 {
		t.Fatalf("no audience and no default: %d %v", st, tok)
	}
	body := map[string]any{
		"default_audience": api, "friendly_name": "Acme", "support_email": "ops@acme.test",
		"session_lifetime": 168, "idle_session_lifetime": 72.5, "enabled_locales": []string{"en", "fr"},
		"default_token_quota":        map[string]any{"clients": map[string]any{"client_credentials": map[string]any{"per_hour": 10, "enforce": true}}},
		"flags":                      map[string]any{"enable_client_connections": false, "honor_scope_subset": false},
		"sandbox_versions_available": []string{"22"}, // read-only: ignored
	}
	m := h.do("PATCH", "/api/v2/tenants/settings", body).want(200).json()
	for k, want := range map[string]any{"default_audience": api, "friendly_name": "Acme", "session_lifetime": 168.0, "idle_session_lifetime": 72.5} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if f := m["flags"].(map[string]any); f["enable_client_connections"] != false {
		t.Errorf("flags %v", f)
	}
	if _, ok := m["sandbox_versions_available"]; ok {
		t.Error("a read-only setting was stored")
	}
	got := h.do("GET", "/api/v2/tenants/settings", nil).want(200).json()
	if !reflect.DeepEqual(got, m) {
		t.Errorf("GET %v\nPATCH answered %v", got, m)
	}
	// What GET returns, PATCH accepts.
	h.do("PATCH", "/api/v2/tenants/settings", got).want(200)

	// default_audience: a request without audience gets it.
	st, tok := h.tokenReq(adminID, adminSecret, "")
	if st != 200 || tok["scope"] != "a" {
		t.Fatalf("token without audience, default %s: %d %v", api, st, tok)
	}
	// null removes a setting.
	m = h.do("PATCH", "/api/v2/tenants/settings", map[string]any{"friendly_name": nil, "default_audience": nil}).want(200).json()
	if _, ok := m["friendly_name"]; ok || m["default_audience"] != "" {
		t.Errorf("after null: %v", m)
	}
	if st, _ := h.tokenReq(adminID, adminSecret, ""); st != 400 {
		t.Errorf("default audience removed: status %d, want 400", st)
	}
	for name, b := range map[string]any{
		"string for number":   map[string]any{"session_lifetime": "long"},
		"number for string":   map[string]any{"friendly_name": 1},
		"object for array":    map[string]any{"enabled_locales": map[string]any{}},
		"array of numbers":    map[string]any{"enabled_locales": []int{1}},
		"string for object":   map[string]any{"default_token_quota": "x"},
		"flag not a boolean":  map[string]any{"flags": map[string]any{"enable_sso": "yes"}},
		"flags not an object": map[string]any{"flags": []bool{true}},
		"audience not string": map[string]any{"default_audience": 1},
	} {
		if r := h.do("PATCH", "/api/v2/tenants/settings", b); r.Code != 400 {
			t.Errorf("%s: status %d, want 400: %s", name, r.Code, r.Body)
		}
	}
}

func TestLogs(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "logged", "name": "Logged"}).want(201)
	h.do("PATCH", "/api/v2/clients/logged", map[string]any{"description": "d"}).want(200)
	h.do("POST", "/api/v2/clients/logged/rotate-secret", nil).want(200)
	h.do("DELETE", "/api/v2/clients/logged", nil).want(204)
	h.do("GET", "/api/v2/clients", nil).want(200) // reads are not logged

	var sapi []string
	for _, ev := range h.audit() {
		if ev.Type == "sapi" {
			sapi = append(sapi, ev.Description)
			if ev.ClientID != adminID || ev.ClientName != "credo bootstrap admin" || ev.UserAgent != "mgmt-test" {
				t.Errorf("event %+v", ev)
			}
		}
	}
	want := []string{"Create a client", "Update a client", "Rotate a client secret", "Delete a client"}
	if strings.Join(sapi, "|") != strings.Join(want, "|") {
		t.Errorf("sapi events %q, want %q", sapi, want)
	}

	// Newest first: 4 sapi + the admin's seccft.
	r := h.do("GET", "/api/v2/logs", nil).want(200)
	l := r.list()
	if len(l) != 5 {
		t.Fatalf("%d logs, want 5: %s", len(l), r.Body)
	}
	newest := l[0].(map[string]any)
	if newest["type"] != "sapi" || newest["description"] != "Delete a client" {
		t.Errorf("newest %v", newest)
	}
	if oldest := l[4].(map[string]any); oldest["type"] != "seccft" {
		t.Errorf("oldest %v", oldest)
	}

	id := str(newest["log_id"])
	r = h.do("GET", "/api/v2/logs/"+url.PathEscape(id), nil).want(200)
	if m := r.json(); m["log_id"] != id {
		t.Errorf("%v", m)
	}
	golden(t, "log_sapi", r.Body.Bytes(), "log_id", "_id")
	r = h.do("GET", "/api/v2/logs/nope", nil).want(404)
	golden(t, "error_404_log", r.Body.Bytes())

	m := h.do("GET", "/api/v2/logs?per_page=2&page=1&include_totals=true&fields=type", nil).want(200).json()
	if m["total"] != 5.0 || len(m["logs"].([]any)) != 2 {
		t.Errorf("%v", m)
	}
	// Checkpoint: the events after the oldest, oldest first.
	oldestID := str(l[4].(map[string]any)["log_id"])
	after := h.do("GET", "/api/v2/logs?take=2&from="+url.QueryEscape(oldestID), nil).want(200).list()
	if len(after) != 2 || after[0].(map[string]any)["description"] != "Create a client" {
		t.Errorf("%v", after)
	}
	// As at Auth0, page, per_page, include_totals and sort are ignored
	// beside from/take (the Node SDK sends include_totals=true along), and
	// the Link header names the next page.
	r = h.do("GET", "/api/v2/logs?take=2&include_totals=true&page=3&per_page=1&sort=date:-1&from="+url.QueryEscape(oldestID), nil).want(200)
	if again := r.list(); len(again) != 2 || str(again[1].(map[string]any)["log_id"]) != str(after[1].(map[string]any)["log_id"]) {
		t.Errorf("checkpoint with ignored parameters: %s", r.Body)
	}
	lastID := str(after[1].(map[string]any)["log_id"])
	link := r.Header().Get("Link")
	if !strings.HasSuffix(link, `>; rel="next"`) || !strings.Contains(link, "/api/v2/logs?") || !strings.Contains(link, "from="+url.QueryEscape(lastID)) || !strings.Contains(link, "take=2") {
		t.Errorf("Link %q, want the next page after %s", link, lastID)
	}
	// Following the Link reaches the remaining events, then an empty page
	// whose Link is the URL just requested.
	u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
	if err != nil {
		t.Fatal(err)
	}
	r = h.do("GET", u.RequestURI(), nil).want(200)
	rest := r.list()
	if len(rest) != 2 || rest[0].(map[string]any)["description"] != "Rotate a client secret" || rest[1].(map[string]any)["description"] != "Delete a client" {
		t.Errorf("next page %s", r.Body)
	}
	u, _ = url.Parse(strings.TrimSuffix(strings.TrimPrefix(r.Header().Get("Link"), "<"), `>; rel="next"`))
	r = h.do("GET", u.RequestURI(), nil).want(200)
	if len(r.list()) != 0 || r.Header().Get("Link") == "" || !strings.Contains(r.Header().Get("Link"), "from="+url.QueryEscape(str(rest[1].(map[string]any)["log_id"]))) {
		t.Errorf("empty page %s, Link %q", r.Body, r.Header().Get("Link"))
	}
	h.do("GET", "/api/v2/logs?from=nope", nil).want(400)
	h.do("GET", "/api/v2/logs?take=1&page=-1", nil).want(400) // still checked
	h.do("GET", "/api/v2/logs?take=1&include_totals=maybe", nil).want(400)
	h.do("GET", "/api/v2/logs?sort=name:1", nil).want(400) // refused for offset pages, where it applies
}
