package dashboard_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/dashboard"
	"github.com/credo-dev/credo/store"
)

func TestSignInClientCredentials(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()

	r := b.get("/dashboard/")
	if r.status != http.StatusSeeOther || r.loc() != "/dashboard/login" {
		t.Fatalf("signed out: %d %q, want a redirect to the sign-in page", r.status, r.loc())
	}
	r = b.get("/dashboard/apis")
	if r.loc() != "/dashboard/login?next=%2Fdashboard%2Fapis" {
		t.Fatalf("signed out, deep link: %q", r.loc())
	}
	login := b.get("/dashboard/login")
	pre := cookie(t, login.header)

	for _, tc := range []struct {
		name, id, secret string
		status           int
		msg              string
	}{
		{"empty", "", "", 400, "Enter the Client ID and Client Secret"},
		{"unknown client", "nobody", adminSecret, 401, "Wrong Client ID or Client Secret."},
		{"wrong secret", "admin", "wrong-secret", 401, "Wrong Client ID or Client Secret."},
		{"no Management API grant", "worker", workerSecret, 403, "is not authorized for the Management API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/dashboard/login", url.Values{"client_id": {tc.id}, "client_secret": {tc.secret}})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			mustContain(t, tc.name, html.UnescapeString(r.body), tc.msg)
			if r.header.Get("Set-Cookie") != "" {
				t.Fatalf("a failed sign-in set a cookie: %s", r.header.Get("Set-Cookie"))
			}
		})
	}

	r = b.post("/dashboard/login", url.Values{"client_id": {"admin"}, "client_secret": {adminSecret}, "next": {"/dashboard/keys"}})
	if r.status != http.StatusSeeOther || r.loc() != "/dashboard/keys" {
		t.Fatalf("sign-in: %d %q", r.status, r.loc())
	}
	if post := cookie(t, r.header); post.Value == pre.Value {
		t.Fatal("the session id did not change at sign-in")
	}
	page := b.follow(r)
	mustContain(t, "keys page", page.body, "Signed in as <strong>Admin</strong>", "Rotate Keys")

	// A next outside the dashboard is ignored.
	b2 := f.browser()
	b2.get("/dashboard/login")
	r = b2.post("/dashboard/login", url.Values{"client_id": {"admin"}, "client_secret": {adminSecret}, "next": {"//evil.example/x"}})
	if r.loc() != "/dashboard/" {
		t.Fatalf("open redirect: %q", r.loc())
	}

	// Sign out ends the session on the server.
	old := b.csrf
	r = b.post("/dashboard/logout", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc(), "/dashboard/login") {
		t.Fatalf("sign out: %d %q", r.status, r.loc())
	}
	if r := b.get("/dashboard/apis"); r.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", r.status)
	}
	r = b.post("/dashboard/apis", url.Values{"csrf": {old}, "name": {"x"}, "identifier": {"urn:x"}})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("POST after sign-out: %d", r.status)
	}
}

func cookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "credo_dashboard" {
			return c
		}
	}
	t.Fatalf("no credo_dashboard cookie in %v", h.Values("Set-Cookie"))
	return nil
}

func TestCookieAndHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := newFixture(t, secure)
		b := f.browser()
		r := b.get("/dashboard/login")
		c := cookie(t, r.header)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/dashboard" || c.Secure != secure {
			t.Fatalf("secure=%v: cookie %+v", secure, c)
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Fatalf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Fatalf("CSP allows inline code: %q", csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := r.header.Get(h); got != want {
				t.Fatalf("%s = %q, want %q", h, got, want)
			}
		}
	}
}

// inline finds what a strict CSP would block in a page: inline scripts,
// event handler attributes, style attributes and elements, javascript: URLs.
var inline = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<script>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:`)

func TestNoInlineCode(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()
	pages := []string{"/dashboard/login", "/dashboard/login-link?token=x"}
	b.signIn("admin", adminSecret)
	rs, _ := f.st.GetResourceServer(t.Context(), timesheets)
	pages = append(pages, "/dashboard/", "/dashboard/apis", "/dashboard/applications", "/dashboard/actions", "/dashboard/keys",
		"/dashboard/logs", "/dashboard/settings", "/dashboard/organizations", "/dashboard/applications/worker/settings", "/dashboard/applications/worker/credentials",
		"/dashboard/applications/worker/apis")
	for _, tab := range []string{"settings", "permissions", "m2m", "test"} {
		pages = append(pages, "/dashboard/apis/"+rs.ID+"/"+tab)
	}
	for _, p := range pages {
		r := b.get(p)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.loc())
		}
		if m := inline.FindString(r.body); m != "" {
			t.Fatalf("%s has inline code a strict CSP blocks: %q", p, m)
		}
		if r.header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: no CSP", p)
		}
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()
	b.signIn("admin", adminSecret)
	b.get("/dashboard/apis")
	form := func() url.Values {
		return url.Values{"name": {"Reports"}, "identifier": {"urn:reports"}, "signing_alg": {"RS256"}}
	}
	for _, tc := range []struct {
		name string
		csrf []string
		hdr  []string
		want int
	}{
		{"no token", []string{""}, nil, 403},
		{"wrong token", []string{"AAAA" + b.csrf[4:]}, nil, 403},
		{"other origin", nil, []string{"Origin", "https://evil.example"}, 403},
	} {
		v := form()
		if tc.csrf != nil {
			v["csrf"] = tc.csrf
		}
		r := b.post("/dashboard/apis", v, tc.hdr...)
		if r.status != tc.want {
			t.Fatalf("%s: %d, want %d", tc.name, r.status, tc.want)
		}
	}
	if _, err := f.st.GetResourceServer(t.Context(), "urn:reports"); err == nil {
		t.Fatal("a refused POST created the API")
	}
	// Another session's token does not work either.
	other := f.browser()
	other.signIn("admin", adminSecret)
	other.get("/dashboard/apis")
	v := form()
	v.Set("csrf", other.csrf)
	if r := b.post("/dashboard/apis", v); r.status != 403 {
		t.Fatalf("another session's token: %d", r.status)
	}
	// The sign-in form needs it too (login CSRF).
	anon := f.browser()
	anon.get("/dashboard/login")
	if r := anon.post("/dashboard/login", url.Values{"csrf": {""}, "client_id": {"admin"}, "client_secret": {adminSecret}}); r.status != 403 {
		t.Fatalf("sign-in without the token: %d", r.status)
	}
	// With the right token and origin it works.
	r := b.post("/dashboard/apis", form(), "Origin", f.srv.URL)
	if r.status != http.StatusSeeOther {
		t.Fatalf("good POST: %d\n%s", r.status, r.body)
	}
	if _, err := f.st.GetResourceServer(t.Context(), "urn:reports"); err != nil {
		t.Fatal(err)
	}
}

func TestIdleTimeout(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()
	b.signIn("admin", adminSecret)
	// Activity keeps the session alive.
	for range 3 {
		f.advance(defaultTimeout - time.Minute)
		if r := b.get("/dashboard/apis"); r.status != 200 {
			t.Fatalf("active session ended: %d", r.status)
		}
	}
	f.advance(defaultTimeout)
	if r := b.get("/dashboard/apis"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc(), "/dashboard/login") {
		t.Fatalf("idle session: %d %q", r.status, r.loc())
	}
	// The absolute lifetime ends even an active session.
	b = f.browser()
	b.signIn("admin", adminSecret)
	for i := 0; i < 8*4+1; i++ {
		f.advance(15*time.Minute - time.Second)
		b.get("/dashboard/apis")
	}
	if r := b.get("/dashboard/apis"); r.status != http.StatusSeeOther {
		t.Fatalf("session older than 8h: %d", r.status)
	}
}

func TestGrantRemovedEndsSession(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()
	b.signIn("admin", adminSecret)
	gs, _, err := f.st.ListClientGrants(t.Context(), store.GrantFilter{ClientID: "admin"})
	if err != nil || len(gs) != 1 {
		t.Fatal(gs, err)
	}
	if err := f.svc.DeleteGrant(t.Context(), gs[0].ID); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/dashboard/apis"); r.status != http.StatusSeeOther {
		t.Fatalf("a session whose Management API grant is gone: %d", r.status)
	}
}

func TestReadOnlyAdmin(t *testing.T) {
	f := newFixture(t, false)
	b := f.browser()
	b.signIn("reader", readerSecret)
	rs, _ := f.st.GetResourceServer(t.Context(), timesheets)
	pages := map[string][]string{
		"/dashboard/apis":                            {"Create API", `action="/dashboard/apis"`},
		"/dashboard/applications":                    {"Create Application"},
		"/dashboard/keys":                            {"Rotate Keys", "/revoke"},
		"/dashboard/applications/worker/credentials": {"Rotate secret"},
		"/dashboard/apis/" + rs.ID + "/permissions":  {"+ Add", "Remove"},
		"/dashboard/actions":                         {"Create Action"},
	}
	for p, absent := range pages {
		r := b.get(p)
		if r.status != 200 {
			t.Fatalf("%s: %d", p, r.status)
		}
		mustContain(t, p, r.body, "read-only")
		mustNotContain(t, p, r.body, absent...)
	}
	// Disabled forms on the settings pages.
	r := b.get("/dashboard/apis/" + rs.ID + "/settings")
	mustContain(t, "API settings", r.body, "<fieldset disabled>")
	r = b.get("/dashboard/apis/" + rs.ID + "/m2m")
	mustContain(t, "M2M tab", r.body, "<fieldset disabled>")

	// A write sent anyway is refused by the Management API, in its words.
	for _, tc := range []struct {
		path string
		form url.Values
		msg  string
	}{
		{"/dashboard/apis", url.Values{"name": {"X"}, "identifier": {"urn:x"}}, "Insufficient scope, expected any of: create:resource_servers"},
		{"/dashboard/applications", url.Values{"name": {"X"}}, "Insufficient scope, expected any of: create:clients"},
		{"/dashboard/keys/rotate", url.Values{}, "Insufficient scope, expected all of: create:signing_keys,update:signing_keys"},
		{"/dashboard/applications/worker/rotate-secret", url.Values{"grace_period": {"0"}}, "Insufficient scope, expected any of: update:client_keys"},
		{"/dashboard/apis/" + rs.ID + "/m2m", url.Values{"client_id": {"worker"}, "authorized": {"on"}, "scope": {"create:timesheets"}}, "Insufficient scope, expected any of: update:client_grants"},
		{"/dashboard/settings", url.Values{"honor_scope_subset": {"on"}}, "Insufficient scope, expected any of: update:tenant_settings"},
	} {
		r := b.follow(b.post(tc.path, tc.form))
		mustContain(t, tc.path, html.UnescapeString(r.body), tc.msg, "403 insufficient_scope")
	}
	if _, err := f.st.GetResourceServer(t.Context(), "urn:x"); err == nil {
		t.Fatal("the read-only admin created an API")
	}
	g, _, _ := f.st.ListClientGrants(t.Context(), store.GrantFilter{ClientID: "worker"})
	if len(g) != 1 || len(g[0].Scope) != 1 {
		t.Fatalf("the read-only admin changed a grant: %+v", g)
	}
}

func TestLoginLink(t *testing.T) {
	f := newFixture(t, false)
	ctx := t.Context()
	link, err := dashboard.NewLoginLink(ctx, f.st, f.issuer, "operator", []string{"read:clients", "read:resource_servers"}, 5*time.Minute, f.clock())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	tok := u.Query().Get("token")
	if u.Path != "/dashboard/login-link" || len(tok) < 40 {
		t.Fatalf("link %q", link)
	}
	// Only the hash is stored.
	if _, err := f.st.ConsumeLoginLink(ctx, tok, f.clock()); err == nil {
		t.Fatal("the token itself is a stored key")
	}
	b := f.browser()
	// GETs (previews, prefetches) do not use the link.
	for range 2 {
		r := b.get(u.RequestURI())
		mustContain(t, "login-link page", r.body, `name="token" value="`+tok+`"`)
	}
	r := b.post("/dashboard/login-link", url.Values{"token": {tok}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login link: %d\n%s", r.status, r.body)
	}
	page := b.get("/dashboard/settings")
	mustContain(t, "settings", page.body, "operator", "login link", "read-only", "read:clients")
	// A second use fails, in another browser too.
	b2 := f.browser()
	b2.get(u.RequestURI())
	r = b2.post("/dashboard/login-link", url.Values{"token": {tok}})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("second use: %d", r.status)
	}
	mustContain(t, "second use", r.body, "expired or was already used")
	// An expired link fails.
	link, _ = dashboard.NewLoginLink(ctx, f.st, f.issuer, "late", []string{"read:clients"}, time.Minute, f.clock())
	u, _ = url.Parse(link)
	b3 := f.browser()
	b3.get(u.RequestURI())
	f.advance(2 * time.Minute)
	if r := b3.post("/dashboard/login-link", url.Values{"token": {u.Query().Get("token")}}); r.status != http.StatusUnauthorized {
		t.Fatalf("expired link: %d", r.status)
	}
	// Bounds.
	if _, err := dashboard.NewLoginLink(ctx, f.st, f.issuer, "x", []string{"read:clients"}, 2*time.Hour, f.clock()); err == nil {
		t.Fatal("a 2h link was accepted")
	}
	if _, err := dashboard.NewLoginLink(ctx, f.st, f.issuer, "x", nil, time.Minute, f.clock()); err == nil {
		t.Fatal("a link without scopes was accepted")
	}
}

var secretRe = regexp.MustCompile(`id="new-secret" class="mono" readonly value="([^"]+)"`)

// TestFlow walks the seed documents' steps through the router: create an
// API with permissions, an application, authorize it with two scopes, get
// a token on the Test tab, rotate its secret, rotate the keys, find the
// exchange in the logs and the usage.
func TestFlow(t *testing.T) {
	f := newFixture(t, false)
	ctx := t.Context()
	b := f.browser()
	b.signIn("admin", adminSecret)

	b.get("/dashboard/apis")
	r := b.follow(b.post("/dashboard/apis", url.Values{"name": {"Reports"}, "identifier": {"https://reports.example.com"}, "signing_alg": {"ES256"}, "token_lifetime": {"3600"}, "token_dialect": {"rfc9068_profile"}}))
	mustContain(t, "created API", r.body, "API Reports created.", "https://reports.example.com")
	rs, err := f.st.GetResourceServer(ctx, "https://reports.example.com")
	if err != nil || rs.SigningAlg != "ES256" || rs.TokenLifetime != 3600 || rs.TokenDialect != "rfc9068_profile" {
		t.Fatalf("%+v %v", rs, err)
	}
	// A duplicate identifier is refused with the Management API's message.
	r = b.follow(b.post("/dashboard/apis", url.Values{"name": {"Again"}, "identifier": {"https://reports.example.com"}}))
	mustContain(t, "duplicate", r.body, "409")

	base := "/dashboard/apis/" + rs.ID
	for _, sc := range []string{"read:reports", "write:reports", "delete:reports"} {
		r = b.follow(b.post(base+"/permissions", url.Values{"value": {sc}, "description": {"d " + sc}}))
		mustContain(t, "permission", r.body, "Permission "+sc+" added.")
	}
	r = b.follow(b.post(base+"/permissions/delete", url.Values{"value": {"delete:reports"}}))
	mustContain(t, "remove permission", r.body, "Permission delete:reports removed.")

	b.get("/dashboard/applications")
	r = b.follow(b.post("/dashboard/applications", url.Values{"name": {"Report Builder"}}))
	m := secretRe.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret shown:\n%s", r.body)
	}
	sec := html.UnescapeString(m[1])
	clientID := regexp.MustCompile(`id="a-id" class="mono" readonly value="([^"]+)"`).FindStringSubmatch(r.body)[1]
	// Shown once.
	if again := b.get("/dashboard/applications/" + clientID + "/settings"); strings.Contains(again.body, sec) {
		t.Fatal("the secret was shown twice")
	}

	r = b.follow(b.post(base+"/m2m", url.Values{"client_id": {clientID}, "authorized": {"on"}, "scope": {"read:reports", "write:reports"}}))
	mustContain(t, "authorized", r.body, "Application authorized.")
	g, _, _ := f.st.ListClientGrants(ctx, store.GrantFilter{ClientID: clientID})
	if len(g) != 1 || strings.Join(g[0].Scope, " ") != "read:reports write:reports" {
		t.Fatalf("grant %+v", g)
	}

	// The Test tab shows the request filled in, in every language.
	r = b.get(base + "/test?client_id=" + clientID)
	for _, lang := range []string{"cURL", "C#", "Go", "Java", "Node.JS", "Obj-C", "PHP", "Python", "Ruby", "Swift"} {
		mustContain(t, "test tab", r.body, `>`+html.EscapeString(lang)+`</button>`)
	}
	mustContain(t, "test tab", r.body, "--data client_id="+clientID, "--data audience=https://reports.example.com", f.issuer+"oauth/token",
		"audience=https%3A%2F%2Freports.example.com", "YOUR_CLIENT_SECRET")
	r = b.post(base+"/test", url.Values{"client_id": {clientID}, "client_secret": {sec}})
	mustContain(t, "test run", r.body, "HTTP 200", `id="t-claims"`)
	claims := regexp.MustCompile(`(?s)id="t-claims">(.*?)</pre>`).FindStringSubmatch(r.body)[1]
	var c map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(claims)), &c); err != nil {
		t.Fatal(err)
	}
	if c["scope"] != "read:reports write:reports" || c["aud"] != "https://reports.example.com" || c["client_id"] != clientID {
		t.Fatalf("claims %v", c)
	}
	if strings.Contains(r.body, sec) {
		t.Fatal("the test page echoes the secret")
	}
	// A wrong secret shows the token endpoint's error.
	r = b.post(base+"/test", url.Values{"client_id": {clientID}, "client_secret": {"nope"}})
	mustContain(t, "test run, wrong secret", r.body, "HTTP 401", "invalid_client")

	// Rotate with a grace period: both secrets work meanwhile.
	b.get("/dashboard/applications/" + clientID + "/credentials")
	r = b.follow(b.post("/dashboard/applications/"+clientID+"/rotate-secret", url.Values{"grace_period": {"3600"}}))
	mustContain(t, "rotated", r.body, "Secret rotated; the previous secret keeps working until")
	sec2 := html.UnescapeString(secretRe.FindStringSubmatch(r.body)[1])
	for _, s := range []string{sec, sec2} {
		if r := b.post(base+"/test", url.Values{"client_id": {clientID}, "client_secret": {s}}); !strings.Contains(r.body, "HTTP 200") {
			t.Fatal("a secret does not work during the grace period")
		}
	}

	// Keys.
	before, _ := f.st.ListSigningKeys(ctx)
	b.get("/dashboard/keys")
	r = b.follow(b.post("/dashboard/keys/rotate", url.Values{}))
	mustContain(t, "rotate keys", r.body, "Keys rotated", "Previously used", "Revoke")
	after, _ := f.st.ListSigningKeys(ctx)
	if len(after) <= len(before) {
		t.Fatalf("keys %d → %d", len(before), len(after))
	}
	prev := regexp.MustCompile(`action="/dashboard/keys/([^/"]+)/revoke"`).FindStringSubmatch(r.body)[1]
	r = b.follow(b.post("/dashboard/keys/"+prev+"/revoke", url.Values{}))
	mustContain(t, "revoke", r.body, "Key "+prev+" revoked", "Revoked")

	// Logs: the exchange and the Management API writes, with filters.
	r = b.get("/dashboard/logs?type=seccft&client_id=" + clientID)
	mustContain(t, "logs", r.body, "Client Credentials for Access Token", clientID)
	mustNotContain(t, "logs filtered by type", r.body, "<code>sapi</code>")
	r = b.get("/dashboard/logs?type=sapi")
	mustContain(t, "sapi logs", r.body, "Create a client", "Admin (dashboard)")
	today := f.clock().Format("2006-01-02")
	r = b.get("/dashboard/logs?type=feccft&from=" + today + "&to=" + today)
	mustContain(t, "failures today", r.body, "<code>feccft</code>")
	r = b.get("/dashboard/logs?type=seccft&from=2000-01-01&to=2000-01-02")
	mustContain(t, "no events then", r.body, "No events match.")
	r = b.get("/dashboard/logs?q=" + url.QueryEscape(`description:"Rotate a client secret"`))
	mustContain(t, "search", r.body, "Rotate a client secret", "1 event(s) match")
	r = b.get("/dashboard/logs?q=" + url.QueryEscape(`nosuchfield:x`))
	if r.status != 400 || !strings.Contains(html.UnescapeString(r.body), "unknown field 'nosuchfield'") {
		t.Fatalf("bad search: %d", r.status)
	}
	r = b.get("/dashboard/logs?from=yesterday")
	if r.status != 400 {
		t.Fatalf("bad date: %d", r.status)
	}
	id := regexp.MustCompile(`href="/dashboard/logs/([^"]+)"><code>seccft`).FindStringSubmatch(b.get("/dashboard/logs?type=seccft").body)[1]
	r = b.get("/dashboard/logs/" + id)
	mustContain(t, "log detail", r.body, "Client Credentials for Access Token", "https://reports.example.com")

	// Usage: the exchanges of this test, by application and denial reason.
	r = b.get("/dashboard/")
	mustContain(t, "activity", r.body, `id="total-tokens">3<`, `id="total-denials">1<`, "Report Builder ("+clientID+"): 3", "<code>invalid_client</code>: 1", "<svg")
}

func TestUsageAggregates(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	u := &dashboard.Usage{Store: f.st}
	h := time.Date(2026, 5, 1, 10, 20, 0, 0, time.UTC)
	for range 5 {
		u.Add(store.LogEvent{Type: "seccft", ClientID: "a", Date: h})
	}
	u.Add(store.LogEvent{Type: "feccft", ClientID: "a", Date: h, Details: map[string]any{"error": "access_denied"}})
	u.Add(store.LogEvent{Type: "sapi", ClientID: "a", Date: h}) // not counted
	// Nothing is written until a flush.
	if got, _ := f.st.ListUsage(ctx, h.Truncate(time.Hour), h.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("written before a flush: %+v", got)
	}
	if err := u.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := u.Flush(ctx); err != nil { // nothing pending: adds nothing
		t.Fatal(err)
	}
	got, _ := f.st.ListUsage(ctx, h.Truncate(time.Hour), h.Add(time.Hour))
	want := []store.UsageCount{
		{Hour: h.Truncate(time.Hour), Metric: "denials", ClientID: "a", Reason: "access_denied", Count: 1},
		{Hour: h.Truncate(time.Hour), Metric: "tokens", ClientID: "a", Count: 5},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
	// A flush that fails keeps the counts for the next one.
	fs := &failingStore{Store: f.st, fail: true}
	u2 := &dashboard.Usage{Store: fs}
	u2.Add(store.LogEvent{Type: "seccft", ClientID: "b", Date: h})
	if err := u2.Flush(ctx); err == nil {
		t.Fatal("a failed flush reported success")
	}
	fs.fail = false
	u2.Add(store.LogEvent{Type: "seccft", ClientID: "b", Date: h})
	if err := u2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = f.st.ListUsage(ctx, h.Truncate(time.Hour), h.Add(time.Hour))
	if len(got) != 3 || got[2].ClientID != "b" || got[2].Count != 2 {
		t.Fatalf("after a failed flush: %+v", got)
	}
}

type failingStore struct {
	store.Store
	fail bool
}

func (s *failingStore) AddUsage(ctx context.Context, c []store.UsageCount) error {
	if s.fail {
		return store.ErrUnavailable
	}
	return s.Store.AddUsage(ctx, c)
}

// BenchmarkUsageAdd is what the token path pays per exchange for the usage
// counters (an in-memory increment; no database).
func BenchmarkUsageAdd(b *testing.B) {
	u := &dashboard.Usage{}
	ev := store.LogEvent{Type: "seccft", ClientID: "client-0123456789", Date: time.Now()}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u.Add(ev)
		}
	})
}
