package mgmt_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBadBodies pins the 400/413/415 bodies of malformed requests.
func TestBadBodies(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		golden                   string
	}{
		{"unknown property", "POST", "/clients", `{"name":"x","foo":1}`, 400, "error_400_unknown_property"},
		{"unknown nested property", "POST", "/clients", `{"name":"x","jwt_configuration":{"alg":"RS256","colour":"blue"}}`, 400, ""},
		{"wrong type", "POST", "/clients", `{"name":1}`, 400, "error_400_wrong_type"},
		{"wrong nested type", "POST", "/clients", `{"name":"x","jwt_configuration":{"alg":true}}`, 400, "error_400_wrong_nested_type"},
		{"fraction for integer", "POST", "/clients", `{"name":"x","token_lifetime":1.5}`, 400, ""},
		{"array body", "POST", "/clients", `[{"name":"x"}]`, 400, "error_400_array_body"},
		{"empty body", "POST", "/clients", ``, 400, "error_400_empty_body"},
		{"null body", "PATCH", "/clients/admin", `null`, 400, ""},
		{"malformed JSON", "POST", "/clients", `{"name":`, 400, "error_400_malformed_json"},
		{"trailing data", "POST", "/clients", `{"name":"x"} {}`, 400, ""},
		{"grant patch with audience object", "PATCH", "/client-grants/x", `{"audience":{}}`, 400, ""},
		{"scope object with extra", "POST", "/resource-servers", `{"identifier":"urn:a","scopes":[{"value":"a","x":1}]}`, 400, ""},
		{"metadata non-string", "POST", "/clients", `{"name":"x","client_metadata":{"a":1}}`, 400, ""},
		{"too many metadata keys", "POST", "/clients", `{"name":"x","client_metadata":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":""}}`, 400, ""},
		{"description too long", "POST", "/clients", `{"name":"x","description":"` + strings.Repeat("d", 141) + `"}`, 400, ""},
		{"name too long", "POST", "/clients", `{"name":"` + strings.Repeat("n", 256) + `"}`, 400, ""},
		{"too large", "POST", "/clients", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "error_413"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(h.admin, tc.method, "/api/v2"+tc.path, tc.body).want(tc.status)
			m := r.json()
			if m["statusCode"] != float64(tc.status) || m["errorCode"] == "" || m["error"] == "" || m["message"] == "" {
				t.Errorf("body %v", m)
			}
			if tc.status == 400 && m["errorCode"] != "invalid_body" {
				t.Errorf("errorCode %v", m["errorCode"])
			}
			if tc.golden != "" {
				golden(t, tc.golden, r.Body.Bytes())
			}
		})
	}

	t.Run("content type", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/api/v2/clients", strings.NewReader(`name=x`))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+h.admin)
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, r)
		if rec.Code != 415 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		golden(t, "error_415", rec.Body.Bytes())
	})

	if l := h.do("GET", "/api/v2/clients", nil).want(200).list(); len(l) != 1 {
		t.Errorf("a bad body created a client: %d clients", len(l))
	}
}

func TestBadQueries(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, path, golden string
	}{
		{"unknown parameter", "/clients?foo=bar", "error_400_query_unknown"},
		{"per_page too big", "/clients?per_page=101", "error_400_query_per_page"},
		{"per_page zero", "/clients?per_page=0", ""},
		{"negative page", "/clients?page=-1", ""},
		{"page not a number", "/clients?page=one", "error_400_query_type"},
		{"include_totals not boolean", "/clients?include_totals=yes", ""},
		{"repeated parameter", "/clients?page=1&page=2", ""},
		{"create takes no query", "/clients?page=1", ""},
		{"grace_period negative", "/clients/admin/rotate-secret?grace_period=-5", ""},
		{"grace_period too long", "/clients/admin/rotate-secret?grace_period=99999999", ""},
		{"take too big", "/client-grants?take=500", ""},
		{"malformed", "/clients?%zz", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if strings.Contains(tc.path, "rotate-secret") || tc.name == "create takes no query" {
				method = "POST"
			}
			var body any
			if tc.name == "create takes no query" {
				body = map[string]any{"name": "x"}
			}
			r := h.call(h.admin, method, "/api/v2"+tc.path, body).want(400)
			if m := r.json(); m["errorCode"] != "invalid_query_string" {
				t.Errorf("%v", m)
			}
			if tc.golden != "" {
				golden(t, tc.golden, r.Body.Bytes())
			}
		})
	}
}
