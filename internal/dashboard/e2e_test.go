package dashboard_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/testkit"
)

// TestE2EChromium runs e2e/dashboard.test.mjs (playwright-core driving
// Debian's headless Chromium, axe-core on every page) against a real credo
// serve. Screenshots go to e2e/artifacts (gitignored). It skips, saying
// why, without node, Chromium or e2e/node_modules (npm ci --prefix
// internal/dashboard/e2e).
func TestE2EChromium(t *testing.T) {
	if os.Getenv("CREDO_SKIP_NODE") == "1" {
		t.Skip("CREDO_SKIP_NODE=1: skipping the Dashboard's browser tests")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: skipping the Dashboard's browser tests (install Node.js 20+)")
	}
	chromium := os.Getenv("CREDO_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no Chromium at %s: skipping the Dashboard's browser tests (apt-get install chromium, or set CREDO_CHROMIUM)", chromium)
	}
	dir := filepath.Join(testkit.RepoRoot(), "internal", "dashboard", "e2e")
	for _, m := range []string{"playwright-core", "@axe-core/playwright", "axe-core"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m, "package.json")); err != nil {
			t.Skipf("%s is not installed: skipping the Dashboard's browser tests (run npm ci --prefix internal/dashboard/e2e)", m)
		}
	}

	bin := testkit.BuildCredo(t, false)
	work := t.TempDir()
	db := filepath.Join(work, "credo.db")
	addr := testkit.FreeAddr(t)
	issuer := "http://" + addr + "/"
	const adminID, adminSecret = "e2e-admin-client-0123456789", "e2e-admin-secret-0123456789abcdefghijklmn"
	env := append(withoutCredoEnv(), "CREDO_BOOTSTRAP_CLIENT_ID="+adminID, "CREDO_BOOTSTRAP_CLIENT_SECRET="+adminSecret)

	srv := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--no-demo", "--log-level", "warn", "--token-log", "all")
	srv.Env, srv.Dir = env, work
	var srvOut testkit.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("credo serve output:\n%s", srvOut.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(issuer + "readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("credo did not become ready: %v\n%s", err, srvOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A read-only login link, printed by the CLI on the same database.
	cli := exec.Command(bin, "dashboard", "login-link", "--db", db, "--read-only", "--name", "Auditor", "--ttl", "5m")
	cli.Env, cli.Dir = env, work
	out, err := cli.CombinedOutput()
	if err != nil {
		t.Fatalf("credo dashboard login-link: %v\n%s", err, out)
	}
	link := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	if !strings.HasPrefix(link, issuer+"dashboard/login-link?token=") {
		t.Fatalf("credo dashboard login-link printed %q", out)
	}

	artifacts := filepath.Join(dir, "artifacts")
	os.RemoveAll(artifacts)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a bound; a run takes well under a minute on a quiet machine
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1", "dashboard.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(withoutCredoEnv(), "NO_COLOR=1",
		"CREDO_ISSUER="+issuer, "CREDO_ADMIN_CLIENT_ID="+adminID, "CREDO_ADMIN_CLIENT_SECRET="+adminSecret,
		"CREDO_READONLY_LINK="+link, "CREDO_ARTIFACTS="+artifacts, "CREDO_CHROMIUM="+chromium)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	sc := bufio.NewScanner(&buf)
	var summary bool
	for sc.Scan() {
		t.Log("node| " + sc.Text())
		summary = summary || strings.HasPrefix(strings.TrimSpace(sc.Text()), "ℹ pass ")
	}
	if err != nil {
		t.Fatalf("node --test dashboard.test.mjs failed after %s: %v (its output is above, prefixed node|)", time.Since(start).Round(time.Second), err)
	}
	if !summary {
		t.Fatal("node --test printed no summary")
	}
	t.Logf("browser tests took %s; screenshots in %s", time.Since(start).Round(100*time.Millisecond), artifacts)
}

func withoutCredoEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") {
			env = append(env, kv)
		}
	}
	return env
}
