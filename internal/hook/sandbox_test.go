package hook

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const sandboxTimeout = time.Second // generous: a busy 2-core machine under -race is slow to start a VM

// TestSandbox runs scripts that must fail, each within the time bound,
// and checks that the Runtime keeps working afterwards.
func TestSandbox(t *testing.T) {
	rt := New(Options{Timeout: sandboxTimeout})
	ok := action(t, trivial)
	act := func(body string) string {
		return "exports.onExecuteCredentialsExchange = async (event, api) => {\n" + body + "\n};"
	}
	for _, tc := range []struct {
		name   string
		kind   Kind
		code   string
		cause  error  // wanted ExecError.Err, if any
		or     error  // also accepted as ExecError.Err (a loop that allocates may meet either bound first)
		reason string // wanted in ExecError.Reason
	}{
		{name: "infinite loop", code: act(`while (true) {}`), cause: ErrTimeout},
		{name: "infinite loop at module level", code: `for (;;) {}`, cause: ErrTimeout},
		{name: "infinite loop in a timer", code: act(`await new Promise(() => setTimeout(() => { for (;;) {} }, 1));`), cause: ErrTimeout},
		{name: "endless microtasks", code: act(`const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});`), cause: ErrTimeout, or: ErrHeapLimit},
		{name: "endless interval", code: act(`setInterval(() => {}, 1); await new Promise(() => {});`), cause: ErrTimeout},
		{name: "timer due after the deadline", code: act(`await new Promise((resolve) => setTimeout(resolve, 60000));`), cause: ErrTimeout},
		{name: "huge string", code: act(`const s = 'x'.repeat(2 ** 29);`), reason: "RangeError"},
		{name: "require", code: act(`require('fs');`), reason: "module 'fs' is not available in credo Actions"},
		{name: "require in a hook", kind: KindHook, code: `const http = require('http'); module.exports = function () {};`,
			reason: "module 'http' is not available in credo Hooks"},
		{name: "fetch", code: act(`await fetch('https://example.com/');`), reason: "ReferenceError: fetch is not defined"},
		{name: "process", code: act(`api.accessToken.setCustomClaim('https://x/env', process.env.HOME);`), reason: "ReferenceError: process is not defined"},
		{name: "eval", code: act(`eval('1');`), reason: "ReferenceError: eval is not defined"},
		{name: "Function constructor", code: act(`(() => {}).constructor('return this')();`), reason: "code generation from strings is not available"},
		{name: "BigInt", code: act(`BigInt(2) ** BigInt(1e12);`), reason: "ReferenceError"},
		{name: "thrown error", code: act(`throw new Error('boom');`), reason: "rejected: Error: boom\n\tat action.js:2:7"},
		{name: "thrown string", code: act(`throw 'plain';`), reason: "rejected: plain"},
		{name: "thrown at module level", code: `throw new Error('early');`, reason: "uncaught Error: early"},
		{name: "rejected promise", code: act(`await Promise.reject(new Error('nope'));`), reason: "rejected: Error: nope"},
		{name: "unhandled rejection", code: act(`Promise.reject(new Error('lost'));`), reason: "unhandled promise rejection: Error: lost"},
		{name: "never-resolving promise", code: act(`await new Promise(() => {});`), reason: "never settled"},
		{name: "exception in a timer", code: act(`setTimeout(() => { throw new TypeError('late'); }, 1); await new Promise(() => {});`),
			reason: "uncaught exception in a timer callback: TypeError: late"},
		{name: "exception in queueMicrotask", code: act(`queueMicrotask(() => { throw new Error('micro'); }); await null;`),
			reason: "queueMicrotask callback: Error: micro"},
		{name: "too many timers", code: act(`for (let i = 0; i < 2000; i++) setTimeout(() => {}, 1);`), reason: "pending timers"},
		{name: "reserved claim", code: act(`api.accessToken.setCustomClaim('sub', 'admin');`), reason: `"sub" is a reserved claim`},
		{name: "stack overflow", code: act(`const f = (n) => f(n + 1) + 1; f(0);`), reason: "stack overflow"},
		{name: "hook never calls cb", kind: KindHook, code: `module.exports = function (client, scope, audience, context, cb) {};`,
			reason: "never called its callback"},
		{name: "hook waits forever", kind: KindHook, code: `module.exports = function (client, scope, audience, context, cb) {
			setInterval(() => {}, 5);
		};`, cause: ErrTimeout},
		{name: "sparse array spread", code: act(`const a = []; a[2 ** 32 - 2] = 1; [...a];`), reason: "RangeError"},
		{name: "deep JSON", code: act(`JSON.parse('['.repeat(1e5) + ']'.repeat(1e5));`), reason: "SyntaxError"},
		// Flattening or serialising a DAG visits every path: the guards
		// count the output, and the time bound holds regardless.
		{name: "flat of a DAG", code: act(`let a = [1]; for (let i = 0; i < 40; i++) a = [a, a]; a.flat(Infinity);`)},
		{name: "JSON of a DAG", code: act(`let a = [1]; for (let i = 0; i < 40; i++) a = [a, a]; JSON.stringify(a);`)},
		{name: "no action export", code: `exports.onExecutePostLogin = async () => {};`, reason: "does not export an onExecuteCredentialsExchange"},
		// A backtracking regular expression (the lookahead sends it to
		// regexp2) is cut off by regexp2's timeout, then by ours.
		{name: "catastrophic regexp", code: act(`for (;;) /(?=a)(a+)+$/.test('a'.repeat(40) + '!');`), cause: ErrTimeout},
		// map calls a built-in callback through a JavaScript wrapper, so
		// the loop can be interrupted between calls.
		{name: "built-in callback", code: act(`const re = /(?=a)(a+)+$/; Array(100).fill('a'.repeat(40) + '!').map(re.test.bind(re));`),
			cause: ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := program(t, tc.kind, tc.code)
			start := time.Now()
			_, err := rt.Run(t.Context(), []*Program{p}, testEvent())
			elapsed := time.Since(start)
			var ee *ExecError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExecError", err)
			}
			if ee.ScriptID != p.ID() {
				t.Errorf("ScriptID = %q, want %q", ee.ScriptID, p.ID())
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) && (tc.or == nil || !errors.Is(err, tc.or)) {
				t.Errorf("err = %v, want %v", err, tc.cause)
			}
			if strings.Contains(ee.Reason, "abandoned") {
				t.Errorf("the script had to be abandoned: %s", ee.Reason)
			}
			if !strings.Contains(ee.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", ee.Reason, tc.reason)
			}
			// A loose bound: it catches a watchdog that fires far too late,
			// not scheduling noise under -race on a busy machine.
			if limit := sandboxTimeout + 5*time.Second; elapsed > limit {
				t.Errorf("took %v, more than %v", elapsed, limit)
			}
			runOK(t, rt, ok)
		})
	}
}

// TestHeapBound allocates without end; the watchdog must stop the script,
// and the memory must be returned.
func TestHeapBound(t *testing.T) {
	rt := New(Options{Timeout: 30 * time.Second, MaxHeapGrowth: 64 << 20}) // the timeout only has to lose to the heap watchdog, however slow the machine
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, code := range []string{
		`let a = []; while (true) a.push('x'.repeat(1e6));`,
		`const m = new Map(); for (let i = 0; ; i++) m.set(i, { i, s: 'v' + i });`,
		`let s = 'ab'; while (true) s = s + s + '!';`,
	} {
		p := action(t, "exports.onExecuteCredentialsExchange = async () => {\n"+code+"\n};")
		// ErrHeapLimit (not the 30 s timeout's error) shows the heap
		// watchdog stopped it; how fast is not asserted, since under -race on
		// a busy 2-core machine that varies by seconds.
		_, err := rt.Run(t.Context(), []*Program{p}, testEvent())
		if !errors.Is(err, ErrHeapLimit) {
			t.Fatalf("%s: err = %v, want ErrHeapLimit", code, err)
		}
		runOK(t, rt, action(t, trivial))
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("heap grew by %d MiB and stayed", grown>>20)
	}
}

func TestContextCancel(t *testing.T) {
	rt := New(Options{Timeout: 10 * time.Second})
	p := action(t, `exports.onExecuteCredentialsExchange = async () => { for (;;) {} };`)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := rt.Run(ctx, []*Program{p}, testEvent())
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, new(*ExecError)) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second { // loose: catches a cancel that is not honoured, not scheduling noise
		t.Fatalf("took %v", d)
	}
	done, stop := context.WithCancel(t.Context())
	stop()
	if _, err := rt.Run(done, []*Program{p}, testEvent()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// TestStuckInBuiltin runs a script that stays inside one built-in call
// past the deadline: Run must return anyway, and the Program is refused
// while two such executions are still running.
func TestStuckInBuiltin(t *testing.T) {
	// Long enough for the script to reach indexOf under -race (0.2 s), short
	// enough that indexOf (1.6 s) outlasts it and the grace.
	timeout := 400 * time.Millisecond
	rt := New(Options{Timeout: timeout})
	// indexOf compares a string of 2 Mi characters with 32 Ki others of
	// the same length that differ only at the end: every comparison reads
	// the whole string, in one native call of seconds that the guards allow
	// (each input is within its limit; only their product is large) and
	// goja cannot interrupt.
	p := action(t, `exports.onExecuteCredentialsExchange = async () => {
		const s = 'x'.repeat(2 ** 20) + 'x'.repeat(2 ** 20);
		const a = Array(2 ** 15).fill(s);
		a.indexOf(s.slice(1) + 'y');
	};`)
	// maxStuck executions run at once, so that all are stuck together. On a
	// loaded machine the deadline may come before a script reaches
	// indexOf; then the interrupt works, the Run is simply timed out, and
	// the round is tried again.
	for attempt := 0; ; attempt++ {
		if attempt == 10 {
			t.Fatalf("fewer than %d executions had to be abandoned together", maxStuck)
		}
		if attempt > 0 { // a busy machine: give the scripts longer to reach indexOf
			timeout += 100 * time.Millisecond
			rt = New(Options{Timeout: timeout})
		}
		errs := make([]error, maxStuck)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range errs {
			wg.Go(func() { _, errs[i] = rt.Run(t.Context(), []*Program{p}, testEvent()) })
		}
		wg.Wait()
		if d := time.Since(start); d > timeout+stuckGrace+5*time.Second {
			t.Errorf("took %v", d)
		}
		abandoned := 0
		for _, err := range errs {
			var ee *ExecError
			if err == nil {
				continue // finished within the deadline: not stuck this round
			}
			if !errors.As(err, &ee) || !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want a timeout", err)
			}
			if strings.Contains(ee.Reason, "abandoned") {
				abandoned++
			}
		}
		if abandoned == maxStuck {
			break
		}
		for p.stuck.Load() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := rt.Run(t.Context(), []*Program{p}, testEvent()); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("err = %v, want ErrQuarantined", err)
	}
	// Other programs still run.
	runOK(t, rt, action(t, trivial))
	deadline := time.Now().Add(20 * time.Second)
	for p.stuck.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stuck executions did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := rt.Run(t.Context(), []*Program{p}, testEvent()); errors.Is(err, ErrQuarantined) {
		t.Fatalf("still quarantined: %v", err)
	}
}

// TestGlobalsDoNotLeak checks that nothing a script leaves on the global
// object or the api object reaches its next execution.
func TestGlobalsDoNotLeak(t *testing.T) {
	p := action(t, `
		var topLevel = (typeof topLevel);
		exports.onExecuteCredentialsExchange = async (event, api) => {
			const seen = [typeof leaked, typeof implicit, typeof globalThis.viaProto, typeof defined, topLevel,
				typeof api.stash];
			globalThis.leaked = 1;
			implicit = 2;
			Object.getPrototypeOf(globalThis).viaProto = 3;
			Object.defineProperty(globalThis, 'defined', { value: 4 });
			api.stash = 5;
			api.accessToken.setCustomClaim('https://x/seen', seen);
		};`)
	rt := New(Options{})
	want := []any{"undefined", "undefined", "undefined", "undefined", "undefined", "undefined"}
	for i := range 3 {
		res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
		if err != nil {
			t.Fatal(err)
		}
		if got := res.CustomClaims["https://x/seen"]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d saw %v", i, got)
		}
	}
}

// TestConcurrentRuns runs many chains at once; run it with -race.
func TestConcurrentRuns(t *testing.T) {
	rt := New(Options{Timeout: 2 * time.Second})
	counter := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		const n = Number((api.cache.get('n') || { value: '0' }).value) + 1;
		api.cache.set('n', String(n));
		await new Promise((resolve) => setTimeout(resolve, 1));
		api.accessToken.setCustomClaim('https://x/client', event.client.client_id);
	};`)
	legacy := hook(t, `module.exports = function (client, scope, audience, context, cb) {
		Promise.resolve().then(() => cb(null, { scope: scope.concat(client.id), 'https://x/hook': true }));
	};`)
	failing := action(t, `exports.onExecuteCredentialsExchange = async () => { throw new Error('x'); };`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				ev := testEvent()
				ev.Client.ID = fmt.Sprintf("cli-%d-%d", g, i)
				res, err := rt.Run(t.Context(), []*Program{counter, legacy}, ev)
				if err != nil {
					t.Error(err)
					return
				}
				if res.CustomClaims["https://x/client"] != ev.Client.ID || res.CustomClaims["https://x/hook"] != true ||
					len(res.Scope) != 3 || res.Scope[2] != ev.Client.ID {
					t.Errorf("result for %s: %#v", ev.Client.ID, res)
					return
				}
				if i%5 == 0 {
					if _, err := rt.Run(t.Context(), []*Program{failing}, ev); !errors.As(err, new(*ExecError)) {
						t.Errorf("failing program: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
}
