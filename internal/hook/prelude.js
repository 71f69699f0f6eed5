// prelude.js runs once in every goja runtime credo creates, before any script.
// It installs the globals credo provides (console, timers, the legacy Hook
// error classes) and wraps the built-ins that can allocate without bound or
// loop without bound in one native call, which vm.Interrupt cannot stop.
// Every wrapper calls the original built-in; it only refuses sizes beyond the
// limits passed in from Go. The function returns the values Go keeps.
(function (host, limits) {
	'use strict';

	const G = globalThis;
	const O = Object;
	const A = Array;
	const S = String;
	const FP = Function.prototype;
	// callWith(f, thisArg, ...args) calls f like f.call(thisArg, ...args)
	// without allocating an argument array.
	const callWith = FP.call.bind(FP.call);
	const reflectApply = Reflect.apply;
	const reflectConstruct = Reflect.construct;
	const defineProperty = O.defineProperty;
	const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
	const getOwnPropertyNames = O.getOwnPropertyNames;
	const getPrototypeOf = O.getPrototypeOf;
	const isArray = A.isArray;
	const freeze = O.freeze;
	const ProxyCtor = Proxy;
	const Err = Error;
	const RangeErr = RangeError;
	const TypeErr = TypeError;
	const SyntaxErr = SyntaxError;
	const mathFloor = Math.floor;
	const mathMin = Math.min;
	const numberIsNaN = Number.isNaN;
	const symIterator = Symbol.iterator;
	const symSpreadable = Symbol.isConcatSpreadable;
	const symMatch = Symbol.match;
	const symMatchAll = Symbol.matchAll;
	const symSearch = Symbol.search;
	const symHasInstance = Symbol.hasInstance;
	const ordinaryHasInstance = Function.prototype[symHasInstance];
	const ArrayBufferCtor = ArrayBuffer;
	const isView = ArrayBufferCtor.isView;
	const RegExpCtor = RegExp;
	const nativeJoin = A.prototype.join;
	const nativeStringify = JSON.stringify;
	const nativeParse = JSON.parse;
	const TypedArrayProto = getPrototypeOf(Uint8Array.prototype);
	const typedArrayLength = getOwnPropertyDescriptor(TypedArrayProto, 'length').get;

	const MAX_STRING = limits.maxString;
	const MAX_LENGTH = limits.maxLength;
	const MAX_BYTES = limits.maxBytes;
	const MAX_DEPTH = limits.maxDepth;
	const MAX_PATTERN = limits.maxPattern;
	const PRODUCT = limits.product;

	function stringTooLong() {
		return new RangeErr('Invalid string length');
	}
	function arrayTooLong() {
		return new RangeErr('Invalid array length');
	}
	function isObject(v) {
		return (typeof v === 'object' && v !== null) || typeof v === 'function';
	}
	function toLength(v) {
		const n = +v;
		if (!(n > 0)) {
			return 0;
		}
		return mathMin(mathFloor(n), 9007199254740991);
	}
	function toIntegerOrInfinity(v) {
		const n = +v;
		if (numberIsNaN(n)) {
			return 0;
		}
		return n < 0 ? -mathFloor(-n) : mathFloor(n);
	}

	// stableLength returns LengthOfArrayLike(o) and makes sure a built-in
	// reading o.length afterwards sees the same value: arrays, strings and
	// typed arrays have a fixed length, and so does a plain data property
	// holding a primitive. An accessor (or an object whose valueOf runs code)
	// could report a small length to the guard and a huge one to the built-in.
	function stableLength(o) {
		if (o === null || o === undefined) {
			return 0;
		}
		if (typeof o === 'string') {
			return o.length;
		}
		if (!isObject(o)) {
			return 0;
		}
		if (isArray(o)) {
			return o.length;
		}
		for (let p = o; p !== null; p = getPrototypeOf(p)) {
			const d = getOwnPropertyDescriptor(p, 'length');
			if (d === undefined) {
				continue;
			}
			if (d.get === typedArrayLength && isView(o)) {
				return reflectApply(typedArrayLength, o, []);
			}
			if (!('value' in d) || isObject(d.value)) {
				throw new TypeErr('array-like objects with a computed length are not supported in ' + PRODUCT);
			}
			return toLength(d.value);
		}
		return 0;
	}
	function checkLength(o) {
		if (stableLength(o) > MAX_LENGTH) {
			throw arrayTooLong();
		}
	}

	// replace swaps obj[key] for fn, keeping the original's name, length and
	// attributes so that scripts see the same shape.
	function replace(obj, key, fn) {
		const d = getOwnPropertyDescriptor(obj, key);
		const orig = d.value;
		defineProperty(fn, 'name', { value: orig.name, configurable: true });
		defineProperty(fn, 'length', { value: orig.length, configurable: true });
		defineProperty(obj, key, { value: fn, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
		return orig;
	}
	// guardReceiver wraps a generic Array.prototype method whose running time
	// or allocation is proportional to this.length.
	// The wrappers take fixed parameters where the built-in cannot tell an
	// absent argument from undefined, which spares an array per call.
	function guardReceiver(obj, key) {
		const orig = obj[key];
		let m;
		switch (arity[key]) {
		case 0:
			m = ({ m() { checkLength(this); return callWith(orig, this); } }).m;
			break;
		case 2:
			m = ({ m(a, b) { checkLength(this); return callWith(orig, this, a, b); } }).m;
			break;
		case 3:
			m = ({ m(a, b, c) { checkLength(this); return callWith(orig, this, a, b, c); } }).m;
			break;
		case 'callback':
			m = ({
				m(callback, thisArg) {
					checkLength(this);
					return callWith(orig, this, interruptible(callback, thisArg, 3), thisArg);
				},
			}).m;
			break;
		case 'reduce':
			// The second argument is the initial value; its absence matters.
			m = ({
				m(...args) {
					checkLength(this);
					args[0] = interruptible(args[0], undefined, 4);
					return reflectApply(orig, this, args);
				},
			}).m;
			break;
		default:
			m = ({ m(...args) { checkLength(this); return reflectApply(orig, this, args); } }).m;
		}
		replace(obj, key, m);
	}
	// interruptible wraps a callback in a JavaScript function. goja checks
	// for an interrupt only between JavaScript instructions, so a built-in
	// looping over a built-in callback (arr.map(re.test.bind(re))) could
	// not be stopped. The wrapper takes as many arguments as the built-in
	// passes and calls through a bound call, which allocates nothing.
	function interruptible(callback, thisArg, arity) {
		if (typeof callback !== 'function') {
			return callback;
		}
		switch (arity) {
		case 2:
			return (a, b) => callWith(callback, thisArg, a, b);
		case 3:
			return (a, b, c) => callWith(callback, thisArg, a, b, c);
		}
		return (a, b, c, d) => callWith(callback, thisArg, a, b, c, d);
	}
	const arity = {
		keys: 0, values: 0, entries: 0, reverse: 0, shift: 0, toReversed: 0,
		indexOf: 2, includes: 2, slice: 2, with: 2,
		fill: 3, copyWithin: 3,
		every: 'callback', filter: 'callback', find: 'callback', findIndex: 'callback', findLast: 'callback',
		findLastIndex: 'callback', forEach: 'callback', map: 'callback', some: 'callback',
		reduce: 'reduce', reduceRight: 'reduce',
	};

	// --- Arrays ---
	const AP = A.prototype;
	const arrayGuards = {
		join(separator) {
			const o = O(this);
			const len = stableLength(o);
			if (len > MAX_LENGTH) {
				throw arrayTooLong();
			}
			const sep = separator === undefined ? ',' : S(separator);
			return joinParts(o, len, sep, false);
		},
		toLocaleString() {
			const o = O(this);
			const len = stableLength(o);
			if (len > MAX_LENGTH) {
				throw arrayTooLong();
			}
			return joinParts(o, len, ',', true);
		},
		concat(...items) {
			let total = spreadLength(this);
			for (let i = 0; i < items.length; i++) {
				total += spreadLength(items[i]);
				if (total > MAX_LENGTH) {
					throw arrayTooLong();
				}
			}
			return reflectApply(origConcat, this, items);
		},
		flat(depth) {
			const o = O(this);
			const len = stableLength(o);
			if (len > MAX_LENGTH) {
				throw arrayTooLong();
			}
			const out = [];
			flatten(out, o, len, depth === undefined ? 1 : toIntegerOrInfinity(depth));
			return out;
		},
		// The built-in sort compares natively, which for a long array takes
		// seconds that cannot be interrupted; the same order computed with a
		// comparator in JavaScript can be. The spec's default order compares
		// the elements' strings (undefined and holes never reach it).
		sort(comparefn) {
			if (comparefn === undefined && stableLength(this) > SORT_NATIVE) {
				comparefn = defaultCompare;
			}
			checkLength(this);
			return callWith(origSort, this, interruptible(comparefn, undefined, 2));
		},
		toSorted(comparefn) {
			if (comparefn === undefined && stableLength(this) > SORT_NATIVE) {
				comparefn = defaultCompare;
			}
			checkLength(this);
			return callWith(origToSorted, this, interruptible(comparefn, undefined, 2));
		},
		flatMap(callback, thisArg) {
			const o = O(this);
			const len = stableLength(o);
			if (len > MAX_LENGTH) {
				throw arrayTooLong();
			}
			if (typeof callback !== 'function') {
				throw new TypeErr('flatMap callback is not a function');
			}
			const out = [];
			for (let i = 0; i < len; i++) {
				if (!(i in o)) {
					continue;
				}
				const e = callWith(callback, thisArg, o[i], i, o);
				if (isArray(e)) {
					if (out.length + e.length > MAX_LENGTH) {
						throw arrayTooLong();
					}
					flatten(out, e, e.length, 0);
				} else {
					push(out, e);
				}
			}
			return out;
		},
	};
	// The cycle stack makes join behave like the built-in on self-containing
	// arrays (the inner occurrence becomes '').
	const joining = [];
	function joinParts(o, len, sep, locale) {
		for (let i = 0; i < joining.length; i++) {
			if (joining[i] === o) {
				return '';
			}
		}
		joining[joining.length] = o;
		try {
			let total = len > 0 ? (len - 1) * sep.length : 0;
			if (total > MAX_STRING) {
				throw stringTooLong();
			}
			const parts = new A(len);
			for (let i = 0; i < len; i++) {
				const e = o[i];
				let p = '';
				if (e !== undefined && e !== null) {
					p = locale ? S(e.toLocaleString()) : S(e);
				}
				total += p.length;
				if (total > MAX_STRING) {
					throw stringTooLong();
				}
				parts[i] = p;
			}
			return callWith(nativeJoin, parts, sep);
		} finally {
			joining.length--;
		}
	}
	function spreadLength(v) {
		if (!isObject(v)) {
			return 1;
		}
		const s = v[symSpreadable];
		if (s !== undefined ? !!s : isArray(v)) {
			return stableLength(v);
		}
		return 1;
	}
	function push(out, e) {
		if (out.length >= MAX_LENGTH) {
			throw arrayTooLong();
		}
		out[out.length] = e;
	}
	function flatten(out, src, len, depth) {
		if (len > MAX_LENGTH) {
			throw arrayTooLong();
		}
		for (let i = 0; i < len; i++) {
			if (!(i in src)) {
				continue;
			}
			const e = src[i];
			if (depth > 0 && isArray(e)) {
				flatten(out, e, e.length, depth - 1);
			} else {
				push(out, e);
			}
		}
	}
	const origConcat = AP.concat;
	const origSort = AP.sort;
	const origToSorted = AP.toSorted;
	const SORT_NATIVE = 4096;
	function defaultCompare(a, b) {
		const x = S(a);
		const y = S(b);
		return x < y ? -1 : (x > y ? 1 : 0);
	}
	for (const key of getOwnPropertyNames(arrayGuards)) {
		replace(AP, key, arrayGuards[key]);
	}
	// push, pop and at cost O(1) or O(arguments); toString calls the guarded
	// join.
	const unguarded = { constructor: 1, push: 1, pop: 1, at: 1, toString: 1, length: 1 };
	for (const key of getOwnPropertyNames(AP)) {
		if (unguarded[key] === 1 || arrayGuards[key] !== undefined || typeof AP[key] !== 'function') {
			continue;
		}
		guardReceiver(AP, key);
	}
	defineProperty(AP, symIterator, { value: AP.values, writable: true, enumerable: false, configurable: true });

	const origFrom = A.from;
	replace(A, 'from', ({
		from(items, ...rest) {
			// Iterables go through the guarded iterators; an array-like
			// makes the built-in loop over its length.
			if (isObject(items) && typeof items[symIterator] !== 'function') {
				checkLength(items);
			}
			if (rest.length > 0) {
				rest[0] = interruptible(rest[0], rest[1], 2);
			}
			return reflectApply(origFrom, this, [items, ...rest]);
		},
	}).from);

	// --- Calls with an argument list ---
	const origApply = FP.apply;
	replace(FP, 'apply', ({
		apply(thisArg, argArray) {
			if (argArray !== undefined && argArray !== null) {
				checkLength(argArray);
			}
			return callWith(origApply, this, thisArg, argArray);
		},
	}).apply);
	replace(Reflect, 'apply', ({
		apply(target, thisArg, argList) {
			checkLength(argList);
			return reflectApply(target, thisArg, argList);
		},
	}).apply);
	replace(Reflect, 'construct', ({
		construct(target, argList, ...newTarget) {
			checkLength(argList);
			return reflectApply(reflectConstruct, undefined, [target, argList, ...newTarget]);
		},
	}).construct);

	// --- Strings ---
	const SP = S.prototype;
	const origRepeat = SP.repeat;
	const origPadStart = SP.padStart;
	const origPadEnd = SP.padEnd;
	const origConcatString = SP.concat;
	const origReplace = SP.replace;
	const origReplaceAll = SP.replaceAll;
	const origSplit = SP.split;
	const origMatch = SP.match;
	const origMatchAll = SP.matchAll;
	const origSearch = SP.search;
	const origStringIterator = SP[symIterator];
	function pad(orig, s, maxLength, fillString) {
		const n = toLength(maxLength);
		const fill = fillString === undefined ? ' ' : S(fillString);
		if (n > s.length && fill !== '' && n > MAX_STRING) {
			throw stringTooLong();
		}
		return callWith(orig, s, n, fill);
	}
	// isGlobal tells whether a search value is a global regular expression.
	function isGlobal(searchValue) {
		if (!isObject(searchValue)) {
			return false;
		}
		const flags = searchValue.flags;
		return flags !== undefined && flags !== null && S(flags).indexOf('g') >= 0;
	}
	// checkMatches bounds the matches a global search of s can find: the
	// built-ins collect them all (about 250 bytes each) before anything else
	// runs. It returns the bound.
	function checkMatches(s, searchValue) {
		let n = s.length + 1;
		if (typeof searchValue === 'string' && searchValue.length > 0) {
			n = mathFloor(s.length / searchValue.length) + 1;
		}
		if (n > MAX_LENGTH) {
			throw new RangeErr('Too many matches: a global search of a string longer than ' + MAX_LENGTH +
				' characters is not supported in ' + PRODUCT);
		}
		return n;
	}
	function replacement(s, searchValue, replaceValue, all) {
		if (typeof replaceValue === 'function') {
			if (all || isGlobal(searchValue)) {
				checkMatches(s, searchValue);
			}
			let total = s.length;
			return function () {
				const r = S(reflectApply(replaceValue, undefined, arguments));
				total += r.length;
				if (total > MAX_STRING) {
					throw stringTooLong();
				}
				return r;
			};
		}
		const global = all || isGlobal(searchValue);
		const matches = global ? checkMatches(s, searchValue) : 1;
		const r = S(replaceValue);
		// $& and $n expand to (parts of) the match, which sum to at most
		// s.length over all matches; $` and $' expand to a prefix or
		// suffix for every match.
		let linear = 0;
		let quadratic = 0;
		for (let i = r.indexOf('$'); i >= 0 && i + 1 < r.length; i = r.indexOf('$', i + 2)) {
			const c = r[i + 1];
			if (c === '`' || c === '\'') {
				quadratic++;
			} else if (c === '&' || c === '<' || (c >= '0' && c <= '9')) {
				linear++;
			}
		}
		const estimate = s.length + matches * r.length + linear * s.length + quadratic * matches * s.length;
		if (estimate > MAX_STRING) {
			throw stringTooLong();
		}
		return r;
	}
	function patternArg(v, sym) {
		if (v === undefined || v === null) {
			return v;
		}
		if (isObject(v) && typeof v[sym] === 'function') {
			return v;
		}
		const p = S(v);
		if (p.length > MAX_PATTERN) {
			throw new SyntaxErr('Invalid regular expression: pattern too large');
		}
		return p;
	}
	const stringGuards = {
		repeat(count) {
			if (this === undefined || this === null) {
				return reflectApply(origRepeat, this, [count]);
			}
			const s = S(this);
			const n = toIntegerOrInfinity(count);
			if (n > 0 && n !== Infinity && s.length * n > MAX_STRING) {
				throw stringTooLong();
			}
			return callWith(origRepeat, s, n);
		},
		padStart(maxLength, fillString) {
			if (this === undefined || this === null) {
				return reflectApply(origPadStart, this, [maxLength, fillString]);
			}
			return pad(origPadStart, S(this), maxLength, fillString);
		},
		padEnd(maxLength, fillString) {
			if (this === undefined || this === null) {
				return reflectApply(origPadEnd, this, [maxLength, fillString]);
			}
			return pad(origPadEnd, S(this), maxLength, fillString);
		},
		concat(...args) {
			if (this === undefined || this === null) {
				return reflectApply(origConcatString, this, args);
			}
			const parts = [S(this)];
			let total = parts[0].length;
			for (let i = 0; i < args.length; i++) {
				const p = S(args[i]);
				total += p.length;
				if (total > MAX_STRING) {
					throw stringTooLong();
				}
				parts[i + 1] = p;
			}
			return callWith(nativeJoin, parts, '');
		},
		replace(searchValue, replaceValue) {
			if (this === undefined || this === null) {
				return reflectApply(origReplace, this, [searchValue, replaceValue]);
			}
			const s = S(this);
			return callWith(origReplace, s, searchValue, replacement(s, searchValue, replaceValue, false));
		},
		replaceAll(searchValue, replaceValue) {
			if (this === undefined || this === null) {
				return reflectApply(origReplaceAll, this, [searchValue, replaceValue]);
			}
			const s = S(this);
			return callWith(origReplaceAll, s, searchValue, replacement(s, searchValue, replaceValue, true));
		},
		split(separator, limit) {
			if (this === undefined || this === null) {
				return reflectApply(origSplit, this, [separator, limit]);
			}
			const s = S(this);
			let estimate = s.length + 1;
			if (typeof separator === 'string' && separator.length > 0) {
				estimate = s.length / separator.length + 1;
			}
			if (limit !== undefined) {
				estimate = mathMin(estimate, +limit >>> 0);
			}
			if (estimate > MAX_LENGTH) {
				throw arrayTooLong();
			}
			return callWith(origSplit, s, separator, limit);
		},
		match(regexp) {
			if (this !== undefined && this !== null && isGlobal(regexp)) {
				checkMatches(S(this), regexp);
			}
			return callWith(origMatch, this, patternArg(regexp, symMatch));
		},
		matchAll(regexp) {
			if (this !== undefined && this !== null && regexp !== undefined && regexp !== null) {
				checkMatches(S(this), typeof regexp === 'string' ? '' : regexp);
			}
			return callWith(origMatchAll, this, patternArg(regexp, symMatchAll));
		},
		search(regexp) {
			return callWith(origSearch, this, patternArg(regexp, symSearch));
		},
	};
	for (const key of getOwnPropertyNames(stringGuards)) {
		replace(SP, key, stringGuards[key]);
	}
	// Every other method that scans its receiver or a string argument
	// (toUpperCase, normalize, localeCompare, indexOf, trim, …) refuses
	// strings longer than MAX_STRING: goja builds strings with + without a
	// limit, and one such call on a string of tens of millions of
	// characters runs for a second or more. The receiver is converted once,
	// as the built-in would.
	// The methods left out take constant time, or time and memory
	// proportional to their result or to a prefix (slice, startsWith).
	const constantTime = {
		constructor: 1, toString: 1, valueOf: 1, at: 1, charAt: 1, charCodeAt: 1, codePointAt: 1,
		slice: 1, substring: 1, substr: 1, startsWith: 1, endsWith: 1,
	};
	function checkString(v) {
		if (typeof v === 'string' && v.length > MAX_STRING) {
			throw stringTooLong();
		}
	}
	function guardStringMethod(key) {
		const orig = SP[key];
		replace(SP, key, ({
			m(...args) {
				if (this === undefined || this === null) {
					return reflectApply(orig, this, args);
				}
				const s = S(this);
				checkString(s);
				for (let i = 0; i < args.length; i++) {
					checkString(args[i]);
				}
				return reflectApply(orig, s, args);
			},
		}).m);
	}
	for (const key of getOwnPropertyNames(SP)) {
		if (constantTime[key] === 1 || stringGuards[key] !== undefined || typeof SP[key] !== 'function') {
			continue;
		}
		guardStringMethod(key);
	}
	for (const key of ['encodeURI', 'encodeURIComponent', 'decodeURI', 'decodeURIComponent', 'escape', 'unescape']) {
		if (typeof G[key] !== 'function') {
			continue;
		}
		const orig = G[key];
		replace(G, key, ({
			m(v) {
				const str = S(v);
				checkString(str);
				return callWith(orig, undefined, str);
			},
		}).m);
	}

	// --- Regular expressions called directly ---
	// The RegExp methods the String methods above call can be called
	// directly too (re[Symbol.replace](s, x), re.exec(s)).
	const RP = RegExpCtor.prototype;
	// all is true for the methods that find every match of a global
	// regular expression, and 'always' for split, which finds every match.
	function guardRegExpMethod(key, all) {
		const orig = RP[key];
		const m = ({
			m(str, ...rest) {
				const s = S(str);
				checkString(s);
				if (all === 'always' || (all && isGlobal(this))) {
					checkMatches(s, this);
				}
				return reflectApply(orig, this, [s, ...rest]);
			},
		}).m;
		defineProperty(m, 'name', { value: orig.name, configurable: true });
		defineProperty(m, 'length', { value: orig.length, configurable: true });
		defineProperty(RP, key, { value: m, writable: true, enumerable: false, configurable: true });
	}
	// exec stays as it is: goja runs every regular expression method on a
	// fast path only while RegExp.prototype.exec is the original (a
	// wrapped exec made a global replace of 32 Ki matches 17 times slower).
	guardRegExpMethod('test', false);
	guardRegExpMethod(symSearch, false);
	guardRegExpMethod(symMatch, true);
	guardRegExpMethod(symMatchAll, true);
	guardRegExpMethod(Symbol.replace, true);
	guardRegExpMethod(Symbol.split, 'always');
	const stringIterator = ({
		[symIterator]() {
			if (this !== undefined && this !== null && S(this).length > MAX_LENGTH) {
				throw arrayTooLong();
			}
			return callWith(origStringIterator, this);
		},
	})[symIterator];
	defineProperty(stringIterator, 'name', { value: '[Symbol.iterator]', configurable: true });
	defineProperty(SP, symIterator, { value: stringIterator, writable: true, enumerable: false, configurable: true });
	const origRaw = S.raw;
	replace(S, 'raw', ({
		raw(template, ...subs) {
			const raw = O(O(template).raw);
			const len = stableLength(raw);
			if (len > MAX_LENGTH) {
				throw arrayTooLong();
			}
			let total = 0;
			for (let i = 0; i < len; i++) {
				total += S(raw[i]).length + (i < subs.length ? S(subs[i]).length : 0);
				if (total > MAX_STRING) {
					throw stringTooLong();
				}
			}
			return reflectApply(origRaw, this, [template, ...subs]);
		},
	}).raw);

	// --- Enumerating an object's properties ---
	// A string or a typed array has a property per element that takes no
	// memory until a built-in enumerates it; Object.entries of a string of
	// 16 Mi characters allocated about 13 GB in one call. ownCount returns
	// how many properties a built-in would enumerate when that can be told
	// without enumerating (a string's or an array-like's own length), and
	// otherwise -1.
	const nativeKeys = O.keys;
	function ownCount(o) {
		if (typeof o === 'string') {
			return o.length;
		}
		if (!isObject(o)) {
			return 0;
		}
		const d = getOwnPropertyDescriptor(o, 'length');
		if (d !== undefined && typeof d.value === 'number') {
			return d.value;
		}
		if (isView(o)) {
			return 0; // bounded by MAX_BYTES
		}
		return -1;
	}
	// checkOwn refuses an object with more than MAX_LENGTH own properties.
	// With costly set, built-ins that allocate much more per property than
	// the object holds (entries, descriptors, copies) first count the
	// properties of an ordinary object, which costs what Object.keys does.
	function checkOwn(o, costly) {
		let n = ownCount(o);
		if (n < 0 && costly) {
			n = getOwnPropertyNames(o).length;
		}
		if (n > MAX_LENGTH) {
			throw new RangeErr('Invalid array length: more than ' + MAX_LENGTH + ' properties');
		}
	}
	function guardObjectFunction(obj, key, costly) {
		const orig = obj[key];
		if (typeof orig !== 'function') {
			return;
		}
		replace(obj, key, ({
			m(o, ...rest) {
				checkOwn(o, costly);
				return reflectApply(orig, this, [o, ...rest]);
			},
		}).m);
	}
	for (const key of ['keys', 'getOwnPropertyNames', 'getOwnPropertySymbols']) {
		guardObjectFunction(O, key, false);
	}
	guardObjectFunction(Reflect, 'ownKeys', false);
	for (const key of ['values', 'entries', 'getOwnPropertyDescriptors', 'freeze', 'seal', 'isFrozen', 'isSealed']) {
		guardObjectFunction(O, key, true);
	}
	const origAssign = O.assign;
	replace(O, 'assign', ({
		assign(target, ...sources) {
			for (let i = 0; i < sources.length; i++) {
				checkOwn(sources[i], true);
			}
			return reflectApply(origAssign, this, [target, ...sources]);
		},
	}).assign);
	const origDefineProperties = O.defineProperties;
	replace(O, 'defineProperties', ({
		defineProperties(o, props) {
			checkOwn(props, true);
			return callWith(origDefineProperties, this, o, props);
		},
	}).defineProperties);
	// spreadSource checks the value of an object spread ({...v}) or of a
	// destructuring with an object rest (const {a, ...rest} = v): Compile
	// rewrites both to pass the value through it.
	function spreadSource(v) {
		checkOwn(v, true);
		return v;
	}

	// Maps and sets: their iterators feed native loops (spreads,
	// Array.from, new Set(map.keys())).
	for (const C of [Map, Set]) {
		const P = C.prototype;
		const size = getOwnPropertyDescriptor(P, 'size').get;
		// Set.prototype.keys is values, and [Symbol.iterator] is values
		// (entries for Map): each original gets one wrapper.
		const wrapped = [];
		for (const key of ['entries', 'keys', 'values', symIterator]) {
			const orig = P[key];
			let m;
			for (let i = 0; i < wrapped.length; i++) {
				if (wrapped[i][0] === orig) {
					m = wrapped[i][1];
				}
			}
			if (m === undefined) {
				m = ({
					m() {
						if (reflectApply(size, this, []) > MAX_LENGTH) {
							throw new RangeErr('Invalid array length: more than ' + MAX_LENGTH + ' entries');
						}
						return callWith(orig, this);
					},
				}).m;
				wrapped[wrapped.length] = [orig, m];
			}
			replace(P, key, m);
		}
	}

	// --- JSON ---
	// The replacer sees every value the built-in serialises, after toJSON,
	// including each repetition of a shared object, so it can count the
	// output and the nesting depth as the built-in goes.
	replace(JSON, 'stringify', ({
		stringify(value, replacer, space) {
			let keep = null;
			let fn = null;
			if (typeof replacer === 'function') {
				fn = replacer;
			} else if (isArray(replacer)) {
				keep = new Set();
				const len = stableLength(replacer);
				if (len > MAX_LENGTH) {
					throw arrayTooLong();
				}
				for (let i = 0; i < len; i++) {
					const k = replacer[i];
					if (typeof k === 'string' || typeof k === 'number' || (isObject(k) && (k instanceof S || k instanceof Number))) {
						keep.add(S(k));
					}
				}
			}
			let indent = 0;
			if (typeof space === 'number' || space instanceof Number) {
				indent = mathMin(10, toIntegerOrInfinity(space));
			} else if (typeof space === 'string' || space instanceof S) {
				indent = mathMin(10, S(space).length);
			}
			const path = [];
			let total = 0;
			const wrapper = function (key, v) {
				const holder = this;
				while (path.length > 0 && path[path.length - 1] !== holder) {
					path.length--;
				}
				if (keep !== null && path.length > 0 && !isArray(holder) && !keep.has(key)) {
					return undefined;
				}
				if (fn !== null) {
					v = callWith(fn, holder, key, v);
				}
				total += key.length + 4 + indent * (path.length + 1);
				if (typeof v === 'string') {
					total += v.length;
				} else if (isObject(v) && typeof v !== 'function') {
					path[path.length] = v;
					if (path.length > MAX_DEPTH) {
						throw new RangeErr('JSON.stringify: nesting deeper than ' + MAX_DEPTH);
					}
				} else if (typeof v === 'number') {
					total += S(v).length;
				} else {
					total += 5; // true, false, null
				}
				if (total > MAX_STRING) {
					throw stringTooLong();
				}
				return v;
			};
			return callWith(nativeStringify, undefined, value, wrapper, space);
		},
	}).stringify);
	const stringify = JSON.stringify;
	replace(JSON, 'parse', ({
		parse(text, reviver) {
			const s = S(text);
			checkString(s);
			const shape = host.jsonShape(s);
			if (shape[0] > MAX_DEPTH) {
				throw new SyntaxErr('JSON.parse: nesting deeper than ' + MAX_DEPTH);
			}
			if (shape[1] > MAX_LENGTH) {
				throw new RangeErr('JSON.parse: more than ' + MAX_LENGTH + ' values');
			}
			return callWith(nativeParse, undefined, s, reviver);
		},
	}).parse);

	// --- Constructors that allocate in one step ---

	// proxyConstructor returns a Proxy of the constructor target. goja's
	// instanceof does not accept a Proxy, so the target gets a
	// Symbol.hasInstance (which the Proxy forwards) that answers for it.
	function proxyConstructor(target, handler) {
		const proxy = new ProxyCtor(target, handler);
		defineProperty(target, symHasInstance, {
			value: ({
				[symHasInstance](v) {
					return reflectApply(ordinaryHasInstance, this === proxy ? target : this, [v]);
				},
			})[symHasInstance],
			writable: false,
			enumerable: false,
			configurable: true,
		});
		return proxy;
	}
	function guardConstructor(name, check) {
		const target = G[name];
		const proxy = proxyConstructor(target, {
			construct(t, args, newTarget) {
				check(args);
				return reflectConstruct(t, args, newTarget);
			},
			apply(t, thisArg, args) {
				check(args);
				return reflectApply(t, thisArg, args);
			},
		});
		defineProperty(target.prototype, 'constructor', { value: proxy, writable: true, enumerable: false, configurable: true });
		defineProperty(G, name, { value: proxy, writable: true, enumerable: false, configurable: true });
	}
	function bufferTooLarge() {
		return new RangeErr('Array buffer allocation failed');
	}
	guardConstructor('ArrayBuffer', (args) => {
		if (toIntegerOrInfinity(args[0]) > MAX_BYTES) {
			throw bufferTooLarge();
		}
	});
	for (const name of ['Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array',
		'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array']) {
		const bytes = G[name].BYTES_PER_ELEMENT;
		guardConstructor(name, (args) => {
			const a = args[0];
			let n = 0;
			if (!isObject(a)) {
				n = toIntegerOrInfinity(a);
			} else if (a instanceof ArrayBufferCtor) {
				n = 0;
			} else if (isView(a) || typeof a[symIterator] !== 'function') {
				n = stableLength(a);
			}
			if (n * bytes > MAX_BYTES) {
				throw bufferTooLarge();
			}
		});
	}
	guardConstructor('RegExp', (args) => {
		const p = args[0];
		if (p instanceof RegExpCtor) {
			if (p.source.length > MAX_PATTERN) {
				throw new SyntaxErr('Invalid regular expression: pattern too large');
			}
			return;
		}
		if (p !== undefined) {
			args[0] = S(p);
			if (args[0].length > MAX_PATTERN) {
				throw new SyntaxErr('Invalid regular expression: pattern too large');
			}
		}
	});
	if (typeof RegExpCtor.prototype.compile === 'function') {
		const origCompile = RegExpCtor.prototype.compile;
		replace(RegExpCtor.prototype, 'compile', ({
			compile(pattern, flags) {
				if (pattern !== undefined && !(pattern instanceof RegExpCtor)) {
					pattern = S(pattern);
					if (pattern.length > MAX_PATTERN) {
						throw new SyntaxErr('Invalid regular expression: pattern too large');
					}
				}
				return reflectApply(origCompile, this, [pattern, flags]);
			},
		}).compile);
	}

	// --- No code generation from strings, no BigInt, no Proxy ---
	// eval and the Function constructors would compile code at run time,
	// outside Compile's checks; BigInt arithmetic allocates without bound in
	// one operation (2n ** 10n ** 12n); a Proxy could report one length to a
	// guard and another to the built-in.
	function noCodeGeneration() {
		throw new Err('code generation from strings is not available in ' + PRODUCT);
	}
	const refuse = { apply: noCodeGeneration, construct: noCodeGeneration };
	for (const fn of [Function, (async function () {}).constructor, (function* () {}).constructor]) {
		defineProperty(fn.prototype, 'constructor', { value: proxyConstructor(fn, refuse), writable: false, enumerable: false, configurable: true });
	}
	defineProperty(G, 'Function', { value: Function.prototype.constructor, writable: true, enumerable: false, configurable: true });
	const DVP = DataView.prototype;
	for (const key of ['getBigInt64', 'getBigUint64', 'setBigInt64', 'setBigUint64']) {
		delete DVP[key];
	}
	for (const key of ['eval', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Proxy', 'GoError']) {
		delete G[key];
	}

	// --- credo globals ---
	function formatValue(v) {
		if (typeof v === 'string') {
			return v;
		}
		if (v instanceof Err) {
			return S(v.stack || v);
		}
		if (typeof v === 'function') {
			return '[Function: ' + (v.name || 'anonymous') + ']';
		}
		if (typeof v === 'symbol') {
			return v.toString();
		}
		if (isObject(v)) {
			try {
				const j = stringify(v);
				if (j !== undefined) {
					return j;
				}
			} catch (e) {
				// fall through to String
			}
		}
		try {
			return S(v);
		} catch (e) {
			return '[object]';
		}
	}
	// format follows Node's util.format for the common directives.
	function format(args) {
		let out = '';
		let i = 0;
		if (typeof args[0] === 'string' && args.length > 1) {
			const f = args[0];
			i = 1;
			let last = 0;
			for (let j = f.indexOf('%'); j >= 0 && j + 1 < f.length; j = f.indexOf('%', j + 1)) {
				const c = f[j + 1];
				let rep;
				if (c === '%') {
					rep = '%';
				} else if (i >= args.length) {
					continue;
				} else if (c === 's') {
					rep = formatValue(args[i++]);
				} else if (c === 'd' || c === 'i') {
					const n = +args[i++];
					rep = S(c === 'i' ? toIntegerOrInfinity(n) : n);
				} else if (c === 'f') {
					rep = S(+args[i++]);
				} else if (c === 'j' || c === 'o' || c === 'O') {
					rep = formatValue(args[i++]);
				} else {
					continue;
				}
				out += f.slice(last, j) + rep;
				last = j + 2;
				j++;
			}
			out += f.slice(last);
		}
		for (; i < args.length; i++) {
			out += (out.length > 0 || i > 0 ? ' ' : '') + formatValue(args[i]);
			if (out.length > 4096) {
				break;
			}
		}
		return out;
	}
	function logger(name, level) {
		return ({
			[name](...args) {
				if (host.enabled(level)) {
					host.log(level, format(args));
				}
			},
		})[name];
	}
	const consoleObject = {
		log: logger('log', 0),
		info: logger('info', 0),
		dir: logger('dir', 0),
		warn: logger('warn', 1),
		error: logger('error', 2),
		debug: logger('debug', -1),
		trace: logger('trace', -1),
	};
	freeze(consoleObject);

	class InvalidScopeError extends Err {
		constructor(message) {
			super(message);
			this.name = 'InvalidScopeError';
		}
	}
	class InvalidRequestError extends Err {
		constructor(message) {
			super(message);
			this.name = 'InvalidRequestError';
		}
	}
	class ServerError extends Err {
		constructor(message) {
			super(message);
			this.name = 'ServerError';
		}
	}

	const resolved = Promise.resolve();
	const then = Promise.prototype.then;
	function queueMicrotask(callback) {
		if (typeof callback !== 'function') {
			throw new TypeErr('queueMicrotask: callback is not a function');
		}
		reflectApply(then, resolved, [() => {
			try {
				callback();
			} catch (e) {
				host.uncaught(e);
			}
		}]);
	}

	const globals = {
		console: consoleObject,
		InvalidScopeError,
		InvalidRequestError,
		ServerError,
		queueMicrotask,
		setTimeout: host.setTimeout,
		clearTimeout: host.clearTimeout,
		setInterval: host.setInterval,
		clearInterval: host.clearTimeout,
		setImmediate: host.setImmediate,
		clearImmediate: host.clearTimeout,
	};
	for (const key of getOwnPropertyNames(globals)) {
		defineProperty(G, key, { value: globals[key], writable: true, enumerable: false, configurable: true });
	}
	// Each execution runs with a fresh global object that inherits this
	// one; globalThis must name the fresh one, which is the receiver.
	defineProperty(G, 'globalThis', {
		get: ({ globalThis() { return this; } }).globalThis,
		enumerable: false,
		configurable: false,
	});
	freeze(G);

	// --- Entry points used by Go ---
	// They run the parts of an execution that touch objects the script
	// controls (module.exports may be a getter, an error's message may be
	// one), so that any code they trigger runs inside JavaScript, under the
	// execution's bounds.
	function require(name) {
		throw new Err('module \'' + S(name) + '\' is not available in ' + PRODUCT);
	}
	function loadModule(wrapper, filename, dirname) {
		const exports = {};
		const module = { exports, id: '.', filename, loaded: false };
		reflectApply(wrapper, exports, [exports, require, module, filename, dirname]);
		module.loaded = true;
		return module.exports;
	}
	function runAction(wrapper, filename, dirname, event, api) {
		const exports = loadModule(wrapper, filename, dirname);
		const handler = isObject(exports) ? exports.onExecuteCredentialsExchange : undefined;
		if (typeof handler !== 'function') {
			throw new TypeErr('the action does not export an onExecuteCredentialsExchange function');
		}
		return handler(event, api);
	}
	function runHook(wrapper, filename, dirname, client, scope, audience, context, cb) {
		const hook = loadModule(wrapper, filename, dirname);
		if (typeof hook !== 'function') {
			throw new TypeErr('the hook does not export a function (module.exports = function (client, scope, audience, context, cb) {…})');
		}
		return hook(client, scope, audience, context, cb);
	}
	// hookResult turns what the hook passed to cb into plain data: a
	// denial [code, message], or the scope and the namespaced claims
	// (name, JSON) of the access token.
	function hookResult(err, token) {
		if (err !== undefined && err !== null) {
			let code = 'server_error';
			if (err instanceof InvalidScopeError) {
				code = 'invalid_scope';
			} else if (err instanceof InvalidRequestError) {
				code = 'invalid_request';
			}
			const message = isObject(err) && err.message !== undefined ? S(err.message) : S(err);
			return { denial: [code, message] };
		}
		const out = { scope: [], claims: [] };
		if (token === undefined || token === null) {
			return out;
		}
		if (!isObject(token)) {
			throw new TypeErr('the access token passed to the callback must be an object');
		}
		const keys = nativeKeys(token);
		for (let i = 0; i < keys.length; i++) {
			const k = keys[i];
			if (k.slice(0, 7) !== 'http://' && k.slice(0, 8) !== 'https://') {
				continue;
			}
			const v = token[k];
			// Primitives need none of the guards.
			const j = isObject(v) ? stringify(v) : callWith(nativeStringify, undefined, v);
			if (j !== undefined) {
				out.claims[out.claims.length] = [k, j];
			}
		}
		const scope = token.scope;
		if (typeof scope === 'string') {
			const parts = scope.split(' ');
			for (let i = 0; i < parts.length; i++) {
				if (parts[i] !== '') {
					out.scope[out.scope.length] = parts[i];
				}
			}
		} else if (isArray(scope)) {
			for (let i = 0; i < scope.length; i++) {
				if (typeof scope[i] !== 'string') {
					throw new TypeErr('access_token.scope must be an array of strings');
				}
				out.scope[out.scope.length] = scope[i];
			}
		} else if (scope !== undefined && scope !== null) {
			throw new TypeErr('access_token.scope must be an array of strings');
		}
		return out;
	}
	function describe(v) {
		try {
			if (v instanceof Err) {
				const stack = v.stack;
				if (typeof stack === 'string' && stack !== '') {
					return stack;
				}
			}
			return formatValue(v);
		} catch (e) {
			return '[value that cannot be printed]';
		}
	}

	return {
		freeze,
		stringify,
		spreadSource,
		describe,
		runAction,
		runHook,
		hookResult,
		RangeError: RangeErr,
	};
})
