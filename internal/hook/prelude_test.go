package hook

import (
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// evalGuarded evaluates an expression in a runtime prepared by newVM, the
// way a script sees it, and returns JSON.stringify of the result or the
// name of the error thrown.
func evalGuarded(t *testing.T, expr string) string {
	t.Helper()
	p, err := Compile(Script{ID: "eval", Name: "eval", Code: "exports.onExecuteCredentialsExchange = () => {};"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := newVM(p)
	if err != nil {
		t.Fatal(err)
	}
	x := newExecution(New(Options{}), t.Context(), time.Now().Add(time.Minute))
	v.begin(&run{x: x, v: v, st: &chainState{ev: &Event{}}})
	defer v.end()
	return evalIn(t, v.rt, expr)
}

func evalPlain(t *testing.T, expr string) string {
	t.Helper()
	return evalIn(t, goja.New(), expr)
}

func evalIn(t *testing.T, rt *goja.Runtime, expr string) string {
	t.Helper()
	val, err := rt.RunString("(function () { try { return JSON.stringify(" + expr + "); } catch (e) { return 'threw ' + e.name; } })()")
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return val.String()
}

// TestGuardsKeepBehaviour checks that the wrapped built-ins give the same
// results as goja's own on ordinary inputs.
func TestGuardsKeepBehaviour(t *testing.T) {
	exprs := []string{
		// arrays
		`[1, 2, 3].map(x => x * 2)`,
		`[1, 2, 3, 4].filter(x => x % 2).concat([9], 8, [[7]])`,
		`[1, 2, 3].reduce((a, b) => a + b, 10)`,
		`[1, 2, 3].reduceRight((a, b) => a + '' + b)`,
		`[[1, 2], [3]].flatMap(x => x)`,
		`[1, [2, [3, [4, [5]]]], , 6].flat(Infinity)`,
		`[1, [2, [3]]].flat()`,
		`[1, 2, 3].flatMap(x => [x, [x]])`,
		`[3, 1, 2].sort()`,
		`[3, 1, 10, 2].sort((a, b) => a - b)`,
		`[1, 2, 3].reverse()`,
		`[1, 2, 3, 4, 5].slice(1, -1)`,
		`(() => { const a = [1, 2, 3, 4]; const r = a.splice(1, 2, 'x'); return [a, r]; })()`,
		`[1, 2, 3].indexOf(2) + [1, 2, 3].lastIndexOf(3) + [NaN].includes(NaN)`,
		`[1, 2, 3].find(x => x > 1) + [1, 2, 3].findIndex(x => x > 1) + [1, 2, 3].findLast(x => x < 3)`,
		`[1, 2, 3].every(x => x > 0) && ![1, 2, 3].some(x => x > 5)`,
		`(() => { let s = 0; [1, 2, 3].forEach(x => { s += x; }); return s; })()`,
		`[1, null, undefined, 'a', [2, [3]], {}].join('-')`,
		`[1, 2, 3].join()`,
		`[].join()`,
		`String([1, [2, 3]])`,
		`(() => { const a = [1]; a.push(a, 2); return a.join(); })()`,
		`[1, 2, 3].toString()`,
		`[1, 'a', null].toLocaleString()`,
		`[1, 2, 3, 4].fill(0, 1, 3)`,
		`[1, 2, 3, 4, 5].copyWithin(0, 3)`,
		`[...[1, 2, 3].keys()].concat([...[1, 2].entries()])`,
		`[...['a', 'b'].values()]`,
		`[...[1, 2, 3]]`,
		`(() => { const r = []; for (const x of [1, 2, 3]) r.push(x); return r; })()`,
		`[1, 2, 3].at(-1)`,
		`[[1, 2, 3, 1].lastIndexOf(1), [1, 2, 3, 1].lastIndexOf(1, undefined), [1, 2, 3].indexOf(3, undefined), [1, 2].includes(2, -1)]`,
		`(() => { const a = [1, 2, 3]; const b = [1, 2, 3]; return [a.splice(1), a, b.splice(1, undefined), b]; })()`,
		`[[1, 2].reduce((a, b) => a + b), [].reduce((a, b) => a, 5), [[1], [2]].reduceRight((a, b) => a.concat(b))]`,
		`[1].map(function () { return this.k; }, { k: 5 })`,
		`[1, 2, 3].filter(function (x) { return x > this.min; }, { min: 1 })`,
		`(() => { try { [].reduce((a, b) => a); } catch (e) { return e.name; } })()`,
		`[1, 2, 3].toSpliced(1) + '|' + [1, 2, 3].toSpliced(1, undefined)`,
		`[3, 1, 2].toSorted()`,
		`(() => { const a = []; for (let i = 0; i < 5000; i++) a.push((i * 7919) % 5003); a[10] = undefined; delete a[20]; a.sort(); return [a.slice(0, 5), a.slice(-3), a.length, 20 in a]; })()`,
		`(() => { const a = []; for (let i = 0; i < 5000; i++) a.push('k' + ((i * 7919) % 5003)); return a.toSorted().slice(100, 105); })()`,
		`[1, 2, 3].toReversed()`,
		`[1, 2, 3].with(1, 'x')`,
		`(() => { const a = [1, 2]; a.unshift(0); a.shift(); a.pop(); return a; })()`,
		`Array.from('abc')`,
		`Array.from({ length: 3 }, (_, i) => i * i)`,
		`Array.from(new Set([1, 2, 2]))`,
		`Array.from(new Map([[1, 2]]))`,
		`Array.of(1, 2, 3)`,
		`Array(3).length`,
		`new Array(2, 3)`,
		`Array.prototype.slice.call({ 0: 'a', 1: 'b', length: 2 })`,
		`(function () { return Array.prototype.slice.call(arguments); })(1, 2, 3)`,
		`(function () { return [...arguments]; })(1, 2, 3)`,
		`Array.prototype.map.call('abc', c => c + c)`,
		`Array.prototype.join.call(new Uint8Array([1, 2]), '+')`,
		`(() => { class A extends Array {} const a = new A(); a.push(1); return [a instanceof A, a.length]; })()`,
		`Object.prototype.toString.call([])`,
		`[1, 2, 3].map.name + [].join.length + [].concat.length`,
		// calls with argument lists
		`Math.max.apply(null, [1, 5, 3])`,
		`Math.max.apply(null)`,
		`Math.max.apply(null, { length: 2, 0: 4, 1: 9 })`,
		`Reflect.apply(Math.min, null, [4, 2])`,
		`Reflect.construct(Date, [0]).getTime()`,
		`(() => { function F(a) { this.a = a; } return Reflect.construct(F, [1]).a; })()`,
		`String.fromCharCode.apply(null, [104, 105])`,
		// strings
		`'ab'.repeat(3) + 'x'.repeat(0)`,
		`'x'.padStart(5, 'ab') + '|' + 'x'.padEnd(3) + '|' + 'abc'.padStart(2)`,
		`'a'.concat('b', 1, null, undefined)`,
		`'a-b-c'.replace('-', '+')`,
		`'a-b-c'.replace(/-/g, '+')`,
		`'abc'.replace(/(\w)/g, '[$1]')`,
		`'abc'.replace(/b/, '$&$&$\u0060$\'')`,
		`'abc'.replace(/(?<x>b)/, '<$<x>>')`,
		`'abc'.replace(/b/, m => m.toUpperCase())`,
		`'abcb'.replace(/b/g, (m, i) => i)`,
		`'a-b-c'.replaceAll('-', '$&$&')`,
		`'a-b-c'.replaceAll(/-/g, () => '.')`,
		`'a-b-c'.split('-')`,
		`'abc'.split('')`,
		`'a1b2c'.split(/\d/)`,
		`'a-b-c'.split('-', 2)`,
		`'abc'.split()`,
		`'abc'.match(/b/).index`,
		`'abcabc'.match(/b/g)`,
		`'a.c'.match('.')[0]`,
		`[...'a1b2'.matchAll(/\d/g)].map(m => m[0])`,
		`'abc'.search('c')`,
		`[...'héllo']`,
		`String.raw` + "`a\\nb${1}c`",
		`String.raw({ raw: ['x', 'y', 'z'] }, 1, 2)`,
		`String.prototype.repeat.call(12, 2)`,
		// JSON
		`JSON.stringify({ a: [1, { b: 2 }], c: 'x', d: undefined, e: () => 1 })`,
		`JSON.stringify({ a: 1, b: { a: 2, c: 3 } }, ['a', 'b'])`,
		`JSON.stringify({ a: 1, b: [1, 2] }, (k, v) => typeof v === 'number' ? v * 10 : v)`,
		`JSON.stringify({ a: [1, { b: 2 }] }, null, 2)`,
		`JSON.stringify({ a: 1 }, null, '--')`,
		`JSON.stringify(new Date(0))`,
		`JSON.stringify({ toJSON() { return { x: 1 }; } })`,
		`JSON.stringify(undefined) === undefined`,
		`JSON.stringify('s') + JSON.stringify(1) + JSON.stringify(null)`,
		`(() => { const a = {}; a.self = a; return JSON.stringify(a); })()`,
		`(() => { const shared = { x: 1 }; return JSON.stringify([shared, shared]); })()`,
		`JSON.parse('{"a":[1,2,{"b":null}]}')`,
		`JSON.parse('[1,2]', (k, v) => typeof v === 'number' ? v + 1 : v)`,
		`JSON.parse('{')`,
		// typed arrays and buffers
		`new Uint8Array([1, 2, 3]).join()`,
		`new Uint8Array(4).length + new ArrayBuffer(8).byteLength`,
		`Uint8Array.from([1, 2]).join()`,
		`new Float64Array(new ArrayBuffer(16)).length`,
		`new Uint8Array(3) instanceof Uint8Array`,
		`new Uint8Array([1, 2]).map(x => x * 2).join()`,
		`new Uint8Array([1, 2, 3]).subarray(1).join() + new Uint8Array([1, 2, 3]).slice(1).join()`,
		`new Int16Array(new Uint8Array([1, 2])).join()`,
		`new Uint8Array(new Set([5])).join()`,
		`Object.prototype.toString.call(new Uint8Array(1))`,
		`(() => { class B extends Uint8Array {} return new B(2).length; })()`,
		// regular expressions
		`new RegExp('a+', 'g').test('aa')`,
		`RegExp('x') instanceof RegExp`,
		`/a/.constructor === RegExp`,
		`'a,b'.split(/,/)`,
		`new RegExp(/ab/g).flags`,
		`new RegExp(/ab/g, 'i').flags`,
		`String(new RegExp())`,
		// functions and errors
		`(() => { class E extends Error { constructor(m) { super(m); this.name = 'E'; } } const e = new E('x'); return [e.name, e.message, e instanceof Error]; })()`,
		`(() => 1) instanceof Function`,
		`(async () => 1) instanceof Function`,
		`typeof Function`,
		`(function () {}).constructor === Function`,
		`Object.getPrototypeOf(function* () {}) !== Function.prototype`,
		// objects, maps and sets
		`[Object.keys('ab'), Object.values({ a: 1, b: [2] }), Object.entries('ab'), Object.getOwnPropertyNames('ab')]`,
		`Object.keys([1, , 3]).concat(Reflect.ownKeys({ a: 1, [Symbol.iterator]: 2 }).length)`,
		`Object.assign({ a: 1 }, null, 'xy', { b: 2 }, undefined)`,
		`(() => { const o = Object.freeze({ a: 1 }); return [Object.isFrozen(o), Object.isSealed(Object.seal({})), Object.isFrozen(1)]; })()`,
		`Object.keys(Object.getOwnPropertyDescriptors({ get a() { return 1; }, b: 2 }))`,
		`Object.defineProperties({}, { a: { value: 1, enumerable: true } })`,
		`(() => { class L { get length() { return 5; } } return Object.keys(new L()).length; })()`,
		`Object.keys({ length: 3, 0: 'a' })`,
		`[...new Map([[1, 'a'], [2, 'b']])].concat([...new Set('aab')], Array.from(new Map([[3, 4]]).keys()))`,
		`[Set.prototype.keys === Set.prototype.values, Set.prototype[Symbol.iterator] === Set.prototype.values, Map.prototype[Symbol.iterator] === Map.prototype.entries, Map.prototype.entries.name, Set.prototype.values.length]`,
		`(() => { try { Map.prototype.keys.call({}); } catch (e) { return e.name; } })()`,
		// strings and regular expressions
		`['AbC'.toLowerCase(), ' a '.trim(), 'abc'.localeCompare('abd'), 'abc'.indexOf('c'), 'abc'.includes('b', 1), 'é'.normalize('NFD').length]`,
		`['a-b-c'.split('-', 2), 'abc'.split(''), 'a1b2'.split(/\d/), 'abc'.split()]`,
		`[encodeURIComponent('a b&'), decodeURIComponent('%41'), escape('ä'), encodeURI('/a b')]`,
		`['aaa'.match(/a/g), [...'aba'.matchAll(/a/g)].map((m) => m.index), 'aXa'.replace(/a/g, (m) => m.toUpperCase()), 'aa'.replaceAll('a', '$&$&')]`,
		`[/a/g[Symbol.replace]('aa', 'b'), /b/[Symbol.search]('ab'), /,/[Symbol.split]('a,b'), /a/.exec('ba').index, /a/y.test('ba')]`,
		// goja's fast path for regular expressions needs the original exec.
		`String(RegExp.prototype.exec)`,
		`String.prototype.toUpperCase.call({ toString() { return 'obj'; } })`,
		`(() => { try { String.prototype.trim.call(null); } catch (e) { return e.name; } })()`,
		`[''.padEnd.name, ''.toLowerCase.name, ''.localeCompare.length, ''.indexOf.length]`,
		`JSON.parse('{"a":[1,2,{"b":"c,:"}]}')`,
	}
	for _, expr := range exprs {
		if got, want := evalGuarded(t, expr), evalPlain(t, expr); got != want {
			t.Errorf("%s\n got %s\nwant %s", expr, got, want)
		}
	}
}

// TestGuardsRefuse checks the sizes the guards refuse, each quickly.
func TestGuardsRefuse(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`'x'.repeat(2 ** 29)`, "threw RangeError"},
		{`'xy'.repeat(2 ** 23 + 1)`, "threw RangeError"},
		{`'x'.padStart(2 ** 30)`, "threw RangeError"},
		{`'x'.padEnd(2 ** 30, 'ab')`, "threw RangeError"},
		{`''.padEnd(2 ** 30, '')`, `""`},
		{`(() => { const s = 'x'.repeat(2 ** 20); return ''.concat(...Array(17).fill(s)); })()`, "threw RangeError"},
		{`(() => { const s = 'x'.repeat(2 ** 20); return Array(17).fill(s).join(''); })()`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 25] = 1; return a.join(''); })()`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 25] = 1; return [...a]; })()`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 25] = 1; return a.indexOf(5); })()`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 32 - 2] = 1; return a.forEach(() => {}); })()`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 25] = 1; for (const x of a) {} })()`, "threw RangeError"},
		{`Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1)`, "threw RangeError"},
		{`Array.prototype.indexOf.call({ get length() { return 2; } }, 1)`, "threw TypeError"},
		{`Array.from({ length: 2 ** 32 })`, "threw RangeError"},
		{`Math.max.apply(null, { length: 2 ** 32 })`, "threw RangeError"},
		{`Reflect.apply(Math.max, null, { length: 2 ** 32 })`, "threw RangeError"},
		{`[].concat(...Array(3).fill(Array(2 ** 19)))`, "threw RangeError"},
		{`[Array(2 ** 20 + 1)].flat()`, "threw RangeError"},
		{`[1, 2].flatMap(() => Array(2 ** 20 + 1))`, "threw RangeError"},
		{`(() => { let a = ['x'.repeat(2 ** 16)]; for (let i = 0; i < 40; i++) a = [a, a]; return JSON.stringify(a); })()`, "threw RangeError"},
		{`(() => { let a = []; for (let i = 0; i < 2000; i++) a = [a]; return JSON.stringify(a); })()`, "threw RangeError"},
		{`JSON.parse('['.repeat(2000) + ']'.repeat(2000))`, "threw SyntaxError"},
		{`'ab'.repeat(2 ** 19).replace(/a/g, 'x'.repeat(2 ** 10))`, "threw RangeError"},
		{`'ab'.repeat(2 ** 12).replace(/a/g, "$'")`, "threw RangeError"},
		{`(() => { const s = 'x'.repeat(2 ** 20); return 'ab'.repeat(2 ** 10).replace(/a/g, () => s); })()`, "threw RangeError"},
		{`'x'.repeat(2 ** 21).split('')`, "threw RangeError"},
		{`[...'x'.repeat(2 ** 21)]`, "threw RangeError"},
		{`new ArrayBuffer(2 ** 31)`, "threw RangeError"},
		{`new Float64Array(2 ** 28)`, "threw RangeError"},
		{`new Uint8Array({ length: 2 ** 30 })`, "threw RangeError"},
		{`Uint8Array.from({ length: 2 ** 30 })`, "threw RangeError"},
		{`new RegExp('a'.repeat(2 ** 16))`, "threw SyntaxError"},
		{`'a'.match('a'.repeat(2 ** 16))`, "threw SyntaxError"},
		{`typeof eval + typeof BigInt + typeof Proxy + typeof BigInt64Array + typeof GoError`, `"undefinedundefinedundefinedundefinedundefined"`},
		{`Function('return 1')()`, "threw Error"},
		{`new Function('return 1')`, "threw Error"},
		{`(function () {}).constructor('return 1')`, "threw Error"},
		{`(async function () {}).constructor('return 1')`, "threw Error"},
		{`(function* () {}).constructor('yield 1')`, "threw Error"},
		{`typeof new DataView(new ArrayBuffer(8)).getBigInt64`, `"undefined"`},
		// Enumerations: the limit is 2^15 properties.
		{`Object.keys('x'.repeat(2 ** 15)).length`, `32768`},
		{`Object.keys('x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`Object.keys('x'.repeat(2 ** 24 - 1))`, "threw RangeError"},
		{`Object.entries('x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`Object.values(Object('x'.repeat(2 ** 15 + 1)))`, "threw RangeError"},
		{`Object.getOwnPropertyNames(Object('x'.repeat(2 ** 15 + 1)))`, "threw RangeError"},
		{`Object.getOwnPropertyDescriptors('x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`Reflect.ownKeys(Object('x'.repeat(2 ** 15 + 1)))`, "threw RangeError"},
		{`Object.assign({}, 'x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`Object.assign({}, {}, Array(2 ** 15 + 1))`, "threw RangeError"},
		{`Object.freeze(Object('x'.repeat(2 ** 15 + 1)))`, "threw RangeError"},
		{`Object.defineProperties({}, 'x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`(() => { const a = []; a[2 ** 20] = 1; return Object.entries(a); })()`, "threw RangeError"},
		// An ordinary object is counted before the costly enumerations
		// only: Object.keys allocates about what the object holds.
		{`(() => { const o = {}; for (let i = 0; i <= 2 ** 15; i++) o['k' + i] = i; return Object.keys(o).length; })()`, `32769`},
		{`(() => { const o = {}; for (let i = 0; i <= 2 ** 15; i++) o['k' + i] = i; return Object.entries(o); })()`, "threw RangeError"},
		{`(() => { const o = {}; for (let i = 0; i <= 2 ** 15; i++) o['k' + i] = i; return Object.assign({}, o); })()`, "threw RangeError"},
		{`(() => { const m = new Map(); for (let i = 0; i <= 2 ** 15; i++) m.set(i, i); return [...m]; })()`, "threw RangeError"},
		{`(() => { const m = new Set(); for (let i = 0; i <= 2 ** 15; i++) m.add(i); return Array.from(m.values()); })()`, "threw RangeError"},
		{`(() => { const m = new Set(); for (let i = 0; i < 2 ** 15; i++) m.add(i); return [...m].length; })()`, `32768`},
		{`new Uint8Array(2 ** 15 + 1)`, "threw RangeError"},
		{`new Uint8Array(new ArrayBuffer(2 ** 16))`, "threw RangeError"},
		// Strings beyond 2^20 code units, built with +, reach no built-in.
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return [s.length, s.toUpperCase()]; })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return s.localeCompare(s); })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return 'x'.indexOf(s); })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return encodeURIComponent(s); })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return /y/.test(s); })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return JSON.parse(s); })()`, "threw RangeError"},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return s.trim(); })()`, "threw RangeError"},
		// Slices take time and memory in proportion to their result.
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return s.slice(1).length; })()`, `2097151`},
		{`(() => { let s = 'x'; while (s.length <= 2 ** 20) s += s; return s.charCodeAt(5) + s.length; })()`, `2097272`},
		// Global searches collect every match first.
		{`'x'.repeat(2 ** 15 - 1).replace(/x/g, 'y').length`, `32767`},
		{`'x'.repeat(2 ** 15 + 1).replace(/x/g, 'y')`, "threw RangeError"},
		{`'x'.repeat(2 ** 15 + 1).replace(/x/g, () => 'y')`, "threw RangeError"},
		{`'x'.repeat(2 ** 15 + 1).replace(/x/, 'y').length`, `32769`},
		{`'x'.repeat(2 ** 15 + 1).replaceAll('x', 'y')`, "threw RangeError"},
		{`'xx'.repeat(2 ** 15 - 1).replaceAll('xx', 'y').length`, `32767`},
		{`'x'.repeat(2 ** 15 + 1).match(/x/g)`, "threw RangeError"},
		{`'x'.repeat(2 ** 15 + 1).matchAll(/x/g)`, "threw RangeError"},
		{`/x/g[Symbol.replace]('x'.repeat(2 ** 15 + 1), 'y')`, "threw RangeError"},
		{`/x/g[Symbol.match]('x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`/x/[Symbol.split]('x'.repeat(2 ** 15 + 1))`, "threw RangeError"},
		{`'x'.repeat(2 ** 15 + 1).split('', 2 ** 20)`, "threw RangeError"},
		{`'x'.repeat(2 ** 15 + 1).split('', 3)`, `["x","x","x"]`},
		{`JSON.stringify(Array.from({ length: 2 ** 15 }, (_, i) => i * 1.5)).length`, `221969`},
		{`JSON.stringify(Array(2 ** 15).fill('x'.repeat(40)))`, "threw RangeError"},
		{`JSON.parse('[' + '1,'.repeat(2 ** 15) + '1]')`, "threw RangeError"},
		{`JSON.parse('[' + '1,'.repeat(2 ** 15 - 2) + '1]').length`, `32767`},
	} {
		start := time.Now()
		if got := evalGuarded(t, tc.expr); got != tc.want {
			t.Errorf("%s: got %.200s, want %s", tc.expr, got, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v", tc.expr, d)
		}
	}
}

func TestJSONShape(t *testing.T) {
	v := &vm{rt: goja.New()}
	for in, want := range map[string][2]int64{
		``:                          {0, 1},
		`1`:                         {0, 1},
		`[]`:                        {1, 2},
		`[1,2,3]`:                   {1, 4},
		`{"a":[{"b":[]}]}`:          {4, 7},
		`["[[[[", {"x": "\"[[,:"}]`: {2, 5},
		strings.Repeat("[", 5) + strings.Repeat("]", 5): {5, 6},
	} {
		got := v.hostJSONShape(goja.FunctionCall{Arguments: []goja.Value{v.rt.ToValue(in)}}).Export().([]any)
		if got[0].(int64) != want[0] || got[1].(int64) != want[1] {
			t.Errorf("shape of %s = %v, want %v", in, got, want)
		}
	}
}
