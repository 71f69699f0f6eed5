// Package hook runs tenant JavaScript at the token endpoint: Auth0 Actions
// for the credentials-exchange trigger
// (exports.onExecuteCredentialsExchange = async (event, api) => {…}) and
// legacy Auth0 Hooks for the Client Credentials Exchange extensibility point
// (module.exports = function (client, scope, audience, context, cb) {…}).
//
// Compile parses and compiles a Script once into an immutable Program. A
// Runtime runs a chain of Programs for one token request and returns the
// custom claims and scope changes to apply, a *Denial when a script refused
// the exchange (the pipeline answers 400 or 500 with the script's code and
// reason), or an *ExecError for any other failure (the pipeline answers 500
// server_error; the reason is for logs only).
//
// # Semantics
//
// The event and api objects follow Auth0's credentials-exchange reference
// (reference/auth0-m2m.md §5). Differences that a script can observe:
//
//   - The cache (api.cache) is in memory, per Script.ID, and survives
//     across executions and recompilations until its entries expire. Auth0
//     scopes it to the trigger; credo scopes it to the action so that one
//     action cannot read another's entries. When a write would exceed 20
//     entries or 8 kB, the entries closest to expiry are evicted (Auth0 says
//     entries may disappear before their lifetime ends).
//   - There is no require (it throws), no fetch, process, Buffer or network
//     and file access, no eval or Function constructor, no BigInt, and no
//     Proxy. setTimeout, setInterval and setImmediate exist and run on the
//     execution's own loop, inside its time bound.
//   - An unhandled promise rejection fails the execution, as it crashes a
//     Node process.
//   - The event object builds each property on first access. It behaves as
//     a plain object, except that it cannot be frozen, sealed or given
//     properties with non-default attributes (Object.freeze(event) throws).
//   - event.request.geoip is empty: credo has no GeoIP database.
//   - Compile refuses with statements, and object rests (const {a, ...r})
//     anywhere but at the top of a declaration with an initializer or of an
//     assignment (not in parameters, loop heads, catch clauses or nested
//     patterns): object spreads and rests pass their source through a guard
//     (see Bounds), which needs an expression to wrap.
//   - Stack traces name the file action.js or hook.js.
//   - api.accessToken.setCustomClaim stores what JSON.stringify makes of
//     the value: undefined, functions and symbols are left out of objects
//     and become null in arrays, and a claim whose value is one of them (or
//     an object whose toJSON returns one) is not set, and removes a claim
//     of that name an earlier action set. A value JSON cannot represent (a
//     cyclic object) fails the execution. A token carries at most 100
//     custom claims, with names of at most 256 bytes, whose names and
//     values take at most 16 KiB of JSON together; going beyond fails the
//     execution with ErrClaimLimit. Auth0 documents no such limits.
//   - Hooks: the access token passed to cb contributes its scope property
//     and its namespaced (http:// or https://) properties; other properties
//     are dropped, as Auth0 does. A token without scope yields an empty
//     scope list.
//
// # Isolation
//
// Each Program keeps a pool of goja runtimes, so one script never shares a
// runtime with another. Every execution evaluates the module again (its code
// is wrapped in a CommonJS-style function and compiled once), with a fresh
// module and exports, a fresh event, and a fresh global object whose
// prototype is the frozen global of the pooled runtime, so that module-level
// variables and globals a script sets (globalThis.x, or an undeclared
// assignment) are gone by the next execution. What a script does to the
// built-in prototypes (Array.prototype.x = …) does persist into later
// executions of the same script, as it would in a long-lived Node process;
// it cannot reach other scripts. Freezing the built-ins would break common
// code such as this.name = … in an Error subclass.
//
// # Bounds
//
// A Run is bounded in time and, approximately, in memory:
//
//   - The whole chain has one deadline (Options.Timeout, default 5 s, at
//     most 20 s, as Auth0). At the deadline the running script is stopped
//     with vm.Interrupt, and timers still pending are dropped.
//   - A watchdog samples the process heap every few milliseconds while
//     scripts run and interrupts the script that has been running JavaScript
//     longest once the heap has grown more than Options.MaxHeapGrowth above
//     the larger of the heap and the GC's heap goal when the script started.
//     The bound is approximate because Go cannot attribute heap to a
//     goroutine.
//   - goja checks for an interrupt between instructions, never inside a
//     built-in, so the built-ins that walk or build many elements in one
//     call are wrapped (prelude.js): one call walks at most 2^15 elements,
//     properties, map entries, matches of a global search or JSON values
//     (Object.keys and the other enumerations of strings, arrays and
//     objects, object spreads and rests, iterators, split, replace, match,
//     JSON.parse), builds or scans strings of at most 2^20 code units
//     (strings built with + can be longer, but no built-in takes them),
//     and buffers of at most 32 KiB; JSON nested deeper than 1000 levels
//     and regular expressions longer than 32 Ki characters are refused.
//     Beyond a limit the built-in throws a RangeError (SyntaxError for
//     patterns and nesting) that the script can catch. Measured at the
//     limits, the costliest single call allocates about 36 MB in 0.1 s.
//     Long sorts compare in JavaScript; callbacks given to array methods
//     are called through a JavaScript wrapper, so that a loop over a
//     built-in callback can be interrupted; backtracking regular
//     expressions give up after 100 ms (this package sets
//     regexp2.DefaultMatchTimeout, which only goja uses).
//   - At most Options.MaxConcurrent scripts (default twice GOMAXPROCS) run
//     at once in a Runtime; the others wait for their turn within their
//     deadline, and a script waiting for a timer gives its turn up. This
//     bounds how many uninterruptible calls can allocate at the same time.
//   - Each chain runs on its own goroutine, so Run returns by the deadline
//     plus a short grace even if a script is stuck in a built-in. Such a
//     goroutine is abandoned (it gives its turn up) and its runtime
//     discarded; while two executions of one Program are stuck, Run refuses
//     that Program (ErrQuarantined), and while Options.MaxInFlight (default
//     64) executions of a Program are in progress, stuck ones included, Run
//     refuses it at once (ErrBusy).
//
// These bounds protect the server from a script's mistakes and from the
// stalls found so far; they do not make goja a boundary against
// deliberately hostile code, and no in-process bound is hard: Go can
// neither stop a goroutine nor cap its memory. What remains is native work
// whose cost is the product of inputs each within its limit (indexOf of a
// string of 2 Mi characters in an array of 2^15 others of the same length
// compares 64 GB, for seconds), RegExp.prototype.exec on strings longer
// than the limit (wrapping exec would take goja's fast path away from every
// regular expression), ordinary objects of many properties passed to
// Object.keys (allocating about what the object holds), and native loops
// over native callbacks outside the array methods (Map.prototype.forEach
// with a bound built-in, promise reactions that are built-ins). The grace,
// the quarantine and MaxInFlight bound how many such calls run, not how
// long one runs. A hard bound needs a separate process that the operating
// system can limit and kill (see ADR 0005).
//
// # Compilation
//
// goja's parser and compiler take time that grows with the square of how
// deeply code nests (100 kB of 1+1+…+1 took 13 s to compile), so Compile
// refuses code nested more than 1000 levels deep; within that, 98 kB of the
// slowest code measured compiles in about 0.3 s, and a realistic 98 kB
// action in about 20 ms. Parsing is not bounded that way: thousands of
// arrow functions nested in each other take about 2 s to parse before the
// nesting check refuses them. Compiled code is cached process-wide by the
// hash of its kind and code (at most 256 entries and 2 MiB of code, least
// recently used first out), so validating a script, compiling it for a
// snapshot and binding it compile it once. The cache does not survive a
// restart.
package hook
