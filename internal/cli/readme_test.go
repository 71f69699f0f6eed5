package cli_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/testkit"
)

// TestReadmeQuickstart does what the README tells a new user to do first:
// run its first shell command (the built binary with the same arguments, in
// an empty directory, on a free port), then run the curl command credo
// prints, and get a token.
func TestReadmeQuickstart(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if os.IsNotExist(err) {
		t.Skip("README.md does not exist yet at the repository root: nothing to check")
	}
	if err != nil {
		t.Fatal(err)
	}
	command, err := firstShellCommand(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	const want = "go run ./cmd/credo"
	if !strings.HasPrefix(command, want+" ") && command != want {
		t.Fatalf("the README's first shell command is %q; this test expects it to start with %q", command, want)
	}
	args := strings.Fields(strings.TrimPrefix(command, want))
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("the README's first command %q does not run `credo serve`", command)
	}
	for _, a := range args {
		if strings.ContainsAny(a, `'"$\`+"`") {
			t.Fatalf("the README's first command %q has shell quoting or expansions this test does not interpret", command)
		}
	}

	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH: the README's quickstart runs the curl command credo prints (apt-get install curl)")
	}

	bin := filepath.Join(t.TempDir(), "credo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/credo")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/credo: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	cmd := exec.Command(bin, append(args, "--addr", addr)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") { // a developer's settings must not change the first run
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, stderr := &testkit.Buffer{}, &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("credo serve did not stop within 10s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("credo stdout:\n%s\ncredo stderr:\n%s", stdout.String(), stderr.String())
		}
	})

	// Wait for /readyz, then for the banner's curl command (credo prints
	// the banner before it serves, so it is complete within moments).
	var curl string
	deadline := time.Now().Add(60 * time.Second)
	var readySince time.Time
	for curl == "" {
		select {
		case err := <-exited:
			t.Fatalf("`credo %s` exited early: %v\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), err, stderr.String())
		default:
		}
		if readySince.IsZero() {
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					readySince = time.Now()
				}
			}
		}
		if !readySince.IsZero() {
			curl = printedCurl(stdout.String())
			if curl == "" && time.Since(readySince) > 3*time.Second {
				t.Fatalf("credo is serving but printed no complete curl command; stdout:\n%s", stdout.String())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("credo did not answer 200 on /readyz within 60s; stdout:\n%s", stdout.String())
		}
		if curl == "" {
			time.Sleep(25 * time.Millisecond)
		}
	}
	if !strings.Contains(curl, "http://"+addr+"/oauth/token") {
		t.Errorf("the printed curl command does not target this server (http://%s/oauth/token):\n%s", addr, curl)
	}

	run := exec.Command("bash", "-c", curl)
	run.Dir = dir
	var out, errOut bytes.Buffer
	run.Stdout, run.Stderr = &out, &errOut
	if err := run.Run(); err != nil {
		t.Fatalf("the printed curl command failed: %v\n%s\ncommand:\n%s", err, errOut.String(), curl)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &tok); err != nil {
		t.Fatalf("the printed curl command did not print JSON: %v\n%s", err, out.String())
	}
	if tok.Error != "" || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("the printed curl command did not get a token (a 200 answer has access_token, token_type Bearer, expires_in):\n%s", out.String())
	}
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access_token is not a compact JWS: %q", tok.AccessToken)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Iss string `json:"iss"`
		Aud string `json:"aud"`
	}
	json.Unmarshal(payload, &claims)
	if claims.Iss != "http://"+addr+"/" {
		t.Errorf("iss %q, want http://%s/", claims.Iss, addr)
	}
	if m := regexp.MustCompile(`audience=(\S+)`).FindStringSubmatch(curl); m != nil && claims.Aud != m[1] {
		t.Errorf("aud %q, want the curl command's audience %q", claims.Aud, m[1])
	}
}

// firstShellCommand returns the first command of the README's first fenced
// shell block (```sh, bash, shell, console or zsh), without a "$ " prompt and
// with backslash continuations joined.
func firstShellCommand(readme string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(readme))
	inBlock := false
	var cmd strings.Builder
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if !inBlock {
			if info, ok := strings.CutPrefix(trimmed, "```"); ok {
				switch strings.ToLower(strings.Fields(info + " x")[0]) {
				case "sh", "bash", "shell", "console", "zsh", "shell-session":
					inBlock = true
				}
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			break
		}
		if cmd.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "$ ")
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			cmd.WriteString(rest + " ")
			continue
		}
		cmd.WriteString(trimmed)
		return strings.Join(strings.Fields(cmd.String()), " "), nil
	}
	if cmd.Len() > 0 {
		return strings.Join(strings.Fields(cmd.String()), " "), nil
	}
	return "", errNoShellBlock
}

type readmeError string

func (e readmeError) Error() string { return string(e) }

const errNoShellBlock = readmeError("README.md has no fenced shell block (```sh, ```bash, ```shell or ```console) with a command")

// printedCurl returns the first complete curl command (through its last
// backslash-continued line) in credo's stdout, or "".
func printedCurl(stdout string) string {
	lines := strings.Split(stdout, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "curl ") {
			continue
		}
		var b strings.Builder
		for j := i; j < len(lines); j++ {
			b.WriteString(lines[j] + "\n")
			if !strings.HasSuffix(strings.TrimSpace(lines[j]), `\`) {
				if j == len(lines)-1 { // the last line may still be being written
					return ""
				}
				return b.String()
			}
		}
		return ""
	}
	return ""
}
