package hook

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCacheAcrossExecutions caches a value between executions, the usual
// use of api.cache (for example, a token for an outbound API).
func TestCacheAcrossExecutions(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	rt := New(Options{Now: clock.Now})
	code := `exports.onExecuteCredentialsExchange = async (event, api) => {
		const hit = api.cache.get('upstream-token');
		if (hit) {
			api.accessToken.setCustomClaim('https://x/token', [hit.value, hit.expires_at]);
			return;
		}
		const r = api.cache.set('upstream-token', 'tok-' + event.client.client_id, { ttl: 60000 });
		api.accessToken.setCustomClaim('https://x/token', r);
	};`
	p := action(t, code)
	run := func() any {
		t.Helper()
		res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
		if err != nil {
			t.Fatal(err)
		}
		return res.CustomClaims["https://x/token"]
	}
	stored := map[string]any{"type": "success"}
	if got := run(); !reflect.DeepEqual(got, stored) {
		t.Fatalf("first run: %#v", got)
	}
	expiresAt := float64(clock.Now().Add(time.Minute).UnixMilli())
	clock.Advance(59 * time.Second)
	if got := run(); !reflect.DeepEqual(got, []any{"tok-cli_123", expiresAt}) {
		t.Fatalf("second run: %#v", got)
	}
	clock.Advance(time.Second)
	if got := run(); !reflect.DeepEqual(got, stored) {
		t.Fatalf("after expiry: %#v", got)
	}

	// The cache belongs to the script ID: a recompiled version sees it,
	// another script does not.
	again, err := Compile(Script{ID: p.ID(), Name: "v2", Code: code})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rt.Run(t.Context(), []*Program{again}, testEvent())
	if err != nil || res.CustomClaims["https://x/token"].([]any)[0] != "tok-cli_123" {
		t.Fatalf("recompiled: %#v %v", res, err)
	}
	if got := func() any {
		res, err := rt.Run(t.Context(), []*Program{action(t, code)}, testEvent())
		if err != nil {
			t.Fatal(err)
		}
		return res.CustomClaims["https://x/token"]
	}(); !reflect.DeepEqual(got, stored) {
		t.Fatalf("another script saw the cache: %#v", got)
	}
}

// TestCacheAPI checks results and limits of api.cache.
func TestCacheAPI(t *testing.T) {
	clock := &fakeClock{now: time.UnixMilli(1_000_000)}
	rt := New(Options{Now: clock.Now})
	for _, tc := range []struct {
		name string
		body string
		want any
	}{
		{"set and get", `api.cache.set('k', 'v'); return api.cache.get('k');`,
			map[string]any{"value": "v", "expires_at": float64(1_000_000 + 15*60*1000)}},
		{"missing key", `return [api.cache.get('nope') === undefined, api.cache.get(1) === undefined];`, []any{true, true}},
		{"delete", `api.cache.set('k', 'v'); const r = api.cache.delete('k'); return [r, api.cache.get('k') === undefined, api.cache.delete('never')];`,
			[]any{map[string]any{"type": "success"}, true, map[string]any{"type": "success"}}},
		{"ttl", `api.cache.set('k', 'v', { ttl: 1000 }); return api.cache.get('k').expires_at;`, float64(1_001_000)},
		{"expires_at", `api.cache.set('k', 'v', { expires_at: 1_500_000 }); return api.cache.get('k').expires_at;`, float64(1_500_000)},
		{"the earlier of ttl and expires_at", `api.cache.set('k', 'v', { ttl: 1000, expires_at: 1_000_500 }); return api.cache.get('k').expires_at;`, float64(1_000_500)},
		{"lifetime capped at 24 h", `api.cache.set('k', 'v', { ttl: 7 * 86400000 }); return api.cache.get('k').expires_at;`, float64(1_000_000 + 86_400_000)},
		{"key too long", `return api.cache.set('k'.repeat(65), 'v');`, map[string]any{"type": "error", "code": "INVALID_KEY"}},
		{"key of 64 bytes", `return api.cache.set('k'.repeat(64), 'v');`, map[string]any{"type": "success"}},
		{"empty key", `return api.cache.set('', 'v');`, map[string]any{"type": "error", "code": "INVALID_KEY"}},
		{"key not a string", `return api.cache.delete(7);`, map[string]any{"type": "error", "code": "INVALID_KEY"}},
		{"value too long", `return api.cache.set('k', 'v'.repeat(4097));`, map[string]any{"type": "error", "code": "INVALID_VALUE"}},
		{"value not a string", `return api.cache.set('k', { a: 1 });`, map[string]any{"type": "error", "code": "INVALID_VALUE"}},
		{"negative ttl", `return api.cache.set('k', 'v', { ttl: -1 });`, map[string]any{"type": "error", "code": "INVALID_OPTIONS"}},
		{"ttl not a number", `return api.cache.set('k', 'v', { ttl: '10' });`, map[string]any{"type": "error", "code": "INVALID_OPTIONS"}},
		{"expires_at in the past", `return api.cache.set('k', 'v', { expires_at: 999_000 });`, map[string]any{"type": "error", "code": "INVALID_OPTIONS"}},
		{"options not an object", `return api.cache.set('k', 'v', 5);`, map[string]any{"type": "error", "code": "INVALID_OPTIONS"}},
		{"at most 20 entries, the closest to expiry evicted", `
			for (let i = 0; i < 25; i++) api.cache.set('k' + i, 'v', { ttl: 100000 + i });
			const kept = [];
			for (let i = 0; i < 25; i++) if (api.cache.get('k' + i)) kept.push(i);
			return kept;`, []any{5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0}},
		{"at most 8 kB", `
			api.cache.set('a', 'x'.repeat(4000), { ttl: 1000 });
			api.cache.set('b', 'x'.repeat(4000), { ttl: 2000 });
			api.cache.set('c', 'x'.repeat(1000), { ttl: 3000 });
			return ['a', 'b', 'c'].map((k) => api.cache.get(k) !== undefined);`, []any{false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
				const f = () => {`+tc.body+`};
				api.accessToken.setCustomClaim('https://x/r', f());
			};`)
			res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
			if err != nil {
				t.Fatal(err)
			}
			if got := res.CustomClaims["https://x/r"]; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestCacheLimitsHold(t *testing.T) {
	now := time.Unix(1000, 0)
	c := &actionCache{entries: make(map[string]cacheEntry)}
	for i := range 200 {
		key := fmt.Sprintf("key-%03d", i)
		c.store(key, strings.Repeat("v", i*37%cacheMaxValue), now.Add(time.Duration(i%13)*time.Minute+time.Second), now)
		size := 0
		for k, e := range c.entries {
			size += len(k) + len(e.value)
		}
		if len(c.entries) > cacheMaxEntries || size > cacheMaxTotal || size != c.size {
			t.Fatalf("after %d sets: %d entries, %d bytes (accounted %d)", i+1, len(c.entries), size, c.size)
		}
		if _, ok := c.lookup(key, now); !ok {
			t.Fatalf("the entry just set is missing")
		}
	}
	if n := c.purge(now.Add(time.Hour)); n != 0 || c.size != 0 {
		t.Fatalf("after expiry: %d entries, %d bytes", n, c.size)
	}

	var s cacheStore
	for i := range cacheSweepAt + 10 {
		s.get(fmt.Sprint(i), now)
	}
	if len(s.caches) > 11 {
		t.Fatalf("empty caches were not swept: %d remain", len(s.caches))
	}
}
