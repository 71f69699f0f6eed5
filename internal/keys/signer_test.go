package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestHMACSignerVerifiesWithGoJose(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	sg, err := HMACSigner(secret, TypAtJWT)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the pooled MAC must be reset between uses
		tok, err := sg.Sign([]byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if string(hdr) != `{"alg":"HS256","typ":"at+jwt"}` {
			t.Fatalf("header %s", hdr)
		}
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := jws.Verify(secret); err != nil || string(p) != `{"sub":"x"}` {
			t.Fatalf("verify: %v %s", err, p)
		}
	}
}

func TestNewSignerRejectsWrongKeys(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		alg string
		key any
	}{{RS256, "x"}, {PS256, ec}, {ES256, ec}, {EdDSA, ec}, {HS256, []byte{}}, {"none", nil}} {
		if _, err := NewSigner(tc.alg, "k", TypJWT, tc.key); err == nil {
			t.Errorf("NewSigner(%s, %T) accepted", tc.alg, tc.key)
		}
	}
}

func TestSignerHeaderEscapesKid(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sg, err := NewSigner(ES256, `we"ird`, TypJWT, ec)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := sg.Sign([]byte(`{}`))
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if jws.Signatures[0].Header.KeyID != `we"ird` {
		t.Fatalf("kid %q", jws.Signatures[0].Header.KeyID)
	}
	if _, err := jws.Verify(&ec.PublicKey); err != nil {
		t.Fatal(err)
	}
}
