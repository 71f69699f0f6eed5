package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/testkit"
	"github.com/credo-dev/credo/store"
)

// TestCLIKeepsTheServedIssuer: with more APIs than one list page, a CLI run
// without --issuer works under the tenant's stored issuer, and one with
// another --issuer is refused without writing anything.
func TestCLIKeepsTheServedIssuer(t *testing.T) {
	cfg, a := testApp(t, func(c *config.Config) { c.Issuer = "https://served.example/" })
	now := time.Now()
	for i := range 150 {
		rs := store.ResourceServer{ID: fmt.Sprintf("0000000000%03d", i), Name: "api", Identifier: fmt.Sprintf("urn:api:%03d", i),
			SigningAlg: "RS256", TokenLifetime: 60, TokenDialect: "access_token", CreatedAt: now, UpdatedAt: now}
		if err := a.store.CreateResourceServer(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := a.store.Version(t.Context())
	a.Close()
	env := map[string]string{"CREDO_DB": cfg.DB, "CREDO_MASTER_KEY": testMasterKey}
	if out := cli(t, env, 0, "tenant", "show"); !strings.Contains(out, "https://served.example/api/v2/") {
		t.Fatalf("tenant show: %s", out)
	}
	if errOut := cli(t, env, 1, "apis", "list", "--issuer", "https://other.example/"); !strings.Contains(errOut, "credo tenant set-issuer") ||
		!strings.Contains(errOut, "https://served.example/") {
		t.Fatalf("another issuer: %s", errOut)
	}
	if l := cliList(t, env, "apis", "list"); len(l) != 151 {
		t.Fatalf("%d APIs", len(l))
	}
	st, err := openStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := st.Version(t.Context()); v2 != v {
		t.Fatalf("CLI reads wrote: version %d → %d", v, v2)
	}
	st.Close()

	// Changing it on purpose: the identity and the Management API move.
	if out := cli(t, env, 0, "tenant", "set-issuer", "https://new.example"); !strings.Contains(out, "https://served.example/ to https://new.example/") {
		t.Fatalf("set-issuer: %s", out)
	}
	if m := cliJSON(t, env, "tenant", "show"); m["issuer"] != "https://new.example/" || m["management_audience"] != "https://new.example/api/v2/" {
		t.Fatalf("after set-issuer: %v", m)
	}
	if m := cliJSON(t, env, "apis", "get", "https://new.example/api/v2/"); m["is_system"] != true {
		t.Fatalf("Management API after set-issuer: %v", m)
	}
	if errOut := cli(t, env, 1, "tenant", "set-issuer", "not a url"); !strings.Contains(errOut, "absolute http(s) URL") {
		t.Fatalf("bad issuer: %s", errOut)
	}
	if errOut := cli(t, env, 1, "tenant", "set-issuer", "https://x/", "--server", "http://127.0.0.1:1/"); !strings.Contains(errOut, "not through --server") {
		t.Fatalf("--server: %s", errOut)
	}
}

// testApp creates a tenant on a new SQLite file with the test master key,
// as credo serve would, after set adjusts the configuration.
func testApp(t *testing.T, set func(*config.Config)) (config.Config, *app) {
	t.Helper()
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "t.db")
	cfg.MasterKey = testMasterKey
	set(&cfg)
	asked := explicitIssuer(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := initApp(t.Context(), cfg, asked, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a.cfg, a
}

// TestFailedStartChangesNothing: while a server runs, a second credo serve
// on the same database that fails (a bad address, a busy port, another
// issuer) writes nothing, and the running server's admin keeps working.
func TestFailedStartChangesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "credo.db")
	addr := testkit.FreeAddr(t)
	env := map[string]string{"CREDO_MASTER_KEY": testMasterKey, "CREDO_BOOTSTRAP_CLIENT_ID": "admin",
		"CREDO_BOOTSTRAP_CLIENT_SECRET": "admin-secret-0123456789abcdefghijklmnop"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs := &testkit.Buffer{}
	go func() {
		done <- Main(ctx, []string{"serve", "--db", db, "--addr", addr}, IO{Stdout: logs, Stderr: logs, Getenv: getenv})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + addr + "/"
	waitReady(t, base, done, logs)
	admin := map[string]string{"CREDO_SERVER": base, "CREDO_ADMIN_CLIENT_ID": "admin", "CREDO_ADMIN_CLIENT_SECRET": env["CREDO_BOOTSTRAP_CLIENT_SECRET"]}
	cliList(t, admin, "clients", "list")

	st, err := openStore(ctx, config.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v0, _ := st.Version(ctx)
	busy := addr
	other := testkit.FreeAddr(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad port", []string{"--addr", "127.0.0.1:99999"}, "--addr"},
		{"busy port", []string{"--addr", busy}, "listen on"},
		{"another issuer", []string{"--addr", other, "--issuer", "http://" + other + "/"}, "credo tenant set-issuer"},
		{"TLS that does not load", []string{"--addr", other, "--tls-cert", filepath.Join(dir, "no.pem"), "--tls-key", filepath.Join(dir, "no.key")}, "TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, env, append([]string{"serve", "--db", db}, tc.args...)...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			if v, _ := st.Version(ctx); v != v0 {
				t.Fatalf("the failed start wrote: version %d → %d", v0, v)
			}
			cliList(t, admin, "clients", "list") // the running server's admin still works
		})
	}
}

func waitReady(t *testing.T, base string, done <-chan int, logs *testkit.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		default:
		}
		if resp, err := http.Get(base + "readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not ready:\n%s", logs.String())
}

// TestCommandsNeedAnExistingDatabase: only serve and migrate create a
// database; every other command given a missing --db fails, names it, and
// creates neither it nor a master key.
func TestCommandsNeedAnExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{
		{"clients", "list"}, {"apis", "create", "--identifier", "urn:x"}, {"keys", "rotate"}, {"seed", "export"},
		{"token", "--client", "c", "--client-secret", "s", "--audience", "urn:x"}, {"tenant", "show"},
	} {
		errOut := cli(t, map[string]string{"CREDO_DB": db}, 1, args...)
		if !strings.Contains(errOut, db) || !strings.Contains(errOut, "does not exist") {
			t.Errorf("credo %s: %s", strings.Join(args, " "), errOut)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files created: %v", entries)
	}
	// A database that migrate created has a tenant; a missing master key
	// for it is an error, not a new key.
	cli(t, map[string]string{"CREDO_DB": db}, 0, "migrate")
	if err := os.Remove(filepath.Join(dir, "typo.master.key")); err != nil {
		t.Fatal(err)
	}
	if errOut := cli(t, map[string]string{"CREDO_DB": db}, 1, "clients", "list"); !strings.Contains(errOut, "master key file not found") {
		t.Fatalf("missing master key: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.master.key")); !os.IsNotExist(err) {
		t.Fatal("a new master key was created for an existing tenant")
	}
}

// TestLocalCLIIsNeverLockedOut: with the admin's grant to the Management
// API deleted, the CLI with database access still manages the tenant.
func TestLocalCLIIsNeverLockedOut(t *testing.T) {
	cfg, a := testApp(t, func(*config.Config) {})
	if _, _, err := a.svc.EnsureBootstrap(t.Context(), "admin", "admin-secret-0123456789abcdefghijklmnop"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	env := map[string]string{"CREDO_DB": cfg.DB, "CREDO_MASTER_KEY": testMasterKey}
	for _, g := range cliList(t, env, "grants", "list", "--audience", cfg.Issuer+"api/v2/") {
		cli(t, env, 0, "grants", "delete", g["id"].(string), "--yes")
	}
	if l := cliList(t, env, "grants", "list"); len(l) != 0 {
		t.Fatalf("grants left: %v", l)
	}
	cli(t, env, 0, "grants", "create", "--client", "admin", "--audience", cfg.Issuer+"api/v2/", "--all-scopes")
	if l := cliList(t, env, "grants", "list", "--client", "admin"); len(l) != 1 {
		t.Fatalf("grant not restored: %v", l)
	}
}
