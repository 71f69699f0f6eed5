package verify_test

import (
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/credo-dev/credo/verify"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and
// whatever it accepts must carry our issuer and audience and be unexpired.
func FuzzVerify(f *testing.F) {
	srv := newJWKSServer(f, "rsa1", "ec1", "ed1")
	clk := newClock()
	v := newVerifier(f, srv, clk)
	iss := srv.issuer()
	valid := []string{
		signWith(f, "rsa1", claims(iss), signOpts{}),
		signWith(f, "ec1", claims(iss), signOpts{typ: "at+jwt"}),
		signWith(f, "ed1", with(claims(iss), "aud", []string{testAudience, "x"}), signOpts{}),
		signRaw(f, jose.HS256, hmacSecret, "", claims(iss), signOpts{}),
	}
	for _, tok := range valid {
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".." + parts[2])
	}
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYTEiLCJjcml0IjpbImI2NCJdfQ.e30.AA")

	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(t.Context(), raw)
		if err != nil {
			if c != nil {
				t.Fatalf("claims returned with error %v", err)
			}
			return
		}
		if c.Issuer != iss || !contains(c.Audience, testAudience) {
			t.Fatalf("accepted iss %q aud %v", c.Issuer, c.Audience)
		}
		if c.ExpiresAt.IsZero() || !clk.Now().Before(c.ExpiresAt.Add(verify.DefaultLeeway)) {
			t.Fatalf("accepted exp %v", c.ExpiresAt)
		}
	})
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
