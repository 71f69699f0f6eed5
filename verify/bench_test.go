package verify_test

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// benchToken is an Auth0-profile RS256 token (2048-bit key) valid for a day
// after t0, with the claims a client-credentials token carries.
func benchToken(b *testing.B, iss string) string {
	return signWith(b, "rsa1", with(claims(iss), "exp", t0.Add(24*time.Hour).Unix()), signOpts{typ: "JWT"})
}

// BenchmarkVerifyRS256 is the whole Verify hot path with a warm key cache:
// parse, key lookup by kid, signature, claims decoding and validation.
func BenchmarkVerifyRS256(b *testing.B) {
	srv := newJWKSServer(b, "rsa1")
	v := newVerifier(b, srv, newClock())
	token := benchToken(b, srv.issuer())
	ctx := context.Background()
	if _, err := v.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoJoseRawVerifyRS256 is the floor: go-jose parsing the same token
// and verifying it with the RSA key directly, decoding into jwt.Claims, with
// no key lookup and no claim validation.
func BenchmarkGoJoseRawVerifyRS256(b *testing.B) {
	token := benchToken(b, "https://auth.example.com/")
	pub := testKeys()["rsa1"].pub
	algs := []jose.SignatureAlgorithm{jose.RS256}
	b.ReportAllocs()
	for b.Loop() {
		tok, err := jwt.ParseSigned(token, algs)
		if err != nil {
			b.Fatal(err)
		}
		var c jwt.Claims
		if err := tok.Claims(pub, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallelRS256 shows that concurrent verifications do not
// contend on the key cache.
func BenchmarkVerifyParallelRS256(b *testing.B) {
	srv := newJWKSServer(b, "rsa1")
	v := newVerifier(b, srv, newClock())
	token := benchToken(b, srv.issuer())
	if _, err := v.Verify(context.Background(), token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(context.Background(), token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
