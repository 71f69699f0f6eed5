package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/testkit"

	"github.com/credo-dev/credo/internal/config"
)

var testMasterKey = strings.Repeat("ab", 32)

// cli runs credo with env and fails the test unless the exit code is want.
func cli(t *testing.T, env map[string]string, want int, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, env, args...)
	if code != want {
		t.Fatalf("credo %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	if want != 0 {
		return errOut
	}
	return out
}

func cliJSON(t *testing.T, env map[string]string, args ...string) map[string]any {
	t.Helper()
	out := cli(t, env, 0, append(args, "-o", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("credo %s -o json: %q: %v", strings.Join(args, " "), out, err)
	}
	return m
}

func cliList(t *testing.T, env map[string]string, args ...string) []map[string]any {
	t.Helper()
	out := cli(t, env, 0, append(args, "-o", "json")...)
	var l []map[string]any
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("credo %s -o json: %q: %v", strings.Join(args, " "), out, err)
	}
	return l
}

func TestManagementCLIDirect(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "credo.db")
	env := map[string]string{"CREDO_DB": db, "CREDO_MASTER_KEY": testMasterKey}
	cli(t, env, 0, "migrate") // only serve and migrate create a tenant

	app := cliJSON(t, env, "clients", "create", "--name", "Billing", "--id", "billing", "--metadata", "team=finance")
	sec := app["client_secret"].(string)
	if app["client_id"] != "billing" || len(sec) < 43 {
		t.Fatalf("%v", app)
	}
	if out := cli(t, env, 0, "clients", "create", "--name", "Reports"); !strings.Contains(out, "client_secret") || !strings.Contains(out, "shown only now") {
		t.Errorf("table create output:\n%s", out)
	}
	api := "https://api.example.com/invoices"
	cli(t, env, 0, "apis", "create", "--identifier", api, "--name", "Invoices", "--scopes", "read:inv=Read invoices,write:inv")
	if errOut := cli(t, env, 1, "grants", "create", "--client", "billing", "--audience", api, "--scope", "read:inv,raed:inv"); !strings.Contains(errOut, "does not define the scope raed:inv") {
		t.Errorf("unknown scope: %s", errOut)
	}
	g := cliJSON(t, env, "grants", "create", "--client", "Billing", "--audience", api, "--scope", "read:inv") // by name
	if got := cliJSON(t, env, "clients", "get", "Reports"); got["name"] != "Reports" {
		t.Errorf("clients get by name: %v", got)
	}
	gid := g["id"].(string)

	tok := func(secret string, want int) map[string]any {
		t.Helper()
		args := []string{"token", "--client", "billing", "--client-secret", secret, "--audience", api}
		if want != 0 {
			cli(t, env, want, args...)
			return nil
		}
		return cliJSON(t, env, args...)
	}
	if m := tok(sec, 0); m["scope"] != "read:inv" || m["token_type"] != "Bearer" || m["expires_in"] != 86400.0 {
		t.Errorf("token %v", m)
	}
	if out := cli(t, env, 0, "token", "--client", "billing", "--client-secret", sec, "--audience", api); strings.Count(out, ".") != 2 {
		t.Errorf("plain token output %q", out)
	}
	cli(t, env, 0, "grants", "update", gid, "--scope", "read:inv,write:inv")
	if m := tok(sec, 0); m["scope"] != "read:inv write:inv" {
		t.Errorf("after update: %v", m)
	}

	rot := cliJSON(t, env, "clients", "rotate-secret", "billing", "--grace-period", "1m")
	sec2 := rot["client_secret"].(string)
	if sec2 == sec || rot["previous_secret_expires_at"] == nil {
		t.Fatalf("%v", rot)
	}
	tok(sec, 0)
	tok(sec2, 0)
	cliJSON(t, env, "clients", "rotate-secret", "billing")
	tok(sec2, 1)

	c := cliJSON(t, env, "clients", "update", "billing", "--name", "Billing v2", "--jwt-alg", "PS256")
	if c["name"] != "Billing v2" || c["client_metadata"].(map[string]any)["team"] != "finance" {
		t.Errorf("update changed other fields: %v", c)
	}
	if _, ok := c["client_secret"]; ok {
		t.Error("update printed a secret")
	}
	if got := cliJSON(t, env, "clients", "get", "billing"); got["name"] != "Billing v2" {
		t.Errorf("%v", got)
	}
	if l := cliList(t, env, "clients", "list"); len(l) != 2 {
		t.Errorf("%d clients", len(l))
	}
	if out := cli(t, env, 0, "clients", "list"); !strings.Contains(out, "CLIENT ID") || !strings.Contains(out, "Billing v2") {
		t.Errorf("table:\n%s", out)
	}
	if l := cliList(t, env, "apis", "list"); len(l) != 2 {
		t.Errorf("%d APIs", len(l))
	}
	if m := cliJSON(t, env, "apis", "update", api, "--token-lifetime", "600"); m["token_lifetime"] != 600.0 || m["name"] != "Invoices" {
		t.Errorf("%v", m)
	}
	if m := cliJSON(t, env, "apis", "get", api); len(m["scopes"].([]any)) != 2 {
		t.Errorf("%v", m)
	}

	// Keys: rotate, then revoke the previous RSA key; the current one cannot be.
	if l := cliList(t, env, "keys", "list"); len(l) != 6 {
		t.Fatalf("%d keys", len(l))
	}
	var newKid string
	rotated := cliList(t, env, "keys", "rotate") // every key type's new current key
	for _, k := range rotated {
		if k["kty"] == "RSA" && k["current"] == true {
			newKid = k["kid"].(string)
		}
	}
	if len(rotated) != 3 || newKid == "" {
		t.Fatalf("keys rotate reported %v", rotated)
	}
	if out := cli(t, env, 0, "keys", "rotate"); !strings.Contains(out, "New current RSA key") || !strings.Contains(out, "New current EC key") || !strings.Contains(out, "New current OKP key") {
		t.Fatalf("keys rotate table: %s", out)
	}
	for _, k := range cliList(t, env, "keys", "list") {
		if k["kty"] == "RSA" && k["current"] == true {
			newKid = k["kid"].(string)
		}
	}
	var prev string
	for _, k := range cliList(t, env, "keys", "list") {
		if k["kty"] == "RSA" && k["previous"] == true {
			prev = k["kid"].(string)
		}
	}
	if prev == "" {
		t.Fatal("no previous RSA key after rotate")
	}
	if errOut := cli(t, env, 1, "keys", "revoke", newKid, "--yes"); !strings.Contains(errOut, "Only the previous signing key can be revoked (HTTP 400 invalid_key_state)") {
		t.Errorf("%s", errOut)
	}
	if errOut := cli(t, env, 1, "keys", "revoke", prev); !strings.Contains(errOut, "add --yes") {
		t.Errorf("revoke without --yes and without a terminal: %s", errOut)
	}
	if m := cliJSON(t, env, "keys", "revoke", prev, "--yes"); m["kid"] != prev {
		t.Errorf("%v", m)
	}
	tok(rot["client_secret"].(string), 1) // rotated away above
	sec3 := cliJSON(t, env, "clients", "rotate-secret", "billing")["client_secret"].(string)
	tok(sec3, 0) // signed by the new current key

	// Seed export: no secrets; round-trips on the same tenant and onto a new one.
	export := cli(t, env, 0, "seed", "export")
	for _, s := range []string{sec, sec2, sec3} {
		if strings.Contains(export, s) {
			t.Error("seed export contains a client secret")
		}
	}
	if !strings.Contains(export, "client_id: billing") || !strings.Contains(export, api) || strings.Contains(export, "api/v2/") || strings.Contains(export, "bootstrap") {
		t.Errorf("export:\n%s", export)
	}
	seedFile := filepath.Join(dir, "tenant.yaml")
	if err := os.WriteFile(seedFile, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cli(t, env, 0, "seed", "apply", seedFile); !strings.Contains(out, "0 created, 0 updated, 4 unchanged") {
		t.Errorf("re-apply on the same tenant: %s", out)
	}
	env2 := map[string]string{"CREDO_DB": filepath.Join(dir, "other.db"), "CREDO_MASTER_KEY": testMasterKey}
	cli(t, env2, 0, "migrate")
	if out := cli(t, env2, 0, "seed", "apply", seedFile); !strings.Contains(out, "4 created") || !strings.Contains(out, "generated one") {
		t.Errorf("apply on a new tenant: %s", out)
	}
	if again := cli(t, env2, 0, "seed", "export"); stripHeader(again) != stripHeader(export) {
		t.Errorf("export of the copy differs:\n%s\nwant\n%s", again, export)
	}

	// Deletes take effect on the next token request.
	cli(t, env, 0, "grants", "delete", gid, "--yes")
	if errOut := cli(t, env, 1, "token", "--client", "billing", "--client-secret", sec3, "--audience", api); !strings.Contains(errOut, "403") {
		t.Errorf("%s", errOut)
	}
	cli(t, env, 0, "grants", "create", "--client", "billing", "--audience", api, "--scope", "read:inv")
	if errOut := cli(t, env, 1, "clients", "delete", "billing"); !strings.Contains(errOut, "and its 1 grant?") || !strings.Contains(errOut, "add --yes") {
		t.Errorf("delete without --yes: %s", errOut)
	}
	if out := cli(t, env, 0, "clients", "delete", "billing", "--yes"); !strings.Contains(out, "Deleted client billing and its 1 grant") {
		t.Errorf("delete report: %s", out)
	}
	if errOut := cli(t, env, 1, "token", "--client", "billing", "--client-secret", sec3, "--audience", api); !strings.Contains(errOut, "401") {
		t.Errorf("%s", errOut)
	}
	if out := cli(t, env, 0, "apis", "delete", api, "--yes"); !strings.Contains(out, "and its 0 grants") {
		t.Errorf("apis delete: %s", out)
	}

	// Errors.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"clients", "get", "nope"}, 1, `no application has the client_id or the name "nope"`},
		{[]string{"clients", "delete", "nope", "--yes"}, 1, `The client does not exist (HTTP 404 inexistent_client)`},
		{[]string{"clients", "get"}, 1, "CLIENT_ID"},
		{[]string{"clients", "create"}, 1, "--name is required"},
		{[]string{"clients", "create", "--name", "<b>"}, 1, "must not contain"},
		{[]string{"clients", "list", "-o", "yaml"}, 1, "want table or json"},
		{[]string{"clients", "frob"}, 2, "unknown command"},
		{[]string{"clients"}, 2, "Commands:"},
		{[]string{"apis", "delete", "https://nowhere.example.com/"}, 1, "does not exist"},
		{[]string{"grants", "create", "--client", "x"}, 1, "--audience are required"},
		{[]string{"grants", "create", "--client", "Reports", "--audience", "https://nowhere.example.com/"}, 1, "The resource server does not exist"},
		{[]string{"grants", "create", "--client", "nobody", "--audience", "https://nowhere.example.com/"}, 1, `no application has the client_id or the name "nobody"`},
		{[]string{"grants", "update", "cgr_x"}, 1, "nothing to change"},
		{[]string{"token", "--audience", api}, 1, "--client-secret"},
		{[]string{"seed", "apply"}, 1, "FILE"},
		{[]string{"seed", "export", "--server", "http://127.0.0.1:1/"}, 1, "--db"},
	} {
		if errOut := cli(t, env, tc.code, tc.args...); !strings.Contains(errOut, tc.want) {
			t.Errorf("credo %s: stderr %q lacks %q", strings.Join(tc.args, " "), errOut, tc.want)
		}
	}
	for _, args := range [][]string{{"clients", "--help"}, {"clients", "create", "--help"}, {"grants", "--help"}, {"keys", "revoke", "--help"}, {"seed", "export", "--help"}, {"token", "--help"}} {
		code, out, errOut := run(t, env, args...)
		if code != 0 || !strings.Contains(out, "Usage: credo") {
			t.Errorf("credo %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if _, out, _ := run(t, env, "clients", "create", "--help"); !strings.Contains(out, "CREDO_DB") || !strings.Contains(out, "--server") {
		t.Errorf("create --help: %s", out)
	}

	// No secret at rest.
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range []string{sec, sec2, sec3} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("secret in %s", db+suffix)
			}
		}
	}
}

func stripHeader(s string) string {
	_, rest, _ := strings.Cut(s, "\n")
	return rest
}

// TestManagementCLIServer drives the same commands through a running
// server's Management API (--server), with the admin credentials in env.
func TestManagementCLIServer(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	db := filepath.Join(t.TempDir(), "served.db")
	cfg := config.Default()
	cfg.DB, cfg.Issuer, cfg.MasterKey = db, base, testMasterKey
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	a, err := initApp(ctx, cfg, base, newLogger(cfg, logs))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const adminSecret = "cli-admin-secret-0123456789abcdefghijkl"
	if _, _, err := a.svc.EnsureBootstrap(ctx, "admin", adminSecret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.handler(nil))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	env := map[string]string{"CREDO_SERVER": base, "CREDO_ADMIN_CLIENT_ID": "admin", "CREDO_ADMIN_CLIENT_SECRET": adminSecret}
	app := cliJSON(t, env, "clients", "create", "--name", "Remote", "--id", "remote")
	sec := app["client_secret"].(string)
	api := "urn:credo:remote"
	cliJSON(t, env, "apis", "create", "--identifier", api, "--scopes", "a,b")
	gid := cliJSON(t, env, "grants", "create", "--client", "remote", "--audience", api, "--scope", "a")["id"].(string)
	tokEnv := map[string]string{"CREDO_SERVER": base}
	if m := cliJSON(t, tokEnv, "token", "--client", "remote", "--client-secret", sec, "--audience", api); m["scope"] != "a" {
		t.Errorf("token %v", m)
	}
	cli(t, env, 0, "grants", "update", gid, "--scope", "a,b")
	if m := cliJSON(t, tokEnv, "token", "--client", "remote", "--client-secret", sec, "--audience", api); m["scope"] != "a b" {
		t.Errorf("token after update %v", m)
	}
	// An application's token from CREDO_CLIENT_ID/CREDO_CLIENT_SECRET (here
	// the admin's, for the Management API); the admin's own variables are not
	// read by credo token.
	appEnv := map[string]string{"CREDO_SERVER": base, "CREDO_CLIENT_ID": "admin", "CREDO_CLIENT_SECRET": adminSecret}
	if m := cliJSON(t, appEnv, "token", "--audience", base+"api/v2/"); !strings.Contains(m["scope"].(string), "read:clients") {
		t.Errorf("admin token %v", m)
	}
	if errOut := cli(t, env, 1, "token", "--audience", base+"api/v2/"); !strings.Contains(errOut, "--client (or CREDO_CLIENT_ID)") {
		t.Errorf("token with only the admin variables: %s", errOut)
	}
	// A command's own flags read no environment variable.
	if l := cliJSON(t, map[string]string{"CREDO_SERVER": base, "CREDO_ADMIN_CLIENT_ID": "admin", "CREDO_ADMIN_CLIENT_SECRET": adminSecret, "CREDO_NAME": "from-env"},
		"clients", "create", "--name", "flagged"); l["name"] != "flagged" {
		t.Errorf("create: %v", l)
	}
	if errOut := cli(t, map[string]string{"CREDO_SERVER": base, "CREDO_ADMIN_CLIENT_ID": "admin", "CREDO_ADMIN_CLIENT_SECRET": adminSecret, "CREDO_NAME": "from-env"},
		1, "clients", "create"); !strings.Contains(errOut, "--name is required") {
		t.Errorf("CREDO_NAME was read: %s", errOut)
	}
	rot := cliJSON(t, env, "clients", "rotate-secret", "remote", "--grace-period", "30s")
	if rot["previous_secret_expires_at"] == nil {
		t.Errorf("%v", rot)
	}
	cliJSON(t, tokEnv, "token", "--client", "remote", "--client-secret", sec, "--audience", api)
	if m := cliJSON(t, env, "clients", "update", "remote", "--description", "via API", "--metadata", "k=v"); m["description"] != "via API" || m["client_metadata"].(map[string]any)["k"] != "v" {
		t.Errorf("%v", m)
	}
	if l := cliList(t, env, "clients", "list"); len(l) != 3 { // admin, remote, flagged
		t.Errorf("%d clients", len(l))
	}
	if l := cliList(t, env, "grants", "list", "--client", "remote"); len(l) != 1 {
		t.Errorf("%d grants", len(l))
	}
	if m := cliJSON(t, env, "apis", "get", api); len(m["scopes"].([]any)) != 2 {
		t.Errorf("%v", m)
	}
	cli(t, env, 0, "apis", "update", api, "--name", "Remote API")
	if out := cli(t, env, 0, "apis", "list"); !strings.Contains(out, "Remote API") {
		t.Errorf("%s", out)
	}
	if l := cliList(t, env, "keys", "list"); len(l) != 6 {
		t.Errorf("%d keys", len(l))
	}
	cli(t, env, 0, "keys", "rotate")
	if errOut := cli(t, env, 1, "clients", "update", "nope", "--name", "x"); !strings.Contains(errOut, "inexistent_client") {
		t.Errorf("%s", errOut)
	}

	// A direct-mode command on the served database, without --issuer,
	// keeps the issuer the database was served with: the server's admin
	// grant survives.
	direct := map[string]string{"CREDO_DB": db, "CREDO_MASTER_KEY": testMasterKey}
	if l := cliList(t, direct, "apis", "list"); len(l) != 2 || l[0]["identifier"] != base+"api/v2/" && l[1]["identifier"] != base+"api/v2/" {
		t.Errorf("direct apis list: %v", l)
	}
	if l := cliList(t, env, "grants", "list", "--audience", base+"api/v2/"); len(l) != 1 {
		t.Errorf("admin grant lost: %v", l)
	}

	cli(t, env, 0, "grants", "delete", gid, "--yes")
	cli(t, tokEnv, 1, "token", "--client", "remote", "--client-secret", rot["client_secret"].(string), "--audience", api)
	cli(t, env, 0, "clients", "delete", "remote", "--yes")
	cli(t, env, 0, "apis", "delete", api, "--yes")

	if errOut := cli(t, map[string]string{"CREDO_SERVER": base}, 1, "clients", "list"); !strings.Contains(errOut, "CREDO_ADMIN_CLIENT_ID") {
		t.Errorf("%s", errOut)
	}
	if errOut := cli(t, map[string]string{"CREDO_SERVER": base, "CREDO_ADMIN_CLIENT_ID": "admin", "CREDO_ADMIN_CLIENT_SECRET": "wrong"}, 1, "clients", "list"); !strings.Contains(errOut, "401") {
		t.Errorf("%s", errOut)
	}
	if strings.Contains(logs.String(), adminSecret) || strings.Contains(logs.String(), sec) {
		t.Error("a secret reached the server log")
	}
}
