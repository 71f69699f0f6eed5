package dashboard_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestActionsPages(t *testing.T) {
	f := newFixture(t, false)
	ctx := t.Context()
	b := f.browser()
	b.signIn("admin", adminSecret)
	b.get("/dashboard/actions")
	r := b.follow(b.post("/dashboard/actions", url.Values{"name": {"Tier"}}))
	mustContain(t, "created", r.body, "Action Tier created.", "exports.onExecuteCredentialsExchange", "Not deployed")
	id := regexp.MustCompile(`action="/dashboard/actions/([^/"]+)/test"`).FindStringSubmatch(r.body)[1]
	// The sample event names a real application and API.
	mustContain(t, "sample event", html.UnescapeString(r.body), `"client_id": "worker"`, `"identifier": "`+timesheets+`"`)

	code := "exports.onExecuteCredentialsExchange = async (event, api) => {\r\n  api.accessToken.setCustomClaim('https://example.com/who', event.client.name);\r\n};\r\n"
	r = b.follow(b.post("/dashboard/actions/"+id, url.Values{"code": {code}, "deploy": {"0"}}))
	mustContain(t, "draft", r.body, "Draft saved (not deployed).")
	a, err := f.st.GetAction(ctx, id)
	if err != nil || strings.Contains(a.Code, "\r") || !strings.Contains(a.Code, "example.com/who") {
		t.Fatalf("stored code %q %v", a.Code, err)
	}

	// Test run of the draft.
	r = b.post("/dashboard/actions/"+id+"/test", url.Values{"payload": {`{"client":{"client_id":"c","name":"Builder"},"resource_server":{"identifier":"urn:x"},"accessToken":{"scope":["a"]}}`}})
	mustContain(t, "test run", html.UnescapeString(r.body), `"https://example.com/who": "Builder"`, `id="test-result"`)
	r = b.post("/dashboard/actions/"+id+"/test", url.Values{"payload": {`{not json`}})
	if r.status != 400 || !strings.Contains(r.body, "The event is not valid JSON.") {
		t.Fatalf("bad JSON: %d", r.status)
	}

	// A syntax error is refused at deploy with the Management API's message.
	r = b.follow(b.post("/dashboard/actions/"+id, url.Values{"code": {"exports.onExecuteCredentialsExchange = async (event, api) => {"}, "deploy": {"1"}}))
	mustContain(t, "bad deploy", r.body, "flash-error")
	r = b.follow(b.post("/dashboard/actions/"+id, url.Values{"code": {code}, "deploy": {"1"}}))
	mustContain(t, "deployed", r.body, "Saved and deployed.", "Deployed version")

	// Bind it: the next token carries the claim.
	r = b.follow(b.post("/dashboard/actions/bindings", url.Values{"bound": {id}}))
	mustContain(t, "bound", r.body, "Flow updated: 1 action(s)")
	ids, _ := f.st.Bindings(ctx, "credentials-exchange")
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("bindings %v", ids)
	}
	rs, _ := f.st.GetResourceServer(ctx, timesheets)
	r = b.post("/dashboard/apis/"+rs.ID+"/test", url.Values{"client_id": {"worker"}, "client_secret": {workerSecret}})
	mustContain(t, "token with the action's claim", html.UnescapeString(r.body), `"https://example.com/who": "Worker"`)

	// Read-only: no editor buttons, no test run.
	ro := f.browser()
	ro.signIn("reader", readerSecret)
	r = ro.get("/dashboard/actions/" + id)
	mustContain(t, "read-only action", r.body, "<fieldset disabled>", "A test run needs the create:actions permission.")
	r = ro.post("/dashboard/actions/"+id+"/test", url.Values{"payload": {`{}`}})
	mustContain(t, "read-only test run", html.UnescapeString(r.body), "Insufficient scope, expected any of: create:actions")

	r = b.follow(b.post("/dashboard/actions/"+id+"/delete", url.Values{}))
	mustContain(t, "deleted", r.body, "Action deleted.")
}
