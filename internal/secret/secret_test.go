package secret

import (
	"context"
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

// TestCheckCostDependsOnlyOnThePresentedSecret: whatever the stored hashes
// (none for an unknown client), a short presented secret costs exactly one
// argon2id derivation and a long one none, so the cost does not tell
// whether a client exists or how its secret is stored; results are right.
func TestCheckCostDependsOnlyOnThePresentedSecret(t *testing.T) {
	strong, short := Generate(), "short-imported"
	hs, _ := Hash(strong)
	ha, _ := Hash(short)
	cases := []struct {
		name      string
		hashes    []string
		presented string
		want      bool
	}{
		{"unknown client, long secret", nil, strong, false},
		{"unknown client, short secret", nil, "guess", false},
		{"sha client, right secret", []string{hs}, strong, true},
		{"sha client, wrong long secret", []string{hs}, Generate(), false},
		{"sha client, short secret", []string{hs}, "guess", false},
		{"argon client, right secret", []string{ha}, short, true},
		{"argon client, wrong short secret", []string{ha}, "guess-2", false},
		{"argon client, long secret", []string{ha}, strong, false},
		{"rotated: new sha and old argon, old secret", []string{hs, ha}, short, true},
		{"rotated: new sha and old argon, new secret", []string{hs, ha}, strong, true},
		{"malformed hash", []string{"$argon2id$garbage"}, "guess-3", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := NewVerifier(0, nil) // no cache: every check derives
			before := argonDerivations.Load()
			ok, err := v.Check(t.Context(), tc.hashes, tc.presented)
			if err != nil || ok != tc.want {
				t.Fatalf("Check = %v, %v; want %v", ok, err, tc.want)
			}
			n := argonDerivations.Load() - before
			want := int64(0)
			if len(tc.presented) < MinStrongLength {
				want = 1
			}
			if tc.name == "malformed hash" {
				want = 0 // refused before deriving; a stored hash is never malformed
			}
			if n != want {
				t.Fatalf("%d argon2id derivations, want %d", n, want)
			}
		})
	}
}

func TestCheckCachesAndBoundsArgon(t *testing.T) {
	ha, _ := Hash("short-imported")
	v := NewVerifier(time.Minute, nil)
	before := argonDerivations.Load()
	for range 3 {
		if ok, err := v.Check(t.Context(), []string{ha}, "short-imported"); !ok || err != nil {
			t.Fatalf("Check = %v, %v", ok, err)
		}
		if ok, err := v.Check(t.Context(), nil, "short-guess"); ok || err != nil {
			t.Fatalf("unknown client: %v, %v", ok, err)
		}
	}
	if n := argonDerivations.Load() - before; n != 2 {
		t.Fatalf("%d derivations for 3 repeats of 2 checks, want 2 (cached)", n)
	}

	// Every slot busy: a check that needs a derivation fails with ErrBusy
	// after the wait, or at once when its context ends; a long secret, and
	// a cached result, never wait.
	v.wait = 20 * time.Millisecond
	for range cap(v.slots) {
		v.slots <- struct{}{}
	}
	if _, err := v.Check(t.Context(), nil, "uncached"); err != ErrBusy {
		t.Fatalf("with every slot busy: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	v.wait = time.Hour
	if _, err := v.Check(ctx, []string{ha}, "other-guess"); err != ErrBusy {
		t.Fatalf("canceled context: %v", err)
	}
	if ok, err := v.Check(t.Context(), []string{ha}, "short-imported"); !ok || err != nil {
		t.Fatalf("cached result while busy: %v, %v", ok, err)
	}
	hs, _ := Hash(strings.Repeat("s", 40))
	if ok, err := v.Check(t.Context(), []string{hs}, strings.Repeat("s", 40)); !ok || err != nil {
		t.Fatalf("long secret while busy: %v, %v", ok, err)
	}
}
