package secret

import (
	"strings"
	"testing"
	"time"
)

func TestGenerateIsHighEntropyAndUnique(t *testing.T) {
	a, b := Generate(), Generate()
	if a == b || len(a) != 43 {
		t.Fatalf("Generate: %q %q", a, b)
	}
}

func TestHashAndVerify(t *testing.T) {
	v := NewVerifier(time.Minute, nil)
	for _, s := range []string{Generate(), "short-imported", strings.Repeat("z", MinStrongLength)} {
		h, err := Hash(s)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h, s) {
			t.Fatalf("hash %q contains the secret", h)
		}
		wantPrefix := "$sha256$"
		if len(s) < MinStrongLength {
			wantPrefix = "$argon2id$"
		}
		if !strings.HasPrefix(h, wantPrefix) {
			t.Fatalf("Hash(%q) = %q, want prefix %s", s, h, wantPrefix)
		}
		for i := range 2 { // the second call hits the cache for argon2id
			if !v.Verify(h, s) {
				t.Fatalf("Verify(%q) failed on call %d", s, i+1)
			}
		}
		for _, bad := range []string{"", s + "x", s[:len(s)-1], strings.ToUpper(s)} {
			if v.Verify(h, bad) {
				t.Fatalf("Verify accepted %q for %q", bad, s)
			}
		}
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	v := NewVerifier(0, nil)
	for _, h := range []string{"", "plain", "$sha256$", "$sha256$abc", "$sha256$!!$!!", "$argon2id$v=19$m=0,t=1,p=1$a$b", "$argon2id$x"} {
		if v.Verify(h, "anything") {
			t.Fatalf("accepted malformed hash %q", h)
		}
	}
	v.Dummy("x") // must not panic
}

func TestHashRejectsEmptyAndHuge(t *testing.T) {
	if _, err := Hash(""); err == nil {
		t.Fatal("empty secret hashed")
	}
	if _, err := Hash(strings.Repeat("a", MaxLength+1)); err == nil {
		t.Fatal("huge secret hashed")
	}
}

func BenchmarkVerifyGenerated(b *testing.B) {
	s := Generate()
	h, _ := Hash(s)
	v := NewVerifier(time.Minute, nil)
	b.ReportAllocs()
	for b.Loop() {
		if !v.Verify(h, s) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkVerifyImportedCached(b *testing.B) {
	h, _ := Hash("imported")
	v := NewVerifier(time.Hour, nil)
	b.ReportAllocs()
	for b.Loop() {
		if !v.Verify(h, "imported") {
			b.Fatal("verify failed")
		}
	}
}
