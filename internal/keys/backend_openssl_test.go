//go:build credo_openssl

package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"testing"
)

// TestOpenSSLES256 checks the OpenSSL ES256 path end to end (a signature
// Go's crypto verifies) and that rawECDSA refuses what is not one
// ECDSA-Sig-Value of two positive 256-bit integers.
func TestOpenSSLES256(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sign, err := opensslES256(k)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("payload"))
	sig, err := sign(d[:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("sig %x, %v", sig, err)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&k.PublicKey, d[:], r, s) {
		t.Fatal("Go's crypto does not verify OpenSSL's ES256 signature")
	}
	good := []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02}
	if raw, err := rawECDSA(good); err != nil || !bytes.Equal(raw[31:33], []byte{1, 0}) || raw[63] != 2 {
		t.Fatalf("rawECDSA(%x) = %x, %v", good, raw, err)
	}
	for _, bad := range [][]byte{
		nil,
		{0x30, 0x03, 0x02, 0x01, 0x01}, // one integer
		{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00},            // trailing byte
		{0x30, 0x06, 0x02, 0x01, 0xff, 0x02, 0x01, 0x02},                  // negative r
		{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x02},                  // zero r
		append([]byte{0x30, 0x26, 0x02, 0x21, 0x01}, make([]byte, 35)...), // 257-bit r
	} {
		if _, err := rawECDSA(bad); err == nil {
			t.Errorf("rawECDSA(%x) accepted", bad)
		}
	}
}
