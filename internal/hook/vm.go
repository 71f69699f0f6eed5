package hook

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// Limits the prelude enforces on built-ins, and other per-execution limits.
const (
	// One native call of goja allocates up to about 1 KB per element it
	// walks (Object.entries, object spreads, iterators) and cannot be
	// interrupted, so the guards keep what one call walks to maxArrayLen
	// elements: measured at that limit, the costliest calls
	// (Object.getOwnPropertyDescriptors, an object rest) allocate 33-36 MB
	// in 70-100 ms. Strings are bounded for the built-ins that build or
	// scan them.
	maxStringLen   = 1 << 20 // UTF-16 code units in one string a guarded built-in builds or scans
	maxArrayLen    = 1 << 15 // elements, properties or matches one guarded built-in walks
	maxBufferBytes = 1 << 15 // bytes of one ArrayBuffer or typed array
	maxJSONDepth   = 1000
	maxPatternLen  = 32 << 10
	maxCallStack   = 4096
	maxTimers      = 1000 // pending timers per execution
	maxLogLines    = 100  // console lines per execution
	maxLogLine     = 256  // characters kept of one console line, as Auth0
	maxDenyReason  = 1024 // characters kept of a denial's reason
	maxScopes      = 10000
	maxReason      = 2000 // bytes of an ExecError reason built from a script value
	// Custom claims of one token, across the chain: at most maxClaims
	// claims whose names and values take at most maxClaimsBytes of JSON
	// together (a bearer token travels in an HTTP header, which proxies
	// and servers commonly cap at 8 to 16 KiB), and names of at most
	// maxClaimName bytes.
	maxClaims      = 100
	maxClaimsBytes = 16 << 10
	maxClaimName   = 256
	regexpTimeout  = 100 * time.Millisecond
)

//go:embed prelude.js
var preludeSource string

const preludeName = "credo-prelude.js"

var preludeProgram = goja.MustCompile(preludeName, preludeSource, true)

func init() {
	// goja runs regular expressions that RE2 cannot (backreferences,
	// lookaround) on regexp2, which backtracks and cannot be interrupted.
	// Only goja uses regexp2 in this module; on timeout goja reports no
	// match.
	regexp2.DefaultMatchTimeout = regexpTimeout
}

// vm is one goja runtime, prepared for one Program and reused by its
// executions, one at a time.
type vm struct {
	prog *Program
	rt   *goja.Runtime
	base *goja.Object // the frozen global object; each execution gets a child

	api        *goja.Object // the frozen api object of Actions
	hookCB     goja.Value   // the cb passed to Hooks
	freeze     goja.Callable
	stringify  goja.Callable
	describeFn goja.Callable
	runActionF goja.Callable
	runHookF   goja.Callable
	hookResF   goja.Callable
	rangeError *goja.Object
	// spreadSource is the prelude's guard that Compile makes object spreads
	// and rests call (spreadGuard).
	spreadSource goja.Value
	filename     goja.Value
	dirname      goja.Value

	// interrupted is set once rt.Interrupt has been called; such a runtime
	// is not reused.
	interrupted atomic.Bool
	// cur is the execution in progress; host functions act on it.
	cur *run
}

// run is the state of one program's execution within a chain.
type run struct {
	x  *execution
	v  *vm
	st *chainState

	denial *Denial
	fatal  *ExecError
	// reusable is cleared when the runtime is left in a state not worth
	// trusting (a stack overflow).
	reusable bool

	called         bool // the Hook called cb
	cbErr, cbToken goja.Value

	timers    timerQueue
	timerByID map[int64]*timer
	nextTimer int64

	// startScope and startClaims are the scope and claims when the
	// execution started, which its event shows.
	startScope  []string
	startClaims map[string]any

	rejected []*goja.Promise // rejected without a handler
	logLines int
	cache    *actionCache
}

// chainState is what the programs of one Run accumulate.
type chainState struct {
	ev     *Event
	claims map[string]any
	// claimSize holds the JSON size of each claim (claimSize), and
	// claimsBytes their sum.
	claimSize    map[string]int
	claimsBytes  int
	scope        []string
	scopeOwned   bool // scope is a copy this chain may modify
	scopeChanged bool
}

// setClaim sets (or, when value is noClaim, removes) a custom claim, and
// fails when the claims would go beyond maxClaims or maxClaimsBytes.
func (st *chainState) setClaim(name string, value any) *ExecError {
	if value == noClaim {
		if _, ok := st.claims[name]; ok {
			st.claimsBytes -= st.claimSize[name]
			delete(st.claims, name)
			delete(st.claimSize, name)
		}
		return nil
	}
	if len(name) > maxClaimName {
		return &ExecError{Err: ErrClaimLimit,
			Reason: fmt.Sprintf("the claim name is %d bytes, more than the %d allowed", len(name), maxClaimName)}
	}
	size, err := claimSize(name, value)
	if err != nil {
		return &ExecError{Reason: err.Error()}
	}
	old, replacing := st.claimSize[name]
	if !replacing && len(st.claims) >= maxClaims {
		return &ExecError{Err: ErrClaimLimit, Reason: fmt.Sprintf("more than %d custom claims", maxClaims)}
	}
	if total := st.claimsBytes - old + size; total > maxClaimsBytes {
		return &ExecError{Err: ErrClaimLimit, Reason: fmt.Sprintf(
			"the custom claims would take %d bytes of JSON, more than the %d allowed", total, maxClaimsBytes)}
	}
	if st.claims == nil {
		st.claims = make(map[string]any)
		st.claimSize = make(map[string]int)
	}
	st.claims[name] = value
	st.claimSize[name] = size
	st.claimsBytes += size - old
	return nil
}

// claimSize is the number of bytes name and value add to the token's JSON
// payload, encoded as the token endpoint encodes them ("name":value,).
func claimSize(name string, value any) (int, error) {
	n, err := json.Marshal(name)
	if err != nil {
		return 0, err
	}
	v, err := json.Marshal(value)
	if err != nil {
		return 0, err
	}
	return len(n) + len(v) + 2, nil
}

// snapshot returns the scope and claims as they are now; later changes
// do not show through them.
func (st *chainState) snapshot() ([]string, map[string]any) {
	st.scopeOwned = false
	var claims map[string]any
	if len(st.claims) > 0 {
		claims = make(map[string]any, len(st.claims))
		for k, c := range st.claims {
			claims[k] = c
		}
	}
	return st.scope, claims
}

func (st *chainState) setScope(s []string) {
	st.scope, st.scopeOwned, st.scopeChanged = s, true, true
}

func (st *chainState) mutableScope() []string {
	if !st.scopeOwned {
		st.scope = append([]string(nil), st.scope...)
		st.scopeOwned = true
	}
	st.scopeChanged = true
	return st.scope
}

// newVM creates and prepares a runtime for p.
func newVM(p *Program) (*vm, error) {
	rt := goja.New()
	rt.SetMaxCallStackSize(maxCallStack)
	v := &vm{prog: p, rt: rt}
	rt.SetPromiseRejectionTracker(v.trackRejection)

	product := "credo Actions"
	if p.kind == KindHook {
		product = "credo Hooks"
	}
	host := rt.NewObject()
	limits := rt.NewObject()
	for name, fn := range map[string]func(goja.FunctionCall) goja.Value{
		"jsonShape":   v.hostJSONShape,
		"enabled":     v.hostEnabled,
		"log":         v.hostLog,
		"uncaught":    v.hostUncaught,
		"setTimeout":  func(c goja.FunctionCall) goja.Value { return v.setTimer(c, false, false) },
		"setInterval": func(c goja.FunctionCall) goja.Value { return v.setTimer(c, true, false) },
		"setImmediate": func(c goja.FunctionCall) goja.Value {
			return v.setTimer(c, false, true)
		},
		"clearTimeout": v.clearTimer,
	} {
		if err := host.Set(name, fn); err != nil {
			return nil, err
		}
	}
	for name, value := range map[string]any{
		"maxString":  maxStringLen,
		"maxLength":  maxArrayLen,
		"maxBytes":   maxBufferBytes,
		"maxDepth":   maxJSONDepth,
		"maxPattern": maxPatternLen,
		"product":    product,
	} {
		if err := limits.Set(name, value); err != nil {
			return nil, err
		}
	}
	fv, err := rt.RunProgram(preludeProgram)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(fv)
	if !ok {
		return nil, errors.New("prelude is not a function")
	}
	ret, err := fn(goja.Undefined(), host, limits)
	if err != nil {
		return nil, err
	}
	out := ret.ToObject(rt)
	for _, f := range []struct {
		name string
		dst  *goja.Callable
	}{
		{"freeze", &v.freeze},
		{"stringify", &v.stringify},
		{"describe", &v.describeFn},
		{"runAction", &v.runActionF},
		{"runHook", &v.runHookF},
		{"hookResult", &v.hookResF},
	} {
		if *f.dst, ok = goja.AssertFunction(out.Get(f.name)); !ok {
			return nil, fmt.Errorf("prelude does not return %s", f.name)
		}
	}
	v.rangeError = out.Get("RangeError").ToObject(rt)
	v.spreadSource = out.Get("spreadSource")
	v.base = rt.GlobalObject()
	v.filename = rt.ToValue("/" + p.name + ".js")
	v.dirname = rt.ToValue("/")
	if p.kind == KindHook {
		v.hookCB = rt.ToValue(v.hookCallback)
	} else if err := v.buildAPI(); err != nil {
		return nil, err
	}
	return v, nil
}

// buildAPI creates the api object of Actions once per runtime; its
// functions act on the current execution, and it is frozen so that an
// execution cannot leave anything on it for the next.
func (v *vm) buildAPI() error {
	rt := v.rt
	obj := func(fns map[string]func(goja.FunctionCall) goja.Value) (*goja.Object, error) {
		o := rt.NewObject()
		for name, fn := range fns {
			if err := o.Set(name, fn); err != nil {
				return nil, err
			}
		}
		_, err := v.freeze(goja.Undefined(), o)
		return o, err
	}
	access, err := obj(map[string]func(goja.FunctionCall) goja.Value{"deny": v.deny})
	if err != nil {
		return err
	}
	accessToken, err := obj(map[string]func(goja.FunctionCall) goja.Value{"setCustomClaim": v.setCustomClaim})
	if err != nil {
		return err
	}
	cache, err := obj(map[string]func(goja.FunctionCall) goja.Value{
		"get": v.cacheGet, "set": v.cacheSet, "delete": v.cacheDelete,
	})
	if err != nil {
		return err
	}
	transaction, err := obj(map[string]func(goja.FunctionCall) goja.Value{
		"addTargetScope":    v.addTargetScope,
		"removeTargetScope": v.removeTargetScope,
		"setTargetScopes":   v.setTargetScopes,
		"clearTargetScopes": v.clearTargetScopes,
	})
	if err != nil {
		return err
	}
	api := rt.NewObject()
	for name, o := range map[string]*goja.Object{
		"access": access, "accessToken": accessToken, "cache": cache, "transaction": transaction,
	} {
		if err := api.Set(name, o); err != nil {
			return err
		}
	}
	if _, err := v.freeze(goja.Undefined(), api); err != nil {
		return err
	}
	v.api = api
	return nil
}

// interrupt stops the script at its next instruction. It may be called
// from any goroutine.
func (v *vm) interrupt(cause *ExecError) {
	v.interrupted.Store(true)
	v.rt.Interrupt(cause)
}

// begin gives the execution a fresh global object that inherits the
// frozen one, so that globals it creates disappear with it.
func (v *vm) begin(r *run) {
	v.cur = r
	g := v.rt.CreateObject(v.base)
	if v.prog.spreads {
		// Not writable or configurable, so that the script cannot shadow
		// the inherited one.
		_ = g.DefineDataProperty(spreadGuard, v.spreadSource, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
	v.rt.SetGlobalObject(g)
}

func (v *vm) end() {
	v.rt.SetGlobalObject(v.base)
	v.cur = nil
}

// call calls into JavaScript, marking the time for the watchdog.
func (v *vm) call(r *run, fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	defer r.x.leaveJS(r.x.enterJS())
	return fn(goja.Undefined(), args...)
}

// wrapper returns the script's module function.
func (v *vm) wrapper(r *run) (goja.Value, error) {
	defer r.x.leaveJS(r.x.enterJS())
	return v.rt.RunProgram(v.prog.prg)
}

func (v *vm) runAction(r *run) error {
	r.startScope, r.startClaims = r.st.snapshot()
	v.begin(r)
	defer v.end()
	r.reusable = true
	wrapper, err := v.wrapper(r)
	if err != nil {
		return v.finish(r, err)
	}
	event := v.rt.NewDynamicObject(&lazyEvent{v: v, r: r})
	ret, err := v.call(r, v.runActionF, wrapper, v.filename, v.dirname, event, v.api)
	if err != nil {
		return v.finish(r, err)
	}
	p := asPromise(ret)
	for p != nil && p.State() == goja.PromiseStatePending && r.denial == nil && r.fatal == nil {
		ran, err := v.runTimer(r)
		if err != nil {
			return v.finish(r, err)
		}
		if !ran {
			return v.finish(r, v.failf("the promise returned by onExecuteCredentialsExchange never settled"))
		}
	}
	if r.fatal != nil || r.denial != nil {
		return v.finish(r, nil)
	}
	if p != nil && p.State() == goja.PromiseStateRejected {
		return v.finish(r, v.failf("onExecuteCredentialsExchange rejected: %s", v.describe(r, p.Result())))
	}
	return v.finish(r, v.unhandled(r, p))
}

func (v *vm) runHook(r *run) error {
	v.begin(r)
	defer v.end()
	r.reusable = true
	wrapper, err := v.wrapper(r)
	if err != nil {
		return v.finish(r, err)
	}
	client, scope, audience, context := v.hookArgs(r)
	ret, err := v.call(r, v.runHookF, wrapper, v.filename, v.dirname, client, scope, audience, context, v.hookCB)
	if err != nil {
		if !r.called {
			return v.finish(r, err)
		}
		// The callback decides the outcome, as in Auth0's webtask.
		v.log(r, slog.LevelWarn, "hook failed after calling its callback", "reason", v.execError(r, err).Reason)
	}
	p := asPromise(ret)
	for !r.called && r.fatal == nil {
		if p != nil && p.State() == goja.PromiseStateRejected {
			return v.finish(r, v.failf("the hook rejected before calling its callback: %s", v.describe(r, p.Result())))
		}
		ran, err := v.runTimer(r)
		if err != nil && !r.called {
			return v.finish(r, err)
		}
		if !ran && !r.called {
			return v.finish(r, v.failf("the hook never called its callback"))
		}
	}
	if r.fatal != nil {
		return v.finish(r, nil)
	}
	ret, err = v.call(r, v.hookResF, r.cbErr, r.cbToken)
	if err != nil {
		return v.finish(r, err)
	}
	out, _ := ret.Export().(map[string]any)
	if d, ok := out["denial"].([]any); ok && len(d) == 2 {
		code, _ := d[0].(string)
		reason, _ := d[1].(string)
		r.denial = &Denial{Code: code, Reason: truncate(reason, maxDenyReason), Script: v.prog.name}
		return v.finish(r, nil)
	}
	if claims, ok := out["claims"].([]any); ok {
		for _, c := range claims {
			kv, _ := c.([]any)
			if len(kv) != 2 {
				continue
			}
			name, _ := kv[0].(string)
			raw, _ := kv[1].(string)
			var val any
			if err := json.Unmarshal([]byte(raw), &val); err != nil {
				return v.finish(r, v.failf("claim %q: %v", truncate(name, 100), err))
			}
			if e := r.st.setClaim(name, val); e != nil {
				f := v.failf("claim %q: %s", truncate(name, 100), e.Reason)
				f.Err = e.Err
				return v.finish(r, f)
			}
		}
	}
	scopes, _ := out["scope"].([]any)
	list := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s, ok := s.(string); ok {
			list = append(list, s)
		}
	}
	r.st.setScope(list)
	return v.finish(r, nil)
}

// finish decides the outcome of one execution: a denial wins over a
// failure that follows it, a misuse of the api wins over the interrupt it
// caused.
func (v *vm) finish(r *run, err error) error {
	if r.denial != nil {
		if err != nil || r.fatal != nil {
			v.log(r, slog.LevelWarn, "script failed after denying the exchange", "reason", v.execError(r, err).Reason)
		}
		return r.denial
	}
	if err == nil && r.fatal == nil {
		return nil
	}
	return v.execError(r, err)
}

// execError turns what went wrong into an *ExecError naming the script.
func (v *vm) execError(r *run, err error) *ExecError {
	named := func(e ExecError) *ExecError {
		e.Script, e.ScriptID = v.prog.name, v.prog.id
		return &e
	}
	if r.fatal != nil {
		return r.fatal
	}
	if cause := r.x.stopped(); cause != nil {
		return named(*cause)
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		r.reusable = false
		return named(ExecError{Reason: fmt.Sprintf("stack overflow: more than %d nested calls", maxCallStack)})
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return named(ExecError{Reason: "interrupted"})
	}
	var ee *ExecError
	if errors.As(err, &ee) {
		return named(*ee)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return named(ExecError{Reason: "uncaught " + v.describe(r, ex.Value())})
	}
	if err == nil {
		return named(ExecError{Reason: "failed"})
	}
	return named(ExecError{Reason: err.Error()})
}

func (v *vm) failf(format string, args ...any) *ExecError {
	return &ExecError{Script: v.prog.name, ScriptID: v.prog.id, Reason: fmt.Sprintf(format, args...)}
}

// fatalf records a misuse of the api and stops the script: the misuse
// cannot be caught.
func (v *vm) fatalf(r *run, format string, args ...any) goja.Value {
	return v.fatal(r, nil, format, args...)
}

// fatal is fatalf with a cause for ExecError.Err.
func (v *vm) fatal(r *run, cause error, format string, args ...any) goja.Value {
	if r.fatal == nil {
		r.fatal = v.failf(format, args...)
		r.fatal.Err = cause
	}
	v.interrupt(r.fatal)
	return goja.Undefined()
}

// describe prints a value the script threw or rejected with, running any
// code that involves inside JavaScript.
func (v *vm) describe(r *run, val goja.Value) string {
	ret, err := v.call(r, v.describeFn, val)
	if err != nil || ret == nil {
		return "a value that cannot be printed"
	}
	// Stack frames of the prelude say nothing about the script.
	lines := strings.Split(truncate(ret.String(), maxReason), "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, preludeName) && strings.TrimSpace(l) != "at apply (native)" {
			kept = append(kept, l)
		}
	}
	return strings.TrimRight(strings.Join(kept, "\n"), "\n")
}

// unhandled fails the execution if a promise other than main was rejected
// and never handled, as Node does.
func (v *vm) unhandled(r *run, main *goja.Promise) error {
	for _, p := range r.rejected {
		if p != main && p.State() == goja.PromiseStateRejected {
			return v.failf("unhandled promise rejection: %s", v.describe(r, p.Result()))
		}
	}
	return nil
}

func (v *vm) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	r := v.cur
	if r == nil {
		return
	}
	switch op {
	case goja.PromiseRejectionReject:
		if len(r.rejected) < maxTimers {
			r.rejected = append(r.rejected, p)
		}
	case goja.PromiseRejectionHandle:
		for i, q := range r.rejected {
			if q == p {
				r.rejected = append(r.rejected[:i], r.rejected[i+1:]...)
				break
			}
		}
	}
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// asPromise returns val's promise, or nil when val is not a promise. It
// does not run any of the script's code.
func asPromise(val goja.Value) *goja.Promise {
	o, ok := val.(*goja.Object)
	if !ok || o.ExportType() != promiseType {
		return nil
	}
	p, _ := o.Export().(*goja.Promise)
	return p
}

// --- event objects ---

func (v *vm) object(kv ...any) *goja.Object {
	o := v.rt.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		_ = o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func (v *vm) stringMap(m map[string]string) *goja.Object {
	o := v.rt.NewObject()
	for k, s := range m {
		_ = o.Set(k, s)
	}
	return o
}

func (v *vm) stringArray(s []string) *goja.Object {
	items := make([]any, len(s))
	for i, x := range s {
		items[i] = x
	}
	return v.rt.NewArray(items...)
}

// toJS converts a claim value (as decoded by encoding/json) to JavaScript.
func (v *vm) toJS(x any) goja.Value {
	switch t := x.(type) {
	case map[string]any:
		o := v.rt.NewObject()
		for k, e := range t {
			_ = o.Set(k, v.toJS(e))
		}
		return o
	case []any:
		items := make([]any, len(t))
		for i, e := range t {
			items[i] = v.toJS(e)
		}
		return v.rt.NewArray(items...)
	}
	return v.rt.ToValue(x)
}

// eventKeys are the properties of an Action's event object, in order.
var eventKeys = []string{
	"client", "resource_server", "accessToken", "request", "transaction", "tenant", "secrets", "organization",
}

// lazyEvent is the event object of an Action. It builds each property on
// first access, so that an action pays only for what it reads; otherwise it
// behaves as a plain object (properties can be set, deleted and listed).
type lazyEvent struct {
	v     *vm
	r     *run
	props map[string]goja.Value // built or assigned properties
	gone  map[string]bool       // deleted properties of eventKeys
	extra []string              // keys assigned by the script, in order
}

func isEventKey(key string) bool {
	for _, k := range eventKeys {
		if k == key {
			return true
		}
	}
	return false
}

func (e *lazyEvent) lazy(key string) bool {
	switch key {
	case "organization":
		return e.r.st.ev.Organization != nil && !e.gone[key]
	case "client", "resource_server", "accessToken", "request", "transaction", "tenant", "secrets":
		return !e.gone[key]
	}
	return false
}

func (e *lazyEvent) Get(key string) goja.Value {
	if val, ok := e.props[key]; ok {
		return val
	}
	if !e.lazy(key) {
		return nil
	}
	val := e.v.eventProperty(e.r, key)
	if e.props == nil {
		e.props = make(map[string]goja.Value, len(eventKeys))
	}
	e.props[key] = val
	return val
}

func (e *lazyEvent) Set(key string, val goja.Value) bool {
	if _, ok := e.props[key]; !ok && !isEventKey(key) {
		e.extra = append(e.extra, key)
	}
	delete(e.gone, key)
	if e.props == nil {
		e.props = make(map[string]goja.Value, len(eventKeys))
	}
	e.props[key] = val
	return true
}

func (e *lazyEvent) Has(key string) bool {
	_, ok := e.props[key]
	return ok || e.lazy(key)
}

func (e *lazyEvent) Delete(key string) bool {
	if e.lazy(key) {
		if e.gone == nil {
			e.gone = make(map[string]bool)
		}
		e.gone[key] = true
	}
	delete(e.props, key)
	for i, k := range e.extra {
		if k == key {
			e.extra = append(e.extra[:i], e.extra[i+1:]...)
			break
		}
	}
	return true
}

func (e *lazyEvent) Keys() []string {
	keys := make([]string, 0, len(eventKeys)+len(e.extra))
	for _, k := range eventKeys {
		if _, ok := e.props[k]; ok || e.lazy(k) {
			keys = append(keys, k)
		}
	}
	return append(keys, e.extra...)
}

// eventProperty builds one property of an Action's event.
func (v *vm) eventProperty(r *run, key string) goja.Value {
	ev := r.st.ev
	switch key {
	case "client":
		return v.object(
			"client_id", ev.Client.ID,
			"name", ev.Client.Name,
			"metadata", v.stringMap(ev.Client.Metadata))
	case "resource_server":
		return v.object("identifier", ev.Audience)
	case "accessToken":
		claims := v.rt.NewObject()
		for k, c := range r.startClaims {
			_ = claims.Set(k, v.toJS(c))
		}
		return v.object("scope", v.stringArray(r.startScope), "customClaims", claims)
	case "request":
		return v.object(
			"ip", ev.Request.IP,
			"hostname", ev.Request.Hostname,
			"method", ev.Request.Method,
			"user_agent", ev.Request.UserAgent,
			"body", v.stringMap(ev.Request.Body),
			"geoip", v.rt.NewObject())
	case "transaction":
		return v.object(
			"requested_scopes", v.stringArray(ev.RequestedScopes),
			"target_scopes", v.stringArray(r.startScope))
	case "tenant":
		return v.object("id", ev.TenantID)
	case "secrets":
		return v.stringMap(v.prog.secrets)
	case "organization":
		org := ev.Organization
		return v.object(
			"id", org.ID,
			"name", org.Name,
			"display_name", org.DisplayName,
			"metadata", v.stringMap(org.Metadata))
	}
	return nil
}

func (v *vm) hookArgs(r *run) (client, scope, audience, context goja.Value) {
	ev := r.st.ev
	client = v.object(
		"name", ev.Client.Name,
		"id", ev.Client.ID,
		"tenant", ev.TenantID,
		"metadata", v.stringMap(ev.Client.Metadata))
	scope = goja.Undefined()
	if len(r.st.scope) > 0 {
		scope = v.stringArray(r.st.scope)
	}
	audience = v.rt.ToValue(ev.Audience)
	context = v.object(
		"webtask", v.object("secrets", v.stringMap(v.prog.secrets)),
		"body", v.stringMap(ev.Request.Body))
	return client, scope, audience, context
}

// --- api functions (called from JavaScript) ---

func (v *vm) deny(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	code, ok := stringArg(call.Argument(0))
	if !ok || (code != CodeInvalidScope && code != CodeInvalidRequest && code != CodeServerError) {
		return v.fatalf(r, "api.access.deny: code must be %q, %q or %q, got %s",
			CodeInvalidScope, CodeInvalidRequest, CodeServerError, describeArg(call.Argument(0)))
	}
	reason := ""
	if arg := call.Argument(1); !goja.IsUndefined(arg) {
		reason = arg.String()
	}
	if r.denial == nil {
		r.denial = &Denial{Code: code, Reason: truncate(reason, maxDenyReason), Script: v.prog.name}
	}
	return v.api
}

func (v *vm) setCustomClaim(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	name, ok := stringArg(call.Argument(0))
	if !ok || name == "" {
		return v.fatalf(r, "api.accessToken.setCustomClaim: the claim name must be a non-empty string, got %s",
			describeArg(call.Argument(0)))
	}
	if oauth.IsReservedClaim(name) {
		return v.fatalf(r, "api.accessToken.setCustomClaim: %q is a reserved claim", name)
	}
	val, err := v.claimValue(call.Argument(1))
	if ee, ok := err.(*ExecError); ok {
		return v.fatal(r, ee.Err, "api.accessToken.setCustomClaim(%q): %s", truncate(name, 100), ee.Reason)
	}
	if err != nil {
		return v.fatalf(r, "api.accessToken.setCustomClaim(%q): %v", truncate(name, 100), err)
	}
	if e := r.st.setClaim(name, val); e != nil {
		return v.fatal(r, e.Err, "api.accessToken.setCustomClaim(%q): %s", truncate(name, 100), e.Reason)
	}
	return v.api
}

// noClaim is what claimValue returns for a value that JSON.stringify
// leaves out of an object (undefined, a function, a symbol, or an object
// whose toJSON returns one of those): the claim is not set, and a claim of
// that name set earlier in the chain is removed.
var noClaim = &struct{ byte }{}

var errNotJSON = errors.New("the value is not JSON-serialisable")

// claimValue converts a claim value to what encoding/json would decode
// from its JSON.stringify form, or to noClaim.
func (v *vm) claimValue(val goja.Value) (any, error) {
	if val == nil || goja.IsUndefined(val) {
		return noClaim, nil
	}
	if goja.IsNull(val) {
		return nil, nil
	}
	if _, isSym := val.(*goja.Symbol); isSym {
		return noClaim, nil
	}
	if _, isObj := val.(*goja.Object); !isObj {
		switch x := val.Export().(type) {
		case string:
			return x, nil
		case bool:
			return x, nil
		case int64:
			return float64(x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil
			}
			return x, nil
		}
		return nil, errNotJSON
	}
	if _, isFn := goja.AssertFunction(val); isFn {
		return noClaim, nil
	}
	s, err := v.stringify(goja.Undefined(), val)
	if err != nil {
		if isUncatchable(err) {
			panic(err)
		}
		var ex *goja.Exception
		if errors.As(err, &ex) {
			if o, ok := ex.Value().(*goja.Object); ok && o.Get("message") != nil && o.Get("message").String() == "Invalid string length" {
				// The guarded JSON.stringify stops at maxStringLen.
				return nil, &ExecError{Err: ErrClaimLimit, Reason: fmt.Sprintf(
					"the value's JSON is longer than %d characters, more than the %d bytes allowed", maxStringLen, maxClaimsBytes)}
			}
			return nil, fmt.Errorf("%w: %s", errNotJSON, truncate(ex.Error(), maxReason))
		}
		return nil, err
	}
	if goja.IsUndefined(s) {
		return noClaim, nil
	}
	var out any
	if err := json.Unmarshal([]byte(s.String()), &out); err != nil {
		return nil, err
	}
	return out, nil
}

func isUncatchable(err error) bool {
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	return errors.As(err, &ie) || errors.As(err, &so)
}

func (v *vm) cacheResult(code string) goja.Value {
	if code == "" {
		return v.object("type", "success")
	}
	return v.object("type", "error", "code", code)
}

func (v *vm) actionCache(r *run) *actionCache {
	if r.cache == nil {
		r.cache = r.x.rt.caches.get(v.prog.id, r.x.rt.now())
	}
	return r.cache
}

func validCacheKey(key string, ok bool) bool {
	return ok && key != "" && len(key) <= cacheMaxKey
}

func (v *vm) cacheGet(call goja.FunctionCall) goja.Value {
	r := v.cur
	key, ok := stringArg(call.Argument(0))
	if r == nil || !validCacheKey(key, ok) {
		return goja.Undefined()
	}
	e, found := v.actionCache(r).lookup(key, r.x.rt.now())
	if !found {
		return goja.Undefined()
	}
	return v.object("value", e.value, "expires_at", e.expires.UnixMilli())
}

func (v *vm) cacheSet(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	key, ok := stringArg(call.Argument(0))
	if !validCacheKey(key, ok) {
		return v.cacheResult(cacheInvalidKey)
	}
	value, ok := stringArg(call.Argument(1))
	if !ok || len(value) > cacheMaxValue {
		return v.cacheResult(cacheInvalidValue)
	}
	var ttl, expiresAt *float64
	if opt := call.Argument(2); !goja.IsUndefined(opt) && !goja.IsNull(opt) {
		o, isObj := opt.(*goja.Object)
		if !isObj {
			return v.cacheResult(cacheInvalidOptions)
		}
		for name, dst := range map[string]**float64{"ttl": &ttl, "expires_at": &expiresAt} {
			f := o.Get(name)
			if f == nil || goja.IsUndefined(f) {
				continue
			}
			if !goja.IsNumber(f) {
				return v.cacheResult(cacheInvalidOptions)
			}
			n := f.ToFloat()
			*dst = &n
		}
	}
	now := r.x.rt.now()
	expires, ok := cacheExpiry(now, ttl, expiresAt)
	if !ok {
		return v.cacheResult(cacheInvalidOptions)
	}
	v.actionCache(r).store(key, value, expires, now)
	return v.cacheResult("")
}

func (v *vm) cacheDelete(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	key, ok := stringArg(call.Argument(0))
	if !validCacheKey(key, ok) {
		return v.cacheResult(cacheInvalidKey)
	}
	v.actionCache(r).remove(key)
	return v.cacheResult("")
}

func (v *vm) scopeArg(call goja.FunctionCall, fn string) string {
	s, ok := stringArg(call.Argument(0))
	if !ok {
		panic(v.rt.NewTypeError("api.transaction.%s: the scope must be a string", fn))
	}
	return s
}

func (v *vm) addTargetScope(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	s := v.scopeArg(call, "addTargetScope")
	scope := r.st.mutableScope()
	for _, x := range scope {
		if x == s {
			return v.api
		}
	}
	if len(scope) >= maxScopes {
		panic(v.rt.NewTypeError("api.transaction.addTargetScope: more than %d scopes", maxScopes))
	}
	r.st.scope = append(scope, s)
	return v.api
}

func (v *vm) removeTargetScope(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	s := v.scopeArg(call, "removeTargetScope")
	scope := r.st.mutableScope()
	kept := scope[:0]
	for _, x := range scope {
		if x != s {
			kept = append(kept, x)
		}
	}
	r.st.scope = kept
	return v.api
}

func (v *vm) setTargetScopes(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	arr, ok := call.Argument(0).(*goja.Object)
	if !ok || arr.ClassName() != "Array" {
		panic(v.rt.NewTypeError("api.transaction.setTargetScopes: the scopes must be an array of strings"))
	}
	n := arr.Get("length").ToInteger()
	if n > maxScopes {
		panic(v.rt.NewTypeError("api.transaction.setTargetScopes: more than %d scopes", maxScopes))
	}
	list := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for i := range n {
		s, ok := stringArg(arr.Get(fmt.Sprint(i)))
		if !ok {
			panic(v.rt.NewTypeError("api.transaction.setTargetScopes: the scopes must be an array of strings"))
		}
		if !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	r.st.setScope(list)
	return v.api
}

func (v *vm) clearTargetScopes(goja.FunctionCall) goja.Value {
	if r := v.cur; r != nil {
		r.st.setScope([]string{})
	}
	return v.api
}

func (v *vm) hookCallback(call goja.FunctionCall) goja.Value {
	if r := v.cur; r != nil && !r.called {
		r.called = true
		r.cbErr, r.cbToken = call.Argument(0), call.Argument(1)
	}
	return goja.Undefined()
}

// --- host functions for the prelude ---

// hostJSONShape returns, for a JSON text, the deepest nesting of arrays
// and objects (so that JSON.parse can refuse what would overflow goja's
// recursive parser) and an upper bound on the values and keys JSON.parse
// would create (so that it can refuse building more than one native call
// should).
func (v *vm) hostJSONShape(call goja.FunctionCall) goja.Value {
	s := call.Argument(0).String()
	depth, deepest, values, inString, escaped := 0, 0, 1, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			values++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		case c == ',' || c == ':':
			values++
		}
	}
	return v.rt.NewArray(deepest, values)
}

func slogLevel(level int64) slog.Level {
	switch {
	case level < 0:
		return slog.LevelDebug
	case level == 0:
		return slog.LevelInfo
	case level == 1:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (v *vm) hostEnabled(call goja.FunctionCall) goja.Value {
	r := v.cur
	on := r != nil && r.logLines <= maxLogLines && r.x.rt.log.Enabled(r.x.ctx, slogLevel(call.Argument(0).ToInteger()))
	return v.rt.ToValue(on)
}

func (v *vm) hostLog(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	r.logLines++
	switch {
	case r.logLines == maxLogLines+1:
		v.log(r, slog.LevelWarn, fmt.Sprintf("console output beyond %d lines dropped", maxLogLines))
	case r.logLines <= maxLogLines:
		v.log(r, slogLevel(call.Argument(0).ToInteger()), truncate(call.Argument(1).String(), maxLogLine))
	}
	return goja.Undefined()
}

// log writes one line about the running script.
func (v *vm) log(r *run, level slog.Level, msg string, args ...any) {
	args = append(args, "script", v.prog.name, "script_id", v.prog.id, "kind", v.prog.kind.String())
	r.x.rt.log.Log(r.x.ctx, level, msg, args...)
}

// hostUncaught reports an exception thrown by a queueMicrotask callback,
// which in Node would crash the process.
func (v *vm) hostUncaught(call goja.FunctionCall) goja.Value {
	if r := v.cur; r != nil {
		return v.fatalf(r, "uncaught exception in a queueMicrotask callback: %s", v.describe(r, call.Argument(0)))
	}
	return goja.Undefined()
}

// --- timers ---

type timer struct {
	id    int64
	when  time.Time
	every time.Duration // 0 for a one-shot timer
	fn    goja.Callable
	args  []goja.Value
	index int
}

// timerQueue is a min-heap of timers by due time, then id.
type timerQueue []*timer

func (q timerQueue) less(i, j int) bool {
	if q[i].when.Equal(q[j].when) {
		return q[i].id < q[j].id
	}
	return q[i].when.Before(q[j].when)
}

func (q timerQueue) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *timerQueue) push(t *timer) {
	t.index = len(*q)
	*q = append(*q, t)
	q.up(t.index)
}

func (q *timerQueue) remove(i int) {
	old := *q
	n := len(old) - 1
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*q = old[:n]
	if i != n {
		q.down(i)
		q.up(i)
	}
}

func (q timerQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q timerQueue) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q) {
			return
		}
		m := l
		if rr := l + 1; rr < len(q) && q.less(rr, l) {
			m = rr
		}
		if !q.less(m, i) {
			return
		}
		q.swap(i, m)
		i = m
	}
}

func (v *vm) setTimer(call goja.FunctionCall, repeat, immediate bool) goja.Value {
	r := v.cur
	if r == nil {
		return goja.Undefined()
	}
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(v.rt.NewTypeError("the callback argument must be a function"))
	}
	var delay time.Duration
	rest := 1
	if !immediate {
		rest = 2
		// As Node: delays that are not numbers in [1, 2^31-1] are 1 ms.
		ms := call.Argument(1).ToFloat()
		if !(ms >= 1 && ms <= math.MaxInt32) {
			ms = 1
		}
		delay = time.Duration(ms * float64(time.Millisecond))
	}
	if len(r.timerByID) >= maxTimers {
		e, _ := v.rt.New(v.rangeError, v.rt.ToValue(fmt.Sprintf("more than %d pending timers", maxTimers)))
		panic(e)
	}
	var args []goja.Value
	if len(call.Arguments) > rest {
		args = append(args, call.Arguments[rest:]...)
	}
	r.nextTimer++
	t := &timer{id: r.nextTimer, when: time.Now().Add(delay), fn: fn, args: args}
	if repeat {
		t.every = delay
	}
	if r.timerByID == nil {
		r.timerByID = make(map[int64]*timer)
	}
	r.timerByID[t.id] = t
	r.timers.push(t)
	return v.rt.ToValue(t.id)
}

func (v *vm) clearTimer(call goja.FunctionCall) goja.Value {
	r := v.cur
	if r == nil || !goja.IsNumber(call.Argument(0)) {
		return goja.Undefined()
	}
	if t, ok := r.timerByID[call.Argument(0).ToInteger()]; ok {
		delete(r.timerByID, t.id)
		r.timers.remove(t.index)
	}
	return goja.Undefined()
}

// runTimer waits for the earliest timer and runs its callback. It reports
// false when no timer is pending, and fails when the timer is due after the
// deadline or the execution is stopped while waiting.
func (v *vm) runTimer(r *run) (bool, error) {
	if len(r.timers) == 0 {
		return false, nil
	}
	t := r.timers[0]
	if t.when.After(r.x.deadline) {
		return false, &ExecError{Err: ErrTimeout,
			Reason: fmt.Sprintf("timed out after %v: a pending timer is due after the deadline", r.x.rt.timeout)}
	}
	if d := time.Until(t.when); d > 0 {
		// A script waiting for a timer lets another run.
		r.x.release()
		wait := time.NewTimer(d)
		select {
		case <-wait.C:
		case <-r.x.stop:
			wait.Stop()
			return false, r.x.stopped()
		}
		if err := r.x.acquire(); err != nil {
			return false, err
		}
	}
	if t.every > 0 {
		t.when = time.Now().Add(t.every)
		r.timers.down(0)
	} else {
		delete(r.timerByID, t.id)
		r.timers.remove(0)
	}
	outer := r.x.enterJS()
	_, err := t.fn(goja.Undefined(), t.args...)
	r.x.leaveJS(outer)
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) && !isUncatchable(err) {
			return false, v.failf("uncaught exception in a timer callback: %s", v.describe(r, ex.Value()))
		}
		return false, err
	}
	return true, nil
}

// --- small helpers ---

// stringArg returns val's string when it is a string primitive.
func stringArg(val goja.Value) (string, bool) {
	if val == nil || !goja.IsString(val) {
		return "", false
	}
	return val.String(), true
}

// describeArg names an argument without running any of its code.
func describeArg(val goja.Value) string {
	switch {
	case val == nil || goja.IsUndefined(val):
		return "undefined"
	case goja.IsNull(val):
		return "null"
	case goja.IsString(val):
		return fmt.Sprintf("%q", truncate(val.String(), 100))
	}
	if _, ok := val.(*goja.Object); ok {
		return "an object"
	}
	return "a " + val.ExportType().String()
}

// truncate keeps the first n characters of s.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
