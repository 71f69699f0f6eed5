package verify_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/credo-dev/credo/verify"
)

var hmacSecret = []byte("0123456789abcdef0123456789abcdef-hs256-secret")

// newVerifier returns a verifier for srv that allows every algorithm the
// tests use, on a test clock.
func newVerifier(t testing.TB, srv *jwksServer, clk *clock, mod ...func(*verify.Config)) *verify.Verifier {
	t.Helper()
	cfg := verify.Config{
		Issuer:     srv.issuer(),
		Audience:   []string{"https://other.example.com", testAudience},
		Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"},
		HMACSecret: hmacSecret,
		Now:        clk.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyValid(t *testing.T) {
	srv := newJWKSServer(t, "rsa1", "ps1", "ec1", "ed1")
	iss := srv.issuer()
	rfc9068 := with(claims(iss), "azp", nil, "gty", nil, "client_id", testClientID, "jti", "tok-1",
		"aud", []string{"https://x.example.com", testAudience}, "nbf", t0.Unix())

	tests := []struct {
		name  string
		token string
		check func(t *testing.T, c *verify.Claims)
	}{
		{name: "RS256", token: signWith(t, "rsa1", claims(iss), signOpts{})},
		{name: "PS256", token: signWith(t, "ps1", claims(iss), signOpts{})},
		{name: "ES256", token: signWith(t, "ec1", claims(iss), signOpts{})},
		{name: "EdDSA", token: signWith(t, "ed1", claims(iss), signOpts{})},
		{name: "HS256", token: signRaw(t, jose.HS256, hmacSecret, "", claims(iss), signOpts{})},
		{name: "HS256 with a kid", token: signRaw(t, jose.HS256, hmacSecret, "whatever", claims(iss), signOpts{})},
		{
			name:  "Auth0 profile",
			token: signWith(t, "rsa1", claims(iss), signOpts{typ: "JWT"}),
			check: func(t *testing.T, c *verify.Claims) {
				want := &verify.Claims{
					Issuer:          iss,
					Subject:         testClientID + "@clients",
					Audience:        []string{testAudience},
					IssuedAt:        t0,
					ExpiresAt:       t0.Add(time.Hour),
					ClientID:        testClientID,
					AuthorizedParty: testClientID,
					GrantType:       "client-credentials",
					Scopes:          []string{"read:timesheets", "write:timesheets"},
					OrgID:           "org_vIK75NKFvaozQsFy",
					Custom:          map[string]any{"https://example.com/role": "billing"},
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("claims\n got %+v\nwant %+v", c, want)
				}
				if !c.HasScope("write:timesheets") || c.HasScope("write") {
					t.Errorf("HasScope wrong for %v", c.Scopes)
				}
			},
		},
		{
			name:  "RFC 9068 profile",
			token: signWith(t, "rsa1", rfc9068, signOpts{typ: "at+jwt"}),
			check: func(t *testing.T, c *verify.Claims) {
				if c.ClientID != testClientID || c.AuthorizedParty != "" || c.ID != "tok-1" || c.GrantType != "" {
					t.Errorf("client_id/azp/jti/gty = %q/%q/%q/%q", c.ClientID, c.AuthorizedParty, c.ID, c.GrantType)
				}
				if len(c.Audience) != 2 || !c.NotBefore.Equal(t0) {
					t.Errorf("aud %v nbf %v", c.Audience, c.NotBefore)
				}
			},
		},
		{
			name:  "scope as an array",
			token: signWith(t, "rsa1", with(claims(iss), "scope", []string{"a", "b"}), signOpts{}),
			check: func(t *testing.T, c *verify.Claims) {
				if !reflect.DeepEqual(c.Scopes, []string{"a", "b"}) {
					t.Errorf("scopes %v", c.Scopes)
				}
			},
		},
		{
			name:  "no custom claims",
			token: signWith(t, "rsa1", with(claims(iss), "https://example.com/role", nil), signOpts{}),
			check: func(t *testing.T, c *verify.Claims) {
				if c.Custom != nil {
					t.Errorf("Custom = %v, want nil", c.Custom)
				}
			},
		},
		{
			name:  "expired within the leeway",
			token: signWith(t, "rsa1", with(claims(iss), "exp", t0.Add(-4*time.Second).Unix()), signOpts{}),
		},
		{
			name:  "nbf and iat within the leeway",
			token: signWith(t, "rsa1", with(claims(iss), "nbf", t0.Add(4*time.Second).Unix(), "iat", t0.Add(4*time.Second).Unix()), signOpts{}),
		},
		{
			name:  "fractional NumericDate",
			token: signWith(t, "rsa1", with(claims(iss), "exp", float64(t0.Unix())+0.5), signOpts{}),
		},
	}
	v := newVerifier(t, srv, newClock())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tt.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func TestVerifyRejects(t *testing.T) {
	srv := newJWKSServer(t, "rsa1", "ps1", "ec1", "ed1", "small")
	iss := srv.issuer()
	good := signWith(t, "rsa1", claims(iss), signOpts{})
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString

	tampered := with(claims(iss), "scope", "read:timesheets write:timesheets admin")
	pubDER := must(x509.MarshalPKIXPublicKey(testKeys()["rsa1"].pub))
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	ecKey := testKeys()["ec1"]

	tests := []struct {
		name  string
		token string
		algs  []string // default: the newVerifier list
		want  error
	}{
		{name: "empty", token: "", want: verify.ErrMalformed},
		{name: "garbage", token: "not a token", want: verify.ErrMalformed},
		{name: "two segments", token: parts[0] + "." + parts[1], want: verify.ErrMalformed},
		{name: "too long", token: strings.Repeat("a", 40<<10), want: verify.ErrMalformed},
		{
			name:  "tampered payload",
			token: parts[0] + "." + b64(must(jsonMarshal(tampered))) + "." + parts[2],
			want:  verify.ErrSignature,
		},
		{
			name:  "tampered signature",
			token: parts[0] + "." + parts[1] + "." + b64([]byte("not the signature")),
			want:  verify.ErrSignature,
		},
		{
			name:  "alg none",
			token: b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
			want:  verify.ErrAlgorithm,
		},
		{
			name:  "alg None with signature",
			token: b64([]byte(`{"alg":"None","kid":"rsa1"}`)) + "." + parts[1] + "." + parts[2],
			want:  verify.ErrAlgorithm,
		},
		{
			// The classic key-confusion attack: HS256 keyed with the RSA
			// public key, which a naive verifier would use as the secret.
			name:  "HS256 signed with the RSA public key PEM",
			token: signRaw(t, jose.HS256, pubPEM, "rsa1", claims(iss), signOpts{}),
			want:  verify.ErrSignature,
		},
		{
			name:  "HS256 signed with the RSA public key DER",
			token: signRaw(t, jose.HS256, pubDER, "rsa1", claims(iss), signOpts{}),
			want:  verify.ErrSignature,
		},
		{
			name:  "HS256 when only RS256 is allowed",
			token: signRaw(t, jose.HS256, pubPEM, "rsa1", claims(iss), signOpts{}),
			algs:  []string{"RS256"},
			want:  verify.ErrAlgorithm,
		},
		{
			name:  "algorithm outside the allow-list",
			token: signWith(t, "ec1", claims(iss), signOpts{}),
			algs:  []string{"RS256"},
			want:  verify.ErrAlgorithm,
		},
		{
			name:  "ES256 header naming an RSA key",
			token: signRaw(t, jose.ES256, ecKey.priv, "rsa1", claims(iss), signOpts{}),
			want:  verify.ErrAlgorithm,
		},
		{
			name:  "RS256 with a key published for PS256",
			token: signRaw(t, jose.RS256, testKeys()["ps1"].priv, "ps1", claims(iss), signOpts{}),
			want:  verify.ErrAlgorithm,
		},
		{
			name:  "RSA key under 2048 bits is not trusted",
			token: signWith(t, "small", claims(iss), signOpts{}),
			want:  verify.ErrUnknownKey,
		},
		{name: "no kid", token: signWith(t, "rsa1", claims(iss), signOpts{noKid: true}), want: verify.ErrUnknownKey},
		{name: "unknown kid", token: signRaw(t, jose.RS256, testKeys()["rsa1"].priv, "nope", claims(iss), signOpts{}), want: verify.ErrUnknownKey},
		{name: "wrong issuer", token: signWith(t, "rsa1", with(claims(iss), "iss", "https://evil.example.com/"), signOpts{}), want: verify.ErrInvalidIssuer},
		{name: "issuer without trailing slash", token: signWith(t, "rsa1", with(claims(iss), "iss", srv.URL), signOpts{}), want: verify.ErrInvalidIssuer},
		{name: "missing issuer", token: signWith(t, "rsa1", with(claims(iss), "iss", nil), signOpts{}), want: verify.ErrInvalidIssuer},
		{name: "wrong audience", token: signWith(t, "rsa1", with(claims(iss), "aud", "https://evil.example.com"), signOpts{}), want: verify.ErrInvalidAudience},
		{name: "audience array without ours", token: signWith(t, "rsa1", with(claims(iss), "aud", []string{"a", "b"}), signOpts{}), want: verify.ErrInvalidAudience},
		{name: "missing audience", token: signWith(t, "rsa1", with(claims(iss), "aud", nil), signOpts{}), want: verify.ErrInvalidAudience},
		{name: "audience of the wrong type", token: signWith(t, "rsa1", with(claims(iss), "aud", 7), signOpts{}), want: verify.ErrMalformed},
		{name: "expired", token: signWith(t, "rsa1", with(claims(iss), "exp", t0.Add(-6*time.Second).Unix()), signOpts{}), want: verify.ErrExpired},
		{name: "exp exactly now minus leeway", token: signWith(t, "rsa1", with(claims(iss), "exp", t0.Add(-5*time.Second).Unix()), signOpts{}), want: verify.ErrExpired},
		{name: "exp zero", token: signWith(t, "rsa1", with(claims(iss), "exp", 0), signOpts{}), want: verify.ErrExpired},
		{name: "missing exp", token: signWith(t, "rsa1", with(claims(iss), "exp", nil), signOpts{}), want: verify.ErrMissingExpiry},
		{name: "exp as a string", token: signWith(t, "rsa1", with(claims(iss), "exp", "tomorrow"), signOpts{}), want: verify.ErrMalformed},
		{name: "exp out of range", token: signWith(t, "rsa1", with(claims(iss), "exp", 1e300), signOpts{}), want: verify.ErrMalformed},
		{name: "negative nbf", token: signWith(t, "rsa1", with(claims(iss), "nbf", -1e300), signOpts{}), want: verify.ErrMalformed},
		{name: "not yet valid", token: signWith(t, "rsa1", with(claims(iss), "nbf", t0.Add(6*time.Second).Unix()), signOpts{}), want: verify.ErrNotYetValid},
		{name: "issued in the future", token: signWith(t, "rsa1", with(claims(iss), "iat", t0.Add(time.Minute).Unix()), signOpts{}), want: verify.ErrIssuedInFuture},
		{name: "sub of the wrong type", token: signWith(t, "rsa1", with(claims(iss), "sub", 42), signOpts{}), want: verify.ErrMalformed},
		{name: "scope of the wrong type", token: signWith(t, "rsa1", with(claims(iss), "scope", map[string]any{}), signOpts{}), want: verify.ErrMalformed},
		{name: "claims not an object", token: signWith(t, "rsa1", []byte(`["iss"]`), signOpts{}), want: verify.ErrMalformed},
		{name: "claims null", token: signWith(t, "rsa1", []byte(`null`), signOpts{}), want: verify.ErrMalformed},
		{
			// A JSON parser that keeps the last duplicate would see our
			// audience; refusing duplicates avoids parser differentials.
			name:  "duplicate aud claim",
			token: signWith(t, "rsa1", []byte(`{"iss":"`+iss+`","aud":"https://evil.example.com","aud":"`+testAudience+`","exp":`+itoa(t0.Add(time.Hour).Unix())+`}`), signOpts{}),
			want:  verify.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, srv, newClock(), func(c *verify.Config) {
				if tt.algs != nil {
					c.Algorithms = tt.algs
				}
			})
			c, err := v.Verify(t.Context(), tt.token)
			if c != nil {
				t.Errorf("got claims %+v", c)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, verify.ErrInvalidToken) {
				t.Errorf("err = %v does not wrap ErrInvalidToken", err)
			}
		})
	}
}

func TestVerifyTyp(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	iss := srv.issuer()
	tests := []struct {
		require, typ string
		ok           bool
	}{
		{"at+jwt", "at+jwt", true},
		{"at+jwt", "application/at+jwt", true},
		{"at+jwt", "AT+JWT", true},
		{"application/at+jwt", "at+jwt", true},
		{"at+jwt", "JWT", false},
		{"at+jwt", "", false},
		{"at+jwt", "application/jwt", false},
		{"", "JWT", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.require+" vs "+tt.typ, func(t *testing.T) {
			v := newVerifier(t, srv, newClock(), func(c *verify.Config) { c.RequireTyp = tt.require })
			_, err := v.Verify(t.Context(), signWith(t, "rsa1", claims(iss), signOpts{typ: tt.typ}))
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Verify: %v", err)
			case !tt.ok && !errors.Is(err, verify.ErrInvalidType):
				t.Fatalf("err = %v, want ErrInvalidType", err)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	base := func() verify.Config {
		return verify.Config{Issuer: "https://auth.example.com/", Audience: []string{testAudience}, Algorithms: []string{"RS256"}}
	}
	tests := []struct {
		name string
		mod  func(*verify.Config)
	}{
		{"no issuer", func(c *verify.Config) { c.Issuer = "" }},
		{"no audience", func(c *verify.Config) { c.Audience = nil }},
		{"empty audience", func(c *verify.Config) { c.Audience = []string{""} }},
		{"no algorithms", func(c *verify.Config) { c.Algorithms = nil }},
		{"none", func(c *verify.Config) { c.Algorithms = []string{"RS256", "none"} }},
		{"NONE", func(c *verify.Config) { c.Algorithms = []string{"NONE"} }},
		{"unknown algorithm", func(c *verify.Config) { c.Algorithms = []string{"RS1"} }},
		{"HS256 without secret", func(c *verify.Config) { c.Algorithms = []string{"HS256"} }},
		{"HS256 short secret", func(c *verify.Config) { c.Algorithms, c.HMACSecret = []string{"HS256"}, []byte("short") }},
		{"HS512 with a 32-byte secret", func(c *verify.Config) { c.Algorithms, c.HMACSecret = []string{"HS512"}, hmacSecret[:32] }},
		{"leeway over a minute", func(c *verify.Config) { c.Leeway = 2 * time.Minute }},
		{"negative leeway", func(c *verify.Config) { c.Leeway = -time.Second }},
		{"negative TTL", func(c *verify.Config) { c.CacheTTL = -time.Second }},
		{"negative cooldown", func(c *verify.Config) { c.RefreshCooldown = -time.Second }},
		{"negative max bytes", func(c *verify.Config) { c.MaxJWKSBytes = -1 }},
		{"relative JWKS URL", func(c *verify.Config) { c.JWKSURL = "/jwks.json" }},
		{"issuer not a URL and no JWKS URL", func(c *verify.Config) { c.Issuer = "credo" }},
		{"ftp JWKS URL", func(c *verify.Config) { c.JWKSURL = "ftp://auth.example.com/jwks.json" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			tt.mod(&cfg)
			if v, err := verify.New(cfg); err == nil {
				t.Fatalf("New accepted %+v: %v", cfg, v)
			}
		})
	}
	if _, err := verify.New(base()); err != nil {
		t.Fatalf("New(base): %v", err)
	}
	// HMAC only: no JWKS URL needed, so a non-URL issuer is fine.
	if _, err := verify.New(verify.Config{Issuer: "credo", Audience: []string{"a"}, Algorithms: []string{"HS256"}, HMACSecret: hmacSecret}); err != nil {
		t.Fatalf("New(HS256 only): %v", err)
	}
}

func TestNewCopiesConfig(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	aud := []string{testAudience}
	secret := append([]byte(nil), hmacSecret...)
	v := newVerifier(t, srv, newClock(), func(c *verify.Config) { c.Audience, c.HMACSecret = aud, secret })
	aud[0] = "https://changed.example.com"
	secret[0] ^= 0xff
	if _, err := v.Verify(t.Context(), signWith(t, "rsa1", claims(srv.issuer()), signOpts{})); err != nil {
		t.Errorf("RS256 after mutating the caller's audience slice: %v", err)
	}
	if _, err := v.Verify(t.Context(), signRaw(t, jose.HS256, hmacSecret, "", claims(srv.issuer()), signOpts{})); err != nil {
		t.Errorf("HS256 after mutating the caller's secret: %v", err)
	}
}

func TestZeroVerifierRefuses(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	token := signWith(t, "rsa1", claims(srv.issuer()), signOpts{})
	var zero verify.Verifier
	var nilV *verify.Verifier
	for name, v := range map[string]*verify.Verifier{"zero": &zero, "nil": nilV} {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), token)
			if c != nil || !errors.Is(err, verify.ErrNotConfigured) {
				t.Fatalf("Verify = %v, %v; want ErrNotConfigured", c, err)
			}
		})
	}
	if n := srv.fetches.Load(); n != 0 {
		t.Errorf("zero verifier fetched the JWKS %d times", n)
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	errs := []error{verify.ErrMalformed, verify.ErrAlgorithm, verify.ErrUnknownKey, verify.ErrSignature,
		verify.ErrInvalidIssuer, verify.ErrInvalidAudience, verify.ErrMissingExpiry, verify.ErrExpired,
		verify.ErrNotYetValid, verify.ErrIssuedInFuture, verify.ErrInvalidType}
	for i, a := range errs {
		if !errors.Is(a, verify.ErrInvalidToken) {
			t.Errorf("%v does not match ErrInvalidToken", a)
		}
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
	if errors.Is(verify.ErrKeysUnavailable, verify.ErrInvalidToken) || errors.Is(verify.ErrNotConfigured, verify.ErrInvalidToken) {
		t.Error("verifier-side errors must not be ErrInvalidToken")
	}
}

func TestHasScopeNil(t *testing.T) {
	var c *verify.Claims
	if c.HasScope("read") {
		t.Error("nil claims have a scope")
	}
}
