package logstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/logstream"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

func newService(t *testing.T) *tenant.Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "credo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	return &tenant.Service{Store: st, Master: mk, Issuer: "https://credo.test/"}
}

// receiver is a webhook that can be down; it keeps what it got.
type receiver struct {
	down  atomic.Bool
	mu    sync.Mutex
	ids   []string
	auth  []string
	hits  atomic.Int64
	fails atomic.Int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.hits.Add(1)
	if rc.down.Load() {
		rc.fails.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var items []struct {
		LogID string         `json:"log_id"`
		Data  map[string]any `json:"data"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &items); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, it := range items {
		if it.Data["log_id"] != it.LogID || it.Data["_id"] != it.LogID {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.ids = append(rc.ids, it.LogID)
	}
	rc.auth = append(rc.auth, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Env"))
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...)
}

func appendEvents(t *testing.T, st store.Store, n int, ids *[]string) {
	t.Helper()
	var batch []store.LogEvent
	for range n {
		now := time.Now().UTC()
		e := store.LogEvent{ID: tenant.NewLogID(now), Date: now, Type: "feccft", Description: "Unauthorized", ClientID: "c"}
		*ids = append(*ids, e.ID)
		batch = append(batch, e)
	}
	if err := st.AppendLogs(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookAfterOutage: a webhook receiver that is down for a while gets
// every event, in order, once it is back, with the stream's authorization
// and custom headers; the token log and the audit log both flow.
func TestWebhookAfterOutage(t *testing.T) {
	svc := newService(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ctx := context.Background()
	endpoint, auth := srv.URL+"/hook", "Bearer stream-secret"
	hdrs := []store.StreamHeader{{Header: "X-Env", Value: "test"}}
	ls, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &endpoint, HTTPAuthorization: &auth, HTTPCustomHeaders: &hdrs})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ls.HTTPAuthorization, "stream-secret") {
		t.Fatal("the authorization is stored in plaintext")
	}
	time.Sleep(2 * time.Millisecond) // events after the stream's creation
	var want []string
	rc.down.Store(true)
	sm := &logstream.Streamer{Service: svc, Owner: "test", Interval: 10 * time.Millisecond, Settle: 20 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond, Batch: 7}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sm.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	for range 5 {
		appendEvents(t, svc.Store, 9, &want)
		time.Sleep(20 * time.Millisecond)
	}
	// An audit entry too (a durable write with its entry).
	actx := tenant.WithSystemAudit(ctx, "Create a client", time.Now())
	name := "audited"
	if _, _, err := svc.CreateClient(actx, tenant.ClientFields{Name: &name}); err != nil {
		t.Fatal(err)
	}
	sapi, _, _ := svc.Store.ListLogs(ctx, store.LogFilter{Query: &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldType, Value: "sapi"}})
	want = append(want, sapi[0].ID)
	appendEvents(t, svc.Store, 3, &want)
	deadline := time.Now().Add(5 * time.Second)
	for rc.fails.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(rc.got()) != 0 || rc.fails.Load() < 3 {
		t.Fatalf("while down: %d delivered, %d failed attempts", len(rc.got()), rc.fails.Load())
	}
	if l, _ := svc.Store.GetLogStream(ctx, ls.ID); l.LastError == "" || l.Status != tenant.StreamActive {
		t.Errorf("while failing: %+v", l)
	}
	rc.down.Store(false)
	for len(rc.got()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := rc.got()
	// At least once: a batch may come twice, never out of order.
	var dedup []string
	for i, id := range got {
		if i > 0 && id < got[i-1] && !contains(dedup, id) {
			t.Fatalf("out of order: %s after %s", id, got[i-1])
		}
		if !contains(dedup, id) {
			dedup = append(dedup, id)
		}
	}
	if strings.Join(dedup, ",") != strings.Join(want, ",") {
		t.Fatalf("delivered %d events %v\nwant %d %v", len(dedup), dedup, len(want), want)
	}
	rc.mu.Lock()
	for _, a := range rc.auth {
		if a != "Bearer stream-secret|test" {
			t.Errorf("headers %q", a)
		}
	}
	rc.mu.Unlock()
	// The cursor moves once the receiver has answered.
	var l store.LogStream
	for time.Now().Before(deadline) {
		if l, _ = svc.Store.GetLogStream(ctx, ls.ID); l.Cursor == want[len(want)-1] {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if l.LastError != "" || l.Cursor != want[len(want)-1] {
		t.Errorf("after recovery: cursor %s, last error %q", l.Cursor, l.LastError)
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// TestSuspendAndResume: a stream failing for SuspendAfter is suspended and
// delivers nothing; set active again, it resumes where it stopped.
func TestSuspendAndResume(t *testing.T) {
	svc := newService(t)
	rc := &receiver{}
	rc.down.Store(true)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ctx := context.Background()
	endpoint := srv.URL
	ls, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &endpoint})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	var want []string
	appendEvents(t, svc.Store, 4, &want)
	sm := &logstream.Streamer{Service: svc, Owner: "test", Interval: 5 * time.Millisecond, Settle: 10 * time.Millisecond,
		MaxBackoff: 10 * time.Millisecond, SuspendAfter: 60 * time.Millisecond}
	deadline := time.Now().Add(5 * time.Second)
	var l store.LogStream
	for time.Now().Before(deadline) {
		sm.Tick(ctx)
		if l, _ = svc.Store.GetLogStream(ctx, ls.ID); l.Status == tenant.StreamSuspended {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if l.Status != tenant.StreamSuspended || !strings.Contains(l.LastError, "503") {
		t.Fatalf("after failing: %+v", l)
	}
	rc.down.Store(false)
	hits := rc.hits.Load()
	sm.Tick(ctx)
	if rc.hits.Load() != hits {
		t.Fatal("a suspended stream was delivered")
	}
	active := tenant.StreamActive
	if _, err := svc.UpdateLogStream(ctx, ls.ID, tenant.LogStreamFields{Status: &active}); err != nil {
		t.Fatal(err)
	}
	sm.Tick(ctx)
	if got := rc.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after resuming: %v, want %v", got, want)
	}
}

// TestStdoutStream writes JSON lines; a filter keeps its category only.
func TestStdoutStream(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	filters := []store.StreamFilter{{Type: "category", Name: "auth.token_exchange.fail"}}
	if _, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamStdout, Filters: &filters}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	var want []string
	appendEvents(t, svc.Store, 2, &want)
	now := time.Now().UTC()
	if err := svc.Store.AppendLogs(ctx, []store.LogEvent{{ID: tenant.NewLogID(now), Date: now, Type: "seccft"}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sm := &logstream.Streamer{Service: svc, Owner: "test", Stdout: &out, Settle: time.Millisecond}
	time.Sleep(5 * time.Millisecond)
	sm.Tick(ctx)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"log_id":"`+want[0]+`"`) || !strings.Contains(lines[1], `"type":"feccft"`) {
		t.Fatalf("stdout:\n%s", out.String())
	}
}

// TestOneReplicaDelivers: two replicas' streamers on one store deliver each
// event once, by the lease in the stream's record.
func TestOneReplicaDelivers(t *testing.T) {
	svc := newService(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ctx := context.Background()
	endpoint := srv.URL
	if _, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &endpoint}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	a := &logstream.Streamer{Service: svc, Owner: "replica-a", Settle: time.Millisecond, Batch: 3}
	b := &logstream.Streamer{Service: svc, Owner: "replica-b", Settle: time.Millisecond, Batch: 3}
	var want []string
	for range 5 {
		appendEvents(t, svc.Store, 4, &want)
		time.Sleep(3 * time.Millisecond)
		b.Tick(ctx)
		a.Tick(ctx)
	}
	if got := rc.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("delivered %v\nwant %v", got, want)
	}
}
