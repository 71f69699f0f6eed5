package mgmt_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/go-jose/go-jose/v4"
)

// GET /clients takes every query parameter Auth0 documents.
func TestClientListParameters(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "first-m2m", "name": "First", "app_type": "non_interactive"}).want(201)
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "third-m2m", "name": "Third", "app_type": "non_interactive", "is_first_party": false}).want(201)
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "spa", "name": "SPA", "app_type": "spa", "token_endpoint_auth_method": "none", "grant_types": []string{}}).want(201)

	ids := func(l []any) []string {
		var out []string
		for _, c := range l {
			out = append(out, str(c.(map[string]any)["client_id"]))
		}
		return out
	}
	cases := []struct {
		query string
		want  string // ids, space-separated, in the store's order
	}{
		{"", "admin first-m2m spa third-m2m"},
		{"is_global=false", "admin first-m2m spa third-m2m"},
		{"is_first_party=false", "third-m2m"},
		{"is_first_party=true&app_type=non_interactive", "admin first-m2m"},
		{"is_global=false&is_first_party=true&app_type=spa,non_interactive", "admin first-m2m spa"},
		{"is_first_party=true&per_page=1&page=1", "first-m2m"},
		{"q=" + url.QueryEscape("client_grant.allow_any_organization:true"), ""},
		{"q=" + url.QueryEscape("client_grant.organization_id:org_123"), ""},
		{"client_ids=spa,third-m2m,nobody", "spa third-m2m"},
		{"client_ids=spa&app_type=non_interactive", ""},
		{"external_client_id=" + url.QueryEscape("https://app.test/cimd.json"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			got := strings.Join(ids(h.do("GET", "/api/v2/clients?"+tc.query, nil).want(200).list()), " ")
			if got != tc.want {
				t.Errorf("clients %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("is_global=true lists the global client only", func(t *testing.T) {
		m := h.do("GET", "/api/v2/clients?is_global=true&include_totals=true", nil).want(200).json()
		l := m["clients"].([]any)
		if len(l) != 1 || m["total"] != 1.0 {
			t.Fatalf("%v", m)
		}
		g := l[0].(map[string]any)
		if g["global"] != true || g["name"] != "All Applications" || g["client_secret"] != nil {
			t.Errorf("global client %v", g)
		}
		h.do("GET", "/api/v2/clients/"+str(g["client_id"]), nil).want(404)
		if l := h.do("GET", "/api/v2/clients?is_global=true&is_first_party=false", nil).want(200).list(); len(l) != 0 {
			t.Errorf("the global client is first party: %v", l)
		}
		for _, c := range h.do("GET", "/api/v2/clients", nil).want(200).list() {
			if _, ok := c.(map[string]any)["global"]; ok {
				t.Errorf("a credo client carries global: %v", c)
			}
		}
	})

	t.Run("checkpoint", func(t *testing.T) {
		m := h.do("GET", "/api/v2/clients?take=2&include_totals=true", nil).want(200).json()
		if got := strings.Join(ids(m["clients"].([]any)), " "); got != "admin first-m2m" || m["next"] != "first-m2m" {
			t.Fatalf("first page %v", m)
		}
		m = h.do("GET", "/api/v2/clients?take=2&from=first-m2m", nil).want(200).json()
		if got := strings.Join(ids(m["clients"].([]any)), " "); got != "spa third-m2m" || m["next"] != nil {
			t.Fatalf("last page %v", m)
		}
		// A from that names no client reads on after it, in client_id
		// order, the same with a filter the store does not take
		// (two app types) as without.
		for _, q := range []string{"take=2&from=first-m2m-gone", "take=2&from=first-m2m-gone&app_type=non_interactive,spa"} {
			m = h.do("GET", "/api/v2/clients?"+q, nil).want(200).json()
			if got := strings.Join(ids(m["clients"].([]any)), " "); got != "spa third-m2m" || m["next"] != nil {
				t.Fatalf("%s: %v", q, m)
			}
		}
	})

	for _, q := range []string{"is_global=yes", "is_first_party=1", "q=name:x", "take=0", "take=101"} {
		t.Run("refused "+q, func(t *testing.T) {
			if m := h.do("GET", "/api/v2/clients?"+q, nil).want(400).json(); m["errorCode"] != "invalid_query_string" {
				t.Errorf("%v", m)
			}
		})
	}
}

// GET /clients?q= searches the clients' grants: by organization and by
// allow_any_organization.
func TestClientSearchByGrant(t *testing.T) {
	h := newHarness(t)
	api := "https://orgs-search.test/"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api}).want(201)
	for _, id := range []string{"any-org", "one-org", "no-org"} {
		h.do("POST", "/api/v2/clients", map[string]any{"client_id": id, "name": id}).want(201)
	}
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "any-org", "audience": api, "scope": []string{}, "organization_usage": "allow", "allow_any_organization": true}).want(201)
	g := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "one-org", "audience": api, "scope": []string{}, "organization_usage": "allow"}).want(201).json()
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "no-org", "audience": api, "scope": []string{}}).want(201)
	org := h.do("POST", "/api/v2/organizations", map[string]any{"name": "acme"}).want(201).json()
	h.do("POST", "/api/v2/organizations/"+str(org["id"])+"/client-grants", map[string]any{"grant_id": g["id"]}).want(201)
	search := func(q string) string {
		t.Helper()
		m := h.do("GET", "/api/v2/clients?take=50&q="+url.QueryEscape(q), nil).want(200).json()
		var ids []string
		for _, c := range m["clients"].([]any) {
			ids = append(ids, str(c.(map[string]any)["client_id"]))
		}
		return strings.Join(ids, " ")
	}
	if got := search("client_grant.allow_any_organization:true"); got != "any-org" {
		t.Errorf("allow_any_organization:true: %q", got)
	}
	if got := search("client_grant.organization_id:" + str(org["id"])); got != "one-org" {
		t.Errorf("organization_id: %q", got)
	}
	if got := search("client_grant.organization_id:org_nonexistent"); got != "" {
		t.Errorf("unknown organization: %q", got)
	}
	// An organization's connections: none (credo has no connections).
	for _, sub := range []string{"connections", "enabled_connections"} {
		m := h.do("GET", "/api/v2/organizations/"+str(org["id"])+"/"+sub+"?page=0&per_page=50&include_totals=true", nil).want(200).json()
		if l, ok := m[sub].([]any); !ok || len(l) != 0 {
			t.Errorf("%s: %v", sub, m)
		}
		h.do("GET", "/api/v2/organizations/org_nonexistent/"+sub, nil).want(404)
	}
	if m := h.do("GET", "/api/v2/organizations/name/acme", nil).want(200).json(); m["id"] != org["id"] {
		t.Errorf("by name: %v", m)
	}
}

func TestGrantListParameters(t *testing.T) {
	h := newHarness(t)
	api := "https://grants.test/"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api}).want(201)
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": api, "scope": []string{}}).want(201)
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": api, "scope": []string{}, "subject_type": "user"}).want(201)
	count := func(q string) int {
		t.Helper()
		return len(h.do("GET", "/api/v2/client-grants?"+q, nil).want(200).list())
	}
	if n := count("subject_type=user"); n != 1 {
		t.Errorf("subject_type=user: %d grants", n)
	}
	if n := count("subject_type=client&audience=" + url.QueryEscape(api)); n != 1 {
		t.Errorf("subject_type=client: %d grants", n)
	}
	if n := count("default_for=third_party_clients"); n != 0 {
		t.Errorf("default grants: %d, want none", n)
	}
	m := h.do("GET", "/api/v2/client-grants?include_totals=true&take=50&subject_type=user", nil).want(200).json()
	if l := m["client_grants"].([]any); len(l) != 1 {
		t.Errorf("checkpoint with include_totals: %v", m)
	}
	h.do("GET", "/api/v2/client-grants?subject_type=robot", nil).want(400)
	h.do("GET", "/api/v2/client-grants?default_for=everyone", nil).want(400)
}

func TestResourceServerListParameters(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"https://a.test/", "https://b.test/", "https://c.test/"} {
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": id}).want(201)
	}
	q := "identifiers=" + url.QueryEscape("https://c.test/") + "&identifiers=" + url.QueryEscape("https://a.test/") + "&identifiers=urn:none"
	l := h.do("GET", "/api/v2/resource-servers?"+q, nil).want(200).list()
	var got []string
	for _, rs := range l {
		got = append(got, str(rs.(map[string]any)["identifier"]))
	}
	if len(got) != 2 || !slices.Contains(got, "https://a.test/") || !slices.Contains(got, "https://c.test/") {
		t.Errorf("identifiers filter: %v", got)
	}
	m := h.do("GET", "/api/v2/resource-servers?"+q+"&include_totals=true&per_page=1&fields=identifier", nil).want(200).json()
	if m["total"] != 2.0 || len(m["resource_servers"].([]any)) != 1 || len(m["resource_servers"].([]any)[0].(map[string]any)) != 1 {
		t.Errorf("paged and projected: %v", m)
	}
	h.do("GET", "/api/v2/resource-servers?"+strings.Repeat("identifiers=x&", 11), nil).want(400)
	h.do("GET", "/api/v2/resource-servers?page=1&page=2", nil).want(400)
}

// What GET returns, POST and PATCH accept.
func TestRoundTrip(t *testing.T) {
	h := newHarness(t)
	client := h.do("POST", "/api/v2/clients", map[string]any{"client_id": "rt", "name": "Round trip"}).want(201).json()
	delete(client, "client_secret")
	api := h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://rt.test/", "signing_alg": "HS256"}).want(201).json()
	grant := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "rt", "audience": "https://rt.test/", "scope": []string{}}).want(201).json()

	got := h.do("GET", "/api/v2/clients/rt", nil).want(200).json()
	h.do("PATCH", "/api/v2/clients/rt", got).want(200)
	got = h.do("GET", "/api/v2/resource-servers/"+str(api["id"]), nil).want(200).json()
	h.do("PATCH", "/api/v2/resource-servers/"+str(api["id"]), got).want(200)
	got = h.do("GET", "/api/v2/client-grants/"+str(grant["id"]), nil).want(200).json()
	h.do("PATCH", "/api/v2/client-grants/"+str(grant["id"]), got).want(200)

	// POST of an object read from another tenant (timestamps, callbacks).
	copied := map[string]any{}
	for k, v := range client {
		copied[k] = v
	}
	copied["client_id"], copied["name"] = "rt-copy", "Copy"
	h.do("POST", "/api/v2/clients", copied).want(201)
	copiedAPI := map[string]any{}
	for k, v := range api {
		if k != "id" {
			copiedAPI[k] = v
		}
	}
	copiedAPI["identifier"] = "https://rt-copy.test/"
	h.do("POST", "/api/v2/resource-servers", copiedAPI).want(201)

	// An identity that differs is refused, not ignored.
	for _, tc := range []struct{ path, field, value string }{
		{"/api/v2/clients/rt", "client_id", "other"},
		{"/api/v2/client-grants/" + str(grant["id"]), "audience", "https://other.test/"},
		{"/api/v2/client-grants/" + str(grant["id"]), "client_id", "other"},
		{"/api/v2/client-grants/" + str(grant["id"]), "subject_type", "user"},
		{"/api/v2/client-grants/" + str(grant["id"]), "id", "cgr_other"},
		{"/api/v2/resource-servers/" + str(api["id"]), "id", "other"},
	} {
		m := h.do("PATCH", tc.path, map[string]any{tc.field: tc.value}).want(400).json()
		if !strings.Contains(str(m["message"]), tc.field+" cannot be changed") {
			t.Errorf("PATCH %s %s: %v", tc.path, tc.field, m)
		}
	}
	h.do("PATCH", "/api/v2/clients/rt", map[string]any{"global": true}).want(400)
	h.do("PATCH", "/api/v2/clients/rt", map[string]any{"global": false}).want(200)
	h.do("PATCH", "/api/v2/resource-servers/"+str(api["id"]), map[string]any{"is_system": true}).want(400)
	h.do("PATCH", "/api/v2/clients/rt", map[string]any{"callbacks": []string{"https://ignored.test/cb"}}).want(200)
	if m := h.do("GET", "/api/v2/clients/rt", nil).want(200).json(); len(m["callbacks"].([]any)) != 0 {
		t.Errorf("callbacks stored: %v", m["callbacks"])
	}
}

// An HS256 API gets a generated signing_secret, returned as Auth0 does;
// tokens for it verify with that secret.
func TestHS256SigningSecret(t *testing.T) {
	h := newHarness(t)
	api := h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://hs.test/", "signing_alg": "HS256"}).want(201).json()
	secret := str(api["signing_secret"])
	if len(secret) < 32 {
		t.Fatalf("signing_secret %q: want a generated secret", secret)
	}
	for _, path := range []string{"/api/v2/resource-servers/" + str(api["id"]), "/api/v2/resource-servers/" + url.PathEscape("https://hs.test/")} {
		if m := h.do("GET", path, nil).want(200).json(); m["signing_secret"] != secret {
			t.Errorf("GET %s: signing_secret %v", path, m["signing_secret"])
		}
	}
	for _, rs := range h.do("GET", "/api/v2/resource-servers", nil).want(200).list() {
		rs := rs.(map[string]any)
		if rs["signing_alg"] == "RS256" && rs["signing_secret"] != nil {
			t.Errorf("an RS256 API has a signing_secret: %v", rs)
		}
	}
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": adminID, "audience": "https://hs.test/", "scope": []string{}}).want(201)
	tok := h.mustToken(adminID, adminSecret, "https://hs.test/")
	if _, err := verifyHS256(tok, secret); err != nil {
		t.Fatalf("the token does not verify with the returned secret: %v", err)
	}
	if _, err := verifyHS256(tok, secret+"x"); err == nil {
		t.Fatal("the token verifies with another secret")
	}
	// A given secret replaces it; the PATCH answer shows it.
	given := "0123456789abcdef0123456789abcdef-given"
	m := h.do("PATCH", "/api/v2/resource-servers/"+str(api["id"]), map[string]any{"signing_secret": given}).want(200).json()
	if m["signing_secret"] != given {
		t.Errorf("PATCH answered signing_secret %v", m["signing_secret"])
	}
	if _, err := verifyHS256(h.mustToken(adminID, adminSecret, "https://hs.test/"), given); err != nil {
		t.Errorf("after PATCH: %v", err)
	}
}

// The collections and settings an M2M server does not have answer what a
// tenant without them answers.
func TestAbsentCollections(t *testing.T) {
	h := newHarness(t)
	lists := map[string]string{ // path → paged key
		"/rules": "rules", "/connections": "connections", "/roles": "roles", "/custom-domains": "custom_domains",
		"/rules-configs": "rules_configs",
	}
	for path, key := range lists {
		t.Run(path, func(t *testing.T) {
			if l := h.do("GET", "/api/v2"+path, nil).want(200).list(); len(l) != 0 {
				t.Errorf("bare list %v", l)
			}
			m := h.do("GET", "/api/v2"+path+"?page=0&per_page=100&include_totals=true", nil).want(200).json()
			if l, ok := m[key].([]any); !ok || len(l) != 0 || m["total"] != 0.0 || m["limit"] != 100.0 {
				t.Errorf("include_totals %v", m)
			}
			m = h.do("GET", "/api/v2"+path+"?take=50&include_totals=true", nil).want(200).json()
			if l, ok := m[key].([]any); !ok || len(l) != 0 || m["next"] != nil {
				t.Errorf("checkpoint %v", m)
			}
			h.do("GET", "/api/v2"+path+"?per_page=101", nil).want(400)
			h.do("GET", "/api/v2"+path+"?colour=blue", nil).want(400)
			h.do("POST", "/api/v2"+path, map[string]any{}).want(405)
		})
	}
	m := h.do("GET", "/api/v2/actions/modules", nil).want(200).json()
	if l, ok := m["modules"].([]any); !ok || len(l) != 0 || m["total"] != 0.0 {
		t.Errorf("actions/modules %v", m)
	}
	if m := h.do("GET", "/api/v2/attack-protection/brute-force-protection", nil).want(200).json(); m["enabled"] != false {
		t.Errorf("brute force protection %v", m)
	}
	// A settings object exported from Auth0 imports: parsed and ignored.
	h.do("PATCH", "/api/v2/attack-protection/brute-force-protection", map[string]any{"enabled": true, "max_attempts": 5}).want(200)
	if m := h.do("GET", "/api/v2/attack-protection/brute-force-protection", nil).want(200).json(); m["enabled"] != false {
		t.Errorf("after PATCH %v", m)
	}
	h.do("PATCH", "/api/v2/attack-protection/brute-force-protection", "[]").want(400)
	h.do("PUT", "/api/v2/prompts/login/custom-text/en", map[string]any{"login": map[string]any{"title": "x"}}).want(200)
	h.do("PUT", "/api/v2/guardian/policies", []string{"all-applications"}).want(200)
	if l := h.do("GET", "/api/v2/guardian/policies", nil).want(200).list(); len(l) != 0 {
		t.Errorf("guardian policies %v", l)
	}
	h.do("PUT", "/api/v2/guardian/policies", map[string]any{}).want(400)
	h.do("GET", "/api/v2/attack-protection/bot-detection", nil).want(403)
	r := h.do("GET", "/api/v2/emails/provider", nil).want(404)
	golden(t, "error_404_email_provider", r.Body.Bytes())
	h.do("GET", "/api/v2/email-templates/verify_email", nil).want(404)
	r = h.do("GET", "/api/v2/prompts/login/partials", nil).want(400)
	golden(t, "error_400_partials_custom_domain", r.Body.Bytes())
	h.do("PUT", "/api/v2/prompts/login/partials", map[string]any{}).want(400)

	// Any Management API token, no particular scope; none is refused.
	weak := h.scoped("read:clients")
	h.call(weak, "GET", "/api/v2/rules", nil).want(200)
	h.call("", "GET", "/api/v2/rules", nil).want(401)
}

// verifyHS256 checks an HS256 JWS with secret and returns its payload.
func verifyHS256(token, secret string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return nil, err
	}
	return jws.Verify([]byte(secret))
}

// Settings decodes what GET /tenants/settings answers (the dashboard reads
// it so).
func TestSettingsObjectRoundTrip(t *testing.T) {
	h := newHarness(t)
	raw := h.do("PATCH", "/api/v2/tenants/settings", map[string]any{
		"default_audience": "https://x.test/", "friendly_name": "Acme",
		"flags": map[string]any{"honor_scope_subset": true, "enable_sso": true},
	}).want(200).Body.Bytes()
	var s mgmt.Settings
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.DefaultAudience != "https://x.test/" || !s.Flags.HonorScopeSubset || !s.Auth0Flags["enable_sso"] || string(s.Other["friendly_name"]) != `"Acme"` {
		t.Errorf("decoded %+v", s)
	}
	again, err := json.Marshal(s)
	if err != nil || !bytes.Equal(bytes.TrimSpace(raw), again) {
		t.Errorf("re-encoded %s (%v), want %s", again, err, raw)
	}
}
