package token_test

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store/sqlite"
)

const benchSecret = "bench-secret-0123456789abcdefghijklmnopq"

// benchTenant builds a real tenant with one client granted to one API per
// algorithm, and returns its token endpoint.
func benchTenant(b *testing.B) *token.Endpoint {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	km := &keys.Manager{Store: st, Master: mk, CommonName: "bench"}
	if _, err := km.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	svc := &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: "http://127.0.0.1:8080/"}
	h, err := tenant.NewHolder(ctx, st, mk, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc.Holder = h
	seed := `
resourceServers:
  - {identifier: "urn:bench:rs256", scopes: [{value: "read:bench"}, {value: "write:bench"}]}
  - {identifier: "urn:bench:es256", signing_alg: ES256}
  - {identifier: "urn:bench:eddsa", signing_alg: EdDSA}
  - {identifier: "urn:bench:hs256", signing_alg: HS256}
clients:
  - {name: bench, client_id: bench, client_secret: ` + benchSecret + `}
clientGrants:
  - {client_id: bench, audience: "urn:bench:rs256", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:es256", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:eddsa", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:hs256", scope: ["read:bench", "write:bench"]}
`
	s, err := tenant.ParseSeed([]byte(seed), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.ApplySeed(ctx, s); err != nil {
		b.Fatal(err)
	}
	return &token.Endpoint{Holder: h, Secrets: secret.NewVerifier(time.Minute, nil), Issuer: "http://127.0.0.1:8080/"}
}

func body(aud string) string {
	return "grant_type=client_credentials&client_id=bench&client_secret=" + benchSecret + "&audience=" + aud
}

// BenchmarkTokenEndpoint is the whole pipeline (parse → … → write) per algorithm, in process.
func BenchmarkTokenEndpoint(b *testing.B) {
	ep := benchTenant(b)
	for _, alg := range []string{"rs256", "es256", "eddsa", "hs256"} {
		b.Run(alg, func(b *testing.B) {
			payload := body("urn:bench:" + alg)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(payload))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				ep.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkScaffold is what BenchmarkTokenEndpoint spends per iteration
// outside the endpoint (the httptest request and recorder, and reading the
// recorded response's code), to subtract from it: the pipeline's cost
// beyond the signature is TokenEndpoint − Sign − Scaffold.
func BenchmarkScaffold(b *testing.B) {
	payload := body("urn:bench:hs256")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(payload))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		w.WriteHeader(200)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkParse is the request parser alone (form body and Basic header).
func BenchmarkParse(b *testing.B) {
	b.Run("form", func(b *testing.B) {
		payload := body("urn:bench:es256")
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(payload))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if _, oerr := token.Parse(nil, r); oerr != nil {
				b.Fatal(oerr)
			}
		}
	})
	b.Run("json+basic", func(b *testing.B) {
		payload := `{"grant_type":"client_credentials","audience":"urn:bench:es256"}`
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:"+benchSecret))
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(payload))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", auth)
			if _, oerr := token.Parse(nil, r); oerr != nil {
				b.Fatal(oerr)
			}
		}
	})
}

// BenchmarkAuthenticate is the secret check for a generated secret.
func BenchmarkAuthenticate(b *testing.B) {
	ep := benchTenant(b)
	c, _ := ep.Holder.Current().Client("bench")
	b.ReportAllocs()
	for b.Loop() {
		if !ep.Secrets.Verify(c.Secrets[0].Hash, benchSecret) {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkPolicy is the snapshot lookups: client, API, grant, scopes.
func BenchmarkPolicy(b *testing.B) {
	ep := benchTenant(b)
	b.ReportAllocs()
	for b.Loop() {
		snap := ep.Holder.Current()
		c, ok1 := snap.Client("bench")
		api, ok2 := snap.API("urn:bench:es256")
		g, ok3 := snap.Grant(c.ClientID, api.Identifier)
		if !ok1 || !ok2 || !ok3 || !c.HasGrantType("client_credentials") {
			b.Fatal("lookup failed")
		}
		if _, oerr := snap.Scopes(g, nil); oerr != nil {
			b.Fatal(oerr)
		}
	}
}

// BenchmarkSign is the JWS signature alone, per algorithm (the floor's cost).
func BenchmarkSign(b *testing.B) {
	ep := benchTenant(b)
	snap := ep.Holder.Current()
	payload := []byte(`{"iss":"http://127.0.0.1:8080/","sub":"bench@clients","aud":"urn:bench","iat":1800000000,"exp":1800086400,"scope":"read:bench write:bench","gty":"client-credentials","azp":"bench"}`)
	for _, alg := range []string{"rs256", "es256", "eddsa", "hs256"} {
		b.Run(alg, func(b *testing.B) {
			api, _ := snap.API("urn:bench:" + alg)
			sg := snap.Signer(api, keys.TypJWT)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sg.Sign(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncode is writing the token response.
func BenchmarkEncode(b *testing.B) {
	tok := oauth.Token{AccessToken: strings.Repeat("x", 600), TokenType: "Bearer", ExpiresIn: 86400, Scope: "read:bench write:bench"}
	b.ReportAllocs()
	for b.Loop() {
		oauth.WriteToken(httptest.NewRecorder(), tok)
	}
}
