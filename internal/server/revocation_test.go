package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/verify"
)

// inProcess answers HTTP requests with the fixture's router.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func (f *fixture) post(path, body string, basic ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		r.SetBasicAuth(basic[0], basic[1])
	}
	return f.do(r)
}

func (f *fixture) tokenFor(clientID, secret, audience string) string {
	f.t.Helper()
	rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", clientID, "client_secret", secret, "audience", audience)))
	if rec.Code != 200 {
		f.t.Fatalf("token for %s: %d %s", audience, rec.Code, rec.Body)
	}
	return decode(f.t, rec)["access_token"].(string)
}

// eventually calls fn until it fails (a revocation seen), for up to 2 s,
// and returns its last error.
func eventually(fn func() error) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := fn()
		if err != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) introspect(tok string) map[string]any {
	f.t.Helper()
	rec := f.post("/oauth/introspect", form("token", tok), "worker", workerSecret)
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		f.t.Fatalf("introspect: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	return decode(f.t, rec)
}

// TestRevokeAndIntrospect: RFC 7009 revocation by the token's own client,
// RFC 7662 introspection, per-client revocation, all honoured by the
// introspection endpoint and by verify polling the signed revocation list.
func TestRevokeAndIntrospect(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	rs := f.tokenFor("worker", workerSecret, timesheets) // RS256, Auth0 profile: no jti
	es := f.tokenFor("worker", workerSecret, "urn:credo:modern")
	hs := f.tokenFor("worker", workerSecret, "urn:credo:hs")
	web := f.tokenFor("legacy", "short-secret", timesheets)

	for name, tok := range map[string]string{"RS256": rs, "ES256 with jti": es, "HS256": hs} {
		m := f.introspect(tok)
		if m["active"] != true || m["client_id"] != "worker" || m["token_type"] != "Bearer" || m["iss"] != testIssuer || m["exp"] == nil {
			t.Errorf("%s: %v", name, m)
		}
	}
	if m := f.introspect(es); m["jti"] == nil || m["scope"] != "read:x" || m["aud"] != "urn:credo:modern" {
		t.Errorf("rfc9068 token: %v", m)
	}
	for name, tok := range map[string]string{"garbage": "nope", "tampered": rs[:len(rs)-4] + "AAAA", "empty-ish": "a.b.c"} {
		if m := f.introspect(tok); len(m) != 1 || m["active"] != false {
			t.Errorf("%s: %v", name, m)
		}
	}
	if rec := f.post("/oauth/introspect", form("token", rs), "worker", "wrong"); rec.Code != 401 || decode(t, rec)["error"] != "invalid_client" {
		t.Errorf("bad client secret: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/oauth/introspect", form("token", rs)); rec.Code != 400 && rec.Code != 401 {
		t.Errorf("no client authentication: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/oauth/introspect", "", "worker", workerSecret); rec.Code != 400 || !strings.Contains(rec.Body.String(), "token") {
		t.Errorf("no token: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/oauth/introspect", form("token", rs, "token", rs), "worker", workerSecret); rec.Code != 400 {
		t.Errorf("token twice: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(httptest.NewRequest("GET", "/oauth/revoke", nil)); rec.Code != 405 {
		t.Errorf("GET /oauth/revoke: %d", rec.Code)
	}

	// verify, polling the signed list in process.
	v, err := verify.New(verify.Config{Issuer: testIssuer, Audience: []string{timesheets}, Algorithms: []string{"RS256"},
		HTTPClient: &http.Client{Transport: inProcess{f.h}}, RevocationListURL: testIssuer + ".well-known/revocations.jwt",
		RevocationListInterval: time.Second, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, rs); err != nil {
		t.Fatalf("before revocation: %v", err)
	}

	// RFC 7009: another client cannot revoke the token; its own can.
	if rec := f.post("/oauth/revoke", form("token", rs), "legacy", "short-secret"); rec.Code != 400 || decode(t, rec)["error"] != "unauthorized_client" {
		t.Fatalf("revoke by another client: %d %s", rec.Code, rec.Body)
	}
	for _, tok := range []string{rs, rs, "garbage"} { // a repeat and an invalid token are 200 too
		if rec := f.post("/oauth/revoke", form("token", tok, "token_type_hint", "access_token"), "worker", workerSecret); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
		}
	}
	if m := f.introspect(rs); m["active"] != false {
		t.Errorf("revoked token introspects %v", m)
	}
	// Asked again in the same second, the token (no jti) would be the same
	// bytes: it is dated a second later instead, and is valid.
	again := f.tokenFor("worker", workerSecret, timesheets)
	if again == rs || f.introspect(again)["active"] != true {
		t.Errorf("the token asked for right after revoking: same %v, %v", again == rs, f.introspect(again))
	}
	if m := f.introspect(es); m["active"] != true {
		t.Errorf("another token of the client: %v", m)
	}
	// The list is refreshed in the background once its interval passed:
	// the verifier sees the revocation shortly after.
	f.now = f.now.Add(2 * time.Second)
	if err := eventually(func() error { _, err := v.Verify(ctx, rs); return err }); !errors.Is(err, verify.ErrRevoked) || !errors.Is(err, verify.ErrInvalidToken) {
		t.Errorf("verify after revocation: %v", err)
	}
	if _, err := v.Verify(ctx, web); err != nil {
		t.Errorf("another client's token: %v", err)
	}

	// Every token of a client, at once; the next token is valid.
	es2 := f.tokenFor("worker", workerSecret, timesheets)
	if _, err := f.svc.RevokeClientTokens(ctx, "worker"); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"es": es, "hs": hs} {
		if m := f.introspect(tok); m["active"] != false {
			t.Errorf("%s after revoking the client's tokens: %v", name, m)
		}
	}
	fresh := f.tokenFor("worker", workerSecret, timesheets)
	if m := f.introspect(fresh); m["active"] != true {
		t.Errorf("a token issued after the revocation, in the same second: %v", m)
	}
	f.now = f.now.Add(2 * time.Second)
	if err := eventually(func() error { _, err := v.Verify(ctx, es2); return err }); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("verify a token of the revoked client: %v", err)
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Errorf("verify a fresh token: %v", err)
	}
	if _, err := v.Verify(ctx, web); err != nil {
		t.Errorf("another client's token: %v", err)
	}

	// One by one, a client revokes at most MaxRevoked (3 here) unexpired tokens.
	for i := range 4 {
		f.now = f.now.Add(time.Second) // a new token each time (no jti: a new second)
		tok := f.tokenFor("legacy", "short-secret", timesheets)
		rec := f.post("/oauth/revoke", form("token", tok), "legacy", "short-secret")
		if want := 200; i == 3 {
			want = 400
			if rec.Code != want || !strings.Contains(rec.Body.String(), "revoke-tokens") {
				t.Fatalf("revocation past the bound: %d %s", rec.Code, rec.Body)
			}
		} else if rec.Code != want {
			t.Fatalf("revocation %d: %d %s", i, rec.Code, rec.Body)
		}
	}

	// A list that cannot be fetched: refused as unavailable, not as invalid.
	broken, _ := verify.New(verify.Config{Issuer: testIssuer, Audience: []string{timesheets}, Algorithms: []string{"RS256"},
		HTTPClient: &http.Client{Transport: inProcess{f.h}}, RevocationListURL: testIssuer + "no-such-list",
		Now: func() time.Time { return f.now }})
	if _, err := broken.Verify(ctx, web); !errors.Is(err, verify.ErrRevocationsUnavailable) || errors.Is(err, verify.ErrInvalidToken) {
		t.Errorf("unfetchable list: %v", err)
	}
	if _, err := verify.New(verify.Config{Issuer: testIssuer, Audience: []string{"x"}, Algorithms: []string{"HS256"}, HMACSecret: make([]byte, 32),
		RevocationListURL: testIssuer + ".well-known/revocations.jwt"}); err == nil {
		t.Error("a revocation list with only HS256 was accepted")
	}
}
