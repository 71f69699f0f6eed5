package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	list := func() []store.SigningKey {
		t.Helper()
		ks, err := s.ListSigningKeys(ctx)
		must(t, err)
		return ks
	}
	version := func() int64 {
		t.Helper()
		v, err := s.Version(ctx)
		must(t, err)
		return v
	}
	if ks := list(); len(ks) != 0 {
		t.Fatalf("new store has %d signing keys", len(ks))
	}

	rsaNext := sampleKey("k1", "RSA", store.KeyNext)
	rsaCur := sampleKey("k2", "RSA", store.KeyCurrent)
	ecCur := sampleKey("k3", "EC", store.KeyCurrent)
	must(t, s.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		if len(keys) != 0 {
			t.Errorf("fn got %d keys, want 0", len(keys))
		}
		return []store.SigningKey{ecCur, rsaNext, rsaCur}, nil
	}))
	want := []store.SigningKey{rsaNext, rsaCur, ecCur}
	equal(t, "keys after insert", list(), want)

	// fn sees every key; returning none writes nothing.
	v := version()
	must(t, s.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		equal(t, "keys passed to fn", keys, want)
		return nil, nil
	}))
	if got := version(); got != v {
		t.Fatalf("version moved from %d to %d when fn returned no keys", v, got)
	}

	// A second current RSA key is refused and nothing of the call is kept.
	err := s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		other := rsaNext
		other.State = store.KeyRevoked
		return []store.SigningKey{other, sampleKey("k4", "RSA", store.KeyCurrent)}, nil
	})
	wantErr(t, "second current RSA key", err, store.ErrConflict)
	err = s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{sampleKey("k5", "OKP", store.KeyCurrent), sampleKey("k6", "OKP", store.KeyCurrent)}, nil
	})
	wantErr(t, "two current OKP keys in one call", err, store.ErrConflict)
	err = s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		promoted := rsaNext
		promoted.State = store.KeyCurrent
		return []store.SigningKey{promoted}, nil
	})
	wantErr(t, "promoting next while another RSA key is current", err, store.ErrConflict)
	err = s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{sampleKey("k7", "EC", store.KeyNext)}, errBoom
	})
	if err != errBoom {
		t.Fatalf("fn error: got %v, want %v as is", err, errBoom)
	}
	equal(t, "keys after refused updates", list(), want)
	if got := version(); got != v {
		t.Fatalf("version moved from %d to %d after refused updates", v, got)
	}

	// Rotation in one call: the current key becomes previous, next becomes
	// current (listed first on purpose), and a new next key appears.
	now := ts(1)
	promoted, demoted := rsaNext, rsaCur
	promoted.State, promoted.CurrentSince = store.KeyCurrent, now
	demoted.State, demoted.CurrentUntil = store.KeyPrevious, now
	fresh := sampleKey("k0", "RSA", store.KeyNext)
	must(t, s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{promoted, demoted, fresh}, nil
	}))
	equal(t, "keys after rotation", list(), []store.SigningKey{fresh, promoted, demoted, ecCur})
	if got := version(); got <= v {
		t.Fatalf("version %d did not move past %d after rotation", got, v)
	}
}

// testSigningKeysConcurrent checks that fn runs under an exclusive lock:
// callers that each create a current key when they see none end with
// exactly one, and none of them fails.
func testSigningKeysConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
				for _, k := range keys {
					if k.KeyType == "RSA" && k.State == store.KeyCurrent {
						return nil, nil
					}
				}
				time.Sleep(20 * time.Millisecond) // widen the window for a racing caller
				return []store.SigningKey{sampleKey(fmt.Sprintf("k%d", i), "RSA", store.KeyCurrent)}, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	if len(keys) != 1 || keys[0].State != store.KeyCurrent {
		t.Fatalf("keys after %d concurrent callers = %+v, want exactly one current key", n, keys)
	}
}

func testDeleteSigningKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.UpdateSigningKeys(ctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{sampleKey("cur", "EC", store.KeyCurrent), sampleKey("old", "EC", store.KeyRevoked), sampleKey("prev", "EC", store.KeyPrevious)}, nil
	}))
	wantErr(t, "delete current key", s.DeleteSigningKey(ctx, "cur"), store.ErrConflict)
	wantErr(t, "delete previous key", s.DeleteSigningKey(ctx, "prev"), store.ErrConflict)
	wantErr(t, "delete missing key", s.DeleteSigningKey(ctx, "nope"), store.ErrNotFound)
	v0, err := s.Version(ctx)
	must(t, err)
	must(t, s.DeleteSigningKey(ctx, "old"))
	if v1, _ := s.Version(ctx); v1 <= v0 {
		t.Fatalf("version did not move on delete: %d → %d", v0, v1)
	}
	ks, err := s.ListSigningKeys(ctx)
	must(t, err)
	if len(ks) != 2 {
		t.Fatalf("%d keys after deleting one of three", len(ks))
	}
	wantErr(t, "delete twice", s.DeleteSigningKey(ctx, "old"), store.ErrNotFound)
}
