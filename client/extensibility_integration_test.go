package client_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/credo-dev/credo/client"
)

// integrationExtensibility drives Actions, bindings, hooks, the tenant log
// and the tenant settings through the client package, and checks each
// change on the tokens the server then issues.
func integrationExtensibility(t *testing.T, bin string) {
	s := startCredo(t, bin)
	ctx := t.Context()
	mgmt := s.admin(ctx)
	const aud = "https://actions.integration.test/api"
	if _, err := mgmt.ResourceServers.Create(ctx, &client.ResourceServer{Identifier: aud, Scopes: []client.Scope{{Value: "a"}, {Value: "b"}}}); err != nil {
		t.Fatal(err)
	}
	app, err := mgmt.Clients.Create(ctx, &client.Application{Name: "worker", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.ClientGrants.Create(ctx, &client.ClientGrant{ClientID: app.ClientID, Audience: aud, Scope: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	claim := func(name string) any {
		t.Helper()
		_, _, raw := s.claims(t, app.ClientID, app.ClientSecret, aud)
		return payloadClaim(t, raw, name)
	}

	// Triggers.
	trs, err := mgmt.Actions.Triggers(ctx)
	if err != nil || len(trs) != 1 || trs[0].ID != client.TriggerCredentialsExchange || trs[0].Version != "v2" {
		t.Fatalf("triggers %+v, %v", trs, err)
	}

	// An action: created, deployed, bound, then its claim is in every token.
	v2 := []client.ActionTrigger{{ID: client.TriggerCredentialsExchange, Version: "v2"}}
	const code1 = `exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://x.test/v", event.secrets.V); };`
	a, err := mgmt.Actions.Create(ctx, &client.Action{Name: "stamp", SupportedTriggers: v2, Code: code1, Runtime: "node22",
		Secrets: []client.ActionSecret{{Name: "V", Value: "one"}}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Name != "stamp" || a.Code != code1 || a.DeployedVersion != nil || a.AllChangesDeployed || a.CreatedAt == nil ||
		len(a.Secrets) != 1 || a.Secrets[0].Name != "V" || a.Secrets[0].Value != "" || a.Secrets[0].UpdatedAt == nil {
		t.Errorf("created action %+v", a)
	}
	if got, err := mgmt.Actions.Get(ctx, a.ID); err != nil || got.ID != a.ID || got.Code != code1 {
		t.Errorf("get action: %+v, %v", got, err)
	}
	if claim("https://x.test/v") != nil {
		t.Error("an action that is neither deployed nor bound ran")
	}
	ver, err := mgmt.Actions.Deploy(ctx, a.ID)
	if err != nil || ver.ActionID != a.ID || ver.Number != 1 || !ver.Deployed || ver.Code != code1 || ver.BuiltAt == nil {
		t.Fatalf("deploy: %+v, %v", ver, err)
	}
	bound, err := mgmt.Actions.SetBindings(ctx, client.TriggerCredentialsExchange, []client.BindingRef{client.BindActionName("stamp")})
	if err != nil || len(bound) != 1 || bound[0].Action.ID != a.ID || bound[0].TriggerID != client.TriggerCredentialsExchange || bound[0].ID == "" {
		t.Fatalf("bind: %+v, %v", bound, err)
	}
	if got := claim("https://x.test/v"); got != "one" {
		t.Errorf("claim %v after deploy and bind, want one", got)
	}

	// Update the draft (keeping the secret): the deployed version runs until
	// the next deploy.
	code2 := `exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://x.test/v", "two:" + event.secrets.V); };`
	up, err := mgmt.Actions.Update(ctx, a.ID, client.ActionUpdate{Code: &code2, Secrets: []client.ActionSecret{{Name: "V"}}})
	if err != nil || up.Code != code2 || up.AllChangesDeployed || up.DeployedVersion == nil || up.DeployedVersion.Code != code1 {
		t.Fatalf("update: %+v, %v", up, err)
	}
	if got := claim("https://x.test/v"); got != "one" {
		t.Errorf("claim %v before the redeploy, want one", got)
	}
	if ver, err := mgmt.Actions.Deploy(ctx, a.ID); err != nil || ver.Number != 2 {
		t.Fatalf("redeploy: %+v, %v", ver, err)
	}
	if got := claim("https://x.test/v"); got != "two:one" {
		t.Errorf("claim %v after the redeploy, want two:one", got)
	}

	// Lists and filters.
	deployed, undeployed := true, false
	if l, err := mgmt.Actions.List(ctx, client.ActionListOptions{ActionName: "stamp"}); err != nil || l.Total != 1 || len(l.Actions) != 1 || l.Actions[0].ID != a.ID {
		t.Errorf("list by name: %+v, %v", l, err)
	}
	if l, err := mgmt.Actions.All(ctx, client.ActionListOptions{Deployed: &undeployed}); err != nil || len(l) != 0 {
		t.Errorf("undeployed actions: %+v, %v", l, err)
	}
	if l, err := mgmt.Actions.All(ctx, client.ActionListOptions{Deployed: &deployed, TriggerID: client.TriggerCredentialsExchange}); err != nil || len(l) != 1 {
		t.Errorf("deployed actions: %+v, %v", l, err)
	}
	if b, err := mgmt.Actions.Bindings(ctx, client.TriggerCredentialsExchange); err != nil || len(b) != 1 || b[0].Action.Name != "stamp" {
		t.Errorf("bindings: %+v, %v", b, err)
	}

	// Refusals: code that does not compile creates nothing; dependencies; a
	// bound action without force; an unknown trigger.
	_, err = mgmt.Actions.CreateDeployed(ctx, &client.Action{Name: "broken", SupportedTriggers: v2, Code: "exports.onExecuteCredentialsExchange = async (event, api) => {"})
	apiErr(t, "create and deploy code that does not compile", err, http.StatusBadRequest)
	if l, err := mgmt.Actions.All(ctx, client.ActionListOptions{ActionName: "broken"}); err != nil || len(l) != 0 {
		t.Errorf("a failed create-and-deploy left %+v, %v", l, err)
	}
	_, err = mgmt.Actions.Create(ctx, &client.Action{Name: "deps", SupportedTriggers: v2, Dependencies: []client.ActionDependency{{Name: "lodash", Version: "4.17.21"}}})
	apiErr(t, "an npm dependency", err, http.StatusBadRequest)
	if ae := apiErr(t, "delete a bound action", mgmt.Actions.Delete(ctx, a.ID, false), http.StatusConflict); ae.ErrorCode != "action_bound" {
		t.Errorf("delete a bound action: %+v", ae)
	}
	_, err = mgmt.Actions.Bindings(ctx, "post-login")
	apiErr(t, "bindings of another trigger", err, http.StatusNotFound)
	_, err = mgmt.Actions.Get(ctx, "no-such-action")
	apiErr(t, "get a missing action", err, http.StatusNotFound)

	// A created-and-deployed action bound after the first runs after it.
	second, err := mgmt.Actions.CreateDeployed(ctx, &client.Action{Name: "second", SupportedTriggers: v2,
		Code: `exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://x.test/second", 2); };`})
	if err != nil || second.DeployedVersion == nil || !second.AllChangesDeployed {
		t.Fatalf("create deployed: %+v, %v", second, err)
	}
	if b, err := mgmt.Actions.SetBindings(ctx, client.TriggerCredentialsExchange, []client.BindingRef{client.BindActionID(a.ID), client.BindActionID(second.ID)}); err != nil || len(b) != 2 || b[1].Action.ID != second.ID {
		t.Fatalf("bind two: %+v, %v", b, err)
	}
	if got := claim("https://x.test/second"); got != 2.0 {
		t.Errorf("second claim %v", got)
	}
	// Delete with force unbinds; unbind the other with an empty list.
	if err := mgmt.Actions.Delete(ctx, second.ID, true); err != nil {
		t.Fatal(err)
	}
	if b, err := mgmt.Actions.Bindings(ctx, client.TriggerCredentialsExchange); err != nil || len(b) != 1 || b[0].Action.ID != a.ID {
		t.Errorf("bindings after a forced delete: %+v, %v", b, err)
	}
	if b, err := mgmt.Actions.SetBindings(ctx, client.TriggerCredentialsExchange, nil); err != nil || len(b) != 0 {
		t.Fatalf("unbind all: %+v, %v", b, err)
	}
	if got := claim("https://x.test/v"); got != nil {
		t.Errorf("claim %v after unbinding", got)
	}
	if err := mgmt.Actions.Delete(ctx, a.ID, false); err != nil {
		t.Fatalf("delete an unbound action: %v", err)
	}

	// Hooks.
	const script = `module.exports = function(client, scope, audience, context, cb) {
  var t = {}; t['https://x.test/hook'] = context.webtask.secrets.H || 'none'; t.scope = scope; cb(null, t);
};`
	h, err := mgmt.Hooks.Create(ctx, &client.Hook{Name: "legacy", TriggerID: client.TriggerCredentialsExchange, Script: script})
	if err != nil || h.ID == "" || h.Enabled || h.Script != script || h.CreatedAt == nil {
		t.Fatalf("create hook: %+v, %v", h, err)
	}
	if claim("https://x.test/hook") != nil {
		t.Error("a disabled hook ran")
	}
	on := true
	if h, err = mgmt.Hooks.Update(ctx, h.ID, client.HookUpdate{Enabled: &on}); err != nil || !h.Enabled {
		t.Fatalf("enable hook: %+v, %v", h, err)
	}
	if got := claim("https://x.test/hook"); got != "none" {
		t.Errorf("hook claim %v, want none", got)
	}
	if err := mgmt.Hooks.AddSecrets(ctx, h.ID, map[string]string{"H": "secret-value"}); err != nil {
		t.Fatal(err)
	}
	if sec, err := mgmt.Hooks.Secrets(ctx, h.ID); err != nil || sec["H"] != "_VALUE_NOT_SHOWN_" {
		t.Errorf("hook secrets %v, %v", sec, err)
	}
	if got := claim("https://x.test/hook"); got != "secret-value" {
		t.Errorf("hook claim %v, want the secret", got)
	}
	if err := mgmt.Hooks.UpdateSecrets(ctx, h.ID, map[string]string{"H": "changed"}); err != nil {
		t.Fatal(err)
	}
	if got := claim("https://x.test/hook"); got != "changed" {
		t.Errorf("hook claim %v, want the changed secret", got)
	}
	apiErr(t, "add an existing hook secret", mgmt.Hooks.AddSecrets(ctx, h.ID, map[string]string{"H": "x"}), http.StatusConflict)
	if err := mgmt.Hooks.DeleteSecrets(ctx, h.ID, []string{"H"}); err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.Hooks.Create(ctx, &client.Hook{Name: "second", TriggerID: client.TriggerCredentialsExchange, Script: script, Enabled: true})
	apiErr(t, "a second enabled hook on the trigger", err, http.StatusConflict)
	if l, err := mgmt.Hooks.All(ctx, client.HookListOptions{Enabled: &on}); err != nil || len(l) != 1 || l[0].ID != h.ID {
		t.Errorf("enabled hooks: %+v, %v", l, err)
	}
	if l, err := mgmt.Hooks.List(ctx, client.HookListOptions{ListOptions: client.ListOptions{IncludeTotals: true}, TriggerID: client.TriggerCredentialsExchange}); err != nil || l.Total != 1 || len(l.Hooks) != 1 {
		t.Errorf("hooks of the trigger: %+v, %v", l, err)
	}
	name := "renamed"
	if got, err := mgmt.Hooks.Update(ctx, h.ID, client.HookUpdate{Name: &name}); err != nil || got.Name != name || !got.Enabled {
		t.Errorf("rename hook: %+v, %v", got, err)
	}
	if err := mgmt.Hooks.Delete(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.Hooks.Get(ctx, h.ID)
	apiErr(t, "get a deleted hook", err, http.StatusNotFound)
	if got := claim("https://x.test/hook"); got != nil {
		t.Errorf("claim %v after the hook was deleted", got)
	}

	// Settings: honor_scope_subset narrows a token to the requested scope.
	st, err := mgmt.Settings.Get(ctx)
	if err != nil || st.Flags == nil || st.Flags.HonorScopeSubset == nil || *st.Flags.HonorScopeSubset {
		t.Fatalf("settings %+v, %v", st, err)
	}
	if st, err = mgmt.Settings.Update(ctx, client.TenantSettings{Flags: &client.TenantFlags{HonorScopeSubset: &on}}); err != nil ||
		!*st.Flags.HonorScopeSubset || *st.Flags.Auth0CompatErrors {
		t.Fatalf("update settings: %+v, %v", st, err)
	}
	if st, err := mgmt.Settings.Get(ctx); err != nil || !*st.Flags.HonorScopeSubset {
		t.Errorf("settings after update: %+v, %v", st, err)
	}
	all, err := mgmt.Settings.Patch(ctx, map[string]any{"friendly_name": "Acme", "session_lifetime": 72})
	if err != nil || all["friendly_name"] != "Acme" || all["session_lifetime"] != 72.0 || all["flags"].(map[string]any)["honor_scope_subset"] != true {
		t.Errorf("patch settings: %v, %v", all, err)
	}
	if all, err = mgmt.Settings.Patch(ctx, map[string]any{"friendly_name": nil}); err != nil || all["friendly_name"] != nil {
		t.Errorf("remove a setting: %v, %v", all, err)
	}
	if all, err := mgmt.Settings.GetAll(ctx); err != nil || all["session_lifetime"] != 72.0 {
		t.Errorf("all settings: %v, %v", all, err)
	}
	_, err = mgmt.Settings.Patch(ctx, map[string]any{"friendly_nmae": "x"})
	apiErr(t, "an unknown setting", err, http.StatusBadRequest)

	// Logs: every write above is a sapi event (written in batches, within
	// a second), newest first; checkpoint pagination reads forward from one.
	var l *client.LogList
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		l, err = mgmt.Logs.List(ctx, client.LogListOptions{ListOptions: client.ListOptions{PerPage: 5, IncludeTotals: true}})
		if err == nil && len(l.Logs) == 5 && l.Logs[0].Description == "Update tenant settings" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs: %+v, %v", l, err)
		}
	}
	if l.Total < 20 {
		t.Errorf("%d events in the log, want one per write", l.Total)
	}
	newest := l.Logs[0]
	if newest.Type != "sapi" || newest.Description != "Update tenant settings" || newest.Date == nil || newest.LogID == "" {
		t.Errorf("newest event %+v", newest)
	}
	if e, err := mgmt.Logs.Get(ctx, newest.LogID); err != nil || e.LogID != newest.LogID || e.Description != newest.Description {
		t.Errorf("get log: %+v, %v", e, err)
	}
	after, err := mgmt.Logs.List(ctx, client.LogListOptions{From: l.Logs[4].LogID, Take: 10})
	if err != nil || len(after.Logs) != 4 || after.Logs[3].LogID != newest.LogID {
		t.Errorf("checkpoint after the fifth newest: %+v, %v", after, err)
	}
	if f, err := mgmt.Logs.List(ctx, client.LogListOptions{Take: 3, Fields: []string{"log_id", "type"}}); err != nil || len(f.Logs) != 3 || f.Logs[0].Description != "" || f.Logs[0].Type == "" {
		t.Errorf("fields: %+v, %v", f, err)
	}
	_, err = mgmt.Logs.Get(ctx, "no-such-log")
	apiErr(t, "get a missing log event", err, http.StatusNotFound)
	_, err = mgmt.Logs.List(ctx, client.LogListOptions{From: "no-such-log"})
	apiErr(t, "from a missing log event", err, http.StatusBadRequest)
	for _, e := range after.Logs {
		if slices.Contains([]string{"", "-"}, e.Type) {
			t.Errorf("event without a type: %+v", e)
		}
	}
}
