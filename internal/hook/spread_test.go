package hook

import (
	"testing"
)

// TestSpreadGuard checks that object spreads and object rests, which
// Compile routes through spreadSource, behave as in JavaScript on ordinary
// values and refuse sources with more than maxArrayLen properties, in a way
// the script can neither avoid nor undo.
func TestSpreadGuard(t *testing.T) {
	const big = `let s = 'x'; while (s.length <= 2 ** 15) s += s;
		const o = {}; for (let i = 0; i <= 2 ** 15; i++) o['k' + i] = i;
		const thrown = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } };`
	for _, tc := range []struct {
		name string
		body string // sets the claim https://x/r
		want any
	}{
		{name: "spreads", body: `const r = { ...{ a: 1 }, b: 2, ...'ab', ...null, ...undefined, ...[3], ...5 };`,
			want: map[string]any{"0": 3.0, "1": "b", "a": 1.0, "b": 2.0}},
		{name: "spread of getters runs them once", body: `let n = 0; const r = { ...{ get a() { return ++n; } } }; r.n = n;`,
			want: map[string]any{"a": 1.0, "n": 1.0}},
		{name: "rest in declarations", body: `const { a, ...x } = { a: 1, b: 2, c: 3 }; var { ...y } = 'xy'; let { z = 5, ...w } = {};
			const r = [a, x, y, z, w];`,
			want: []any{1.0, map[string]any{"b": 2.0, "c": 3.0}, map[string]any{"0": "x", "1": "y"}, 5.0, map[string]any{}}},
		{name: "rest in assignments", body: `let a, x; const v = ({ a, ...x } = { a: 1, b: 2 }); const r = [a, x, v.b];`,
			want: []any{1.0, map[string]any{"b": 2.0}, 2.0}},
		{name: "inside functions and classes", body: `class C { m(o) { return { ...o, m: true }; } }
			const f = (o) => { const { k, ...rest } = o; return rest; };
			const r = [new C().m({ a: 1 }), f({ k: 1, j: 2 })];`,
			want: []any{map[string]any{"a": 1.0, "m": true}, map[string]any{"j": 2.0}}},
		{name: "a huge string", body: big + `const r = [thrown(() => ({ ...s })), thrown(() => { const { ...x } = s; }), thrown(() => { let x; ({ ...x } = s); })];`,
			want: []any{"RangeError", "RangeError", "RangeError"}},
		{name: "an object with too many properties", body: big + `const r = [thrown(() => ({ ...o })), thrown(() => { const { k0, ...x } = o; })];`,
			want: []any{"RangeError", "RangeError"}},
		{name: "a huge array", body: `const a = []; a[2 ** 20] = 1; const thrown = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } };
			const r = thrown(() => ({ ...a }));`,
			want: "RangeError"},
		{name: "the guard cannot be replaced", body: big + `const name = '%credo.spreadSource';
			globalThis[name] = (v) => ({});
			const r = [thrown(() => Object.defineProperty(globalThis, name, { value: (v) => ({}) })),
				thrown(() => { 'use strict'; globalThis[name] = (v) => ({}); }),
				delete globalThis[name], thrown(() => ({ ...s })), typeof globalThis[name]];`,
			want: []any{"TypeError", "TypeError", false, "RangeError", "function"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := "exports.onExecuteCredentialsExchange = async (event, api) => {\n" + tc.body +
				"\napi.accessToken.setCustomClaim('https://x/r', r);\n};"
			runCase(t, action(t, code), nil, nil, Result{CustomClaims: map[string]any{"https://x/r": tc.want}})
		})
	}
}
