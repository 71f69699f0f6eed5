package tenant

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/credo-dev/credo/store"
)

// EventLog writes tenant log events (seccft, feccft, sapi, …) to the store
// in batches from a background goroutine, so that recording an event never
// adds a database round trip to a request. When the buffer is full, events
// are dropped and counted rather than blocking the token path.
type EventLog struct {
	store   store.Store
	log     *slog.Logger
	ch      chan store.LogEvent
	dropped atomic.Int64
	failed  atomic.Int64
	done    chan struct{}
}

// NewEventLog starts the writer; it stops after ctx ends and the buffer is flushed.
func NewEventLog(ctx context.Context, st store.Store, log *slog.Logger) *EventLog {
	l := &EventLog{store: st, log: log, ch: make(chan store.LogEvent, 8192), done: make(chan struct{})}
	go l.run(ctx)
	return l
}

// Add queues an event without blocking.
func (l *EventLog) Add(ev store.LogEvent) {
	if ev.ID == "" {
		ev.ID = NewLogID(ev.Date)
	}
	select {
	case l.ch <- ev:
	default:
		l.dropped.Add(1)
	}
}

// Dropped reports how many events were lost: dropped because the buffer
// was full, or in a batch the store failed to write.
func (l *EventLog) Dropped() int64 { return l.dropped.Load() + l.failed.Load() }

// WriteFailures reports how many events were lost in batches the store
// failed to write (part of Dropped).
func (l *EventLog) WriteFailures() int64 { return l.failed.Load() }

// Done is closed when the writer has flushed and stopped.
func (l *EventLog) Done() <-chan struct{} { return l.done }

func (l *EventLog) run(ctx context.Context) {
	defer close(l.done)
	batch := make([]store.LogEvent, 0, 512)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.store.AppendLogs(wctx, batch); err != nil {
			l.failed.Add(int64(len(batch)))
			if l.log != nil {
				l.log.Warn("writing tenant log events failed", "events", len(batch), "err", err)
			}
		}
		cancel()
		batch = batch[:0]
	}
	for {
		select {
		case ev := <-l.ch:
			batch = append(batch, ev)
			if len(batch) == cap(batch) {
				flush()
			}
		case <-t.C:
			flush()
		case <-ctx.Done():
			for {
				select {
				case ev := <-l.ch:
					batch = append(batch, ev)
				default:
					flush()
					return
				}
			}
		}
	}
}

// NewLogID returns a log id that sorts by time: the UTC date and time to
// the nanosecond in digits, then random hex, close to Auth0's
// numeric-looking ids. Ids from one process strictly increase, also for
// events within one nanosecond or under a clock that stands still (a test's),
// so that listing by id lists them in the order they happened.
func NewLogID(t time.Time) string {
	n := t.UnixNano()
	for {
		last := lastLogNanos.Load()
		if n <= last {
			n = last + 1
		}
		if lastLogNanos.CompareAndSwap(last, n) {
			break
		}
	}
	var r [6]byte
	rand.Read(r[:])
	ts := time.Unix(0, n).UTC().Format("20060102150405.000000000")
	return ts[:14] + ts[15:] + hex.EncodeToString(r[:])
}

// LogIDAt is the smallest id NewLogID could give an event at t and later:
// ids below it are of events before t.
func LogIDAt(t time.Time) string {
	ts := t.UTC().Format("20060102150405.000000000")
	return ts[:14] + ts[15:]
}

// lastLogNanos is the time of the newest id NewLogID returned.
var lastLogNanos atomic.Int64

// SystemActor is the client_name of audit entries for writes credo makes by
// itself (automatic key rotation, start-up, seed files).
const SystemActor = "credo"

// WithSystemAudit returns a context whose writes record audit entries (sapi)
// described by description, with credo itself as the actor.
func WithSystemAudit(ctx context.Context, description string, now time.Time) context.Context {
	now = now.UTC()
	return store.WithAudit(ctx, &store.Audit{Event: store.LogEvent{
		ID: NewLogID(now), Date: now, Type: "sapi", Description: description, ClientName: SystemActor,
		Details: map[string]any{"request": map[string]any{"channel": "credo", "auth": map[string]any{"strategy": "system"}}},
	}})
}
