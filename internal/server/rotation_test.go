package server_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/store"
	jose "github.com/go-jose/go-jose/v4"
)

func (f *fixture) jwks(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.do(httptest.NewRequest("GET", "/.well-known/jwks.json", nil)).Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	return set
}

func (f *fixture) token(t *testing.T, aud string) string {
	t.Helper()
	rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", aud)))
	if rec.Code != 200 {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return decode(t, rec)["access_token"].(string)
}

// verifyWith verifies tok with a cached JWKS, as a resource server would.
func verifyWith(set jose.JSONWebKeySet, tok string) error {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return err
	}
	_, err = jws.Verify(set)
	return err
}

func TestRotationNeverBreaksVerifiers(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	ctx := t.Context()
	for _, aud := range []string{timesheets, "urn:credo:modern", "urn:credo:ed", "urn:credo:pss"} {
		t.Run(aud, func(t *testing.T) {
			cachedBefore := f.jwks(t) // a resource server caches the JWKS now
			before := f.token(t, aud)
			if _, err := f.svc.RotateKeys(ctx); err != nil {
				t.Fatal(err)
			}
			after := f.token(t, aud)
			cachedAfter := f.jwks(t)
			if err := verifyWith(cachedAfter, before); err != nil {
				t.Fatalf("token signed before rotation fails with the new JWKS: %v", err)
			}
			if err := verifyWith(cachedBefore, after); err != nil {
				t.Fatalf("token signed after rotation fails with the JWKS cached before it (next key not pre-published?): %v", err)
			}
			if kidOf(t, before) == kidOf(t, after) {
				t.Fatal("rotation did not change the signing key")
			}
		})
	}
}

func kidOf(t *testing.T, tok string) string {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

func TestRevokedKeysLeaveJWKS(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	ctx := t.Context()
	old := f.token(t, timesheets)
	oldKid := kidOf(t, old)
	if _, err := f.svc.RevokeKey(ctx, oldKid); err == nil {
		t.Fatal("revoked the current key")
	}
	if _, err := f.svc.RotateKeys(ctx, keys.TypeRSA); err != nil {
		t.Fatal(err)
	}
	if err := verifyWith(f.jwks(t), old); err != nil {
		t.Fatalf("previous key must stay published: %v", err)
	}
	if _, err := f.svc.RevokeKey(ctx, oldKid); err != nil {
		t.Fatal(err)
	}
	set := f.jwks(t)
	if len(set.Key(oldKid)) != 0 || len(set.Key(oldKid+"-ps256")) != 0 {
		t.Fatal("revoked key still in JWKS")
	}
	if err := verifyWith(set, old); err == nil {
		t.Fatal("token of a revoked key still verifies")
	}
	if _, err := f.svc.RevokeKey(ctx, oldKid); err == nil {
		t.Fatal("revoked a key twice")
	}
	// A revoked key is never used again, even after more rotations.
	for range 2 {
		if _, err := f.svc.RotateKeys(ctx, keys.TypeRSA); err != nil {
			t.Fatal(err)
		}
		if kidOf(t, f.token(t, timesheets)) == oldKid {
			t.Fatal("revoked key reused")
		}
	}
}

func TestConcurrentRotationsKeepOneCurrentKey(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.svc.RotateKeys(ctx, keys.TypeEC) // errors (conflicts) are fine; the invariant is what matters
		}()
	}
	wg.Wait()
	ks, err := f.st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	current, next := 0, 0
	for _, k := range ks {
		if k.KeyType == keys.TypeEC && k.State == store.KeyCurrent {
			current++
		}
		if k.KeyType == keys.TypeEC && k.State == store.KeyNext {
			next++
		}
	}
	if current != 1 || next != 1 {
		t.Fatalf("after concurrent rotations: %d current, %d next EC keys", current, next)
	}
}

func TestNoPlaintextSecretsInDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	f := newFixtureAt(t, filepath.Join(dir, "plain.db"))
	f.seed(baseSeed)
	ctx := t.Context()
	_, generated, err := f.svc.RotateSecret(ctx, "worker", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.token(t, timesheets)
	f.st.Close()
	var db []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(filepath.Join(dir, "plain.db"+suffix))
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("database file not found")
	}
	for _, s := range []string{workerSecret, "short-secret", generated, "0123456789abcdef0123456789abcdef", "PRIVATE KEY"} {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("database contains %q in clear", s)
		}
	}
	// No private key in DER form either: a PKCS#8 RSA key starts with this prefix.
	if bytes.Contains(db, []byte{0x30, 0x82}) && bytes.Contains(db, []byte("\x02\x01\x00\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01")) {
		t.Error("database contains an unencrypted PKCS#8 RSA key")
	}
}

func TestOnlyTheNewestRevokedKeysAreKept(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	ctx := t.Context()
	var revoked []string
	for range keys.MaxRevoked + 2 {
		cur := kidOf(t, f.token(t, "urn:credo:modern"))
		if _, err := f.svc.RotateKeys(ctx, keys.TypeEC); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
		if _, err := f.svc.RevokeKey(ctx, cur); err != nil {
			t.Fatal(err)
		}
		revoked = append(revoked, cur)
	}
	ks, err := f.st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, k := range ks {
		if k.State == store.KeyRevoked {
			kept = append(kept, k.KID)
		}
	}
	if len(kept) != keys.MaxRevoked {
		t.Fatalf("%d revoked keys kept, want %d", len(kept), keys.MaxRevoked)
	}
	for _, old := range revoked[:2] {
		for _, k := range kept {
			if k == old {
				t.Fatalf("oldest revoked key %s kept", old)
			}
		}
	}
}
