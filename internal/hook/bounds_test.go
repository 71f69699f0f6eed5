package hook

import (
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapObjects reads the bytes of live and not yet swept heap objects, the
// figure the watchdog bounds.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap samples heapObjects every millisecond until stop is called,
// which returns the largest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestHostileBuiltins runs, three at a time, Actions that loop over
// built-ins which goja runs in one native call that cannot be interrupted,
// on inputs as large as a script can build. Before the guards, the first of
// them (issue 19) kept the process at ~1.9 cores for 21-40 s after the
// requests were abandoned and grew it to 2.6-2.9 GB. Each must now fail, the
// process heap must stay within a bound, and every execution must have
// ended (its goroutine no longer burning CPU) within the timeout plus a
// grace. The bounds are loose so that -race on a busy 2-core machine passes;
// they are an order of magnitude below what the unguarded built-ins need.
func TestHostileBuiltins(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about ten seconds")
	}
	const (
		timeout  = 500 * time.Millisecond
		parallel = 3
		// Three executions each hold a 4 MB string and may be inside one
		// native call of up to about 32 MB; the heap may hold garbage up
		// to the GC's goal on top of that. Unguarded, one Object.entries
		// of such a string allocates about 3 GB.
		heapBound = 256 << 20
		// The executions must end within the timeout plus this grace
		// (stuckGrace, then one native call of the largest allowed input,
		// several times slower under -race).
		grace = 5 * time.Second
	)
	// big is a string of 2^22 code units, built with + (which no guard
	// sees): four times what the string built-ins accept and 128 times
	// what the enumerating ones do, yet small enough that three of them
	// stay within the heap watchdog's bound, so that the guards, not the
	// watchdog, are what these cases test.
	const big = `let s = 'x'; while (s.length < 2 ** 22) s += s;`
	for _, tc := range []struct{ name, body string }{
		{"the reported action", `for (;;) Object.keys('x'.repeat(2 ** 24 - 1));`},
		{"the reported action within the repeat limit", `for (;;) try { Object.keys('x'.repeat(2 ** 20)); } catch (e) {}`},
		{"Object.keys", big + `for (;;) try { Object.keys(s); } catch (e) {}`},
		{"Object.entries", big + `for (;;) try { Object.entries(s); } catch (e) {}`},
		{"Object.getOwnPropertyDescriptors", big + `for (;;) try { Object.getOwnPropertyDescriptors(s); } catch (e) {}`},
		{"Object.assign", big + `for (;;) try { Object.assign({}, s); } catch (e) {}`},
		{"Object.freeze", big + `for (;;) try { Object.freeze(Object(s)); } catch (e) {}`},
		{"object spread", big + `for (;;) try { ({ ...s }); } catch (e) {}`},
		{"object rest", big + `for (;;) try { const { ...r } = s; } catch (e) {}`},
		{"array spread", big + `for (;;) try { [...s]; } catch (e) {}`},
		{"Array.from and Set", big + `for (;;) try { new Set(Array.from(s)); } catch (e) {}`},
		{"split", big + `for (;;) try { s.split(''); } catch (e) {}`},
		{"global replace", big + `for (;;) try { s.replace(/x/g, 'yy'); } catch (e) {}`},
		{"match", big + `for (;;) try { s.match(/x/g); } catch (e) {}`},
		{"string methods", big + `for (;;) try { s.toUpperCase(); } catch (e) { try { s.localeCompare(s); } catch (e) {} }`},
		{"JSON.parse", `const j = '[' + '1,'.repeat(2 ** 18) + '1]'; for (;;) try { JSON.parse(j); } catch (e) {}`},
		{"object of many properties", `const o = {}; for (let i = 0; i < 2 ** 16; i++) o['k' + i] = i;
			for (;;) try { Object.entries(o); } catch (e) { try { ({ ...o }); } catch (e) {} }`},
		{"map of many entries", `const m = new Map(); for (let i = 0; i < 2 ** 16; i++) m.set(i, i);
			for (;;) try { [...m]; } catch (e) { try { Array.from(m.keys()); } catch (e) {} }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := New(Options{Timeout: timeout})
			p := action(t, "exports.onExecuteCredentialsExchange = async () => {\n"+tc.body+"\n};")
			runtime.GC()
			base := heapObjects()
			stop := peakHeap()
			start := time.Now()
			errs := make([]error, parallel)
			var wg sync.WaitGroup
			for i := range parallel {
				wg.Go(func() {
					_, errs[i] = rt.Run(t.Context(), []*Program{p}, testEvent())
				})
			}
			wg.Wait()
			for p.inflight.Load() > 0 && time.Since(start) < timeout+grace {
				time.Sleep(5 * time.Millisecond)
			}
			ended := time.Since(start)
			peak := stop()
			t.Logf("ended after %v; heap %d MiB before, %d MiB at most; %v", ended.Round(time.Millisecond), base>>20, peak>>20, errs)
			for i, err := range errs {
				if !errors.As(err, new(*ExecError)) {
					t.Errorf("execution %d: err = %v, want an *ExecError", i, err)
				}
			}
			if n := p.inflight.Load(); n > 0 {
				t.Errorf("%d executions still running %v after they started", n, ended)
			}
			if peak > base+heapBound {
				t.Errorf("the heap grew from %d MiB to %d MiB, more than %d MiB", base>>20, peak>>20, heapBound>>20)
			}
			runOK(t, rt, action(t, trivial))
		})
	}
}

// TestMaxInFlight checks that Run refuses a program with MaxInFlight
// executions in progress, at once and without touching the rest of the
// chain, and runs it again when they end.
func TestMaxInFlight(t *testing.T) {
	rt := New(Options{Timeout: 5 * time.Second, MaxInFlight: 2})
	release := make(chan struct{})
	slow := action(t, `exports.onExecuteCredentialsExchange = async () => {
		await new Promise((resolve) => setTimeout(resolve, 50));
	};`)
	ok := action(t, trivial)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				if _, err := rt.Run(t.Context(), []*Program{slow}, testEvent()); err != nil {
					t.Error(err)
					return
				}
				select {
				case <-release:
					return
				default:
				}
			}
		})
	}
	// Wait until both loops are inside a Run.
	for deadline := time.Now().Add(10 * time.Second); slow.inflight.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the executions did not start")
		}
		time.Sleep(time.Millisecond)
	}
	refused := 0
	for range 20 {
		_, err := rt.Run(t.Context(), []*Program{ok, slow}, testEvent())
		var ee *ExecError
		if errors.As(err, &ee) && errors.Is(err, ErrBusy) {
			if ee.ScriptID != slow.ID() || !strings.Contains(ee.Reason, "in progress") {
				t.Fatalf("err = %#v", ee)
			}
			refused++
		}
		if ok.inflight.Load() != 0 {
			t.Fatal("a refused chain left a program counted")
		}
	}
	close(release)
	wg.Wait()
	// Between two Runs of a loop, one slot may be free for a moment; most
	// attempts find both taken.
	if refused == 0 {
		t.Fatal("no Run was refused")
	}
	// Run returns when the result is ready; the worker uncounts its chain
	// just after, so wait for it (a leaked count never reaches 0).
	for deadline := time.Now().Add(5 * time.Second); slow.inflight.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d executions still counted", slow.inflight.Load())
		}
	}
	if _, err := rt.Run(t.Context(), []*Program{ok, slow}, testEvent()); err != nil {
		t.Fatal(err)
	}
}

// TestMaxConcurrent checks that no more than MaxConcurrent scripts run at
// once, and that one waiting for a timer does not hold its turn.
func TestMaxConcurrent(t *testing.T) {
	// The cache is shared by the executions of a script: each marks itself
	// running, spins a little, and records whether it found another running.
	busy := `exports.onExecuteCredentialsExchange = async (event, api) => {
		const other = (api.cache.get('running') || { value: '0' }).value !== '0';
		api.cache.set('running', '1');
		const end = Date.now() + 20;
		while (Date.now() < end) {}
		api.cache.set('running', '0');
		api.accessToken.setCustomClaim('https://x/overlap', other);
	};`
	overlaps := func(rt *Runtime) int {
		p := action(t, busy)
		var n atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
					if err != nil {
						t.Error(err)
						return
					}
					if res.CustomClaims["https://x/overlap"] == true {
						n.Add(1)
					}
				}
			})
		}
		wg.Wait()
		return int(n.Load())
	}
	if n := overlaps(New(Options{Timeout: 20 * time.Second, MaxConcurrent: 1})); n != 0 {
		t.Errorf("with MaxConcurrent 1, %d executions overlapped", n)
	}
	// The same check can see overlaps, so the one above means something.
	if n := overlaps(New(Options{Timeout: 20 * time.Second, MaxConcurrent: 8})); n == 0 {
		t.Errorf("with MaxConcurrent 8, no execution overlapped")
	}

	// Ten executions that each wait 300 ms for a timer finish within a
	// 2 s bound only if waiting lets the others run (one at a time, they
	// would need 3 s).
	rt := New(Options{Timeout: 2 * time.Second, MaxConcurrent: 1})
	sleeper := action(t, `exports.onExecuteCredentialsExchange = async () => {
		await new Promise((resolve) => setTimeout(resolve, 300));
	};`)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := rt.Run(t.Context(), []*Program{sleeper}, testEvent()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(rt.slots); n != 0 {
		t.Fatalf("%d turns still taken", n)
	}
}
