package cli

import (
	"context"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/store"
)

// TestAutoRotate: nothing rotates before the period; after it every key
// type rotates once, promoting the key that was already published as next;
// the freshly promoted keys are not rotated again.
func TestAutoRotate(t *testing.T) {
	cfg, a := testApp(t, func(c *config.Config) {
		c.KeyRotationPeriod = 720 * time.Hour
		c.JWKSMaxAge = 10 * time.Minute
	})
	defer a.Close()
	byState := func(st store.KeyState) map[string]string {
		ks, err := a.store.ListSigningKeys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range ks {
			if k.State == st {
				out[k.KeyType] = k.KID
			}
		}
		return out
	}
	before, preNext := byState(store.KeyCurrent), byState(store.KeyNext)
	ctx := t.Context()
	if due := rotateDue(ctx, a, cfg, a.log, time.Now().Add(719*time.Hour)); due != nil {
		t.Fatalf("rotated before the period: %v", due)
	}
	if due := rotateDue(ctx, a, cfg, a.log, time.Now().Add(721*time.Hour)); len(due) != 3 {
		t.Fatalf("due after the period: %v", due)
	}
	after := byState(store.KeyCurrent)
	for kt := range before {
		if after[kt] != preNext[kt] || after[kt] == before[kt] {
			t.Fatalf("%s: current %s, want the pre-published next key %s", kt, after[kt], preNext[kt])
		}
	}
	if due := rotateDue(ctx, a, cfg, a.log, time.Now()); due != nil {
		t.Fatalf("rotated fresh keys again: %v", due)
	}
	// The loop itself stops with its context.
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { autoRotate(lctx, a, cfg, a.log, time.Millisecond, time.Now); close(done) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("autoRotate did not stop")
	}
	if got := byState(store.KeyCurrent); got["RSA"] != after["RSA"] {
		t.Fatal("the loop rotated fresh keys")
	}
}
