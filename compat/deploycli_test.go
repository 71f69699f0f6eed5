package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// deployTenant is the tenant file the Deploy CLI imports: tenant settings,
// APIs (one HS256 without a signing_secret), clients, grants, an
// organization with a client grant, an action bound to the
// credentials-exchange trigger and a legacy hook, in Auth0's tenant.yaml
// shape. ##DOMAIN## is replaced through AUTH0_KEYWORD_REPLACE_MAPPINGS.
const deployTenant = `tenant:
  friendly_name: Deploy CLI tenant
  support_email: ops@deploy.test
  default_audience: https://orders.##DOMAIN##/
  session_lifetime: 168
  flags:
    enable_client_connections: false
resourceServers:
  - name: Orders API
    identifier: https://orders.##DOMAIN##/
    signing_alg: RS256
    token_lifetime: 3600
    scopes:
      - value: read:orders
        description: Read orders
      - value: write:orders
        description: Write orders
  - name: Legacy HS256 API
    identifier: https://legacy.##DOMAIN##/
    signing_alg: HS256
clients:
  - name: Orders worker
    app_type: non_interactive
    grant_types: [client_credentials]
    token_endpoint_auth_method: client_secret_post
    client_metadata:
      team: orders
  - name: Reporting job
    app_type: non_interactive
    description: nightly reports
    grant_types: [client_credentials]
clientGrants:
  - client_id: Orders worker
    audience: https://orders.##DOMAIN##/
    scope: [read:orders, write:orders]
    organization_usage: allow
  - client_id: Reporting job
    audience: https://orders.##DOMAIN##/
    scope: [read:orders]
  - client_id: Reporting job
    audience: https://legacy.##DOMAIN##/
    scope: []
actions:
  - name: add-claim
    code: ./actions/add-claim.js
    runtime: node22
    dependencies: []
    deployed: true
    secrets: []
    supported_triggers:
      - id: credentials-exchange
        version: v2
triggers:
  credentials-exchange:
    - action_name: add-claim
      display_name: add-claim
organizations:
  - name: acme
    display_name: Acme Corp
    client_grants:
      - client_id: Orders worker
hooks:
  - name: legacy-hook
    script: ./hooks/legacy-hook.js
    triggerId: credentials-exchange
    enabled: false
    secrets: {}
    dependencies: {}
`

const deployAction = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://deploy.test/by", "a0deploy " + event.client.name);
};
`

const deployHook = `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope });
};
`

// deployTypes are the resource types the imports manage.
var deployTypes = []string{"tenant", "resourceServers", "clients", "clientGrants", "actions", "triggers", "hooks", "organizations"}

// TestDeployCLI runs Auth0's Deploy CLI (auth0-deploy-cli, a0deploy) against
// credo over HTTPS with a test CA, authenticated with client credentials
// as the bootstrap admin: import, a second import that changes nothing, an
// export with no include or exclude list (it must run to the end) and its
// import (nothing changes), and an export in directory format imported with
// AUTH0_ALLOW_DELETE=true after removing a client (it and its grants are
// deleted, nothing else).
func TestDeployCLI(t *testing.T) {
	node := nodeTools(t)
	cli := filepath.Join(repoRoot(t), "compat", "node", "node_modules", "auth0-deploy-cli", "lib", "index.js")
	if _, err := os.Stat(cli); err != nil {
		t.Skipf("the Deploy CLI is not installed (%v): run npm ci --prefix compat/node", err)
	}
	fx := newFixture(t)
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte("clients: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsc := newTestTLS(t, dir)
	srv := startIn(t, credoBinary(t), dir, seed, fx, tlsc)
	api := &mgmtClient{t: t, srv: srv, http: tlsc.Client(), admin: fx.Admin}

	work := filepath.Join(dir, "work")
	for path, body := range map[string]string{
		"tenant.yaml": deployTenant, "actions/add-claim.js": deployAction, "hooks/legacy-hook.js": deployHook,
	} {
		p := filepath.Join(work, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, config map[string]any, args ...string) string {
		t.Helper()
		cfg := map[string]any{
			"AUTH0_DOMAIN": srv.Addr, "AUTH0_CLIENT_ID": fx.Admin.ID, "AUTH0_CLIENT_SECRET": fx.Admin.Secret,
			"AUTH0_KEYWORD_REPLACE_MAPPINGS": map[string]string{"DOMAIN": "deploy.test"},
		}
		for k, v := range config {
			if v == nil {
				delete(cfg, k)
			} else {
				cfg[k] = v
			}
		}
		cfgFile := filepath.Join(dir, name+".json")
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute) // an import spends ~20 s of CPU in the Deploy CLI alone
		defer cancel()
		cmd := exec.CommandContext(ctx, node, append([]string{cli}, append(args, "-c", cfgFile)...)...)
		cmd.Dir = work
		cmd.Env = cleanEnv("NODE_EXTRA_CA_CERTS="+tlsc.CAFile, "NO_COLOR=1", "FORCE_COLOR=0")
		out := &lineWriter{prefix: "a0deploy " + name + "| ", log: t.Log}
		cmd.Stdout, cmd.Stderr = out, out
		cmd.WaitDelay = 5 * time.Second
		start := time.Now()
		err := cmd.Run()
		out.Flush()
		t.Logf("a0deploy %s took %v", name, time.Since(start).Round(100*time.Millisecond))
		if err != nil {
			t.Fatalf("a0deploy %s: %v (its output is above, prefixed a0deploy %s|)", name, err, name)
		}
		return out.String()
	}
	included := map[string]any{"AUTH0_INCLUDED_ONLY": deployTypes}

	// 1. Import.
	out := run("import", included, "import", "-i", "tenant.yaml")
	settings := api.get("tenants/settings")
	if settings["friendly_name"] != "Deploy CLI tenant" || settings["default_audience"] != "https://orders.deploy.test/" ||
		settings["flags"].(map[string]any)["enable_client_connections"] != false {
		t.Errorf("tenant settings after import: %v", settings)
	}
	if orgs := api.list("organizations", ""); len(orgs) != 1 || orgs[0]["name"] != "acme" ||
		len(api.list("organizations/"+url.PathEscape(orgs[0]["id"].(string))+"/client-grants", "")) != 1 {
		t.Errorf("organizations after import: %v", orgs)
	}
	for _, want := range []string{"Created [organizations]", "Updated [tenant]", "Created [resourceServers]", "Created [clients]", "Created [clientGrants]", "Created [actions]", "Deployed [actions]", "Updated [triggers]", "Created [hooks]", "Import Successful"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q", want)
		}
	}
	clients := api.list("clients?is_global=false", "")
	if names := names(clients); !reflect.DeepEqual(names, []string{"Orders worker", "Reporting job", "credo bootstrap admin"}) {
		t.Fatalf("clients after import: %v", names)
	}
	legacy := api.get("resource-servers/" + url.PathEscape("https://legacy.deploy.test/"))
	hsSecret, _ := legacy["signing_secret"].(string)
	if legacy["signing_alg"] != "HS256" || len(hsSecret) < 32 {
		t.Fatalf("HS256 API imported without a signing_secret: %v", legacy)
	}
	// The imported tenant issues tokens: the HS256 one verifies with the
	// returned secret and carries the deployed action's claim.
	reporting := byName(clients, "Reporting job")
	rotated := api.call("POST", "clients/"+url.PathEscape(reporting["client_id"].(string))+"/rotate-secret", nil)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {rotated["client_id"].(string)},
		"client_secret": {rotated["client_secret"].(string)}, "audience": {"https://legacy.deploy.test/"}}
	tok := api.token(form)
	_, claims, err := srv.verifyToken(tok, "https://legacy.deploy.test/", hsSecret)
	if err != nil || claims["https://deploy.test/by"] != "a0deploy Reporting job" {
		t.Fatalf("token for the imported HS256 API: claims %v, err %v", claims, err)
	}
	state := api.state() // after the rotation

	// 2. The same file again changes nothing.
	out = run("reimport", included, "import", "-i", "tenant.yaml")
	noChange(t, "second import", out)
	if got := api.state(); !reflect.DeepEqual(got, state) {
		t.Errorf("the second import changed the tenant:\n%s", diffState(state, got))
	}

	// 3. Export everything as YAML, with no include or exclude list: it runs
	// to the end, holds what credo has and not the system API, and imports
	// back (again with no list) without changing anything. Until credo
	// serves /api/v2/log-streams (issue 15) the Deploy CLI cannot read log
	// streams, so they are excluded while that route answers 404.
	full := map[string]any{}
	if api.status("log-streams") == http.StatusNotFound {
		t.Log("credo has no /api/v2/log-streams yet: the full export and import exclude logStreams")
		full["AUTH0_EXCLUDED"] = []string{"logStreams"}
	}
	out = run("export-all", full, "export", "-f", "yaml", "-o", "exported")
	if !strings.Contains(out, "Export Successful") {
		t.Errorf("the full export did not finish:\n%s", out)
	}
	exported, err := os.ReadFile(filepath.Join(work, "exported", "tenant.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"friendly_name: Deploy CLI tenant", "name: Orders worker", "identifier: https://legacy.deploy.test/",
		"signing_alg: HS256", "action_name: add-claim", "name: legacy-hook", "name: acme", "rules: []", "connections: []", "roles: []", "attackProtection:", "prompts:"} {
		if !strings.Contains(string(exported), want) {
			t.Errorf("the YAML export lacks %q:\n%s", want, exported)
		}
	}
	if strings.Contains(string(exported), "Auth0 Management API") || strings.Contains(string(exported), srv.Issuer+"api/v2/") {
		t.Errorf("the YAML export holds the system API:\n%s", exported)
	}
	out = run("import-all", full, "import", "-i", "exported/tenant.yaml")
	noChange(t, "import of the full export", out)
	if got := api.state(); !reflect.DeepEqual(got, state) {
		t.Errorf("importing the full export changed the tenant:\n%s", diffState(state, got))
	}

	// 4. Export as a directory; remove a client and its grants from it and
	// import with AUTH0_ALLOW_DELETE=true: exactly those are deleted.
	run("export-dir", included, "export", "-f", "directory", "-o", "tree")
	for _, f := range []string{"clients/Reporting job.json", "grants/Reporting job-Orders API.json", "grants/Reporting job-Legacy HS256 API.json"} {
		if err := os.Remove(filepath.Join(work, "tree", f)); err != nil {
			t.Fatalf("the directory export lacks %s: %v", f, err)
		}
	}
	allowDelete := map[string]any{"AUTH0_INCLUDED_ONLY": deployTypes, "AUTH0_ALLOW_DELETE": true}
	out = run("import-delete", allowDelete, "import", "-i", "tree")
	if strings.Contains(out, "Created [") {
		t.Errorf("the directory import created something:\n%s", out)
	}
	after := api.state()
	want := deleteClient(state, reporting["client_id"].(string))
	if !reflect.DeepEqual(after, want) {
		t.Errorf("AUTH0_ALLOW_DELETE=true import:\n%s", diffState(want, after))
	}
}

// noChange fails when a0deploy's log reports a created or deleted object.
func noChange(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"Created [", "Deleted ["} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: a0deploy reports %q", what, bad)
		}
	}
	if !strings.Contains(out, "Import Successful") {
		t.Errorf("%s did not succeed", what)
	}
}

// mgmtClient calls credo's Management API as the bootstrap admin.
type mgmtClient struct {
	t     *testing.T
	srv   *server
	http  *http.Client
	admin creds
	tok   string
}

func (m *mgmtClient) token(form url.Values) string {
	m.t.Helper()
	resp, err := m.http.PostForm(m.srv.Issuer+"oauth/token", form)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != 200 {
		m.t.Fatalf("token: %d %s", resp.StatusCode, raw)
	}
	return body["access_token"].(string)
}

func (m *mgmtClient) do(method, path string, body any) (int, []byte) {
	m.t.Helper()
	if m.tok == "" {
		m.tok = m.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {m.admin.ID},
			"client_secret": {m.admin.Secret}, "audience": {m.srv.Issuer + "api/v2/"}})
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, m.srv.Issuer+"api/v2/"+path, rd)
	req.Header.Set("Authorization", "Bearer "+m.tok)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (m *mgmtClient) status(path string) int {
	st, _ := m.do("GET", path, nil)
	return st
}

func (m *mgmtClient) call(method, path string, body any) map[string]any {
	m.t.Helper()
	st, raw := m.do(method, path, body)
	var out map[string]any
	if st/100 != 2 || json.Unmarshal(raw, &out) != nil {
		m.t.Fatalf("%s %s: %d %s", method, path, st, raw)
	}
	return out
}

func (m *mgmtClient) get(path string) map[string]any { return m.call("GET", path, nil) }

// list GETs a bare list (key "") or the array under key of an object.
func (m *mgmtClient) list(path, key string) []map[string]any {
	m.t.Helper()
	st, raw := m.do("GET", path, nil)
	if st != 200 {
		m.t.Fatalf("GET %s: %d %s", path, st, raw)
	}
	var out []map[string]any
	if key == "" {
		err := json.Unmarshal(raw, &out)
		if err != nil {
			m.t.Fatalf("GET %s: %v", path, err)
		}
		return out
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || json.Unmarshal(obj[key], &out) != nil {
		m.t.Fatalf("GET %s: no %s in %s", path, key, raw)
	}
	return out
}

// tenantState is what the Deploy CLI manages, by name, without the fields
// every write sets (updated_at, action versions).
type tenantState map[string]any

func (m *mgmtClient) state() tenantState {
	m.t.Helper()
	strip := func(l []map[string]any, drop ...string) []map[string]any {
		for _, o := range l {
			for _, k := range append(drop, "updated_at") {
				delete(o, k)
			}
		}
		return l
	}
	st := tenantState{
		"clients":          strip(m.list("clients", "")),
		"resource_servers": strip(m.list("resource-servers", "")),
		"client_grants":    strip(m.list("client-grants", "")),
		"actions":          strip(m.list("actions/actions", "actions"), "deployed_version", "all_changes_deployed", "status"),
		"bindings":         strip(m.list("actions/triggers/credentials-exchange/bindings", "bindings"), "action", "id", "created_at"),
		"hooks":            strip(m.list("hooks", "")),
		"settings":         m.get("tenants/settings"),
	}
	orgs := strip(m.list("organizations", ""))
	orgGrants := map[string][]string{}
	for _, o := range orgs {
		for _, g := range m.list("organizations/"+url.PathEscape(o["id"].(string))+"/client-grants", "") {
			orgGrants[o["name"].(string)] = append(orgGrants[o["name"].(string)], g["id"].(string))
		}
		sort.Strings(orgGrants[o["name"].(string)])
	}
	st["organizations"], st["organization_grants"] = orgs, orgGrants
	for _, k := range []string{"clients", "resource_servers", "client_grants", "actions", "hooks", "organizations"} {
		l := st[k].([]map[string]any)
		sort.Slice(l, func(i, j int) bool {
			return fmt.Sprint(l[i]["name"], l[i]["id"]) < fmt.Sprint(l[j]["name"], l[j]["id"])
		})
	}
	return st
}

// deleteClient is s without the client id and its grants.
func deleteClient(s tenantState, id string) tenantState {
	out := tenantState{}
	for k, v := range s {
		out[k] = v
	}
	keep := func(l []map[string]any) []map[string]any {
		var o []map[string]any
		for _, x := range l {
			if x["client_id"] != id {
				o = append(o, x)
			}
		}
		return o
	}
	out["clients"] = keep(s["clients"].([]map[string]any))
	out["client_grants"] = keep(s["client_grants"].([]map[string]any))
	return out
}

func diffState(want, got tenantState) string {
	var b strings.Builder
	for _, k := range []string{"clients", "resource_servers", "client_grants", "actions", "bindings", "hooks", "settings", "organizations", "organization_grants"} {
		if !reflect.DeepEqual(want[k], got[k]) {
			w, _ := json.Marshal(want[k])
			g, _ := json.Marshal(got[k])
			fmt.Fprintf(&b, "%s:\n  want %s\n  got  %s\n", k, w, g)
		}
	}
	return b.String()
}

func names(l []map[string]any) []string {
	var out []string
	for _, o := range l {
		out = append(out, fmt.Sprint(o["name"]))
	}
	sort.Strings(out)
	return out
}

func byName(l []map[string]any, name string) map[string]any {
	for _, o := range l {
		if o["name"] == name {
			return o
		}
	}
	return nil
}
