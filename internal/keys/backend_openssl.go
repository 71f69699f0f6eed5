//go:build credo_openssl

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/golang-fips/openssl/v2"
	"github.com/golang-fips/openssl/v2/bbig"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The OpenSSL backend (go build -tags credo_openssl, cgo): RS256 and ES256
// signatures by the system's libcrypto (OpenSSL 3), through
// github.com/golang-fips/openssl, the binding Microsoft's and Red Hat's Go
// toolchains use. CREDO_OPENSSL_LIBCRYPTO names the library (default
// libcrypto.so.3). If it cannot be loaded, BackendError says so and credo
// serve refuses to start.

var backendErr error

func init() {
	lib := os.Getenv("CREDO_OPENSSL_LIBCRYPTO")
	if lib == "" {
		lib = "libcrypto.so.3"
	}
	if err := openssl.Init(lib); err != nil {
		backendErr = fmt.Errorf("this credo is built to sign with OpenSSL (-tags credo_openssl) but %s could not be loaded: %w (install libssl3, or set CREDO_OPENSSL_LIBCRYPTO)", lib, err)
		return
	}
	native.rs256 = opensslRS256
	native.es256 = opensslES256
}

func backendVersion() string {
	if backendErr != nil {
		return "not loaded"
	}
	return openssl.VersionText()
}

func opensslRS256(k *rsa.PrivateKey) (func([]byte) ([]byte, error), error) {
	if len(k.Primes) != 2 {
		return nil, errors.New("keys: OpenSSL signs with two-prime RSA keys only")
	}
	k.Precompute()
	pk, err := openssl.NewPrivateKeyRSA(bbig.Enc(k.N), bbig.Enc(big.NewInt(int64(k.E))), bbig.Enc(k.D),
		bbig.Enc(k.Primes[0]), bbig.Enc(k.Primes[1]), bbig.Enc(k.Precomputed.Dp), bbig.Enc(k.Precomputed.Dq), bbig.Enc(k.Precomputed.Qinv))
	if err != nil {
		return nil, fmt.Errorf("keys: OpenSSL RSA key: %w", err)
	}
	return func(digest []byte) ([]byte, error) { return openssl.SignRSAPKCS1v15(pk, crypto.SHA256, digest) }, nil
}

func opensslES256(k *ecdsa.PrivateKey) (func([]byte) ([]byte, error), error) {
	pk, err := openssl.NewPrivateKeyECDSA("P-256", bbig.Enc(k.X), bbig.Enc(k.Y), bbig.Enc(k.D))
	if err != nil {
		return nil, fmt.Errorf("keys: OpenSSL P-256 key: %w", err)
	}
	return func(digest []byte) ([]byte, error) {
		der, err := openssl.SignMarshalECDSA(pk, digest)
		if err != nil {
			return nil, err
		}
		return rawECDSA(der)
	}, nil
}

// rawECDSA turns an ASN.1 ECDSA-Sig-Value into JWS's 64-byte r||s.
func rawECDSA(der []byte) ([]byte, error) {
	var seq cryptobyte.String
	r, s := new(big.Int), new(big.Int)
	in := cryptobyte.String(der)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(r) || !seq.ReadASN1Integer(s) || !seq.Empty() ||
		r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 256 || s.BitLen() > 256 {
		return nil, errors.New("keys: OpenSSL returned a malformed ECDSA signature")
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}
