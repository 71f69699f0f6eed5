package mgmt_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestResourceServers(t *testing.T) {
	h := newHarness(t)
	ident := "https://api.example.com/timesheets"
	r := h.do("POST", "/api/v2/resource-servers", map[string]any{
		"name":       "Timesheets",
		"identifier": ident,
		"scopes":     []map[string]string{{"value": "read:timesheets", "description": "Read"}, {"value": "create:timesheets"}},
	}).want(201)
	rs := r.json()
	id := str(rs["id"])
	golden(t, "resource_server", r.Body.Bytes(), "id")

	t.Run("get by id and by identifier", func(t *testing.T) {
		byID := h.do("GET", "/api/v2/resource-servers/"+id, nil).want(200).Body.String()
		for _, p := range []string{url.PathEscape(ident), url.QueryEscape(ident)} {
			if got := h.do("GET", "/api/v2/resource-servers/"+p, nil).want(200).Body.String(); got != byID {
				t.Errorf("%s: %s, want %s", p, got, byID)
			}
		}
		m := h.do("GET", "/api/v2/resource-servers/"+url.QueryEscape(mgmtAud), nil).want(200).json()
		if m["is_system"] != true {
			t.Errorf("system API: %v", m)
		}
	})

	t.Run("list", func(t *testing.T) {
		l := h.do("GET", "/api/v2/resource-servers", nil).want(200).list()
		if len(l) != 2 {
			t.Errorf("%d APIs, want 2 (system + 1)", len(l))
		}
		m := h.do("GET", "/api/v2/resource-servers?per_page=1&include_totals=true", nil).want(200).json()
		if m["total"] != 2.0 || m["length"] != 1.0 || len(m["resource_servers"].([]any)) != 1 {
			t.Errorf("%v", m)
		}
	})

	t.Run("patch", func(t *testing.T) {
		m := h.do("PATCH", "/api/v2/resource-servers/"+url.QueryEscape(ident), map[string]any{
			"token_lifetime": 600, "token_dialect": "rfc9068_profile", "signing_alg": "HS256", "signing_secret": "0123456789abcdef0123456789abcdef",
		}).want(200).json()
		if m["token_lifetime"] != 600.0 || m["signing_alg"] != "HS256" {
			t.Errorf("%v", m)
		}
		if m["signing_secret"] != "0123456789abcdef0123456789abcdef" {
			t.Errorf("signing_secret %v, want the one given (Auth0 returns it)", m["signing_secret"])
		}
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"identifier": "https://other.example.com/"}).want(400)
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"identifier": ident, "signing_alg": "RS256"}).want(200)
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"allow_offline_access": true}).want(400)
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"allow_offline_access": false, "enforce_policies": false, "skip_consent_for_verifiable_first_party_clients": false}).want(200)
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"scopes": []map[string]string{{"value": "has space"}}}).want(400)
		h.do("PATCH", "/api/v2/resource-servers/"+id, map[string]any{"token_lifetime": 10_000_000}).want(400)
	})

	t.Run("system API is read-only", func(t *testing.T) {
		r := h.do("PATCH", "/api/v2/resource-servers/"+url.QueryEscape(mgmtAud), map[string]any{"name": "mine"}).want(403)
		golden(t, "error_403_system", r.Body.Bytes())
		h.do("DELETE", "/api/v2/resource-servers/"+url.QueryEscape(mgmtAud), nil).want(403)
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": mgmtAud}).want(409)
	})

	t.Run("errors", func(t *testing.T) {
		r := h.do("GET", "/api/v2/resource-servers/nope", nil).want(404)
		golden(t, "error_404_resource_server", r.Body.Bytes())
		r = h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": ident}).want(409)
		golden(t, "error_409_resource_server", r.Body.Bytes())
		h.do("POST", "/api/v2/resource-servers", map[string]any{"name": "no identifier"}).want(400)
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "not a uri"}).want(400)
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "signing_alg": "none"}).want(400)
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:x", "scopes": []map[string]any{{"value": "a", "extra": 1}}}).want(400)
		h.do("PATCH", "/api/v2/resource-servers/nope", map[string]any{"name": "x"}).want(404)
		h.do("DELETE", "/api/v2/resource-servers/nope", nil).want(404)
	})

	t.Run("delete removes its grants", func(t *testing.T) {
		h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": ident, "scope": []string{"read:timesheets"}}).want(201)
		h.do("DELETE", "/api/v2/resource-servers/"+id, nil).want(204)
		h.do("GET", "/api/v2/resource-servers/"+id, nil).want(404)
		if l := h.do("GET", "/api/v2/client-grants?audience="+url.QueryEscape(ident), nil).want(200).list(); len(l) != 0 {
			t.Errorf("grants left: %v", l)
		}
		if !strings.Contains(h.do("GET", "/api/v2/client-grants", nil).Body.String(), mgmtAud) {
			t.Error("admin grant gone")
		}
	})
}
