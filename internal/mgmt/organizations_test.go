package mgmt_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestOrganizations: create, get by id and by name, list (page, totals,
// checkpoint), patch (metadata merged, null removes a key), delete, with
// Auth0's errors.
func TestOrganizations(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v2/organizations", map[string]any{"name": "acme", "display_name": "Acme Corp",
		"branding": map[string]any{"logo_url": "https://acme.example/logo.png", "colors": map[string]string{"primary": "#0050ff", "page_background": "#ffffff"}},
		"metadata": map[string]any{"plan": "gold", "region": "eu"}, "enabled_connections": []any{}}).want(201)
	golden(t, "organization", r.Body.Bytes(), "id")
	id := str(r.json()["id"])
	if !strings.HasPrefix(id, "org_") || len(id) != 20 {
		t.Fatalf("id %q", id)
	}
	if m := h.do("GET", "/api/v2/organizations/"+id, nil).want(200).json(); m["name"] != "acme" || m["display_name"] != "Acme Corp" {
		t.Fatalf("get: %v", m)
	}
	if m := h.do("GET", "/api/v2/organizations/name/acme", nil).want(200).json(); m["id"] != id {
		t.Fatalf("by name: %v", m)
	}
	golden(t, "error_404_organization", h.do("GET", "/api/v2/organizations/name/nobody", nil).want(404).Body.Bytes())
	h.do("GET", "/api/v2/organizations/org_nobody", nil).want(404)
	golden(t, "error_409_organization", h.do("POST", "/api/v2/organizations", map[string]any{"name": "acme"}).want(409).Body.Bytes())
	golden(t, "error_400_organization_name", h.do("POST", "/api/v2/organizations", map[string]any{"name": "Acme Corp"}).want(400).Body.Bytes())
	h.do("POST", "/api/v2/organizations", map[string]any{"display_name": "x"}).want(400)
	h.do("POST", "/api/v2/organizations", map[string]any{"name": "x", "id": "org_mine"}).want(400)
	h.do("POST", "/api/v2/organizations", map[string]any{"name": "x", "members": []any{}}).want(400)

	// PATCH merges metadata (null removes a key) and takes what GET returns.
	got := h.do("GET", "/api/v2/organizations/"+id, nil).want(200).json()
	got["metadata"] = map[string]any{"region": nil, "tier": "1"}
	m := h.do("PATCH", "/api/v2/organizations/"+id, got).want(200).json()
	if fmt.Sprint(m["metadata"]) != "map[plan:gold tier:1]" {
		t.Fatalf("merged metadata %v", m["metadata"])
	}
	h.do("PATCH", "/api/v2/organizations/"+id, map[string]any{"id": "org_other"}).want(400)
	h.do("PATCH", "/api/v2/organizations/"+id, map[string]any{"name": "acme-eu"}).want(200)
	h.do("GET", "/api/v2/organizations/name/acme", nil).want(404)
	h.do("GET", "/api/v2/organizations/name/acme-eu", nil).want(200)
	meta := map[string]any{}
	for i := range 25 {
		meta[fmt.Sprintf("k%d", i)] = "v"
	}
	h.do("PATCH", "/api/v2/organizations/"+id, map[string]any{"metadata": meta}).want(400) // 2 + 25 keys

	for i := range 4 {
		h.do("POST", "/api/v2/organizations", map[string]any{"name": fmt.Sprintf("org%d", i)}).want(201)
	}
	if l := h.do("GET", "/api/v2/organizations?per_page=2&page=1", nil).want(200).list(); len(l) != 2 {
		t.Fatalf("page: %v", l)
	}
	tot := h.do("GET", "/api/v2/organizations?per_page=2&include_totals=true", nil).want(200).json()
	if tot["total"] != float64(5) || len(tot["organizations"].([]any)) != 2 || tot["limit"] != float64(2) {
		t.Fatalf("totals: %v", tot)
	}
	var seen []string
	for from := ""; ; {
		q := "/api/v2/organizations?take=2&sort=name:1"
		if from != "" {
			q += "&from=" + from
		}
		m := h.do("GET", q, nil).want(200).json()
		for _, o := range m["organizations"].([]any) {
			seen = append(seen, str(o.(map[string]any)["id"]))
		}
		if from = str(m["next"]); from == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("checkpoints saw %d organizations", len(seen))
	}
	// go-auth0 sends per_page and include_totals with from/take: a checkpoint page.
	if m := h.do("GET", "/api/v2/organizations?take=2&per_page=50&include_totals=true", nil).want(200).json(); len(m["organizations"].([]any)) != 2 || m["next"] == nil {
		t.Fatalf("take with per_page: %v", m)
	}
	h.do("GET", "/api/v2/organizations?take=2&per_page=0", nil).want(400)
	// Auth0's Node SDK v7 sends include_totals with take: the checkpoint object comes back.
	if m := h.do("GET", "/api/v2/organizations?include_totals=true&take=50", nil).want(200).json(); len(m["organizations"].([]any)) != 5 {
		t.Fatalf("include_totals with take: %v", m)
	}

	h.do("DELETE", "/api/v2/organizations/"+id, nil).want(204)
	h.do("DELETE", "/api/v2/organizations/"+id, nil).want(404)
	h.do("GET", "/api/v2/organizations/"+id, nil).want(404)
}

// TestOrganizationClientGrants: associations are added, listed with
// Auth0's filters, removed, and reach the token endpoint; grants take
// organization_usage and allow_any_organization and filter by the latter;
// clients take default_organization; each route needs its scope.
func TestOrganizationClientGrants(t *testing.T) {
	h := newHarness(t)
	for _, api := range []string{"urn:a", "urn:b"} {
		h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api, "scopes": []map[string]string{{"value": "read"}}}).want(201)
	}
	org := str(h.do("POST", "/api/v2/organizations", map[string]any{"name": "acme"}).want(201).json()["id"])
	c := h.do("POST", "/api/v2/clients", map[string]any{"name": "worker"}).want(201).json()
	cid, sec := str(c["client_id"]), str(c["client_secret"])
	ga := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": cid, "audience": "urn:a", "scope": []string{"read"}, "organization_usage": "require"}).want(201).json()
	if ga["organization_usage"] != "require" || ga["allow_any_organization"] != false {
		t.Fatalf("grant %v", ga)
	}
	gb := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": cid, "audience": "urn:b", "scope": []string{"read"}, "organization_usage": "allow", "allow_any_organization": true}).want(201).json()
	idA, idB := str(ga["id"]), str(gb["id"])

	if code, body := h.tokenReq(cid, sec, "urn:a", "organization", "acme"); code != 403 {
		t.Fatalf("before association: %d %v", code, body)
	}
	r := h.do("POST", "/api/v2/organizations/"+org+"/client-grants", map[string]any{"grant_id": idA}).want(201)
	golden(t, "organization_client_grant", r.Body.Bytes(), "id", "client_id", "created_at", "updated_at")
	golden(t, "error_409_organization_client_grant", h.do("POST", "/api/v2/organizations/"+org+"/client-grants", map[string]any{"grant_id": idA}).want(409).Body.Bytes())
	h.do("POST", "/api/v2/organizations/"+org+"/client-grants", map[string]any{"grant_id": idB}).want(201)
	h.do("POST", "/api/v2/organizations/"+org+"/client-grants", map[string]any{"grant_id": "cgr_nope"}).want(404)
	h.do("POST", "/api/v2/organizations/org_nope/client-grants", map[string]any{"grant_id": idA}).want(404)
	h.do("POST", "/api/v2/organizations/"+org+"/client-grants", map[string]any{}).want(400)
	if code, body := h.tokenReq(cid, sec, "urn:a", "organization", "acme"); code != 200 {
		t.Fatalf("after association: %d %v", code, body)
	}

	base := "/api/v2/organizations/" + org + "/client-grants"
	for q, want := range map[string]int{
		"":                  2,
		"?audience=urn:a":   1,
		"?client_id=" + cid: 2,
		"?client_id=other":  0,
		"?grant_ids=" + idA: 1,
		"?grant_ids=" + idA + "&grant_ids=" + idB: 2,
		"?grant_ids=" + idA + "," + idB:           2,
		"?per_page=1&page=1":                      1,
	} {
		if l := h.do("GET", base+q, nil).want(200).list(); len(l) != want {
			t.Errorf("%s: %d grants, want %d", q, len(l), want)
		}
	}
	if m := h.do("GET", base+"?include_totals=true&per_page=1", nil).want(200).json(); m["total"] != float64(2) || len(m["client_grants"].([]any)) != 1 {
		t.Fatalf("totals %v", m)
	}
	h.do("GET", base+"?grant_ids="+strings.Repeat("x,", 11), nil).want(400)
	h.do("GET", "/api/v2/organizations/org_nope/client-grants", nil).want(404)

	m := h.do("GET", "/api/v2/client-grants/"+idA+"/organizations", nil).want(200).json()
	if l := m["organizations"].([]any); len(l) != 1 || str(l[0].(map[string]any)["id"]) != org {
		t.Fatalf("organizations of a grant: %v", m)
	}
	h.do("GET", "/api/v2/client-grants/"+idA+"/organizations?take=1&from="+org, nil).want(200)
	if m := h.do("GET", "/api/v2/client-grants/"+idA+"/organizations?per_page=50&include_totals=true", nil).want(200).json(); m["total"] != float64(1) {
		t.Fatalf("organizations of a grant, with totals: %v", m)
	}
	golden(t, "error_404_client_grant_organizations", h.do("GET", "/api/v2/client-grants/cgr_nope/organizations", nil).want(404).Body.Bytes())
	h.call(h.scoped("read:client_grants"), "GET", "/api/v2/client-grants/"+idA+"/organizations", nil).want(403)

	if l := h.do("GET", "/api/v2/client-grants?allow_any_organization=true", nil).want(200).list(); len(l) != 1 || str(l[0].(map[string]any)["id"]) != idB {
		t.Fatalf("allow_any_organization=true: %v", l)
	}
	h.do("GET", "/api/v2/client-grants?allow_any_organization=maybe", nil).want(400)
	h.do("PATCH", "/api/v2/client-grants/"+idB, map[string]any{"allow_any_organization": false, "organization_usage": "deny"}).want(200)
	if l := h.do("GET", "/api/v2/client-grants?allow_any_organization=true", nil).want(200).list(); len(l) != 0 {
		t.Fatalf("after patch: %v", l)
	}
	h.do("PATCH", "/api/v2/client-grants/"+idB, map[string]any{"organization_usage": "sometimes"}).want(400)

	// default_organization: set, used, refused when unknown, removed by null.
	m = h.do("PATCH", "/api/v2/clients/"+cid, map[string]any{"default_organization": map[string]any{"organization_id": org, "flows": []string{"client_credentials"}}}).want(200).json()
	if fmt.Sprint(m["default_organization"]) != "map[flows:[client_credentials] organization_id:"+org+"]" {
		t.Fatalf("default_organization %v", m["default_organization"])
	}
	if code, body := h.tokenReq(cid, sec, "urn:a"); code != 200 {
		t.Fatalf("default organization: %d %v", code, body)
	}
	h.do("PATCH", "/api/v2/clients/"+cid, map[string]any{"default_organization": map[string]any{"organization_id": "org_nope", "flows": []string{"client_credentials"}}}).want(400)
	h.do("PATCH", "/api/v2/clients/"+cid, map[string]any{"default_organization": map[string]any{"organization_id": org}}).want(400)
	h.do("PATCH", "/api/v2/clients/"+cid, `{"default_organization":{"organization_id":"`+org+`","flows":["client_credentials"],"x":1}}`).want(400)
	m = h.do("PATCH", "/api/v2/clients/"+cid, `{"default_organization":null}`).want(200).json()
	if _, ok := m["default_organization"]; ok {
		t.Fatalf("not removed: %v", m)
	}

	golden(t, "error_404_organization_client_grant", h.do("DELETE", base+"/cgr_nope", nil).want(404).Body.Bytes())
	h.do("DELETE", "/api/v2/organizations/org_nope/client-grants/"+idA, nil).want(404)
	h.do("DELETE", base+"/"+idA, nil).want(204)
	h.do("DELETE", base+"/"+idA, nil).want(404)
	if code, _ := h.tokenReq(cid, sec, "urn:a", "organization", org); code != 403 {
		t.Fatal("removed association still accepted")
	}
	// Deleting a grant removes it from every organization.
	h.do("DELETE", "/api/v2/client-grants/"+idB, nil).want(204)
	if l := h.do("GET", base, nil).want(200).list(); len(l) != 0 {
		t.Fatalf("deleted grant still associated: %v", l)
	}

	// Each route needs its own scope.
	for _, tc := range []struct{ method, path, scope string }{
		{"GET", "/api/v2/organizations", "read:organizations"},
		{"POST", "/api/v2/organizations", "create:organizations"},
		{"GET", "/api/v2/organizations/" + org, "read:organizations"},
		{"GET", "/api/v2/organizations/name/acme", "read:organizations"},
		{"PATCH", "/api/v2/organizations/" + org, "update:organizations"},
		{"DELETE", "/api/v2/organizations/" + org, "delete:organizations"},
		{"GET", base, "read:organization_client_grants"},
		{"POST", base, "create:organization_client_grants"},
		{"DELETE", base + "/" + idA, "delete:organization_client_grants"},
	} {
		wrong := h.scoped("read:clients")
		r := h.call(wrong, tc.method, tc.path, map[string]any{}).want(403)
		if !strings.Contains(r.Body.String(), tc.scope) {
			t.Errorf("%s %s: %s, want %s named", tc.method, tc.path, r.Body, tc.scope)
		}
	}
	if m := h.call(h.scoped("read:organizations"), "GET", "/api/v2/organizations/name/acme", nil).want(200).json(); m["id"] != org {
		t.Fatalf("by name with read:organizations: %v", m)
	}
	h.call(h.scoped("read:organizations"), "GET", base, nil).want(403)
}

// TestOrganizationNameInTokens: the tenant setting adds org_name.
func TestOrganizationNameInTokens(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:a"}).want(201)
	org := str(h.do("POST", "/api/v2/organizations", map[string]any{"name": "acme"}).want(201).json()["id"])
	c := h.do("POST", "/api/v2/clients", map[string]any{"name": "worker"}).want(201).json()
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": c["client_id"], "audience": "urn:a", "scope": []string{}, "organization_usage": "allow", "allow_any_organization": true}).want(201)
	m := h.do("PATCH", "/api/v2/tenants/settings", map[string]any{"allow_organization_name_in_authentication_api": true}).want(200).json()
	if m["allow_organization_name_in_authentication_api"] != true {
		t.Fatalf("settings %v", m)
	}
	code, body := h.tokenReq(str(c["client_id"]), str(c["client_secret"]), "urn:a", "organization", org)
	if code != 200 {
		t.Fatalf("%d %v", code, body)
	}
	parts := strings.Split(str(body["access_token"]), ".")
	if !strings.Contains(decodeSegment(t, parts[1]), `"org_id":"`+org+`","org_name":"acme"`) {
		t.Fatalf("claims %s", decodeSegment(t, parts[1]))
	}
	// The seccft log event names the organization, as Auth0's does.
	found := false
	for _, e := range h.do("GET", "/api/v2/logs", nil).want(200).list() {
		ev := e.(map[string]any)
		if ev["type"] == "seccft" && ev["organization_id"] == org && ev["organization_name"] == "acme" {
			found = true
		}
	}
	if !found {
		t.Fatal("no seccft log event with organization_id and organization_name")
	}
}

func decodeSegment(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
