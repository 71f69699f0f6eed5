package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/jackc/pgx/v5"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, IO{Stdout: &out, Stderr: &errb, Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Fatalf("%d %s", code, out)
	}
	code, errOut, _ := run(t, nil, "serve", "--help") // help goes to stdout
	for _, want := range []string{"--addr", "CREDO_ADDR", "--issuer", "--db", "--seed", "--log-format", "--tls-cert", "--tls-key", "CREDO_TLS_KEY"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	if code != 0 {
		t.Fatalf("serve --help exit %d", code)
	}
	if code, _, errOut := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, errOut)
	}
	if code, _, _ := run(t, nil, "serve", "--no-such-flag"); code != 2 {
		t.Fatalf("bad flag exit %d", code)
	}
}

func TestServeConfigErrorsAreClear(t *testing.T) {
	code, _, errOut := run(t, map[string]string{"CREDO_LOG_FORMAT": "xml"}, "serve", "--addr", "nonsense")
	if code != 1 || !strings.Contains(errOut, "--addr") || !strings.Contains(errOut, "--log-format") {
		t.Fatalf("%d %s", code, errOut)
	}
	code, _, errOut = run(t, map[string]string{"CREDO_JWKS_MAX_AGE": "soon"}, "serve")
	if code != 1 || !strings.Contains(errOut, "CREDO_JWKS_MAX_AGE") {
		t.Fatalf("%d %s", code, errOut)
	}
}

func TestMigrateSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	code, out, errOut := run(t, nil, "migrate", "status", "--db", db)
	if code != 0 || !strings.Contains(out, "0001") || !strings.Contains(out, "init") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, nil, "migrate", "sideways", "--db", db); code != 1 || !strings.Contains(errOut, "want up or status") {
		t.Fatalf("%d %s", code, errOut)
	}
}

func TestMigratePostgres(t *testing.T) {
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CREDO_TEST_POSTGRES not set: skipping PostgreSQL migrate test")
	}
	schema := fmt.Sprintf("cli_migrate_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	})
	code, out, errOut := run(t, nil, "migrate", "status", "--db", dsn, "--db-schema", schema)
	if code != 0 || !strings.Contains(out, "0001") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
}

func TestRedactDSN(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:s3cr3t@h:5432/db",
		"postgresql://u:s3cr3t@h/db?sslmode=disable",
		"postgres://u@h/db?password=s3cr3t&sslmode=disable",
		"postgres://u@h/db?sslpassword=s3cr3t",
		"host=h user=u password=s3cr3t dbname=db",
		"host=h user=u password='s3 cr3t' dbname=db",
		"host=h PASSWORD = s3cr3t dbname=db",
	} {
		got := redactDSN(dsn)
		if strings.Contains(got, "s3cr3t") || strings.Contains(got, "cr3t") || !strings.Contains(got, "xxxxx") {
			t.Errorf("redactDSN(%q) = %q", dsn, got)
		}
		if !strings.Contains(got, "db") {
			t.Errorf("redactDSN(%q) = %q lost the database", dsn, got)
		}
	}
	if got := redactDSN("credo.db"); got != "credo.db" {
		t.Fatal(got)
	}
	if got := redactDSN("postgres://u@h/db?sslmode=disable"); got != "postgres://u@h/db?sslmode=disable" {
		t.Fatal(got)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "450MiB": 450 << 20, "2GiB": 2 << 30, "10 MB": 10e6, "5KiB": 5 << 10} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "1.5GiB", "12TB"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
}

func TestPositionalArgumentsMayStartWithADash(t *testing.T) {
	fs := newFlagSet(IO{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, "x", "x")
	var db string
	fs.String(&db, "db", "", "")
	pos, err := fs.parse([]string{"-SPRCIdO-948aH5", "--db", "a.db", "--", "--literal"})
	if err != nil || db != "a.db" || len(pos) != 2 || pos[0] != "-SPRCIdO-948aH5" || pos[1] != "--literal" {
		t.Fatalf("%v %q %q", err, db, pos)
	}
	if _, err := fs.parse([]string{"--db"}); err == nil {
		t.Fatal("a known flag without its value was accepted")
	}
	for _, typo := range []string{"--no-such-flag", "-verbose"} {
		if _, err := fs.parse([]string{typo}); err == nil {
			t.Fatalf("misspelled flag %s accepted", typo)
		}
	}
}

// TestHelpThatHelps: a command's own flags come first and the global ones
// apart, with their variables; -o is shown as -o; every command has an
// example; a mistyped flag or command gets a suggestion, not the whole help.
func TestHelpThatHelps(t *testing.T) {
	for _, args := range [][]string{
		{"clients", "list"}, {"clients", "create"}, {"clients", "get"}, {"clients", "update"}, {"clients", "delete"}, {"clients", "rotate-secret"},
		{"apis", "list"}, {"apis", "create"}, {"apis", "get"}, {"apis", "update"}, {"apis", "delete"},
		{"grants", "list"}, {"grants", "create"}, {"grants", "update"}, {"grants", "delete"},
		{"keys", "list"}, {"keys", "rotate"}, {"keys", "revoke"}, {"token"}, {"seed", "apply"}, {"seed", "export"},
		{"tenant", "show"}, {"tenant", "set-issuer"}, {"serve"},
		{"actions", "list"}, {"actions", "get"}, {"actions", "create"}, {"actions", "update"}, {"actions", "deploy"}, {"actions", "delete"},
		{"actions", "triggers"}, {"actions", "bindings", "get"}, {"actions", "bindings", "set"},
		{"hooks", "list"}, {"hooks", "get"}, {"hooks", "create"}, {"hooks", "update"}, {"hooks", "enable"}, {"hooks", "disable"}, {"hooks", "delete"},
		{"hooks", "secrets", "list"}, {"hooks", "secrets", "set"}, {"hooks", "secrets", "delete"},
		{"logs", "list"}, {"logs", "get"}, {"settings", "show"}, {"settings", "set"},
		{"dashboard", "login-link"},
	} {
		code, out, _ := run(t, nil, append(args, "--help")...)
		name := strings.Join(args, " ")
		own, global, _ := strings.Cut(out, "Global flags")
		if code != 0 || !strings.Contains(out, "Example:\n  credo "+args[0]) || global == "" {
			t.Errorf("credo %s --help: exit %d, no example or no global flags:\n%s", name, code, out)
			continue
		}
		if args[0] != "serve" && (strings.Contains(own, "[CREDO_DB]") || !strings.Contains(global, "--db") || !strings.Contains(own, "-o, --output")) {
			t.Errorf("credo %s --help: flags not grouped:\n%s", name, out)
		}
	}
	code, out, errOut := run(t, nil, "clients", "create", "--nmae", "x")
	if code != 2 || !strings.Contains(errOut, "Did you mean --name?") || strings.Contains(errOut, "Global flags") || out != "" {
		t.Errorf("mistyped flag: %d %q %q", code, out, errOut)
	}
	code, _, errOut = run(t, nil, "clinets", "list")
	if code != 2 || !strings.Contains(errOut, `Did you mean "clients"?`) || strings.Contains(errOut, "Commands:") {
		t.Errorf("mistyped command: %d %q", code, errOut)
	}
}

func TestVersionNamesCryptoBackend(t *testing.T) {
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "credo "+Version+" (go") || !strings.Contains(out, ", crypto "+keys.Backend()+")") {
		t.Fatalf("credo version: %d %q", code, out)
	}
}
