package keys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
	jose "github.com/go-jose/go-jose/v4"
)

func testMaster(t testing.TB) *MasterKey {
	mk, err := ParseMasterKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

func TestSealOpen(t *testing.T) {
	mk := testMaster(t)
	s, err := mk.Seal([]byte("private"), "kid-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s, []byte("private")) {
		t.Fatal("sealed value contains plaintext")
	}
	if p, err := mk.Open(s, "kid-1"); err != nil || string(p) != "private" {
		t.Fatalf("Open = %q, %v", p, err)
	}
	if _, err := mk.Open(s, "kid-2"); err == nil {
		t.Fatal("opened with the wrong aad")
	}
	other, _ := ParseMasterKey(strings.Repeat("cd", 32))
	if _, err := other.Open(s, "kid-1"); err == nil {
		t.Fatal("opened with the wrong master key")
	}
	for _, bad := range [][]byte{nil, {1}, append([]byte{9}, s[1:]...)} {
		if _, err := mk.Open(bad, "kid-1"); err == nil {
			t.Fatalf("opened malformed %x", bad)
		}
	}
	var zero *MasterKey
	if _, err := zero.Seal(nil, ""); err == nil {
		t.Fatal("nil master key sealed")
	}
}

func TestParseMasterKey(t *testing.T) {
	for _, bad := range []string{"", "short", strings.Repeat("a", 63)} {
		if _, err := ParseMasterKey(bad); err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", bad)
		}
	}
	if _, err := ParseMasterKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.key")
	a, created, err := LoadOrCreateMasterKey(p)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	b, created, err := LoadOrCreateMasterKey(p)
	if err != nil || created {
		t.Fatalf("load: %v %v", created, err)
	}
	s, _ := a.Seal([]byte("x"), "")
	if _, err := b.Open(s, ""); err != nil {
		t.Fatal("reloaded key differs")
	}
	os.Chmod(p, 0o644)
	if _, _, err := LoadOrCreateMasterKey(p); err == nil {
		t.Fatal("world-readable key file accepted")
	}
}

func TestLifecycle(t *testing.T) {
	mk := testMaster(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := Lifecycle{Now: func() time.Time { return now }, Gen: func(kt string) (store.SigningKey, error) { return Generate(kt, "test", now, mk) }}
	created, err := l.Ensure(nil, []string{TypeEC})
	if err != nil || len(created) != 2 || created[0].State != store.KeyCurrent || created[1].State != store.KeyNext {
		t.Fatalf("Ensure: %+v %v", created, err)
	}
	if again, _ := l.Ensure(created, []string{TypeEC}); len(again) != 0 {
		t.Fatalf("Ensure on complete set created %d", len(again))
	}
	oldCur, oldNext := created[0], created[1]
	changed, err := l.Rotate(created, TypeEC)
	if err != nil || len(changed) != 3 {
		t.Fatalf("Rotate: %v %d", err, len(changed))
	}
	if changed[0].KID != oldCur.KID || changed[0].State != store.KeyPrevious || changed[0].CurrentUntil != now {
		t.Fatalf("old current: %+v", changed[0])
	}
	if changed[1].KID != oldNext.KID || changed[1].State != store.KeyCurrent {
		t.Fatalf("next not promoted: %+v", changed[1])
	}
	if changed[2].State != store.KeyNext || changed[2].KID == oldNext.KID {
		t.Fatalf("new next: %+v", changed[2])
	}
	if _, err := l.Revoke(changed, changed[1].KID); err != ErrNotRevocable {
		t.Fatalf("revoking current: %v", err)
	}
	if _, err := l.Revoke(changed, "nope"); err != ErrNoKey {
		t.Fatalf("revoking unknown: %v", err)
	}
	r, err := l.Revoke(changed, oldCur.KID)
	if err != nil || r.State != store.KeyRevoked || r.RevokedAt != now || r.SealedPrivateKey != nil {
		t.Fatalf("Revoke: %+v %v", r, err)
	}
}

func TestSetJWKSAndSigners(t *testing.T) {
	mk := testMaster(t)
	now := time.Now()
	l := Lifecycle{Now: time.Now, Gen: func(kt string) (store.SigningKey, error) { return Generate(kt, "test", now, mk) }}
	all, err := l.Ensure(nil, AllTypes)
	if err != nil {
		t.Fatal(err)
	}
	// one previous and one revoked RSA key
	prev, _ := Generate(TypeRSA, "test", now, mk)
	prev.State = store.KeyPrevious
	rev, _ := Generate(TypeRSA, "test", now, mk)
	rev.State = store.KeyRevoked
	all = append(all, prev, rev)
	set, err := NewSet(all, mk)
	if err != nil {
		t.Fatal(err)
	}
	var doc jose.JSONWebKeySet
	if err := json.Unmarshal(set.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 10 { // current+next for 3 types, RSA twice (RS256, PS256), plus previous RSA twice
		t.Fatalf("JWKS has %d keys", len(doc.Keys))
	}
	if len(doc.Key(rev.KID)) != 0 || len(doc.Key(prev.KID)) != 1 || len(doc.Key(prev.KID+"-ps256")) != 1 {
		t.Fatal("revoked key published or previous key missing")
	}
	if bytes.Contains(set.JWKS(), []byte(`"d"`)) {
		t.Fatal("JWKS contains private key material")
	}
	for _, alg := range []string{RS256, PS256, ES256, EdDSA} {
		for _, typ := range []string{TypJWT, TypAtJWT} {
			sg := set.Signer(alg, typ)
			if sg == nil {
				t.Fatalf("no signer for %s %s", alg, typ)
			}
			compact, err := sg.Sign([]byte(`{"x":1}`))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			h := parsed.Signatures[0].Header
			if h.ExtraHeaders["typ"] != typ {
				t.Fatalf("typ %v", h.ExtraHeaders["typ"])
			}
			keysForKid := doc.Key(h.KeyID)
			if len(keysForKid) == 0 {
				t.Fatalf("signing kid %s not in JWKS", h.KeyID)
			}
			if _, err := parsed.Verify(keysForKid[0].Key); err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
		}
	}
}

func TestDescribeAndCertificates(t *testing.T) {
	mk := testMaster(t)
	k, err := Generate(TypeRSA, "credo.test", time.Now(), mk)
	if err != nil {
		t.Fatal(err)
	}
	info := Describe(k)
	if !info.Next || info.Current || !strings.HasPrefix(info.Cert, "-----BEGIN CERTIFICATE-----") || len(info.Thumbprint) != 40 || len(info.Fingerprint) != 59 {
		t.Fatalf("info %+v", info)
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		f := filepath.Join(t.TempDir(), "k.p7b")
		os.WriteFile(f, []byte(info.PKCS7), 0o600)
		out, err := exec.Command("openssl", "pkcs7", "-in", f, "-print_certs", "-noout").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "credo.test") {
			t.Fatalf("openssl pkcs7: %v %s", err, out)
		}
	}
}

func TestDueForRotation(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ks := []store.SigningKey{
		{KID: "c", KeyType: TypeRSA, State: store.KeyCurrent, CurrentSince: t0},
		{KID: "n", KeyType: TypeRSA, State: store.KeyNext, CreatedAt: t0.Add(719*time.Hour + 30*time.Minute)},
	}
	if d := DueForRotation(ks, 720*time.Hour, time.Hour, t0.Add(720*time.Hour)); len(d) != 0 {
		t.Fatalf("rotated a next key published < lead ago: %v", d)
	}
	if d := DueForRotation(ks, 720*time.Hour, time.Hour, t0.Add(720*time.Hour+31*time.Minute)); len(d) != 1 {
		t.Fatalf("not due: %v", d)
	}
}

func TestExcessRevoked(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ks []store.SigningKey
	for i := range 5 {
		ks = append(ks, store.SigningKey{KID: fmt.Sprintf("r%d", i), State: store.KeyRevoked, RevokedAt: t0.Add(time.Duration(i) * time.Hour)})
	}
	ks = append(ks, store.SigningKey{KID: "c", State: store.KeyCurrent})
	got := ExcessRevoked(ks, 3)
	if len(got) != 2 || !slices.Contains(got, "r0") || !slices.Contains(got, "r1") {
		t.Fatalf("ExcessRevoked = %v, want the two oldest", got)
	}
	if got := ExcessRevoked(ks[:3], 3); got != nil {
		t.Fatalf("pruned within the limit: %v", got)
	}
}
