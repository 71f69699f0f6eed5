package mgmt

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeBody: the strict JSON decoder never panics, and every refusal
// is an apiError the API can write (400 invalid_body, 413 or 415).
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"x"}`, `{"name":1}`, `{"foo":1}`, `[]`, `null`, ``, `{"name":"x"} {}`,
		`{"jwt_configuration":{"alg":true}}`, `{"client_metadata":{"a":1}}`, `{"scopes":[{"value":"a","x":1}]}`,
		`{"token_lifetime":1e400}`, `{"grant_types":"x"}`, "{\"name\":\"\xff\"}", `{"scope":[null]}`,
		`{"default_organization":null}`, `{"default_organization":{"organization_id":"org_1","flows":["client_credentials"]}}`,
		`{"default_organization":{"organization_id":1}}`, `{"default_organization":{"x":1}}`, `{"default_organization":[]}`,
		`{"metadata":{"a":null}}`, `{"branding":{"colors":{"primary":1}}}`, `{"grant_id":"cgr_1"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, dst := range []any{&ClientBody{}, &ResourceServerBody{}, &GrantBody{}, &GrantPatch{}, &SettingsBody{}, &OrganizationBody{}, &OrganizationGrantBody{}} {
			r := httptest.NewRequest("POST", "/api/v2/x", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			err := decodeBody(r, dst)
			if err == nil {
				continue
			}
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("%q: error %T %v is not an apiError", body, err, err)
			}
			if ae.Status != 400 && ae.Status != 413 && ae.Status != 415 {
				t.Fatalf("%q: status %d", body, ae.Status)
			}
			if ae.Status == 400 && (ae.Code != "invalid_body" || !strings.HasPrefix(ae.Message, "Payload validation error: '") && ae.Message != "Invalid request payload JSON format") {
				t.Fatalf("%q: %+v", body, ae)
			}
		}
	})
}
