package verify_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/credo-dev/credo/verify"
)

// exampleIssuer stands in for credo: it serves a JWKS at
// <issuer>.well-known/jwks.json and mints client-credentials access tokens
// for the audience https://timesheets.example.com.
func exampleIssuer() (issuer string, mint func(scope string) string, stop func()) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	issuer = srv.URL + "/"
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1"))
	if err != nil {
		log.Fatal(err)
	}
	mint = func(scope string) string {
		now := time.Now()
		tok, err := jwt.Signed(signer).Claims(map[string]any{
			"iss": issuer, "sub": "reporting-job@clients", "aud": "https://timesheets.example.com",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "9f1c",
			"client_id": "reporting-job", "scope": scope,
		}).Serialize()
		if err != nil {
			log.Fatal(err)
		}
		return tok
	}
	return issuer, mint, srv.Close
}

func ExampleNew() {
	issuer, mint, stop := exampleIssuer()
	defer stop()

	v, err := verify.New(verify.Config{
		Issuer:     issuer, // e.g. "https://auth.example.com/", exactly as in iss
		Audience:   []string{"https://timesheets.example.com"},
		Algorithms: []string{"EdDSA", "RS256"},
		RequireTyp: "at+jwt", // RFC 9068 tokens; leave empty for Auth0's default profile
	})
	if err != nil {
		log.Fatal(err)
	}

	claims, err := v.Verify(context.Background(), mint("read:timesheets"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.ClientID, claims.Scopes, claims.HasScope("read:timesheets"))

	_, err = v.Verify(context.Background(), "eyJhbGciOiJub25lIn0.e30.")
	fmt.Println(err != nil)
	// Output:
	// reporting-job [read:timesheets] true
	// true
}

func ExampleVerifier_Middleware() {
	issuer, mint, stop := exampleIssuer()
	defer stop()
	v, err := verify.New(verify.Config{
		Issuer:     issuer,
		Audience:   []string{"https://timesheets.example.com"},
		Algorithms: []string{"EdDSA"},
	})
	if err != nil {
		log.Fatal(err)
	}

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s\n", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /hello", v.Middleware(hello))

	for _, auth := range []string{"Bearer " + mint("read:timesheets"), "", "Bearer not-a-jwt"} {
		req := httptest.NewRequest("GET", "/hello", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(rec.Code, " ", rec.Header().Get("WWW-Authenticate"))))
		fmt.Print(rec.Body.String())
	}
	// Output:
	// 200
	// hello reporting-job@clients
	// 401 Bearer realm="api"
	// {"error_description":"missing bearer token"}
	// 401 Bearer realm="api", error="invalid_token", error_description="malformed token"
	// {"error":"invalid_token","error_description":"malformed token"}
}

func ExampleRequireScope() {
	issuer, mint, stop := exampleIssuer()
	defer stop()
	v, err := verify.New(verify.Config{
		Issuer:     issuer,
		Audience:   []string{"https://timesheets.example.com"},
		Algorithms: []string{"EdDSA"},
	})
	if err != nil {
		log.Fatal(err)
	}

	submit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "submitted")
	})
	mux := http.NewServeMux()
	// Middleware runs first and puts the claims in the context; RequireScope
	// then demands every listed scope.
	mux.Handle("POST /timesheets", v.Middleware(verify.RequireScope("write:timesheets")(submit)))

	for _, scope := range []string{"read:timesheets write:timesheets", "read:timesheets"} {
		req := httptest.NewRequest("POST", "/timesheets", nil)
		req.Header.Set("Authorization", "Bearer "+mint(scope))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(rec.Code, " ", rec.Header().Get("WWW-Authenticate"))))
		fmt.Print(rec.Body.String())
	}
	// Output:
	// 200
	// submitted
	// 403 Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="write:timesheets"
	// {"error":"insufficient_scope","error_description":"insufficient scope"}
}

// An API that also refuses tokens credo revoked (a client's tokens, or one
// token by RFC 7009) polls credo's signed revocation list in the
// background: no call to credo per request.
func ExampleConfig_revocationList() {
	v, err := verify.New(verify.Config{
		Issuer:                 "https://auth.example.com/",
		Audience:               []string{"https://timesheets.example.com"},
		Algorithms:             []string{"RS256"},
		RevocationListURL:      "https://auth.example.com/.well-known/revocations.jwt",
		RevocationListInterval: 30 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("GET /timesheets", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "[]") // a revoked token never gets here: 401 invalid_token, "token is revoked"
	})))
}
