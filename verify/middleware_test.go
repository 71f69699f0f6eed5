package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/verify"
)

func TestMiddleware(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	v := newVerifier(t, srv, newClock())
	iss := srv.issuer()
	valid := signWith(t, "rsa1", claims(iss), signOpts{})
	expired := signWith(t, "rsa1", with(claims(iss), "exp", t0.Add(-time.Hour).Unix()), signOpts{})
	wrongAud := signWith(t, "rsa1", with(claims(iss), "aud", "https://evil.example.com"), signOpts{})

	downSrv := newJWKSServer(t, "rsa1")
	downSrv.setBody(http.StatusBadGateway, nil)
	down := newVerifier(t, downSrv, newClock())

	// The final handler reports the subject and scopes it sees.
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verify.ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in context")
			return
		}
		fmt.Fprintf(w, "%s %s", c.Subject, strings.Join(c.Scopes, ","))
	})
	const okBody = testClientID + "@clients read:timesheets,write:timesheets"

	tests := []struct {
		name      string
		verifier  *verify.Verifier
		scopes    []string // RequireScope after Middleware, when non-nil
		skipAuth  bool     // RequireScope without Middleware
		header    []string
		status    int
		challenge string
		body      string
	}{
		{name: "valid", header: []string{"Bearer " + valid}, status: 200, body: okBody},
		{name: "lower-case scheme", header: []string{"bearer " + valid}, status: 200, body: okBody},
		{name: "upper-case scheme", header: []string{"BEARER " + valid}, status: 200, body: okBody},
		{
			name: "no header", status: 401,
			challenge: `Bearer realm="api"`,
			body:      `{"error_description":"missing bearer token"}`,
		},
		{
			name: "other scheme", header: []string{"Basic dXNlcjpwYXNz"}, status: 401,
			challenge: `Bearer realm="api"`,
			body:      `{"error_description":"missing bearer token"}`,
		},
		{
			name: "empty token", header: []string{"Bearer   "}, status: 400,
			challenge: `Bearer realm="api", error="invalid_request", error_description="malformed Authorization header"`,
			body:      `{"error":"invalid_request","error_description":"malformed Authorization header"}`,
		},
		{
			name: "two Authorization headers", header: []string{"Bearer " + valid, "Bearer " + valid}, status: 400,
			challenge: `Bearer realm="api", error="invalid_request", error_description="malformed Authorization header"`,
			body:      `{"error":"invalid_request","error_description":"malformed Authorization header"}`,
		},
		{
			name: "expired", header: []string{"Bearer " + expired}, status: 401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="token is expired"`,
			body:      `{"error":"invalid_token","error_description":"token is expired"}`,
		},
		{
			name: "wrong audience", header: []string{"Bearer " + wrongAud}, status: 401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="invalid audience"`,
			body:      `{"error":"invalid_token","error_description":"invalid audience"}`,
		},
		{
			name: "garbage with quotes", header: []string{`Bearer a"b\c`}, status: 401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="malformed token"`,
			body:      `{"error":"invalid_token","error_description":"malformed token"}`,
		},
		{
			name: "keys unavailable", verifier: down, header: []string{"Bearer " + valid}, status: 503,
			body: `{"error":"temporarily_unavailable","error_description":"signing keys unavailable"}`,
		},
		{
			name: "zero verifier", verifier: &verify.Verifier{}, header: []string{"Bearer " + valid}, status: 500,
			body: `{"error":"server_error","error_description":"token verification failed"}`,
		},
		{name: "scope held", scopes: []string{"read:timesheets"}, header: []string{"Bearer " + valid}, status: 200, body: okBody},
		{name: "all scopes held", scopes: []string{"read:timesheets", "write:timesheets"}, header: []string{"Bearer " + valid}, status: 200, body: okBody},
		{name: "no scopes required", scopes: []string{}, header: []string{"Bearer " + valid}, status: 200, body: okBody},
		{
			name: "scope missing", scopes: []string{"delete:timesheets"}, header: []string{"Bearer " + valid}, status: 403,
			challenge: `Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="delete:timesheets"`,
			body:      `{"error":"insufficient_scope","error_description":"insufficient scope"}`,
		},
		{
			name: "one of two scopes missing", scopes: []string{"read:timesheets", "delete:timesheets"}, header: []string{"Bearer " + valid}, status: 403,
			challenge: `Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="read:timesheets delete:timesheets"`,
			body:      `{"error":"insufficient_scope","error_description":"insufficient scope"}`,
		},
		{
			name: "RequireScope without Middleware", scopes: []string{"read:timesheets"}, skipAuth: true,
			header: []string{"Bearer " + valid}, status: 401,
			challenge: `Bearer realm="api"`,
			body:      `{"error_description":"missing bearer token"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Handler = final
			if tt.scopes != nil {
				h = verify.RequireScope(tt.scopes...)(h)
			}
			if !tt.skipAuth {
				vv := v
				if tt.verifier != nil {
					vv = tt.verifier
				}
				h = vv.Middleware(h)
			}
			req := httptest.NewRequestWithContext(t.Context(), "GET", "/timesheets", nil)
			for _, hv := range tt.header {
				req.Header.Add("Authorization", hv)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", got, tt.challenge)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.body {
				t.Errorf("body\n got %s\nwant %s", got, tt.body)
			}
			if tt.status != 200 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
		})
	}
}

func TestClaimsFromEmptyContext(t *testing.T) {
	if c, ok := verify.ClaimsFrom(context.Background()); ok || c != nil {
		t.Fatalf("ClaimsFrom(empty) = %v, %v", c, ok)
	}
}

func TestRequireScopePanicsOnInvalidScope(t *testing.T) {
	for _, s := range []string{"", "read timesheets", `read"x`, `a\b`, "tab\t", "é"} {
		t.Run(s, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RequireScope(%q) did not panic", s)
				}
			}()
			verify.RequireScope("read:x", s)
		})
	}
}
