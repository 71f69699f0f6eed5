package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
	jose "github.com/go-jose/go-jose/v4"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// verifyToken checks the JWS against the fixture's JWKS (or the HS secret)
// and returns its header and claims.
func (f *fixture) verifyToken(t *testing.T, tok string, hsSecret string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA, jose.HS256})
	if err != nil {
		t.Fatalf("parse %q: %v", tok, err)
	}
	h := jws.Signatures[0].Header
	var key any
	if h.Algorithm == "HS256" {
		key = []byte(hsSecret)
	} else {
		rec := f.do(httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			t.Fatal(err)
		}
		ks := set.Key(h.KeyID)
		if len(ks) == 0 {
			t.Fatalf("kid %s not in JWKS", h.KeyID)
		}
		key = ks[0].Key
	}
	payload, err := jws.Verify(key)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return h, claims
}

func TestTokenSuccess(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	jsonReq := func(body string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
	}
	cases := []struct {
		name      string
		req       func() *http.Request
		wantAlg   string
		wantTyp   string
		wantScope string
		wantExp   int64
		hs        string
	}{
		{"form post", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets))
		}, "RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"form basic", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "audience", timesheets))
			r.Header.Set("Authorization", basic("worker", workerSecret))
			return r
		}, "RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"basic with matching client_id in body", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "client_id", "worker", "audience", timesheets))
			r.Header.Set("Authorization", basic("worker", workerSecret))
			return r
		}, "RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"json body", jsonReq(`{"grant_type":"client_credentials","client_id":"worker","client_secret":"` + workerSecret + `","audience":"` + timesheets + `"}`),
			"RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"json with extra non-string field", jsonReq(`{"grant_type":"client_credentials","client_id":"worker","client_secret":"` + workerSecret + `","audience":"` + timesheets + `","x":{"a":1}}`),
			"RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"resource alias (RFC 8707)", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "resource", timesheets))
		}, "RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"scope subset ignored (Auth0 behaviour)", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets, "scope", "read:timesheets"))
		}, "RS256", "JWT", "read:timesheets create:timesheets", 86400, ""},
		{"imported short secret (argon2id)", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "legacy", "client_secret", "short-secret", "audience", timesheets))
		}, "RS256", "JWT", "", 86400, ""},
		{"ES256 rfc9068 600s", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", "urn:credo:modern"))
		}, "ES256", "at+jwt", "read:x", 600, ""},
		{"EdDSA", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", "urn:credo:ed"))
		}, "EdDSA", "JWT", "", 86400, ""},
		{"PS256", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", "urn:credo:pss"))
		}, "PS256", "JWT", "", 86400, ""},
		{"HS256", func() *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", "urn:credo:hs"))
		}, "HS256", "JWT", "", 86400, "0123456789abcdef0123456789abcdef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(tc.req())
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", rec.Header())
			}
			body := decode(t, rec)
			wantKeys := 3
			if tc.wantScope != "" {
				wantKeys = 4
			}
			if len(body) != wantKeys || body["token_type"] != "Bearer" || body["expires_in"] != float64(tc.wantExp) || (tc.wantScope != "" && body["scope"] != tc.wantScope) {
				t.Fatalf("body %v", body)
			}
			h, claims := f.verifyToken(t, body["access_token"].(string), tc.hs)
			if h.Algorithm != tc.wantAlg || h.ExtraHeaders["typ"] != tc.wantTyp {
				t.Fatalf("header alg %s typ %v", h.Algorithm, h.ExtraHeaders["typ"])
			}
			if tc.wantAlg != "HS256" && h.KeyID == "" {
				t.Fatal("no kid")
			}
			if claims["iss"] != testIssuer || claims["iat"] != float64(f.now.Unix()) || claims["exp"] != float64(f.now.Unix()+tc.wantExp) {
				t.Fatalf("claims %v", claims)
			}
			if tc.wantTyp == "at+jwt" {
				if claims["client_id"] != "worker" || claims["jti"] == nil || claims["gty"] != nil || claims["azp"] != nil {
					t.Fatalf("rfc9068 claims %v", claims)
				}
			} else if claims["gty"] != "client-credentials" || claims["azp"] == nil || !strings.HasSuffix(claims["sub"].(string), "@clients") || claims["scope"] != tc.wantScope {
				t.Fatalf("auth0 claims %v", claims)
			}
		})
	}
}

func TestTokenClaimsGolden(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	for _, tc := range []struct{ name, aud string }{{"claims_auth0", timesheets}, {"claims_rfc9068", "urn:credo:modern"}} {
		rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", tc.aud)))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
		h, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
		if claims["jti"] != nil {
			claims["jti"] = "JTI"
		}
		out, _ := json.MarshalIndent(map[string]any{"header": map[string]any{"alg": h.Algorithm, "typ": h.ExtraHeaders["typ"], "kid": "KID"}, "claims": claims}, "", "  ")
		golden(t, tc.name, append(out, '\n'))
	}
}

func TestTokenErrors(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	withCT := func(ct, body string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			return r
		}
	}
	good := func(kv ...string) []string {
		base := map[string]string{"grant_type": "client_credentials", "client_id": "worker", "client_secret": workerSecret, "audience": timesheets}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(base, kv[i])
			} else {
				base[kv[i]] = kv[i+1]
			}
		}
		var out []string
		for k, v := range base {
			out = append(out, k, v)
		}
		return out
	}
	cases := []struct {
		name        string
		req         func() *http.Request
		status      int
		code        string
		basicHeader bool
	}{
		{"wrong secret", func() *http.Request { return formReq(form(good("client_secret", "nope")...)) }, 401, "invalid_client", false},
		{"unknown client", func() *http.Request { return formReq(form(good("client_id", "ghost")...)) }, 401, "invalid_client", false},
		{"missing secret", func() *http.Request { return formReq(form(good("client_secret", "")...)) }, 401, "invalid_client", false},
		{"wrong basic secret", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "audience", timesheets))
			r.Header.Set("Authorization", basic("worker", "bad"))
			return r
		}, 401, "invalid_client", true},
		{"malformed basic", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "audience", timesheets))
			r.Header.Set("Authorization", "Basic !!!")
			return r
		}, 401, "invalid_client", true},
		{"basic and body secret", func() *http.Request {
			r := formReq(form(good()...))
			r.Header.Set("Authorization", basic("worker", workerSecret))
			return r
		}, 400, "invalid_request", false},
		{"basic id differs from body", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "client_id", "other", "audience", timesheets))
			r.Header.Set("Authorization", basic("worker", workerSecret))
			return r
		}, 400, "invalid_request", false},
		{"missing client_id", func() *http.Request { return formReq(form(good("client_id", "")...)) }, 400, "invalid_request", false},
		{"no client grant", func() *http.Request { return formReq(form(good("audience", "https://api.exampleco.com/ungranted")...)) }, 403, "access_denied", false},
		{"unknown audience", func() *http.Request { return formReq(form(good("audience", "https://nowhere.example/")...)) }, 403, "access_denied", false},
		{"grant type not enabled", func() *http.Request {
			return formReq(form(good("client_id", "web", "client_secret", "web-secret-0123456789abcdefghijklmnopqrs")...))
		}, 403, "unauthorized_client", false},
		// A public client is answered like an unknown one: nothing confirms that its id exists.
		{"public client", func() *http.Request { return formReq(form(good("client_id", "spa", "client_secret", "x")...)) }, 401, "invalid_client", false},
		{"public client without secret", func() *http.Request { return formReq(form(good("client_id", "spa", "client_secret", "")...)) }, 401, "invalid_client", false},
		{"empty client_secret then another", func() *http.Request {
			return formReq(form(good("client_secret", "")...) + "&client_secret=&client_secret=" + workerSecret)
		}, 400, "invalid_request", false},
		{"basic and empty body secret", func() *http.Request {
			r := formReq(form("grant_type", "client_credentials", "audience", timesheets, "client_secret", ""))
			r.Header.Set("Authorization", basic("worker", workerSecret))
			return r
		}, 400, "invalid_request", false},
		{"secret and client assertion", func() *http.Request {
			return formReq(form(good("client_assertion", "eyJ.x.y", "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")...))
		}, 400, "invalid_request", false},
		{"client assertion", func() *http.Request {
			return formReq(form(good("client_secret", "", "client_assertion", "eyJ.x.y", "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")...))
		}, 400, "invalid_request", false},
		{"organization for a deny grant", func() *http.Request { return formReq(form(good("organization", "org_abc")...)) }, 400, "invalid_request", false},
		{"missing audience", func() *http.Request { return formReq(form(good("audience", "")...)) }, 400, "invalid_request", false},
		{"audience and resource differ", func() *http.Request { return formReq(form(good("resource", "urn:credo:ed")...)) }, 400, "invalid_request", false},
		{"missing grant_type", func() *http.Request { return formReq(form(good("grant_type", "")...)) }, 400, "invalid_request", false},
		{"unsupported grant", func() *http.Request { return formReq(form(good("grant_type", "password")...)) }, 400, "unsupported_grant_type", false},
		{"duplicate parameter", func() *http.Request {
			return formReq(form(good()...) + "&audience=" + url.QueryEscape(timesheets))
		}, 400, "invalid_request", false},
		{"malformed form", func() *http.Request { return formReq("grant_type=%zz") }, 400, "invalid_request", false},
		{"malformed json", withCT("application/json", `{"grant_type":`), 400, "invalid_request", false},
		{"json array", withCT("application/json", `["grant_type"]`), 400, "invalid_request", false},
		{"json non-string known param", withCT("application/json", `{"grant_type":1}`), 400, "invalid_request", false},
		{"json duplicate key", withCT("application/json", `{"grant_type":"client_credentials","grant_type":"client_credentials"}`), 400, "invalid_request", false},
		{"json trailing data", withCT("application/json", `{"grant_type":"client_credentials"} {}`), 400, "invalid_request", false},
		{"unsupported content type", withCT("text/plain", "grant_type=client_credentials"), 400, "invalid_request", false},
		{"malformed scope", func() *http.Request { return formReq(form(good("scope", "a\"b")...)) }, 400, "invalid_scope", false},
		{"body too large", func() *http.Request {
			return formReq(form(good()...) + "&pad=" + strings.Repeat("x", 70<<10))
		}, 413, "invalid_request", false},
		{"body too large without content-length", func() *http.Request {
			r := formReq(form(good()...) + "&pad=" + strings.Repeat("x", 70<<10))
			r.ContentLength = -1
			return r
		}, 413, "invalid_request", false},
		{"too many params", func() *http.Request {
			return formReq(form(good()...) + strings.Repeat("&p=1&q=2&r=3", 1) + manyParams(80))
		}, 400, "invalid_request", false},
		{"GET", withCT("", ""), 405, "invalid_request", false},
	}
	cases[len(cases)-1].req = func() *http.Request { return httptest.NewRequest("GET", "/oauth/token", nil) }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(tc.req())
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			body := decode(t, rec)
			if body["error"] != tc.code || body["error_description"] == "" || len(body) != 2 {
				t.Fatalf("body %v, want error %s", body, tc.code)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatal("missing Cache-Control: no-store")
			}
			if got := rec.Header().Get("WWW-Authenticate") != ""; got != tc.basicHeader {
				t.Fatalf("WWW-Authenticate present=%v, want %v", got, tc.basicHeader)
			}
			golden(t, "error_"+strings.ReplaceAll(tc.name, " ", "_"), rec.Body.Bytes())
		})
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "&x%d=1", i)
	}
	return b.String()
}

func TestAuth0CompatErrorMode(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	if _, err := f.svc.UpdateSettings(t.Context(), func(s *store.Settings) error { s.Auth0CompatErrors = true; return nil }); err != nil {
		t.Fatal(err)
	}
	rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", "bad", "audience", timesheets)))
	if rec.Code != 401 || rec.Body.String() != `{"error":"access_denied","error_description":"Unauthorized"}`+"\n" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestHonorScopeSubsetSetting(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	if _, err := f.svc.UpdateSettings(t.Context(), func(s *store.Settings) error { s.HonorScopeSubset = true; return nil }); err != nil {
		t.Fatal(err)
	}
	req := func(scope string) map[string]any {
		rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets, "scope", scope)))
		m := decode(t, rec)
		m["status"] = rec.Code
		return m
	}
	if m := req("read:timesheets"); m["status"] != 200 || m["scope"] != "read:timesheets" {
		t.Fatalf("subset: %v", m)
	}
	if m := req("read:timesheets delete:timesheets"); m["status"] != 400 || m["error"] != "invalid_scope" {
		t.Fatalf("ungranted scope: %v", m)
	}
	if m := req(""); m["status"] != 200 || m["scope"] != "read:timesheets create:timesheets" {
		t.Fatalf("no scope: %v", m)
	}
}

func TestChangesTakeEffectOnNextRequest(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	ctx := context.Background()
	tokenFor := func(id, sec, aud string) int {
		return f.do(formReq(form("grant_type", "client_credentials", "client_id", id, "client_secret", sec, "audience", aud))).Code
	}
	ungranted := "https://api.exampleco.com/ungranted"
	if c := tokenFor("worker", workerSecret, ungranted); c != 403 {
		t.Fatalf("before grant: %d", c)
	}
	g, err := f.svc.CreateGrant(ctx, grantFields("worker", ungranted))
	if err != nil {
		t.Fatal(err)
	}
	if c := tokenFor("worker", workerSecret, ungranted); c != 200 {
		t.Fatalf("after grant: %d", c)
	}
	if err := f.svc.DeleteGrant(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if c := tokenFor("worker", workerSecret, ungranted); c != 403 {
		t.Fatalf("after grant delete: %d", c)
	}
	_, newSecret, err := f.svc.RotateSecret(ctx, "worker", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if tokenFor("worker", workerSecret, timesheets) != 200 || tokenFor("worker", newSecret, timesheets) != 200 {
		t.Fatal("both secrets must work during the grace period")
	}
	f.now = f.now.Add(11 * time.Minute)
	if tokenFor("worker", workerSecret, timesheets) != 401 || tokenFor("worker", newSecret, timesheets) != 200 {
		t.Fatal("old secret must stop after the grace period")
	}
	if _, newer, err := f.svc.RotateSecret(ctx, "worker", 0); err != nil || tokenFor("worker", newSecret, timesheets) != 401 || tokenFor("worker", newer, timesheets) != 200 {
		t.Fatalf("rotation without grace: %v", err)
	}
	if err := f.svc.DeleteClient(ctx, "worker"); err != nil {
		t.Fatal(err)
	}
	if c := tokenFor("worker", newSecret, timesheets); c != 401 {
		t.Fatalf("deleted client: %d", c)
	}
}

func TestTokenEventsRecorded(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets)))
	f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", "wrong", "audience", timesheets)))
	if len(f.events) != 2 || f.events[0].Type != "seccft" || f.events[1].Type != "feccft" || f.events[0].Scope == "" {
		t.Fatalf("events %+v", f.events)
	}
	for _, ev := range f.events {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), workerSecret) || strings.Contains(string(b), "wrong") {
			t.Fatalf("event leaks a secret: %s", b)
		}
	}
}

func TestPerClientTokenLifetimeOverride(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	f.seed(`
clients:
  - {name: Short Lived, client_id: short, client_secret: short-lived-secret-0123456789abcdefghijk, token_lifetime: 300}
clientGrants:
  - {client_id: short, audience: "https://api.exampleco.com/timesheets", scope: []}
  - {client_id: short, audience: "urn:credo:modern", scope: []}
`)
	for _, aud := range []string{timesheets, "urn:credo:modern"} { // API lifetimes 86400 and 600
		rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "short", "client_secret", "short-lived-secret-0123456789abcdefghijk", "audience", aud)))
		body := decode(t, rec)
		if rec.Code != 200 || body["expires_in"] != float64(300) {
			t.Fatalf("%s: %d %v", aud, rec.Code, body)
		}
		_, claims := f.verifyToken(t, body["access_token"].(string), "")
		if claims["exp"].(float64)-claims["iat"].(float64) != 300 {
			t.Fatalf("exp-iat = %v", claims["exp"].(float64)-claims["iat"].(float64))
		}
	}
}

func TestTokenReuseCache(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	ep := f.endpoint(nil)
	ep.Reuse = &token.ReuseCache{MinRemaining: 0.5, Max: 100}
	h := server.New(server.Deps{Holder: f.holder, Token: ep, Issuer: testIssuer})
	get := func() map[string]any {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets)))
		return decode(t, rec)
	}
	a := get()
	f.now = f.now.Add(10 * time.Hour)
	b := get()
	if a["access_token"] != b["access_token"] || b["expires_in"] != float64(86400-36000) {
		t.Fatalf("not reused within the fresh half: %v / %v", a["expires_in"], b["expires_in"])
	}
	f.now = f.now.Add(3 * time.Hour) // 13 h of 24 used: less than half left
	c := get()
	if c["access_token"] == a["access_token"] || c["expires_in"] != float64(86400) {
		t.Fatal("stale token reused")
	}
	// A write (here: a rotated secret elsewhere) changes the version and drops cached tokens.
	if _, _, err := f.svc.RotateSecret(t.Context(), "legacy", 0); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second) // RS256 is deterministic: a new token needs a new iat to differ
	if d := get(); d["access_token"] == c["access_token"] {
		t.Fatal("cached token survived a tenant change")
	}
	// A bad secret is never answered from the cache.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", "wrong", "audience", timesheets)))
	if rec.Code != 401 {
		t.Fatalf("wrong secret with a cached token: %d", rec.Code)
	}
}
