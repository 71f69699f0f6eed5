package hook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// Kind says which calling convention a Script follows.
type Kind int

const (
	// KindAction is an Auth0 Action for the credentials-exchange trigger:
	// exports.onExecuteCredentialsExchange = async (event, api) => {…}.
	KindAction Kind = iota
	// KindHook is a legacy Auth0 Hook for the Client Credentials Exchange
	// extensibility point:
	// module.exports = function (client, scope, audience, context, cb) {…}.
	KindHook
)

// String returns "action" or "hook".
func (k Kind) String() string {
	switch k {
	case KindAction:
		return "action"
	case KindHook:
		return "hook"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Script is the source of one Action or Hook.
type Script struct {
	// ID identifies the script across versions; the action cache is keyed
	// by it.
	ID string
	// Name appears in logs and errors. Stack traces name the file
	// action.js or hook.js instead, so that scripts with the same code
	// share one compiled form.
	Name string
	Kind Kind
	// Code is the JavaScript source, at most MaxCodeSize bytes.
	Code string
	// Secrets are exposed as event.secrets (Actions) or
	// context.webtask.secrets (Hooks).
	Secrets map[string]string
}

// MaxCodeSize is Auth0's limit on the code of one Action, in bytes.
const MaxCodeSize = 100 << 10

// Defaults and limits of Options.
const (
	// DefaultTimeout is the time bound of a Run when Options.Timeout is 0.
	DefaultTimeout = 5 * time.Second
	// MaxTimeout is Auth0's limit on one trigger execution; longer
	// Options.Timeout values are clamped to it.
	MaxTimeout = 20 * time.Second
	// DefaultMaxHeapGrowth is the allocation bound when
	// Options.MaxHeapGrowth is 0.
	DefaultMaxHeapGrowth = 64 << 20
	// DefaultMaxInFlight is Options.MaxInFlight when it is 0.
	DefaultMaxInFlight = 64
)

// Options configures a Runtime. The zero value is usable.
type Options struct {
	// Timeout bounds one Run, the whole chain included. Zero means
	// DefaultTimeout; values above MaxTimeout are clamped to it.
	Timeout time.Duration
	// MaxHeapGrowth bounds how far the process heap may grow while a
	// script runs before the script is interrupted. Zero means
	// DefaultMaxHeapGrowth.
	MaxHeapGrowth uint64
	// MaxConcurrent bounds how many scripts run at once in this Runtime;
	// others wait for their turn, within their time bound. A script waiting
	// for a timer does not count. Zero means twice GOMAXPROCS. It bounds
	// how many native calls of goja, which cannot be interrupted, can
	// allocate at the same moment.
	MaxConcurrent int
	// MaxInFlight bounds the executions of one Program in progress at once,
	// running, waiting for their turn or for a timer, or abandoned while
	// stuck in a built-in; Run refuses more with ErrBusy. Zero means
	// DefaultMaxInFlight.
	MaxInFlight int
	// Logger receives console output (each line truncated to 256
	// characters, as Auth0 does, with the script's name and ID) and
	// warnings about scripts that had to be abandoned. Nil discards.
	Logger *slog.Logger
	// Now is the clock for cache lifetimes. Nil means time.Now.
	Now func() time.Time
}

// Client is the authenticated client of the exchange.
type Client struct {
	ID       string
	Name     string
	Metadata map[string]string
}

// Request describes the HTTP request of the exchange.
type Request struct {
	IP        string
	Hostname  string
	Method    string
	UserAgent string
	// Body holds the form or JSON fields of the token request.
	Body map[string]string
}

// Organization is the organization the token is issued for.
type Organization struct {
	ID          string
	Name        string
	DisplayName string
	Metadata    map[string]string
}

// Event is what the token pipeline knows when the scripts run.
type Event struct {
	TenantID string
	Client   Client
	// Audience is the resource server identifier, the token's aud.
	Audience string
	// Scope is the granted scope about to be issued.
	Scope []string
	// RequestedScopes is the scope the client asked for.
	RequestedScopes []string
	Request         Request
	// Organization is nil when the request names no organization.
	Organization *Organization
}

// Result is what a successful chain asks the pipeline to change.
type Result struct {
	// CustomClaims are the claims to merge into the token, nil when no
	// script set one. Values are what encoding/json produces when decoding
	// the JSON.stringify form of the script's value (float64, string, bool,
	// nil, []any, map[string]any). A claim set to undefined, a function or
	// a symbol is left out, as JSON.stringify leaves such a property out.
	// Together they hold at most 100 claims and 16 KiB of JSON.
	CustomClaims map[string]any
	// Scope is nil when no script changed the scope, and otherwise the new
	// scope list (possibly empty). Intersecting it with the client grant
	// is the caller's job.
	Scope []string
}

// Denial codes, the only ones Auth0 documents for api.access.deny. The
// pipeline answers 400 for the first two and 500 for CodeServerError.
const (
	CodeInvalidScope   = "invalid_scope"
	CodeInvalidRequest = "invalid_request"
	CodeServerError    = "server_error"
)

// Denial is returned by Run when a script refused the exchange, with
// api.access.deny(code, reason) or, in a Hook, cb(new InvalidScopeError(…))
// and the like. Code is one of the Code constants; Reason is the script's
// description (at most 1024 characters), meant for the client's
// error_description.
type Denial struct {
	Code   string
	Reason string
	// Script is the name of the script that denied.
	Script string
}

// Error implements error.
func (d *Denial) Error() string {
	return fmt.Sprintf("hook: %s denied the exchange: %s: %s", d.Script, d.Code, d.Reason)
}

// Causes carried by ExecError.Err; test them with errors.Is.
var (
	// ErrTimeout is the cause when the chain did not finish within
	// Options.Timeout.
	ErrTimeout = errors.New("hook: execution timed out")
	// ErrHeapLimit is the cause when the heap grew by more than
	// Options.MaxHeapGrowth while the script ran.
	ErrHeapLimit = errors.New("hook: allocation bound exceeded")
	// ErrQuarantined is the cause when earlier executions of the program
	// are still stuck in a built-in function; the program is not run again
	// until they end.
	ErrQuarantined = errors.New("hook: program quarantined")
	// ErrBusy is the cause when Options.MaxInFlight executions of a
	// program are already in progress; the chain is not run.
	ErrBusy = errors.New("hook: too many executions in progress")
	// ErrClaimLimit is the cause when the custom claims of a token would
	// exceed their limits: 100 claims, names of 256 bytes, 16 KiB of JSON
	// for all names and values together.
	ErrClaimLimit = errors.New("hook: custom claim limit exceeded")
)

// ExecError is returned by Run for any failure other than a Denial: a
// thrown error, a rejected or never-settling promise, a Hook that never calls
// its callback, a timeout, the allocation bound, or a misuse of the api
// object (a reserved claim, a value that JSON cannot represent such as a
// cyclic object, custom claims beyond their limits, an unknown denial
// code). The pipeline answers 500 server_error; Reason is for logs only.
type ExecError struct {
	// Script and ScriptID name the failing script; both are empty when no
	// script was running (for example when ctx was already done).
	Script   string
	ScriptID string
	Reason   string
	// Err is ErrTimeout, ErrHeapLimit, ErrQuarantined, ErrBusy,
	// ErrClaimLimit, a context error, or nil.
	Err error
}

// Error implements error.
func (e *ExecError) Error() string {
	if e.Script == "" {
		return "hook: " + e.Reason
	}
	return "hook: " + e.Script + ": " + e.Reason
}

// Unwrap returns Err.
func (e *ExecError) Unwrap() error { return e.Err }

// Runtime runs Programs. It holds the caches of api.cache and the memory
// watchdog; the goja runtimes themselves are pooled per Program. A Runtime
// is safe for concurrent use and needs no Close: its watchdog goroutine runs
// only while scripts do, and the worker goroutines that run chains (kept
// between Runs so that their grown stacks are reused) exit after 30 s idle.
type Runtime struct {
	timeout time.Duration
	log     *slog.Logger
	now     func() time.Time
	caches  cacheStore
	wd      *watchdog
	// slots holds a token for each script running (Options.MaxConcurrent).
	slots       chan struct{}
	maxInFlight int32
	// jobs hands executions to idle workers. Workers outlive one Run so
	// that their stacks, grown by goja's recursion, are reused.
	jobs chan job
	// observe, when set, is told how long each script of a chain ran.
	observe atomic.Pointer[func(script string, took time.Duration, err error)]
}

// Observe makes the runtime call fn after each script it runs, with the
// script's name, how long it ran (waiting for a slot and for timers
// included) and its error (nil, a *Denial or an *ExecError), for metrics.
// fn must be fast; it runs on the script's worker.
func (r *Runtime) Observe(fn func(script string, took time.Duration, err error)) {
	r.observe.Store(&fn)
}

// New returns a Runtime configured by opt.
func New(opt Options) *Runtime {
	r := &Runtime{
		timeout: opt.Timeout,
		log:     opt.Logger,
		now:     opt.Now,
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.timeout > MaxTimeout {
		r.timeout = MaxTimeout
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	limit := opt.MaxHeapGrowth
	if limit == 0 {
		limit = DefaultMaxHeapGrowth
	}
	r.wd = newWatchdog(limit)
	r.jobs = make(chan job)
	slots := opt.MaxConcurrent
	if slots <= 0 {
		slots = 2 * runtime.GOMAXPROCS(0)
	}
	r.slots = make(chan struct{}, slots)
	r.maxInFlight = DefaultMaxInFlight
	if opt.MaxInFlight > 0 {
		r.maxInFlight = int32(min(opt.MaxInFlight, math.MaxInt32))
	}
	return r
}

// Run executes progs in order for one exchange: Actions in binding order,
// a Hook wherever it is placed. Claims accumulate (a later script overrides
// an earlier one's claim of the same name) and each script sees the scope
// left by the previous ones. The first Denial stops the chain and is
// returned as a *Denial; any other failure stops it and is returned as an
// *ExecError. Run returns within Options.Timeout plus a short grace, or
// sooner when ctx is done, and at once with ErrBusy when a program of the
// chain has Options.MaxInFlight executions in progress.
func (r *Runtime) Run(ctx context.Context, progs []*Program, ev Event) (Result, error) {
	if len(progs) == 0 {
		return Result{}, nil
	}
	for i, p := range progs {
		if p == nil {
			return Result{}, &ExecError{Reason: fmt.Sprintf("program %d is nil", i)}
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, &ExecError{Reason: "not started: " + err.Error(), Err: err}
	}
	for i, p := range progs {
		if n := p.inflight.Add(1); n > r.maxInFlight {
			for _, q := range progs[:i+1] {
				q.inflight.Add(-1)
			}
			return Result{}, &ExecError{Script: p.name, ScriptID: p.id, Err: ErrBusy,
				Reason: fmt.Sprintf("not run: %d executions of the script are in progress already", n-1)}
		}
	}
	x := newExecution(r, ctx, time.Now().Add(r.timeout))
	r.wd.add(x)
	j := job{x: x, progs: progs, ev: &ev}
	select {
	case r.jobs <- j:
	default:
		go r.worker(j)
	}
	return x.wait()
}
