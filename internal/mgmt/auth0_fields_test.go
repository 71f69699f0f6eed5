package mgmt_test

import (
	"strings"
	"testing"
)

// Fields Auth0 documents and tooling (Terraform, Deploy CLI, the client
// package) sends are accepted when credo's behaviour matches their value,
// and refused with a clear message otherwise.
func TestAuth0FieldsToolingSends(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		wantMsg                  string
	}{
		{"jwt_configuration ID-token fields", "POST", "/api/v2/clients", `{"name":"a","jwt_configuration":{"alg":"RS256","secret_encoded":false,"lifetime_in_seconds":36000}}`, 201, ""},
		{"subject_type_authorization default", "POST", "/api/v2/resource-servers", `{"name":"x","identifier":"https://x.test/","subject_type_authorization":{"client":{"policy":"require_client_grant"}}}`, 201, ""},
		{"subject_type_authorization deny_all", "POST", "/api/v2/resource-servers", `{"name":"y","identifier":"https://y.test/","subject_type_authorization":{"client":{"policy":"deny_all"}}}`, 400, "require_client_grant"},
		{"organization_usage deny", "POST", "/api/v2/client-grants", `{"client_id":"CLIENT","audience":"https://x.test/","scope":[],"organization_usage":"deny","allow_any_organization":false}`, 201, ""},
		{"organization_usage required (the docs' misprint)", "POST", "/api/v2/client-grants", `{"client_id":"CLIENT","audience":"https://y.test/","scope":[],"organization_usage":"required"}`, 400, "organization_usage"},
	}
	var clientID string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.ReplaceAll(tc.body, "CLIENT", clientID)
			r := h.do(tc.method, tc.path, body).want(tc.status)
			m := r.json()
			if tc.wantMsg != "" && !strings.Contains(m["message"].(string), tc.wantMsg) {
				t.Fatalf("message %v", m["message"])
			}
			if id, ok := m["client_id"].(string); ok && clientID == "" {
				clientID = id
			}
		})
	}
}
