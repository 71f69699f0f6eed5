package cli_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/testkit"
)

// TestBreakGlass: an Action that denies every token also denies the admin's
// Management API token, so credo's CLI cannot fix it through --server. With
// --db, the CLI mounts the Management API in its own process as a local
// administrator: it unbinds and deletes the Action while the server runs, and
// the server issues tokens again (README, "Break glass").
func TestBreakGlass(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and starts credo")
	}
	bin := testkit.BuildCredo(t, false)
	dir := t.TempDir()
	db := filepath.Join(dir, "credo.db")
	addr := testkit.FreeAddr(t)
	base := "http://" + addr + "/"
	const (
		masterKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		adminID   = "breakglass-admin"
		adminSec  = "breakglass-admin-secret-0123456789abcdefgh"
		workerSec = "breakglass-worker-secret-0123456789abcdefg"
		api       = "https://api.example.com/glass"
	)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") {
			env = append(env, kv)
		}
	}
	env = append(env, "CREDO_MASTER_KEY="+masterKey)

	logs := &testkit.Buffer{}
	srv := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--no-demo")
	srv.Dir = dir
	srv.Env = append(env, "CREDO_BOOTSTRAP_CLIENT_ID="+adminID, "CREDO_BOOTSTRAP_CLIENT_SECRET="+adminSec)
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("credo serve output:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("credo did not become ready:\n%s", logs.String())
		}
	}

	// credo runs the built binary with extra environment and checks its exit code.
	credo := func(want int, extra []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(append([]string{}, env...), extra...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("credo %s: exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return string(out)
	}
	remote := []string{"CREDO_SERVER=" + base, "CREDO_ADMIN_CLIENT_ID=" + adminID, "CREDO_ADMIN_CLIENT_SECRET=" + adminSec}
	local := []string{"CREDO_DB=" + db}
	token := func() int {
		resp, err := http.PostForm(base+"oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"worker"},
			"client_secret": {workerSec}, "audience": {api}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode == 200 && m["access_token"] == nil {
			t.Fatalf("200 without a token: %v", m)
		}
		return resp.StatusCode
	}
	// eventually waits for the server to see the CLI's write (it polls the
	// database every 2 s by default).
	eventually := func(what string, want int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			got := token()
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the token endpoint answers %d, want %d", what, got, want)
			}
		}
	}

	credo(0, remote, "clients", "create", "--name", "worker", "--id", "worker", "--import-secret", workerSec)
	credo(0, remote, "apis", "create", "--identifier", api, "--scopes", "read")
	credo(0, remote, "grants", "create", "--client", "worker", "--audience", api, "--scope", "read")
	if got := token(); got != 200 {
		t.Fatalf("token before the Action: %d", got)
	}
	deny := filepath.Join(dir, "deny.js")
	os.WriteFile(deny, []byte(`exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny("invalid_request", "closed for everyone"); };`), 0o600)
	credo(0, remote, "actions", "create", "--name", "deny-all", "--code", deny, "--deploy")
	credo(0, remote, "actions", "bindings", "set", "deny-all")
	eventually("after binding deny-all", 400)

	// Locked out through the server: the admin's own token is denied.
	if out := credo(1, remote, "actions", "list"); !strings.Contains(out, "closed for everyone") {
		t.Errorf("--server with deny-all bound: %s", out)
	}

	// Break glass, on the database, while the server runs: unbind.
	if out := credo(0, local, "actions", "bindings", "set", "--yes"); !strings.Contains(out, "No Action is bound") {
		t.Errorf("unbind: %s", out)
	}
	eventually("after unbinding with --db", 200)
	credo(0, remote, "actions", "list") // the admin is back too
	if out := credo(0, remote, "settings", "show"); !strings.Contains(out, "flags.honor_scope_subset") {
		t.Errorf("settings show --server: %s", out)
	}
	credo(0, remote, "hooks", "list")
	if out := credo(0, remote, "logs", "list", "--type", "feccft", "--client", "worker", "-o", "json"); !strings.Contains(out, "closed for everyone") {
		t.Errorf("the denials are not in the tenant log: %s", out)
	}

	// Bound again, then deleted with --db.
	credo(0, local, "actions", "bindings", "set", "deny-all")
	eventually("after binding again with --db", 400)
	if out := credo(0, local, "actions", "delete", "deny-all", "--yes"); !strings.Contains(out, "and unbound it from credentials-exchange") {
		t.Errorf("delete: %s", out)
	}
	eventually("after deleting with --db", 200)
	if out := credo(0, local, "actions", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("actions left: %s", out)
	}
	// Nothing secret reached the server's log or the tenant log.
	tenantLog := credo(0, local, "logs", "list", "--limit", "1000", "-o", "json")
	for _, s := range []string{adminSec, workerSec, masterKey} {
		if strings.Contains(logs.String(), s) || strings.Contains(tenantLog, s) {
			t.Errorf("a secret (%.8s…) is in the logs", s)
		}
	}
}
