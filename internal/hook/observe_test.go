package hook

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestObserve: the observer is told of each script of a chain with its
// duration and error, up to the one that denied.
func TestObserve(t *testing.T) {
	ok := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {};`)
	deny := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'no'); };`)
	never := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {};`)
	rt := New(Options{})
	var mu sync.Mutex
	var got []error
	var took []time.Duration
	rt.Observe(func(script string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if script != "test-action" {
			t.Errorf("script name %q", script)
		}
		got, took = append(got, err), append(took, d)
	})
	_, err := rt.Run(t.Context(), []*Program{ok, deny, never}, testEvent())
	var d *Denial
	if !errors.As(err, &d) {
		t.Fatalf("run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != nil || !errors.As(got[1], &d) || took[0] <= 0 || took[1] <= 0 {
		t.Fatalf("observed %v %v; want the first (nil) and the denial, not the third", got, took)
	}
}
