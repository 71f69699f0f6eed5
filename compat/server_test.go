package compat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/credo-dev/credo/internal/testkit"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// workDir holds the credo binary built for this test run.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credo-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the directory holding credo's go.mod (the tests run in compat/).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/credo-dev/credo\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatal("cannot find the credo repository root (go.mod of github.com/credo-dev/credo) above the working directory")
	return ""
}

var (
	buildOnce sync.Once
	buildErr  error
)

// credoBinary builds ./cmd/credo once per test run (with -race when the
// tests themselves run with -race, so that compat traffic also hunts data
// races in the server).
func credoBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(workDir, "credo")
	buildOnce.Do(func() {
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/credo")...)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building credo failed: %v", buildErr)
	}
	return bin
}

// creds is one client's id and secret.
type creds struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// apiSpec is one seeded resource server.
type apiSpec struct {
	Identifier string   `json:"identifier"`
	Alg        string   `json:"alg"`
	Dialect    string   `json:"dialect"`
	Lifetime   int      `json:"lifetime"` // the expected expires_in
	Scopes     []string `json:"scopes"`
}

// fixture is the tenant every compat test starts credo with.
type fixture struct {
	// Client has a grant with read:x write:x to every API.
	Client creds
	// Special's secret has characters that Basic auth must form-encode
	// (RFC 6749 §2.3.1); it has read:x on the RS256 Auth0-profile API.
	Special creds
	// Limited has write:x only, on the two RS256 APIs.
	Limited creds
	// NoGrant is a client with no grant at all.
	NoGrant creds
	// Admin is the Management API bootstrap admin.
	Admin    creds
	HSSecret string
	APIs     []apiSpec
}

var (
	algorithms = []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"}
	dialects   = []string{"access_token", "rfc9068_profile"}
)

func randomSecret(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func newFixture(t testing.TB) *fixture {
	fx := &fixture{
		Client:  creds{"compat-m2m-client", randomSecret(t)},
		Special: creds{"compat.special~client_1", "p@ss:w0rd+with/special=chars&more%20~ünïcödé " + randomSecret(t)[:12]},
		Limited: creds{"compat-limited-client", randomSecret(t)},
		NoGrant: creds{"compat-nogrant-client", randomSecret(t)},
		Admin:   creds{"compat-admin-" + randomSecret(t)[:8], randomSecret(t)},
		// HSSecret is what an Auth0 API's signing_secret looks like.
		HSSecret: randomSecret(t),
	}
	for _, alg := range algorithms {
		for _, d := range dialects {
			lifetime := 3600
			if alg == "RS256" && d == "access_token" {
				lifetime = 86400 // not set in the seed: Auth0's default
			}
			fx.APIs = append(fx.APIs, apiSpec{
				Identifier: "https://compat.test/" + strings.ToLower(alg) + "/" + d,
				Alg:        alg, Dialect: d, Lifetime: lifetime, Scopes: []string{"read:x", "write:x"},
			})
		}
	}
	return fx
}

// api returns the seeded API with alg and dialect.
func (fx *fixture) api(alg, dialect string) apiSpec {
	for _, a := range fx.APIs {
		if a.Alg == alg && a.Dialect == dialect {
			return a
		}
	}
	panic("no API " + alg + "/" + dialect)
}

// seedYAML is the tenant in Auth0 Deploy CLI tenant.yaml shape. Secrets are
// ${ENV} references (expanded by credo from seedEnv), as a real deployment
// keeps them out of the file.
func (fx *fixture) seedYAML() string {
	var b strings.Builder
	b.WriteString("# written by compat/server_test.go\nclients:\n")
	client := func(name string, c creds, env, authMethod string) {
		fmt.Fprintf(&b, "  - name: %s\n    client_id: %s\n    client_secret: '${%s}'\n    app_type: non_interactive\n    grant_types: [client_credentials]\n    token_endpoint_auth_method: %s\n    client_metadata:\n      suite: compat\n",
			name, c.ID, env, authMethod)
	}
	client("Compat M2M", fx.Client, "COMPAT_CLIENT_SECRET", "client_secret_post")
	client("Compat special secret", fx.Special, "COMPAT_SPECIAL_SECRET", "client_secret_basic")
	client("Compat limited", fx.Limited, "COMPAT_LIMITED_SECRET", "client_secret_post")
	client("Compat no grant", fx.NoGrant, "COMPAT_NOGRANT_SECRET", "client_secret_post")
	b.WriteString("resourceServers:\n")
	for _, a := range fx.APIs {
		fmt.Fprintf(&b, "  - name: Compat %s %s\n    identifier: %s\n    signing_alg: %s\n    token_dialect: %s\n    scopes:\n      - {value: 'read:x', description: Read X}\n      - {value: 'write:x', description: Write X}\n",
			a.Alg, a.Dialect, a.Identifier, a.Alg, a.Dialect)
		if a.Lifetime != 86400 {
			fmt.Fprintf(&b, "    token_lifetime: %d\n", a.Lifetime)
		}
		if a.Alg == "HS256" {
			b.WriteString("    signing_secret: ${COMPAT_HS256_SECRET}\n")
		}
	}
	b.WriteString("clientGrants:\n")
	for _, a := range fx.APIs {
		fmt.Fprintf(&b, "  - client_id: Compat M2M\n    audience: %s\n    scope: ['read:x', 'write:x']\n", a.Identifier)
	}
	rs := fx.api("RS256", "access_token").Identifier
	fmt.Fprintf(&b, "  - client_id: %s\n    audience: %s\n    scope: ['read:x']\n", fx.Special.ID, rs)
	for _, d := range dialects {
		fmt.Fprintf(&b, "  - client_id: Compat limited\n    audience: %s\n    scope: ['write:x']\n", fx.api("RS256", d).Identifier)
	}
	return b.String()
}

func (fx *fixture) seedEnv() []string {
	return []string{
		"COMPAT_CLIENT_SECRET=" + fx.Client.Secret,
		"COMPAT_SPECIAL_SECRET=" + fx.Special.Secret,
		"COMPAT_LIMITED_SECRET=" + fx.Limited.Secret,
		"COMPAT_NOGRANT_SECRET=" + fx.NoGrant.Secret,
		"COMPAT_HS256_SECRET=" + fx.HSSecret,
		"CREDO_BOOTSTRAP_CLIENT_ID=" + fx.Admin.ID,
		"CREDO_BOOTSTRAP_CLIENT_SECRET=" + fx.Admin.Secret,
	}
}

// server is a running `credo serve`.
type server struct {
	Base   string // http://127.0.0.1:PORT (https:// with startCredoTLS)
	Addr   string // 127.0.0.1:PORT
	Issuer string // Base + "/"
	Dir    string
	Stdout *testkit.Buffer
	Stderr *testkit.Buffer

	jwksOnce sync.Once
	jwks     jose.JSONWebKeySet
	jwksErr  error
}

// cleanEnv is the environment without CREDO_* variables (so that a
// developer's settings cannot change what the tests start).
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CREDO_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startCredo runs `credo serve --no-demo --seed …` (and args) on a free
// loopback port with fx's seed and bootstrap admin, waits for /readyz, and stops it (SIGTERM,
// then SIGKILL) when the test ends.
func startCredo(t *testing.T, fx *fixture, args ...string) *server {
	t.Helper()
	dir, seed := seedDir(t, fx)
	return startIn(t, credoBinary(t), dir, seed, fx, nil, args...)
}

// seedDir is a fresh directory holding fx's seed file.
func seedDir(t *testing.T, fx *fixture) (dir, seed string) {
	dir = t.TempDir()
	seed = filepath.Join(dir, "tenant.yaml")
	if err := os.WriteFile(seed, []byte(fx.seedYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, seed
}

// startCredoTLS is startCredo over HTTPS with a fresh test CA: the issuer
// is https://127.0.0.1:PORT/.
func startCredoTLS(t *testing.T, fx *fixture) (*server, *testTLS) {
	t.Helper()
	dir, seed := seedDir(t, fx)
	c := newTestTLS(t, dir)
	return startIn(t, credoBinary(t), dir, seed, fx, c), c
}

// startIn starts credo with its files in dir; tls, when set, serves HTTPS.
func startIn(t *testing.T, bin, dir, seed string, fx *fixture, tls *testTLS, extra ...string) *server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // another process may take the free port before credo does
		srv, err := tryStart(t, bin, dir, seed, fx, tls, extra...)
		if err == nil {
			return srv
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("credo serve did not become ready: %v", lastErr)
	return nil
}

func tryStart(t *testing.T, bin, dir, seed string, fx *fixture, tls *testTLS, extra ...string) (*server, error) {
	addr := testkit.FreeAddr(t)
	scheme := "http"
	args := []string{"serve", "--no-demo", "--addr", addr, "--db", filepath.Join(dir, "credo.db"), "--seed", seed}
	client := &http.Client{Timeout: 2 * time.Second}
	if tls != nil {
		scheme = "https"
		args = append(args, "--tls-cert", tls.CertFile, "--tls-key", tls.KeyFile)
		client = tls.Client()
		client.Timeout = 2 * time.Second
	}
	srv := &server{Base: scheme + "://" + addr, Issuer: scheme + "://" + addr + "/", Addr: addr, Dir: dir, Stdout: &testkit.Buffer{}, Stderr: &testkit.Buffer{}}
	cmd := exec.Command(bin, append(args, extra...)...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(fx.seedEnv()...)
	cmd.Stdout, cmd.Stderr = srv.Stdout, srv.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("credo serve did not stop within 10s of SIGTERM")
		}
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("credo serve exited early (%v); stderr:\n%s", err, srv.Stderr.String())
		default:
		}
		resp, err := client.Get(srv.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no 200 from %s/readyz within 60s (last error %v); stderr:\n%s", srv.Base, err, srv.Stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		logs := srv.Stderr.String()
		if strings.Contains(logs, "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in credo serve:\n%s", logs)
		} else if t.Failed() {
			t.Logf("credo serve stderr:\n%s", tail(logs, 60))
		}
	})
	return srv, nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// tokenResponse is a /oauth/token answer, success or error.
type tokenResponse struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// token POSTs a client-credentials form to credo, with client_secret_post.
func (s *server) token(t testing.TB, c creds, audience string) tokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}, "audience": {audience}}
	resp, err := http.PostForm(s.Issuer+"oauth/token", form)
	if err != nil {
		t.Fatalf("POST %soauth/token: %v", s.Issuer, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	tr := tokenResponse{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, &tr.Body); err != nil {
		t.Fatalf("POST %soauth/token: status %d, body is not JSON: %q", s.Issuer, resp.StatusCode, raw)
	}
	return tr
}

// mustToken returns an access token for c and audience, failing the test otherwise.
func (s *server) mustToken(t testing.TB, c creds, audience string) string {
	t.Helper()
	tr := s.token(t, c, audience)
	at, _ := tr.Body["access_token"].(string)
	if tr.Status != http.StatusOK || at == "" {
		t.Fatalf("token for client %s, audience %s: status %d, body %s", c.ID, audience, tr.Status, tr.Raw)
	}
	return at
}

// verifyToken checks an access token the way an API must (Auth0's
// "validate access tokens" list): signature with the JWKS key named by kid
// (or the HS256 secret), alg allow-list, iss, aud and exp. It returns the
// header and claims.
func (s *server) verifyToken(token, audience, hsSecret string) (jose.Header, map[string]any, error) {
	algs := []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}
	if hsSecret != "" {
		algs = []jose.SignatureAlgorithm{jose.HS256}
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		return jose.Header{}, nil, fmt.Errorf("parse: %w", err)
	}
	hdr := jws.Signatures[0].Header
	var key any
	if hsSecret != "" {
		key = []byte(hsSecret)
	} else {
		s.jwksOnce.Do(func() {
			resp, err := http.Get(s.Issuer + ".well-known/jwks.json")
			if err != nil {
				s.jwksErr = err
				return
			}
			defer resp.Body.Close()
			s.jwksErr = json.NewDecoder(resp.Body).Decode(&s.jwks)
		})
		if s.jwksErr != nil {
			return hdr, nil, fmt.Errorf("JWKS: %w", s.jwksErr)
		}
		for _, k := range s.jwks.Key(hdr.KeyID) {
			if k.Algorithm == hdr.Algorithm {
				key = k.Key
			}
		}
		if key == nil {
			return hdr, nil, fmt.Errorf("no JWKS key with kid %q and alg %s", hdr.KeyID, hdr.Algorithm)
		}
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return hdr, nil, fmt.Errorf("signature: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return hdr, nil, fmt.Errorf("claims: %w", err)
	}
	if claims["iss"] != s.Issuer {
		return hdr, claims, fmt.Errorf("iss %v, want %s", claims["iss"], s.Issuer)
	}
	if claims["aud"] != audience {
		return hdr, claims, fmt.Errorf("aud %v, want %s", claims["aud"], audience)
	}
	exp, _ := claims["exp"].(float64)
	if time.Unix(int64(exp), 0).Before(time.Now()) {
		return hdr, claims, errors.New("expired")
	}
	return hdr, claims, nil
}

// lineWriter sends each complete line written to it to log (t.Log).
type lineWriter struct {
	mu     sync.Mutex
	prefix string
	log    func(...any)
	buf    []byte
	all    bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.log(w.prefix + string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// Flush logs a last unterminated line.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.log(w.prefix + string(w.buf))
		w.buf = nil
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

var (
	npmOnce sync.Once
	npmErr  error
)

// nodeTools returns the path of node after making sure compat/node's
// dependencies are installed (npm ci, once, when node_modules is missing or
// older than package-lock.json). It skips the test when node or npm is not
// on PATH or CREDO_SKIP_NODE=1.
func nodeTools(t *testing.T) string {
	t.Helper()
	if os.Getenv("CREDO_SKIP_NODE") == "1" {
		t.Skip("CREDO_SKIP_NODE=1: skipping the Node.js compatibility tests")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: skipping the Node.js compatibility tests (install Node.js 20+ and npm, or set CREDO_SKIP_NODE=1 to silence this)")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: skipping the Node.js compatibility tests (install npm, or set CREDO_SKIP_NODE=1 to silence this)")
	}
	dir := filepath.Join(repoRoot(t), "compat", "node")
	npmOnce.Do(func() {
		lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			npmErr = err
			return
		}
		if hidden, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !hidden.ModTime().Before(lock.ModTime()) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			npmErr = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
	return node
}

// tamperJWT adds a scope to a JWS's payload and keeps its signature.
func tamperJWT(t testing.TB, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["scope"] = strings.TrimSpace(fmt.Sprint(claims["scope"]) + " admin:all")
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// flipSignature changes the first character of a JWS's signature (the last
// one may only carry padding bits).
func flipSignature(jwt string) string {
	i := strings.LastIndexByte(jwt, '.') + 1
	c := byte('A')
	if jwt[i] == 'A' {
		c = 'B'
	}
	return jwt[:i] + string(c) + jwt[i+1:]
}
