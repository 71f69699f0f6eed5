package hook

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// stuckGrace is how long Run waits, after interrupting a script, for
	// it to stop before abandoning its goroutine: goja checks for an
	// interrupt between instructions, never inside a built-in.
	stuckGrace = 250 * time.Millisecond
	// maxStuck is the number of abandoned, still running executions of
	// one Program at which Run refuses to start it again.
	maxStuck = 2
	// workerIdle is how long an idle worker waits for another execution
	// before it exits.
	workerIdle = 30 * time.Second
)

// job is one Run handed to a worker.
type job struct {
	x     *execution
	progs []*Program
	ev    *Event
}

// worker runs jobs until it has been idle for workerIdle.
func (r *Runtime) worker(j job) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		j.x.work(j.progs, j.ev)
		j = job{}
		idle.Reset(workerIdle)
		select {
		case j = <-r.jobs:
		case <-idle.C:
			return
		}
	}
}

// epoch is the origin of execution.jsSince.
var epoch = time.Now()

// execution is one Run: a chain of programs run on their own goroutine.
type execution struct {
	rt       *Runtime
	ctx      context.Context
	deadline time.Time
	done     chan outcome // buffered: the worker never blocks on it

	// stop is closed, and the running script interrupted, when the
	// execution must end (deadline, ctx, heap limit).
	stop chan struct{}

	mu        sync.Mutex
	cause     *ExecError // why stop was closed
	cur       *vm        // the runtime running a script, if any
	abandoned bool       // Run has returned without the worker
	stuckProg *Program   // the program counted in its stuck counter
	slot      bool       // the worker holds a token of rt.slots

	// jsSince is when the worker entered JavaScript (nanoseconds since
	// epoch), 0 while it is in Go; the watchdog reads it.
	jsSince atomic.Int64
	// heapLimit is the heap size at which the watchdog interrupts; only
	// the watchdog goroutine touches it.
	heapLimit uint64
}

type outcome struct {
	res Result
	err error
}

func newExecution(r *Runtime, ctx context.Context, deadline time.Time) *execution {
	return &execution{
		rt:       r,
		ctx:      ctx,
		deadline: deadline,
		done:     make(chan outcome, 1),
		stop:     make(chan struct{}),
	}
}

// interrupt ends the execution: the first cause wins.
func (x *execution) interrupt(err error, format string, args ...any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cause != nil {
		return
	}
	x.cause = &ExecError{Reason: fmt.Sprintf(format, args...), Err: err}
	close(x.stop)
	if x.cur != nil {
		x.cur.interrupt(x.cause)
	}
}

// stopped returns the cause when the execution has been interrupted.
func (x *execution) stopped() *ExecError {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cause
}

// attach makes v the running runtime; it fails when the execution is
// already stopped.
func (x *execution) attach(v *vm) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cause != nil {
		return false
	}
	x.cur = v
	return true
}

// detach ends v's turn. After it returns no interrupt can reach v.
func (x *execution) detach(v *vm) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.cur = nil
	if x.stuckProg == v.prog {
		v.prog.stuck.Add(-1)
		x.stuckProg = nil
	}
}

// enterJS and leaveJS bracket every call into JavaScript; a call made
// from inside JavaScript keeps the outer call's start.
func (x *execution) enterJS() (outer int64) {
	outer = x.jsSince.Load()
	if outer == 0 {
		x.jsSince.Store(int64(time.Since(epoch)) | 1)
	}
	return outer
}

func (x *execution) leaveJS(outer int64) { x.jsSince.Store(outer) }

// wait is Run's side: it waits for the worker, interrupts it at the
// deadline or when ctx is done, and abandons it if it does not stop.
func (x *execution) wait() (Result, error) {
	t := time.NewTimer(time.Until(x.deadline))
	defer t.Stop()
	select {
	case o := <-x.done:
		return o.res, o.err
	case <-t.C:
		x.interrupt(ErrTimeout, "timed out after %v", x.rt.timeout)
	case <-x.ctx.Done():
		err := x.ctx.Err()
		x.interrupt(err, "stopped: %v", err)
	}
	t.Reset(stuckGrace)
	select {
	case o := <-x.done:
		return o.res, o.err
	case <-t.C:
	}
	x.mu.Lock()
	x.abandoned = true
	// The stuck worker no longer counts against MaxConcurrent: it is
	// counted in its program's stuck and in-flight counters instead.
	x.releaseLocked()
	cause := *x.cause
	if x.cur != nil {
		x.stuckProg = x.cur.prog
		x.stuckProg.stuck.Add(1)
		cause.Script, cause.ScriptID = x.cur.prog.name, x.cur.prog.id
	}
	x.mu.Unlock()
	cause.Reason += "; the script is stuck in a built-in function and was abandoned"
	x.rt.log.Warn("hook: script did not stop when interrupted; abandoning its goroutine",
		"script", cause.Script, "script_id", cause.ScriptID, "reason", cause.Reason)
	return Result{}, &cause
}

// acquire waits for a token of rt.slots, or for the execution to stop.
func (x *execution) acquire() *ExecError {
	select {
	case x.rt.slots <- struct{}{}:
	case <-x.stop:
		return x.stopped()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.abandoned {
		<-x.rt.slots
		return x.cause
	}
	x.slot = true
	return nil
}

// release gives the token back, if the execution holds it.
func (x *execution) release() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.releaseLocked()
}

func (x *execution) releaseLocked() {
	if x.slot {
		x.slot = false
		<-x.rt.slots
	}
}

// work runs the chain on the execution's goroutine.
func (x *execution) work(progs []*Program, ev *Event) {
	defer x.rt.wd.remove(x)
	defer func() {
		for _, p := range progs {
			p.inflight.Add(-1)
		}
	}()
	st := &chainState{ev: ev, scope: ev.Scope}
	var err error
	observe := x.rt.observe.Load()
	for _, p := range progs {
		start := time.Now()
		err = x.runOne(p, st)
		if observe != nil {
			(*observe)(p.name, time.Since(start), err)
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		x.done <- outcome{err: err}
		return
	}
	res := Result{}
	if len(st.claims) > 0 {
		res.CustomClaims = st.claims
	}
	if st.scopeChanged {
		res.Scope = st.scope
	}
	x.done <- outcome{res: res}
}

// runOne runs one program of the chain.
func (x *execution) runOne(p *Program, st *chainState) (err error) {
	if cause := x.stopped(); cause != nil {
		return x.failure(p, cause)
	}
	if p.stuck.Load() >= maxStuck {
		return &ExecError{Script: p.name, ScriptID: p.id, Err: ErrQuarantined,
			Reason: fmt.Sprintf("not run: %d earlier executions are still stuck in a built-in function", maxStuck)}
	}
	if err := x.acquire(); err != nil {
		return x.failure(p, err)
	}
	defer x.release()
	v := p.getVM()
	reuse := true
	defer func() {
		// A panic here is a bug in goja or in this package; the runtime
		// is not trusted again.
		if rec := recover(); rec != nil {
			reuse = false
			x.rt.log.Error("hook: panic while running a script", "script", p.name, "script_id", p.id,
				"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			err = &ExecError{Script: p.name, ScriptID: p.id, Reason: fmt.Sprintf("internal error: %v", rec)}
		}
		if v != nil {
			x.detach(v)
			if reuse && !v.interrupted.Load() {
				p.putVM(v)
			}
		}
	}()
	if v == nil {
		v, err = newVM(p)
		if err != nil {
			return &ExecError{Script: p.name, ScriptID: p.id, Reason: "cannot set up the runtime: " + err.Error()}
		}
	}
	if !x.attach(v) {
		return x.failure(p, x.stopped())
	}
	r := &run{x: x, v: v, st: st}
	if p.kind == KindHook {
		err = v.runHook(r)
	} else {
		err = v.runAction(r)
	}
	reuse = r.reusable
	return err
}

// failure names p in a copy of an execution-wide cause.
func (x *execution) failure(p *Program, cause *ExecError) *ExecError {
	e := *cause
	e.Script, e.ScriptID = p.name, p.id
	return &e
}
