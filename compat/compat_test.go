package compat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestNode runs the Node.js suites in compat/node (openid-client, jose,
// express-oauth2-jwt-bearer, Auth0's Management API SDK) against a credo
// started with the compat fixture. Their output is streamed to the test log.
func TestNode(t *testing.T) {
	node := nodeTools(t)
	fx := newFixture(t)
	srv := startCredo(t, fx)

	dir := filepath.Join(repoRoot(t), "compat", "node")
	files, err := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs files in %s (err %v)", dir, err)
	}
	apis, _ := json.Marshal(fx.APIs)
	rs := fx.api("RS256", "access_token")
	env := cleanEnv(
		"NO_COLOR=1",
		"CREDO_ISSUER="+srv.Issuer,
		"CREDO_CLIENT_ID="+fx.Client.ID,
		"CREDO_CLIENT_SECRET="+fx.Client.Secret,
		"CREDO_AUDIENCE="+rs.Identifier,
		"CREDO_SPECIAL_CLIENT_ID="+fx.Special.ID,
		"CREDO_SPECIAL_CLIENT_SECRET="+fx.Special.Secret,
		"CREDO_LIMITED_CLIENT_ID="+fx.Limited.ID,
		"CREDO_LIMITED_CLIENT_SECRET="+fx.Limited.Secret,
		"CREDO_ADMIN_CLIENT_ID="+fx.Admin.ID,
		"CREDO_ADMIN_CLIENT_SECRET="+fx.Admin.Secret,
		"CREDO_HS256_SECRET="+fx.HSSecret,
		"CREDO_APIS="+string(apis),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	args := append([]string{"--test", "--test-reporter=spec"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	out := &lineWriter{prefix: "node| ", log: t.Log}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	out.Flush()
	if err != nil {
		t.Fatalf("node --test %s failed: %v (its output is above, prefixed node|)", strings.Join(relative(dir, files), " "), err)
	}
	if !strings.Contains(out.String(), "pass ") {
		t.Fatalf("node --test printed no summary; output:\n%s", out.String())
	}
}

func relative(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i], _ = filepath.Rel(dir, f)
	}
	return out
}

// recorder counts the token requests an oauth2 client sends and notes how
// it authenticated.
type recorder struct {
	mu    sync.Mutex
	basic []bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _, basic := req.BasicAuth()
	r.mu.Lock()
	r.basic = append(r.basic, basic)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) calls() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.basic)
}

// TestOAuth2ClientCredentials fetches tokens with the real
// golang.org/x/oauth2/clientcredentials package in each AuthStyle (the
// go-auth0 SDK uses it with the default, auto-detect), including a secret
// that Basic auth must form-encode.
func TestOAuth2ClientCredentials(t *testing.T) {
	fx := newFixture(t)
	srv := startCredo(t, fx)
	rs := fx.api("RS256", "access_token")
	api := newTinyAPI(t, srv, rs.Identifier)

	styles := []struct {
		name  string
		style oauth2.AuthStyle
		basic []bool // the requests the style should send for a good secret
	}{
		{"AuthStyleInParams", oauth2.AuthStyleInParams, []bool{false}},
		{"AuthStyleInHeader", oauth2.AuthStyleInHeader, []bool{true}},
		{"AuthStyleAutoDetect", oauth2.AuthStyleAutoDetect, []bool{true}}, // Basic first; must not need the fallback
	}
	clients := []struct {
		name  string
		c     creds
		scope string
	}{
		{"plain secret", fx.Client, "read:x write:x"},
		{"secret needing form-encoding", fx.Special, "read:x"},
	}
	for _, st := range styles {
		for _, cl := range clients {
			t.Run(st.name+"/"+cl.name, func(t *testing.T) {
				rec := &recorder{}
				ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: rec, Timeout: 10 * time.Second})
				cfg := clientcredentials.Config{
					ClientID: cl.c.ID, ClientSecret: cl.c.Secret, TokenURL: srv.Issuer + "oauth/token",
					EndpointParams: url.Values{"audience": {rs.Identifier}}, AuthStyle: st.style,
				}
				before := time.Now()
				tok, err := cfg.Token(ctx)
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				if got := rec.calls(); !slices.Equal(got, st.basic) {
					t.Errorf("token requests sent with Basic auth = %v, want %v", got, st.basic)
				}
				if tok.TokenType != "Bearer" {
					t.Errorf("token_type %q, want Bearer", tok.TokenType)
				}
				if d := tok.Expiry.Sub(before); d < time.Duration(rs.Lifetime-60)*time.Second || d > time.Duration(rs.Lifetime+60)*time.Second {
					t.Errorf("expiry %v after the request, want about %ds (expires_in)", d, rs.Lifetime)
				}
				if got := tok.Extra("scope"); got != cl.scope {
					t.Errorf("scope %v, want %q", got, cl.scope)
				}
				_, claims, err := srv.verifyToken(tok.AccessToken, rs.Identifier, "")
				if err != nil {
					t.Fatalf("token does not verify: %v", err)
				}
				want := map[string]any{"sub": cl.c.ID + "@clients", "azp": cl.c.ID, "gty": "client-credentials", "scope": cl.scope}
				for k, v := range want {
					if claims[k] != v {
						t.Errorf("claim %s = %v, want %v", k, claims[k], v)
					}
				}
				// The token source in an http.Client, as an M2M service uses it.
				resp, err := cfg.Client(ctx).Get(api.URL + "/api")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET the API through cfg.Client: status %d, want 200", resp.StatusCode)
				}
			})
		}
		t.Run(st.name+"/wrong secret", func(t *testing.T) {
			cfg := clientcredentials.Config{
				ClientID: fx.Client.ID, ClientSecret: fx.Client.Secret + "x", TokenURL: srv.Issuer + "oauth/token",
				EndpointParams: url.Values{"audience": {rs.Identifier}}, AuthStyle: st.style,
			}
			_, err := cfg.Token(t.Context())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("Token with a wrong secret: err %v, want an *oauth2.RetrieveError", err)
			}
			if re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" {
				t.Errorf("wrong secret: status %d error %q, want 401 invalid_client (body %s)", re.Response.StatusCode, re.ErrorCode, re.Body)
			}
		})
	}
	t.Run("no grant", func(t *testing.T) {
		cfg := clientcredentials.Config{ClientID: fx.NoGrant.ID, ClientSecret: fx.NoGrant.Secret, TokenURL: srv.Issuer + "oauth/token",
			EndpointParams: url.Values{"audience": {rs.Identifier}}, AuthStyle: oauth2.AuthStyleInParams}
		_, err := cfg.Token(t.Context())
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusForbidden || re.ErrorCode != "access_denied" {
			t.Fatalf("client without a grant: err %v, want 403 access_denied", err)
		}
		if !strings.Contains(re.ErrorDescription, `Client is not authorized to access "`+rs.Identifier+`"`) {
			t.Errorf("error_description %q does not have Auth0's wording", re.ErrorDescription)
		}
	})
}

// tinyAPI is an API protected by credo tokens for one audience: GET /api
// answers 200 with a JSON greeting for a valid bearer token, 401 otherwise.
type tinyAPI struct {
	*httptest.Server
	mu   sync.Mutex
	hits int
}

// apiGreeting is in every 200 body of tinyAPI.
const apiGreeting = "Hello from the credo compat API"

func newTinyAPI(t *testing.T, srv *server, audience string) *tinyAPI {
	a := &tinyAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.hits++
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || r.URL.Path != "/api" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request"})
			return
		}
		_, claims, err := srv.verifyToken(tok, audience, "")
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_token", "error_description": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"message": apiGreeting, "sub": claims["sub"]})
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *tinyAPI) Hits() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits
}

// TestFixtureSeed checks the seed the compat tests start from was applied as
// written: every API answers with its algorithm, dialect and lifetime.
func TestFixtureSeed(t *testing.T) {
	fx := newFixture(t)
	srv := startCredo(t, fx)
	for _, a := range fx.APIs {
		t.Run(a.Alg+"/"+a.Dialect, func(t *testing.T) {
			tr := srv.token(t, fx.Client, a.Identifier)
			if tr.Status != http.StatusOK {
				t.Fatalf("status %d: %s", tr.Status, tr.Raw)
			}
			if got := tr.Body["expires_in"]; got != float64(a.Lifetime) {
				t.Errorf("expires_in %v, want %d", got, a.Lifetime)
			}
			secret := ""
			if a.Alg == "HS256" {
				secret = fx.HSSecret
			}
			hdr, claims, err := srv.verifyToken(tr.Body["access_token"].(string), a.Identifier, secret)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if hdr.Algorithm != a.Alg {
				t.Errorf("alg %s, want %s", hdr.Algorithm, a.Alg)
			}
			wantTyp := "JWT"
			if a.Dialect == "rfc9068_profile" {
				wantTyp = "at+jwt"
			}
			if typ, _ := hdr.ExtraHeaders["typ"].(string); typ != wantTyp {
				t.Errorf("typ %q, want %q", typ, wantTyp)
			}
			if claims["scope"] != "read:x write:x" {
				t.Errorf("scope %v", claims["scope"])
			}
		})
	}
	if out := srv.Stdout.String(); strings.Contains(out, fx.Client.Secret) || strings.Contains(out, fx.Admin.Secret) {
		t.Errorf("credo printed a seeded or bootstrap secret on stdout:\n%s", out)
	}
	dbFiles, _ := filepath.Glob(filepath.Join(srv.Dir, "credo.db*"))
	if len(dbFiles) == 0 {
		t.Fatalf("no SQLite file at --db %s", filepath.Join(srv.Dir, "credo.db"))
	}
	for _, f := range dbFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]string{"client": fx.Client.Secret, "admin": fx.Admin.Secret, "HS256 signing": fx.HSSecret} {
			if strings.Contains(string(b), s) {
				t.Errorf("the %s secret is in %s in plaintext", name, filepath.Base(f))
			}
		}
	}
}
