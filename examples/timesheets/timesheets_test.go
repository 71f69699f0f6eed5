package timesheets_test

// The Timesheets sample, run end to end: credo started from seed.yaml, the
// API binary, the Go worker binary and the Node worker, then the checks of
// issue 8 (entries stored with their submitter, 403 for a missing scope, 401
// for no token, another audience, or an expired token).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/credo-dev/credo/internal/testkit"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
	"github.com/credo-dev/credo/examples/timesheets/api/timesheets"
	"github.com/credo-dev/credo/verify"
)

const (
	audience      = "https://api.exampleco.com/timesheets"
	adminID       = "timesheets-test-admin"
	startTimeout  = 20 * time.Second
	commandTimout = 30 * time.Second
)

type binaries struct{ credo, api, worker string }

// buildAll builds credo, the API and the Go worker in one go build.
func buildAll(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "../../cmd/credo", "./api", "./worker-go")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return binaries{credo: filepath.Join(dir, "credo"), api: filepath.Join(dir, "api"), worker: filepath.Join(dir, "worker-go")}
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// cleanEnv is the test process's environment without credo's and the
// sample's own variables, so a developer's settings cannot leak in.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") && !strings.HasPrefix(kv, "TIMESHEETS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// start runs a long-lived process; cleanup interrupts it (then kills it
// after 10 s) and logs its output if the test failed.
func start(t *testing.T, name string, cmd *exec.Cmd) *testkit.Buffer {
	t.Helper()
	out := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return out
}

// waitUntil polls fn every 50 ms until it returns true or d passes.
func waitUntil(d time.Duration, fn func() bool) bool {
	deadline := time.Now().Add(d)
	for !fn() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func ready(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// startCredo runs credo serve with the sample seed and returns its issuer.
func startCredo(t *testing.T, bin string, env []string) string {
	t.Helper()
	seed, err := filepath.Abs("seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := testkit.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", filepath.Join(dir, "credo.db"), "--seed", seed, "--no-demo")
	cmd.Dir, cmd.Env = dir, env
	out := start(t, "credo", cmd)
	issuer := "http://" + addr + "/"
	if !waitUntil(startTimeout, func() bool { return ready(issuer + "readyz") }) {
		t.Fatalf("credo not ready within %s:\n%s", startTimeout, out)
	}
	return issuer
}

// startAPI runs the API binary on a port of its choosing and returns its URL.
func startAPI(t *testing.T, bin, issuer string) string {
	t.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--issuer", issuer, "--audience", audience)
	cmd.Env = cleanEnv()
	out := start(t, "api", cmd)
	var url string
	ok := waitUntil(startTimeout, func() bool {
		_, rest, found := strings.Cut(out.String(), "listening on ")
		if !found {
			return false
		}
		url, _, _ = strings.Cut(rest, " ")
		return ready(url + "/healthz")
	})
	if !ok {
		t.Fatalf("API not listening within %s:\n%s", startTimeout, out)
	}
	return url
}

// run runs a command to completion and returns its combined output and exit code.
func run(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	var out testkit.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee) && ee.Exited():
		return out.String(), ee.ExitCode()
	default:
		t.Fatalf("%s: %v\n%s", cmd, err, out.String())
		return "", -1
	}
}

type response struct {
	status    int
	challenge string
	body      []byte
}

func (r response) errorCode(t *testing.T) (code, desc string) {
	t.Helper()
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return b.Error, b.Description
}

// call sends a request to the API with an optional bearer token.
func call(t *testing.T, method, url, token, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: b}
}

func token(t *testing.T, ts oauth2.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// entry is what a test expects the API to have stored.
type entry struct {
	user, date, project string
	hours               float64
	notes               string
}

func checkEntries(t *testing.T, got []timesheets.Entry, want []entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries stored, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		w := want[i]
		if e.ID != i+1 || e.UserID != w.user || e.Date != w.date || e.Project != w.project || e.Hours != w.hours || e.Notes != w.notes {
			t.Errorf("entry %d = %+v, want id %d %+v", i, e, i+1, w)
		}
		if e.SubmittedBy != "timesheets-worker@clients" || e.ClientID != "timesheets-worker" {
			t.Errorf("entry %d submitted by %q (client %q), want timesheets-worker@clients (timesheets-worker)", e.ID, e.SubmittedBy, e.ClientID)
		}
	}
}

func TestTimesheetsSample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the sample run (it builds and starts credo, the API and the workers)")
	}
	bin := buildAll(t)
	workerSecret, reportingSecret, adminSecret := randomSecret(t), randomSecret(t), randomSecret(t)
	issuer := startCredo(t, bin.credo, cleanEnv(
		"CREDO_MASTER_KEY="+randomSecret(t),
		"CREDO_BOOTSTRAP_CLIENT_ID="+adminID, "CREDO_BOOTSTRAP_CLIENT_SECRET="+adminSecret,
		"TIMESHEETS_WORKER_SECRET="+workerSecret, "TIMESHEETS_REPORTING_SECRET="+reportingSecret))
	api := startAPI(t, bin.api, issuer)
	timesheetsURL := api + "/timesheets"

	ctx := t.Context()
	creds := func(id, secret, aud string) oauth2.TokenSource {
		return client.TokenSource(ctx, client.ClientCredentials{Issuer: issuer, ClientID: id, ClientSecret: secret, Audience: aud})
	}
	reporting := creds("timesheets-reporting", reportingSecret, audience)
	worker := creds("timesheets-worker", workerSecret, audience)

	stored := func(t *testing.T) []timesheets.Entry {
		t.Helper()
		r := call(t, "GET", timesheetsURL, token(t, reporting).AccessToken, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /timesheets as the reporting client: %d %s", r.status, r.body)
		}
		var list []timesheets.Entry
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatalf("GET /timesheets body %s: %v", r.body, err)
		}
		return list
	}
	want := []entry{
		{"007", "2025-03-03", "StoreZero", 8, "Inventory sync"},
		{"007", "2025-03-04", "StoreZero", 6.5, "Checkout flow"},
		{"042", "2025-03-04", "Payroll", 4, ""},
	}

	workerCmd := func(clientID, secret string, args ...string) *exec.Cmd {
		ctx, cancel := context.WithTimeout(ctx, commandTimout)
		t.Cleanup(cancel)
		cmd := exec.CommandContext(ctx, bin.worker, append([]string{"--issuer", issuer, "--api", api, "--audience", audience, "--client-id", clientID}, args...)...)
		cmd.Env = cleanEnv("TIMESHEETS_CLIENT_SECRET=" + secret)
		return cmd
	}

	t.Run("Go worker posts the built-in entries", func(t *testing.T) {
		out, code := run(t, workerCmd("timesheets-worker", workerSecret))
		if code != 0 || !strings.Contains(out, "3 of 3 entries created") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
		checkEntries(t, stored(t), want)
	})

	writeEntries := func(t *testing.T, entries []entry) string {
		t.Helper()
		js := []map[string]any{}
		for _, e := range entries {
			js = append(js, map[string]any{"user_id": e.user, "date": e.date, "project": e.project, "hours": e.hours, "notes": e.notes})
		}
		b, _ := json.Marshal(js)
		file := filepath.Join(t.TempDir(), "entries.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}

	t.Run("Go worker posts entries from a file", func(t *testing.T) {
		fileEntries := []entry{{"113", "2025-03-06", "Onboarding", 2, "from a file"}}
		out, code := run(t, workerCmd("timesheets-worker", workerSecret, "--entries", writeEntries(t, fileEntries)))
		if code != 0 || !strings.Contains(out, "1 of 1 entries created") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
		want = append(want, fileEntries...)
		checkEntries(t, stored(t), want)

		bad := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(bad, []byte(`[{"user_id":"1","hours":"eight"}]`), 0o600)
		if out, code := run(t, workerCmd("timesheets-worker", workerSecret, "--entries", bad)); code != 2 {
			t.Errorf("malformed entries file: exit %d, want 2; output:\n%s", code, out)
		}
		if n := len(stored(t)); n != len(want) {
			t.Errorf("%d entries after the malformed file, want %d", n, len(want))
		}
	})

	t.Run("Node worker posts entries from a file", func(t *testing.T) {
		if os.Getenv("CREDO_SKIP_NODE") == "1" {
			t.Skip("CREDO_SKIP_NODE=1: skipping the Node worker")
		}
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("node not found in PATH: skipping the Node worker (it needs Node 18+ for fetch)")
		}
		if _, code := run(t, exec.Command(node, "-e", "process.exit(typeof fetch === 'function' ? 0 : 3)")); code != 0 {
			t.Skip("this node has no global fetch (Node 18+ needed): skipping the Node worker")
		}
		nodeEntries := []entry{{"007", "2025-03-05", "StoreZero", 7.25, "from node"}, {"113", "2025-03-06", "Onboarding", 2, "from node"}}
		file := writeEntries(t, nodeEntries)
		ctx, cancel := context.WithTimeout(ctx, commandTimout)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "worker-node/worker.js", file)
		cmd.Env = cleanEnv("TIMESHEETS_ISSUER="+issuer, "TIMESHEETS_API="+api, "TIMESHEETS_WORKER_SECRET="+workerSecret)
		out, code := run(t, cmd)
		if code != 0 || !strings.Contains(out, "2 of 2 entries created") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
		want = append(want, nodeEntries...)
		checkEntries(t, stored(t), want)
	})

	t.Run("reporting client reads but cannot write", func(t *testing.T) {
		before := len(stored(t))
		r := call(t, "POST", timesheetsURL, token(t, reporting).AccessToken, `{"user_id":"007","date":"2025-03-07","project":"StoreZero","hours":1}`)
		if code, _ := r.errorCode(t); r.status != http.StatusForbidden || code != "insufficient_scope" {
			t.Errorf("POST with read:timesheets only: %d %s, want 403 insufficient_scope", r.status, r.body)
		}
		if want := `error="insufficient_scope"`; !strings.Contains(r.challenge, want) || !strings.Contains(r.challenge, `scope="create:timesheets"`) {
			t.Errorf("WWW-Authenticate %q, want %s naming create:timesheets", r.challenge, want)
		}
		if n := len(stored(t)); n != before {
			t.Errorf("refused POST changed the entries: %d → %d", before, n)
		}
	})

	t.Run("Go worker with the reporting client's credentials exits 1", func(t *testing.T) {
		before := len(stored(t))
		out, code := run(t, workerCmd("timesheets-reporting", reportingSecret))
		if code != 1 || !strings.Contains(out, "HTTP 403 insufficient_scope") || !strings.Contains(out, "0 of 3 entries created") {
			t.Errorf("exit %d, want 1 with 403 insufficient_scope; output:\n%s", code, out)
		}
		if n := len(stored(t)); n != before {
			t.Errorf("entries %d → %d", before, n)
		}
	})

	t.Run("Go worker with a wrong secret exits 1", func(t *testing.T) {
		out, code := run(t, workerCmd("timesheets-worker", randomSecret(t)))
		if code != 1 || !strings.Contains(out, "invalid_client") {
			t.Errorf("exit %d, want 1 with invalid_client; output:\n%s", code, out)
		}
	})

	t.Run("worker token cannot read", func(t *testing.T) {
		r := call(t, "GET", timesheetsURL, token(t, worker).AccessToken, "")
		if code, _ := r.errorCode(t); r.status != http.StatusForbidden || code != "insufficient_scope" {
			t.Errorf("GET with create:timesheets only: %d %s, want 403 insufficient_scope", r.status, r.body)
		}
	})

	t.Run("invalid entry is refused", func(t *testing.T) {
		r := call(t, "POST", timesheetsURL, token(t, worker).AccessToken, `{"user_id":"007","date":"2025-03-07","project":"StoreZero","hours":30}`)
		if code, _ := r.errorCode(t); r.status != http.StatusBadRequest || code != "invalid_entry" {
			t.Errorf("POST hours 30: %d %s, want 400 invalid_entry", r.status, r.body)
		}
	})

	t.Run("no token is 401 with a Bearer challenge", func(t *testing.T) {
		for _, method := range []string{"GET", "POST"} {
			r := call(t, method, timesheetsURL, "", "")
			if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.challenge, "Bearer ") {
				t.Errorf("%s without a token: %d, WWW-Authenticate %q; want 401 and a Bearer challenge", method, r.status, r.challenge)
			}
		}
	})

	t.Run("token for another audience is 401", func(t *testing.T) {
		// The bootstrap admin's token is for credo's Management API, not the
		// Timesheets API: a valid credo token with the wrong aud.
		admin := creds(adminID, adminSecret, issuer+"api/v2/")
		r := call(t, "GET", timesheetsURL, token(t, admin).AccessToken, "")
		if code, desc := r.errorCode(t); r.status != http.StatusUnauthorized || code != "invalid_token" || desc != "invalid audience" {
			t.Errorf("Management API token: %d %s, want 401 invalid_token invalid audience", r.status, r.body)
		}
		if !strings.Contains(r.challenge, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate %q", r.challenge)
		}
	})

	t.Run("expired token is 401", func(t *testing.T) {
		// The same handler the API binary serves, with a clock that can jump
		// past the token's expiry.
		var skew atomic.Int64
		v, err := verify.New(verify.Config{
			Issuer: issuer, Audience: []string{audience}, Algorithms: []string{"RS256"},
			Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) },
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(timesheets.NewHandler(v))
		defer srv.Close()
		tok := token(t, worker)
		if life := time.Until(tok.Expiry); life < 23*time.Hour || life > 25*time.Hour {
			t.Errorf("token lives %s, want the seed's token_lifetime 86400 s", life)
		}
		body := `{"user_id":"007","date":"2025-03-07","project":"StoreZero","hours":1}`
		if r := call(t, "POST", srv.URL+"/timesheets", tok.AccessToken, body); r.status != http.StatusCreated {
			t.Fatalf("fresh token: %d %s", r.status, r.body)
		}
		skew.Store(int64(time.Until(tok.Expiry) + time.Minute))
		r := call(t, "POST", srv.URL+"/timesheets", tok.AccessToken, body)
		if code, desc := r.errorCode(t); r.status != http.StatusUnauthorized || code != "invalid_token" || desc != "token is expired" {
			t.Errorf("a minute after exp: %d %s, want 401 invalid_token token is expired", r.status, r.body)
		}
		if !strings.Contains(r.challenge, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate %q", r.challenge)
		}
	})
}

// The README's commands name these paths; keep them in step.
func TestReadmeCommandsNameRealFiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"go run ./cmd/credo serve", "--seed examples/timesheets/seed.yaml",
		"go run ./examples/timesheets/api", "go run ./examples/timesheets/worker-go",
		"node examples/timesheets/worker-node/worker.js",
		"TIMESHEETS_WORKER_SECRET", "TIMESHEETS_REPORTING_SECRET",
	} {
		if !bytes.Contains(readme, []byte(p)) {
			t.Errorf("README.md does not mention %q", p)
		}
	}
	for _, f := range []string{"seed.yaml", "api/main.go", "worker-go/main.go", "worker-node/worker.js"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
