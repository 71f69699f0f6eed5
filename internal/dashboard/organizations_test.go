package dashboard_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/credo-dev/credo/store"
)

// adminToken gets a Management API token for the admin client.
func (f *fixture) adminToken(t *testing.T) string {
	t.Helper()
	res, err := http.PostForm(f.srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"admin"},
		"client_secret": {adminSecret}, "audience": {f.issuer + "api/v2/"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	if tok.AccessToken == "" {
		t.Fatalf("no admin token: %d", res.StatusCode)
	}
	return tok.AccessToken
}

func TestOrganizations(t *testing.T) {
	f := newFixture(t, false)
	ctx := t.Context()
	b := f.browser()
	b.signIn("admin", adminSecret)
	b.get("/dashboard/organizations")
	r := b.follow(b.post("/dashboard/organizations", url.Values{"name": {"acme"}, "display_name": {"Acme Corp"}}))
	mustContain(t, "created", r.body, "Organization acme created.", "Acme Corp")
	orgs, _, err := f.st.ListOrganizations(ctx, store.OrganizationFilter{})
	if err != nil || len(orgs) != 1 {
		t.Fatal(orgs, err)
	}
	id := orgs[0].ID
	// A refusal is the Management API's.
	r = b.follow(b.post("/dashboard/organizations", url.Values{"name": {"acme"}}))
	mustContain(t, "duplicate", r.body, "409")
	r = b.follow(b.post("/dashboard/organizations/"+id+"/settings", url.Values{"name": {"acme"}, "display_name": {"Acme Inc"}}))
	mustContain(t, "renamed", r.body, "Settings saved.", "Acme Inc")

	// Associate the worker's grant once it allows organizations.
	gs, _, _ := f.st.ListClientGrants(ctx, store.GrantFilter{ClientID: "worker"})
	req, _ := http.NewRequest("PATCH", f.srv.URL+"/api/v2/client-grants/"+gs[0].ID, strings.NewReader(`{"organization_usage":"allow"}`))
	req.Header.Set("Authorization", "Bearer "+f.adminToken(t))
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("PATCH grant: %v %v", res.StatusCode, err)
	}
	r = b.get("/dashboard/organizations/" + id + "/m2m")
	mustContain(t, "m2m tab", r.body, "No application has access", `<option value="`+gs[0].ID+`">Worker → Timesheets (allow)</option>`)
	r = b.follow(b.post("/dashboard/organizations/"+id+"/m2m", url.Values{"grant_id": {gs[0].ID}}))
	mustContain(t, "added", r.body, "Access added.", "<code>read:timesheets</code>")
	r = b.follow(b.post("/dashboard/organizations/"+id+"/m2m/remove", url.Values{"grant_id": {gs[0].ID}}))
	mustContain(t, "removed", r.body, "Access removed.", "No application has access")

	// A read-only admin sees it read-only and cannot write.
	ro := f.browser()
	ro.signIn("reader", readerSecret)
	r = ro.get("/dashboard/organizations/" + id + "/settings")
	mustContain(t, "read-only settings", r.body, "<fieldset disabled>")
	mustNotContain(t, "read-only settings", r.body, "Delete Organization")
	r = ro.follow(ro.post("/dashboard/organizations", url.Values{"name": {"other"}}))
	mustContain(t, "read-only create", html.UnescapeString(r.body), "Insufficient scope, expected any of: create:organizations")

	r = b.follow(b.post("/dashboard/organizations/"+id+"/delete", url.Values{}))
	mustContain(t, "deleted", r.body, "Organization deleted.", "No organizations yet.")
}
