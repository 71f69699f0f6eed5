package logstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Streamer delivers log events to the tenant's log streams.
type Streamer struct {
	Service *tenant.Service
	Log     *slog.Logger
	// Owner names this process in a stream's lease (host and pid).
	Owner string
	// Stdout receives the stdout streams' lines.
	Stdout io.Writer
	// HTTP sends webhooks (default: a client with a 10 s timeout that
	// connects only to the addresses Service.StreamNetworks allows).
	HTTP *http.Client
	Now  func() time.Time

	// Interval between polls of the store (default 1 s); Settle is how old
	// an event must be to be read (default 2 s); Batch bounds the events
	// of one delivery (default 100); MaxBackoff bounds the wait between
	// failed deliveries (default 1 min); SuspendAfter is how long a stream
	// may keep failing before it is suspended (default 10 min); Lease is
	// how long a replica owns a stream it delivers (default 30 s).
	Interval, Settle, MaxBackoff, SuspendAfter, Lease time.Duration
	Batch                                             int

	// Delivered, when set, is told of each successful delivery: the
	// stream, the number of events and how old the newest one was.
	Delivered func(stream string, events int, lag time.Duration)

	mu    sync.Mutex
	state map[string]*retry
}

type retry struct {
	next    time.Time
	backoff time.Duration
}

func (s *Streamer) defaults() {
	if s.Interval <= 0 {
		s.Interval = time.Second
	}
	if s.Settle <= 0 {
		s.Settle = 2 * time.Second
	}
	if s.Batch <= 0 {
		s.Batch = 100
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = time.Minute
	}
	if s.SuspendAfter <= 0 {
		s.SuspendAfter = 10 * time.Minute
	}
	if s.Lease <= 0 {
		s.Lease = 30 * time.Second
	}
	if s.HTTP == nil {
		s.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: guardedTransport(s.Service.StreamNetworks)}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.state == nil {
		s.state = map[string]*retry{}
	}
}

// Run delivers until ctx ends.
func (s *Streamer) Run(ctx context.Context) {
	s.mu.Lock()
	s.defaults()
	s.mu.Unlock()
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick makes one pass over the active streams: each due stream gets the
// events after its cursor, as many batches as are ready.
func (s *Streamer) Tick(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaults()
	list, err := s.Service.Store.ListLogStreams(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("log streams: listing failed", "err", err)
		}
		return
	}
	for _, l := range list {
		if l.Status != tenant.StreamActive {
			delete(s.state, l.ID)
			continue
		}
		r := s.state[l.ID]
		if r == nil {
			r = &retry{}
			s.state[l.ID] = r
		}
		if s.Now().Before(r.next) {
			continue
		}
		for range 10 { // at most 10 batches per tick and stream
			n, err := s.deliver(ctx, &l)
			if err != nil {
				s.failed(ctx, &l, r, err)
				break
			}
			r.backoff, r.next = 0, time.Time{}
			if n < s.Batch {
				break
			}
		}
	}
}

var errLeased = errors.New("leased by another replica")

// deliver sends the next batch of l's events and advances its cursor; it
// returns how many events it read.
func (s *Streamer) deliver(ctx context.Context, l *store.LogStream) (int, error) {
	now := s.Now()
	if l.LeaseOwner != s.Owner || l.LeaseUntil.Before(now.Add(s.Lease/3)) {
		got, err := s.Service.Store.SetLogStreamState(ctx, l.ID, func(v *store.LogStream) error {
			if v.LeaseOwner != s.Owner && v.LeaseUntil.After(now) {
				return errLeased
			}
			v.LeaseOwner, v.LeaseUntil = s.Owner, now.Add(s.Lease)
			return nil
		})
		if errors.Is(err, errLeased) {
			return 0, nil // another replica delivers it
		}
		if err != nil {
			return 0, err
		}
		*l = got
	}
	evs, _, err := s.Service.Store.ListLogs(ctx, store.LogFilter{After: l.Cursor, Before: tenant.LogIDAt(now.Add(-s.Settle)),
		Ascending: true, Page: store.Page{Limit: s.Batch}})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	send := slices.DeleteFunc(slices.Clone(evs), func(e store.LogEvent) bool { return !matches(l.Filters, e.Type) })
	if len(send) > 0 {
		if err := s.send(ctx, l, send); err != nil {
			return 0, err
		}
	}
	last := evs[len(evs)-1]
	got, err := s.Service.Store.SetLogStreamState(ctx, l.ID, func(v *store.LogStream) error {
		if v.LeaseOwner != s.Owner {
			return errLeased
		}
		v.Cursor, v.LastError, v.FailingSince = last.ID, "", time.Time{}
		return nil
	})
	if err != nil {
		return 0, err
	}
	*l = got
	if s.Delivered != nil && len(send) > 0 {
		s.Delivered(l.ID, len(send), now.Sub(send[len(send)-1].Date))
	}
	return len(evs), nil
}

// failed backs off and, past SuspendAfter of failures, suspends the stream.
func (s *Streamer) failed(ctx context.Context, l *store.LogStream, r *retry, cause error) {
	if errors.Is(cause, errLeased) {
		return
	}
	r.backoff = min(max(2*r.backoff, time.Second/4), s.MaxBackoff)
	now := s.Now()
	r.next = now.Add(r.backoff)
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	got, err := s.Service.Store.SetLogStreamState(ctx, l.ID, func(v *store.LogStream) error {
		if v.FailingSince.IsZero() {
			v.FailingSince = now
		}
		v.LastError = msg
		if now.Sub(v.FailingSince) >= s.SuspendAfter && v.Status == tenant.StreamActive {
			v.Status = tenant.StreamSuspended
		}
		return nil
	})
	if err != nil {
		s.Log.Warn("log streams: recording a failed delivery failed", "stream", l.ID, "err", err)
		return
	}
	if got.Status == tenant.StreamSuspended {
		s.Log.Error("log stream suspended after failing deliveries", "stream", l.ID, "name", l.Name, "failing_since", got.FailingSince, "err", msg)
	} else {
		s.Log.Warn("log stream delivery failed; retrying", "stream", l.ID, "name", l.Name, "retry_in", r.backoff, "err", msg)
	}
}

// item is one delivered event, in Auth0's log stream shape.
type item struct {
	LogID string        `json:"log_id"`
	Data  mgmt.LogEvent `json:"data"`
}

func (s *Streamer) send(ctx context.Context, l *store.LogStream, evs []store.LogEvent) error {
	items := make([]item, len(evs))
	for i, e := range evs {
		items[i] = item{LogID: e.ID, Data: mgmt.LogEventView(e)}
	}
	if l.Type == tenant.StreamStdout {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, it := range items {
			enc.Encode(it)
		}
		_, err := s.Stdout.Write(buf.Bytes())
		return err
	}
	var bodies [][]byte
	switch l.HTTPContentFormat {
	case "JSONLINES":
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, it := range items {
			enc.Encode(it)
		}
		bodies = append(bodies, buf.Bytes())
	case "JSONOBJECT":
		for _, it := range items {
			b, _ := json.Marshal(it)
			bodies = append(bodies, b)
		}
	default: // JSONARRAY
		b, _ := json.Marshal(items)
		bodies = append(bodies, b)
	}
	auth, err := s.Service.StreamAuthorization(*l)
	if err != nil {
		return fmt.Errorf("opening the stream's authorization: %w", err)
	}
	for _, body := range bodies {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.HTTPEndpoint, bytes.NewReader(body))
		if err != nil {
			return err
		}
		ct := l.HTTPContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("User-Agent", "credo-log-stream")
		for _, h := range l.HTTPCustomHeaders {
			req.Header.Set(h.Header, h.Value)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := s.HTTP.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("POST %s: %s", l.HTTPEndpoint, resp.Status)
		}
	}
	return nil
}

// categories are Auth0's log stream filter categories of credo's event types.
var categories = map[string]string{
	"seccft": "auth.token_exchange.success", "feccft": "auth.token_exchange.fail",
	"sapi": "management.success", "fapi": "management.fail",
}

// matches reports whether an event of type typ passes the filters (none:
// every event).
func matches(filters []store.StreamFilter, typ string) bool {
	if len(filters) == 0 {
		return true
	}
	cat, ok := categories[typ]
	if !ok {
		cat = "other"
	}
	for _, f := range filters {
		if f.Name == cat {
			return true
		}
	}
	return false
}

// guardedTransport is an HTTP transport whose connections reach only the
// addresses networks allows. The check runs on the address actually dialled,
// after name resolution, so a name that resolves (or is re-pointed) to a
// refused address is refused too. With HTTPS_PROXY/HTTP_PROXY set, the
// address checked is the proxy's.
func guardedTransport(networks tenant.StreamNetworks) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("log stream: cannot check address %q: %w", address, err)
			}
			return networks.Check(ap.Addr())
		}}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = d.DialContext
	return t
}
