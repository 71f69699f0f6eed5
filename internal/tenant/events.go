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

// Dropped reports how many events were dropped because the buffer was full.
func (l *EventLog) Dropped() int64 { return l.dropped.Load() }

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
		if err := l.store.AppendLogs(wctx, batch); err != nil && l.log != nil {
			l.log.Warn("writing tenant log events failed", "events", len(batch), "err", err)
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

// NewLogID returns a log id that sorts by time: 90020 + unix nanos + random,
// close to Auth0's numeric-looking ids.
func NewLogID(t time.Time) string {
	var r [6]byte
	rand.Read(r[:])
	ts := t.UTC().Format("20060102150405.000000000")
	return ts[:14] + ts[15:] + hex.EncodeToString(r[:])
}
