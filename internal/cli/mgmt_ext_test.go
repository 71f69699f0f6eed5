package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// runIn is run with stdin (and ctx).
func runIn(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(ctx, args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return code, out.String(), errb.String()
}

// tokenClaims gets a token with credo token and returns its payload.
func tokenClaims(t *testing.T, env map[string]string, args ...string) map[string]any {
	t.Helper()
	tok := cliJSON(t, env, append([]string{"token"}, args...)...)
	parts := strings.Split(tok["access_token"].(string), ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func cliStrings(t *testing.T, env map[string]string, args ...string) []string {
	t.Helper()
	out := cli(t, env, 0, append(args, "-o", "json")...)
	var l []string
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("credo %s -o json: %q: %v", strings.Join(args, " "), out, err)
	}
	return l
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	extSecret = "worker-secret-0123456789abcdefghijklmnop"
	extAPI    = "https://api.example.com/ext"
)

// extTenant is a migrated tenant with one application granted scopes a and
// b of one API.
func extTenant(t *testing.T) (string, map[string]string) {
	dir := t.TempDir()
	env := map[string]string{"CREDO_DB": filepath.Join(dir, "credo.db"), "CREDO_MASTER_KEY": testMasterKey}
	cli(t, env, 0, "migrate")
	cli(t, env, 0, "clients", "create", "--name", "Worker", "--id", "worker", "--import-secret", extSecret)
	cli(t, env, 0, "apis", "create", "--identifier", extAPI, "--scopes", "a,b")
	cli(t, env, 0, "grants", "create", "--client", "worker", "--audience", extAPI, "--scope", "a,b")
	return dir, env
}

var workerToken = []string{"--client", "worker", "--client-secret", extSecret, "--audience", extAPI}

func TestActionsCLI(t *testing.T) {
	dir, env := extTenant(t)
	ctx := context.Background()
	stamp := writeFile(t, dir, "stamp.js", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://x.test/v", event.secrets.V);
};
`)
	const keySecret = "s3cr3t-action-value-4242"
	a := cliJSON(t, env, "actions", "create", "--name", "stamp", "--code", stamp, "--secret", "V=one", "--secret", "KEY="+keySecret)
	id, _ := a["id"].(string)
	if id == "" || a["deployed_version"] != nil || a["name"] != "stamp" || !strings.Contains(a["code"].(string), "event.secrets.V") {
		t.Fatalf("created %v", a)
	}
	if out := cli(t, env, 0, "actions", "get", "stamp"); !strings.Contains(out, id) || !regexpMatch(out, `deployed +no`) || !strings.Contains(out, "code:\nexports.onExecuteCredentialsExchange") || strings.Contains(out, "one") {
		t.Errorf("get by name:\n%s", out)
	}
	if out := cli(t, env, 0, "actions", "deploy", "stamp"); !strings.Contains(out, "as version 1; not bound") {
		t.Errorf("deploy: %s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != nil {
		t.Errorf("an unbound action ran: %v", claims)
	}
	if out := cli(t, env, 0, "actions", "bindings", "set", "stamp"); !strings.Contains(out, "1  "+id+"  stamp  v1") {
		t.Errorf("bindings set:\n%s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != "one" {
		t.Errorf("claims %v", claims)
	}

	// Update from stdin, with a new secret value, and deploy.
	code, out, errOut := runIn(t, ctx, env, `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://x.test/v", "v2:" + event.secrets.V + event.secrets.W);
};`, "actions", "update", id, "--code", "-", "--secret", "W=two", "--deploy", "-o", "json")
	if code != 0 {
		t.Fatalf("update from stdin: %d %s", code, errOut)
	}
	var up map[string]any
	json.Unmarshal([]byte(out), &up)
	if dv, _ := up["deployed_version"].(map[string]any); dv["number"] != 2.0 || up["all_changes_deployed"] != true || len(up["secrets"].([]any)) != 3 {
		t.Errorf("update: %v", up)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != "v2:onetwo" {
		t.Errorf("claims after update %v", claims)
	}
	// Secrets apply to the deployed version at once; code only once deployed.
	cli(t, env, 0, "actions", "update", "stamp", "--remove-secret", "W")
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != "v2:oneundefined" {
		t.Errorf("claims after removing W %v", claims)
	}
	cli(t, env, 0, "actions", "update", "stamp", "--code", stamp)
	if out := cli(t, env, 0, "actions", "list"); !regexpMatch(out, `stamp +v2 \(draft differs\) +#1`) {
		t.Errorf("list:\n%s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != "v2:oneundefined" {
		t.Errorf("an undeployed draft ran: %v", claims)
	}
	cli(t, env, 0, "actions", "update", "stamp", "--deploy")
	if out := cli(t, env, 0, "actions", "list"); !regexpMatch(out, `stamp +v3 +#1`) {
		t.Errorf("list after deploy:\n%s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != "one" {
		t.Errorf("claims after deploy %v", claims)
	}

	// The secret's value is nowhere to be read: not in the answers, the
	// tenant log or the database file.
	for _, args := range [][]string{{"actions", "get", "stamp", "-o", "json"}, {"actions", "list", "-o", "json"}, {"logs", "list", "--limit", "1000", "-o", "json"}} {
		if out := cli(t, env, 0, args...); strings.Contains(out, keySecret) {
			t.Errorf("credo %s shows a secret's value", strings.Join(args, " "))
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(env["CREDO_DB"] + suffix); err == nil && bytes.Contains(b, []byte(keySecret)) {
			t.Errorf("an Action secret in clear in %s", env["CREDO_DB"]+suffix)
		}
	}
	// A second action created deployed from stdin, bound after the first.
	if code, _, errOut := runIn(t, ctx, env, `exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://x.test/second", 2); };`,
		"actions", "create", "--name", "second", "--code", "-", "--deploy"); code != 0 {
		t.Fatalf("create from stdin: %s", errOut)
	}
	cli(t, env, 0, "actions", "bindings", "set", "stamp", "second")
	if l := cliList(t, env, "actions", "bindings", "get"); len(l) != 2 || l[1]["action"].(map[string]any)["name"] != "second" {
		t.Errorf("bindings: %v", l)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/second"] != 2.0 {
		t.Errorf("claims %v", claims)
	}
	if l := cliList(t, env, "actions", "list", "--deployed=true"); len(l) != 2 {
		t.Errorf("deployed: %d", len(l))
	}
	if l := cliList(t, env, "actions", "list", "--name", "second"); len(l) != 1 {
		t.Errorf("by name: %d", len(l))
	}

	// Unbinding asks; deleting a bound action asks, says so, and unbinds.
	if errOut := cli(t, env, 1, "actions", "bindings", "set", "stamp"); !strings.Contains(errOut, "Unbind second from credentials-exchange?") || !strings.Contains(errOut, "add --yes") {
		t.Errorf("unbind without --yes: %s", errOut)
	}
	if code, _, errOut := runIn(t, ctx, env, "n\n", "actions", "bindings", "set", "stamp"); code != 1 || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("unbind answered no: %d %s", code, errOut)
	}
	if l := cliList(t, env, "actions", "bindings", "get"); len(l) != 2 {
		t.Errorf("an unconfirmed unbind changed the bindings: %v", l)
	}
	if errOut := cli(t, env, 1, "actions", "delete", "stamp"); !strings.Contains(errOut, "bound to credentials-exchange at #1") || !strings.Contains(errOut, "add --yes") {
		t.Errorf("delete without --yes: %s", errOut)
	}
	if code, out, errOut := runIn(t, ctx, env, "y\n", "actions", "delete", "stamp"); code != 0 || !strings.Contains(out, "Deleted Action stamp ("+id+") and unbound it from credentials-exchange") {
		t.Errorf("delete answered yes: %d %s %s", code, out, errOut)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/v"] != nil || claims["https://x.test/second"] != 2.0 {
		t.Errorf("claims after delete %v", claims)
	}
	if out := cli(t, env, 0, "actions", "bindings", "set", "--yes"); !strings.Contains(out, "No Action is bound to credentials-exchange now") {
		t.Errorf("unbind all: %s", out)
	}
	if m := cliJSON(t, env, "actions", "delete", "second", "--yes"); m["unbound"] != false || m["deleted"] == "" {
		t.Errorf("delete unbound: %v", m)
	}
	if l := cliList(t, env, "actions", "triggers"); len(l) != 1 || l[0]["id"] != "credentials-exchange" {
		t.Errorf("triggers %v", l)
	}

	broken := writeFile(t, dir, "broken.js", "exports.onExecuteCredentialsExchange = async (event, api) => {\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"actions", "create", "--name", "x"}, 1, "--name and --code are required"},
		{[]string{"actions", "create", "--name", "x", "--code", filepath.Join(dir, "missing.js")}, 1, "no such file"},
		{[]string{"actions", "create", "--name", "broken", "--code", broken, "--deploy"}, 1, "HTTP 400"},
		{[]string{"actions", "create", "--name", "x", "--code", stamp, "--secret", "novalue"}, 2, "want NAME=VALUE"},
		{[]string{"actions", "get", "nope"}, 1, `no Action has the id or the name "nope"`},
		{[]string{"actions", "deploy", "nope"}, 1, `no Action has the id or the name "nope"`},
		{[]string{"actions", "delete", "nope", "--yes"}, 1, `no Action has the id or the name "nope"`},
		{[]string{"actions", "bindings", "set", "nope"}, 1, `no Action has the id or the name "nope"`},
		{[]string{"actions", "bindings", "get", "--trigger", "post-login"}, 1, "inexistent_trigger"},
		{[]string{"actions", "list", "--deployed", "maybe"}, 1, "want true or false"},
		{[]string{"actions", "deplyo"}, 2, `Did you mean "deploy"?`},
		{[]string{"actions", "bindings", "gte"}, 2, `Did you mean "get"?`},
		{[]string{"actions", "create", "--nmae", "x"}, 2, "Did you mean --name?"},
	} {
		if errOut := cli(t, env, tc.code, tc.args...); !strings.Contains(errOut, tc.want) {
			t.Errorf("credo %s: stderr %q lacks %q", strings.Join(tc.args, " "), errOut, tc.want)
		}
	}
	if l := cliList(t, env, "actions", "list"); len(l) != 0 {
		t.Errorf("a failed create left %v", l)
	}
	cli(t, env, 0, "actions", "create", "--name", "draft", "--code", stamp)
	if errOut := cli(t, env, 1, "actions", "update", "draft"); !strings.Contains(errOut, "nothing to change") {
		t.Errorf("update without flags: %s", errOut)
	}
	if errOut := cli(t, env, 1, "actions", "update", "draft", "--remove-secret", "NOPE"); !strings.Contains(errOut, "no such secret") {
		t.Errorf("remove a missing secret: %s", errOut)
	}
	if errOut := cli(t, env, 1, "actions", "bindings", "set", "draft"); !strings.Contains(errOut, "HTTP 400") {
		t.Errorf("bind an undeployed action: %s", errOut)
	}
}

func TestHooksCLI(t *testing.T) {
	dir, env := extTenant(t)
	ctx := context.Background()
	script := writeFile(t, dir, "legacy.js", `module.exports = function(client, scope, audience, context, cb) {
  var t = {}; t['https://x.test/hook'] = 'h1'; t.scope = scope; cb(null, t);
};`)
	h := cliJSON(t, env, "hooks", "create", "--name", "legacy", "--script", script)
	id, _ := h["id"].(string)
	if id == "" || h["enabled"] != false || h["triggerId"] != "credentials-exchange" {
		t.Fatalf("created %v", h)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != nil {
		t.Errorf("a disabled hook ran: %v", claims)
	}
	if out := cli(t, env, 0, "hooks", "enable", "legacy"); !strings.Contains(out, "Hook legacy ("+id+") enabled") {
		t.Errorf("enable: %s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != "h1" {
		t.Errorf("claims %v", claims)
	}
	if code, _, errOut := runIn(t, ctx, env, `module.exports = function(client, scope, audience, context, cb) {
  var t = {}; t['https://x.test/hook'] = 'h2'; t.scope = scope; cb(null, t);
};`, "hooks", "update", id, "--script", "-"); code != 0 {
		t.Fatalf("update from stdin: %s", errOut)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != "h2" {
		t.Errorf("claims after update %v", claims)
	}
	// Secrets: added, changed, deleted; their values never shown.
	withSecret := writeFile(t, dir, "secret.js", `module.exports = function(client, scope, audience, context, cb) {
  var t = {}; t['https://x.test/hook'] = context.webtask.secrets.K || 'none'; t.scope = scope; cb(null, t);
};`)
	cli(t, env, 0, "hooks", "update", "legacy", "--script", withSecret)
	if l := cliStrings(t, env, "hooks", "secrets", "set", "legacy", "K=hook-secret-value-1", "J=other"); len(l) != 2 || l[0] != "J" || l[1] != "K" {
		t.Errorf("secrets set: %v", l)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != "hook-secret-value-1" {
		t.Errorf("claims with the secret %v", claims)
	}
	cli(t, env, 0, "hooks", "secrets", "set", "legacy", "K=hook-secret-value-2")
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != "hook-secret-value-2" {
		t.Errorf("claims with the changed secret %v", claims)
	}
	if out := cli(t, env, 0, "hooks", "secrets", "list", "legacy"); !strings.Contains(out, "K") || strings.Contains(out, "hook-secret-value") {
		t.Errorf("secrets list:\n%s", out)
	}
	if errOut := cli(t, env, 1, "hooks", "secrets", "delete", "legacy", "K"); !strings.Contains(errOut, "Delete the secret K of hook legacy?") {
		t.Errorf("secrets delete without --yes: %s", errOut)
	}
	if l := cliStrings(t, env, "hooks", "secrets", "delete", "legacy", "K", "--yes"); len(l) != 1 || l[0] != "J" {
		t.Errorf("secrets delete: %v", l)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != "none" {
		t.Errorf("claims after deleting the secret %v", claims)
	}
	if errOut := cli(t, env, 1, "hooks", "secrets", "delete", "legacy", "NOPE", "--yes"); !strings.Contains(errOut, "inexistent_hook_secret") {
		t.Errorf("delete a missing secret: %s", errOut)
	}
	if errOut := cli(t, env, 1, "hooks", "secrets", "set", "legacy", "K"); !strings.Contains(errOut, "want NAME=VALUE") {
		t.Errorf("set without a value: %s", errOut)
	}
	if b, err := os.ReadFile(env["CREDO_DB"]); err != nil || bytes.Contains(b, []byte("hook-secret-value")) {
		t.Errorf("a hook secret in clear in the database (%v)", err)
	}
	if out := cli(t, env, 0, "hooks", "get", "legacy"); !regexpMatch(out, `enabled +true`) || !strings.Contains(out, "secrets.K") || strings.Contains(out, "hook-secret-value") {
		t.Errorf("get:\n%s", out)
	}
	if errOut := cli(t, env, 1, "hooks", "create", "--name", "other", "--script", script, "--enabled"); !strings.Contains(errOut, "HTTP 409") {
		t.Errorf("a second enabled hook: %s", errOut)
	}
	cli(t, env, 0, "hooks", "create", "--name", "other", "--script", script)
	if l := cliList(t, env, "hooks", "list", "--enabled=true"); len(l) != 1 || l[0]["name"] != "legacy" {
		t.Errorf("enabled hooks: %v", l)
	}
	if out := cli(t, env, 0, "hooks", "list"); !strings.Contains(out, "legacy") || !strings.Contains(out, "other") {
		t.Errorf("list:\n%s", out)
	}
	cli(t, env, 0, "hooks", "disable", "legacy")
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != nil {
		t.Errorf("a disabled hook ran: %v", claims)
	}
	cli(t, env, 0, "hooks", "update", "other", "--name", "renamed")
	cli(t, env, 0, "hooks", "enable", "renamed")
	if errOut := cli(t, env, 1, "hooks", "delete", "renamed"); !strings.Contains(errOut, "It is enabled") || !strings.Contains(errOut, "add --yes") {
		t.Errorf("delete without --yes: %s", errOut)
	}
	if out := cli(t, env, 0, "hooks", "delete", "renamed", "--yes"); !strings.Contains(out, "Deleted hook") {
		t.Errorf("delete: %s", out)
	}
	if claims := tokenClaims(t, env, workerToken...); claims["https://x.test/hook"] != nil {
		t.Errorf("a deleted hook ran: %v", claims)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"hooks", "create", "--name", "x"}, 1, "--name and --script are required"},
		{[]string{"hooks", "get", "nope"}, 1, `no hook has the id or the name "nope"`},
		{[]string{"hooks", "enable", "nope"}, 1, `no hook has the id or the name "nope"`},
		{[]string{"hooks", "update", "legacy"}, 1, "nothing to change"},
		{[]string{"hooks", "list", "--enabled", "yes please"}, 1, "want true or false"},
		{[]string{"hooks", "enabel"}, 2, `Did you mean "enable"?`},
		{[]string{"hooks", "create", "--name", "x", "--script", "-"}, 1, "no standard input"},
	} {
		if errOut := cli(t, env, tc.code, tc.args...); !strings.Contains(errOut, tc.want) {
			t.Errorf("credo %s: stderr %q lacks %q", strings.Join(tc.args, " "), errOut, tc.want)
		}
	}
	if code, _, errOut := runIn(t, ctx, env, "  \n", "hooks", "create", "--name", "x", "--script", "-"); code != 1 || !strings.Contains(errOut, "no code") {
		t.Errorf("an empty script from stdin: %d %s", code, errOut)
	}
}

func TestSettingsCLI(t *testing.T) {
	_, env := extTenant(t)
	if out := cli(t, env, 0, "settings", "show"); !regexpMatch(out, `flags.honor_scope_subset +false +issue only`) || !regexpMatch(out, `flags.auth0_compat_errors +false`) {
		t.Errorf("show:\n%s", out)
	}
	narrow := append(append([]string{}, workerToken...), "--scope", "a")
	if claims := tokenClaims(t, env, narrow...); claims["scope"] != "a b" {
		t.Errorf("scope %v before honor_scope_subset (Auth0 issues the whole grant)", claims["scope"])
	}
	m := cliJSON(t, env, "settings", "set", "honor_scope_subset=true")
	if f := m["flags"].(map[string]any); f["honor_scope_subset"] != true || f["auth0_compat_errors"] != false {
		t.Errorf("set: %v", m)
	}
	if claims := tokenClaims(t, env, narrow...); claims["scope"] != "a" {
		t.Errorf("scope %v with honor_scope_subset", claims["scope"])
	}
	cli(t, env, 0, "settings", "set", "flags.honor_scope_subset=false", "flags.auth0_compat_errors=true", "default_audience="+extAPI)
	if out := cli(t, env, 0, "settings", "show"); !regexpMatch(out, `default_audience +`+regexp.QuoteMeta(extAPI)+` +the API a token request`) {
		t.Errorf("show:\n%s", out)
	}
	if m := cliJSON(t, env, "settings", "show"); m["flags"].(map[string]any)["auth0_compat_errors"] != true || m["flags"].(map[string]any)["honor_scope_subset"] != false || m["default_audience"] != extAPI {
		t.Errorf("show: %v", m)
	}
	// Auth0 settings credo only stores: JSON values or strings; null removes.
	cli(t, env, 0, "settings", "set", "friendly_name=Acme Payroll", "session_lifetime=72", `enabled_locales=["en","fr"]`)
	out := cli(t, env, 0, "settings", "show")
	if !regexpMatch(out, `friendly_name +Acme Payroll +stored and returned`) || !regexpMatch(out, `session_lifetime +72 `) || !strings.Contains(out, `["en","fr"]`) {
		t.Errorf("show:\n%s", out)
	}
	if m := cliJSON(t, env, "settings", "set", "friendly_name=null"); m["friendly_name"] != nil || m["session_lifetime"] != 72.0 {
		t.Errorf("remove: %v", m)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"settings", "set"}, "at least one KEY=VALUE"},
		{[]string{"settings", "set", "honor_scope_subset"}, "want KEY=VALUE"},
		{[]string{"settings", "set", "honor_scope_subst=true"}, "did you mean flags.honor_scope_subset?"},
		{[]string{"settings", "set", "flags.honor_scope_subst=true"}, "did you mean flags.honor_scope_subset?"},
		{[]string{"settings", "set", "frendly_name=x"}, "Additional properties not allowed: frendly_name"},
		{[]string{"settings", "set", "honor_scope_subset=maybe"}, "Expected type boolean but found type string"},
		{[]string{"settings", "set", "session_lifetime=long"}, "Expected type number"},
		{[]string{"settings", "set", "change_password.enabled=true"}, "give an object setting whole"},
	} {
		if errOut := cli(t, env, 1, tc.args...); !strings.Contains(errOut, tc.want) {
			t.Errorf("credo %s: stderr %q lacks %q", strings.Join(tc.args, " "), errOut, tc.want)
		}
	}
}

func TestLogsCLI(t *testing.T) {
	_, env := extTenant(t)
	cli(t, env, 1, "token", "--client", "worker", "--client-secret", "wrong-secret-0123456789abcdefghijklmno", "--audience", extAPI)
	tokenClaims(t, env, workerToken...)

	// The three writes of extTenant, oldest first.
	l := cliList(t, env, "logs", "list", "--type", "sapi")
	if len(l) != 3 || l[0]["description"] != "Create a client" || l[2]["description"] != "Create a client grant" {
		t.Fatalf("sapi events: %v", l)
	}
	if l := cliList(t, env, "logs", "list", "--type", "sapi", "--limit", "1"); len(l) != 1 || l[0]["description"] != "Create a client grant" {
		t.Errorf("the latest sapi event: %v", l)
	}
	f := cliList(t, env, "logs", "list", "--type", "feccft,seccft", "--client", "worker")
	if len(f) != 2 || f[0]["type"] != "feccft" || f[1]["type"] != "seccft" || f[0]["client_id"] != "worker" {
		t.Fatalf("token events: %v", f)
	}
	if l := cliList(t, env, "logs", "list", "--client", "Worker", "--type", "feccft,seccft"); len(l) != 2 {
		t.Errorf("by client name (the failed authentication's event names the client_id only): %v", l)
	}
	if l := cliList(t, env, "logs", "list", "--client", "deleted-or-never-was"); len(l) != 0 {
		t.Errorf("by an unknown client: %v", l)
	}
	out := cli(t, env, 0, "logs", "list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 5 || !strings.Contains(lines[3], "feccft") || !strings.Contains(lines[4], "worker (Worker)") {
		t.Errorf("table:\n%s", out)
	}
	id := f[0]["log_id"].(string)
	if out := cli(t, env, 0, "logs", "get", id); !strings.Contains(out, id) || !regexpMatch(out, `type +feccft`) || strings.Contains(out, "wrong-secret") {
		t.Errorf("get:\n%s", out)
	}
	if m := cliJSON(t, env, "logs", "get", id); m["log_id"] != id || m["audience"] != extAPI {
		t.Errorf("get -o json: %v", m)
	}
	if l := cliList(t, env, "logs", "list", "--from", "1h"); len(l) != 5 {
		t.Errorf("the last hour: %d events", len(l))
	}
	if code, out, errOut := run(t, env, "logs", "list", "--from", "2099-01-01"); code != 0 || out != "" || !strings.Contains(errOut, "no matching events") {
		t.Errorf("from the future: %d %q %q", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "list", "--from", "yesterday"}, "want a date"},
		{[]string{"logs", "list", "--limit", "0"}, "want 1 to 1000"},
		{[]string{"logs", "get", "nope"}, "HTTP 404"},
	} {
		if errOut := cli(t, env, 1, tc.args...); !strings.Contains(errOut, tc.want) {
			t.Errorf("credo %s: stderr %q lacks %q", strings.Join(tc.args, " "), errOut, tc.want)
		}
	}

	// -f prints what the tenant logs next, until interrupted.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var code int
	var fout, ferr string
	wg.Go(func() {
		code, fout, ferr = runIn(t, ctx, env, "", "logs", "list", "-f", "--interval", "100ms", "--type", "sapi", "--limit", "1", "-o", "json")
	})
	time.Sleep(300 * time.Millisecond)
	cli(t, env, 0, "clients", "create", "--name", "Later")
	cli(t, env, 1, "token", "--client", "worker", "--client-secret", "wrong-secret-0123456789abcdefghijklmno", "--audience", extAPI) // filtered out
	cli(t, env, 0, "apis", "create", "--identifier", "urn:later")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if l := cliList(t, env, "logs", "list", "--type", "sapi", "--limit", "1"); len(l) == 1 && l[0]["description"] == "Create a resource server" {
			break
		}
	}
	time.Sleep(400 * time.Millisecond) // two polls
	cancel()
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(fout), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "Create a client grant") || !strings.Contains(lines[1], "Create a client") || !strings.Contains(lines[2], "Create a resource server") {
		t.Errorf("follow: exit %d, stderr %q, stdout:\n%s", code, ferr, fout)
	}
}

func regexpMatch(s, pattern string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}

// TestLogsCLISearchesTheServer: the filters are the Management API's log
// search, so the matches among more events than its 1000-event page window
// are found, and --query adds a search of one's own.
func TestLogsCLISearchesTheServer(t *testing.T) {
	cfg, a := testApp(t, func(c *config.Config) { c.NoDemo = true })
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []store.LogEvent
	for i := range 1500 {
		typ, cid := "seccft", "busy"
		if i < 3 {
			typ, cid = "feccft", "rare" // the oldest three
		}
		d := start.Add(time.Duration(i) * time.Second)
		evs = append(evs, store.LogEvent{ID: tenant.NewLogID(d), Date: d, Type: typ, ClientID: cid, ClientName: cid + " app", Description: fmt.Sprintf("event %d", i)})
	}
	if err := a.store.AppendLogs(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	a.Close()
	env := map[string]string{"CREDO_DB": cfg.DB, "CREDO_MASTER_KEY": testMasterKey}
	if l := cliList(t, env, "logs", "list", "--type", "feccft"); len(l) != 3 || l[0]["description"] != "event 0" || l[2]["description"] != "event 2" {
		t.Errorf("the oldest three, behind 1497 newer: %v", l)
	}
	if l := cliList(t, env, "logs", "list", "--client", "rare app"); len(l) != 3 { // a client name, no such application
		t.Errorf("by the name of a client that is no application: %d", len(l))
	}
	if l := cliList(t, env, "logs", "list", "--client", "busy", "--from", "2026-01-01T00:24:00Z"); len(l) != 50 || l[49]["description"] != "event 1499" || l[0]["description"] != "event 1450" {
		t.Errorf("--from and --limit 50: %d, %v … %v", len(l), l[0]["description"], l[len(l)-1]["description"])
	}
	if l := cliList(t, env, "logs", "list", "--from", "2026-01-01T00:24:00Z", "--limit", "1000"); len(l) != 60 {
		t.Errorf("the last 60 seconds: %d events", len(l))
	}
	if l := cliList(t, env, "logs", "list", "--limit", "1000"); len(l) != 1000 || l[999]["description"] != "event 1499" {
		t.Errorf("--limit 1000: %d", len(l))
	}
	if l := cliList(t, env, "logs", "list", "--query", `description:"event 1"`, "--type", "feccft"); len(l) != 1 {
		t.Errorf("--query: %v", l)
	}
	if errOut := cli(t, env, 1, "logs", "list", "--query", "type:(a OR"); !strings.Contains(errOut, "HTTP 400") {
		t.Errorf("a bad --query: %s", errOut)
	}
}
