package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/postgres"
	"github.com/credo-dev/credo/store/storetest"
)

func TestConformance(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, dsn, newSchema(t, dsn), postgres.Options{}) })
}

// testDSN returns $CREDO_TEST_POSTGRES or skips the test.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CREDO_TEST_POSTGRES not set: skipping PostgreSQL conformance")
	}
	return dsn
}

// newSchema names a schema of the test's own, dropped when the test ends.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "credo_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

func open(t *testing.T, dsn, schema string, opt postgres.Options) *postgres.Store {
	t.Helper()
	opt.Schema = schema
	if opt.MaxConns == 0 {
		opt.MaxConns = 4
	}
	s, err := postgres.Open(t.Context(), dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// admin runs one statement on a connection of its own.
func admin(t *testing.T, dsn, sql string, args ...any) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	return tag.RowsAffected()
}

func receive(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no notification within 10s", what)
	}
}

func TestLogRetention(t *testing.T) {
	dsn := testDSN(t)
	storetest.RunLogRetention(t, open(t, dsn, newSchema(t, dsn), postgres.Options{MaxLogs: 7}), 7)
}

func TestAuditRetention(t *testing.T) {
	dsn := testDSN(t)
	storetest.RunAuditRetention(t, open(t, dsn, newSchema(t, dsn), postgres.Options{MaxLogs: 7}), 7)
}

func TestChangesAfterWriteFromAnotherStore(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := open(t, dsn, schema, postgres.Options{}), open(t, dsn, schema, postgres.Options{})
	other := open(t, dsn, newSchema(t, dsn), postgres.Options{})

	ctx, cancel := context.WithCancel(t.Context())
	ch := a.Changes(ctx)
	receive(t, ch, "listening started")

	// A write to another schema is not this store's change.
	if err := other.CreateClient(t.Context(), store.Client{ClientID: "c0"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("notified of a write to another schema")
	case <-time.After(300 * time.Millisecond):
	}

	if err := b.CreateClient(t.Context(), store.Client{ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, "write from the second store")
	if _, err := b.UpdateSettings(t.Context(), func(st *store.Settings) error { st.HonorScopeSubset = true; return nil }); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, "second write")

	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("value after cancel, want the channel closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
}

func TestChangesReconnects(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := open(t, dsn, schema, postgres.Options{}), open(t, dsn, schema, postgres.Options{})
	ch := a.Changes(t.Context())
	receive(t, ch, "listening started")

	app := postgres.ListenerApplicationName + ":" + schema
	if n := admin(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	receive(t, ch, "reconnected")

	if err := b.CreateClient(t.Context(), store.Client{ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, "write after reconnecting")
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const n = 3
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.Options{Schema: schema, MaxConns: 2})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	status, err := stores[0].MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(status) == 0 || status[0].Version != 1 || status[0].Name != "init" {
		t.Fatalf("status = %+v, want 0001 init first", status)
	}
	for i, m := range status {
		if m.Version != i+1 || m.AppliedAt.IsZero() || time.Since(m.AppliedAt) > time.Minute {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
	if err := stores[1].Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	again, err := stores[2].MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(status) {
		t.Fatalf("status after migrating again = %+v, want %+v", again, status)
	}
}

// TestSigningKeysAcrossReplicas runs the one-current-key race between two
// Stores, as two replicas would.
func TestSigningKeysAcrossReplicas(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	replicas := []*postgres.Store{open(t, dsn, schema, postgres.Options{}), open(t, dsn, schema, postgres.Options{})}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			err := replicas[i%2].UpdateSigningKeys(t.Context(), func(keys []store.SigningKey) ([]store.SigningKey, error) {
				for _, k := range keys {
					if k.State == store.KeyCurrent {
						return nil, nil
					}
				}
				time.Sleep(20 * time.Millisecond)
				return []store.SigningKey{{KID: fmt.Sprintf("k%d", i), KeyType: "RSA", State: store.KeyCurrent}}, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := replicas[0].ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("keys = %+v, want exactly one", keys)
	}
}

// TestPoolRecovers kills the Store's query connections, as a database
// restart would, before each kind of call: the call succeeds on a new
// connection.
func TestPoolRecovers(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := open(t, dsn, schema, postgres.Options{MaxConns: 4})
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ClientID: "c0"}); err != nil {
		t.Fatal(err)
	}
	app := postgres.ApplicationName + ":" + schema
	killAll := func() {
		t.Helper()
		// Fill the pool with several idle connections, then kill them.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := s.Load(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := admin(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); n < 1 {
			t.Fatalf("terminated %d connections", n)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if admin(t, dsn, `SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, app) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("terminated backends still present after 10s")
			}
		}
	}
	for name, op := range map[string]func() error{
		"create": func() error { return s.CreateClient(ctx, store.Client{ClientID: "c1"}) },
		"update": func() error {
			_, err := s.UpdateClient(ctx, "c0", func(c *store.Client) error { c.Name = "x"; return nil })
			return err
		},
		"get":     func() error { _, err := s.GetClient(ctx, "c0"); return err },
		"version": func() error { _, err := s.Version(ctx); return err },
		"list": func() error {
			_, _, err := s.ListClients(ctx, store.ClientFilter{})
			return err
		},
		"load": func() error { _, err := s.Load(ctx); return err },
	} {
		killAll()
		if err := op(); err != nil {
			t.Errorf("%s after the connections died: %v", name, err)
		}
	}
}

func TestStatementTimeout(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := open(t, dsn, schema, postgres.Options{StatementTimeout: 1500 * time.Millisecond})
	// Hold a lock on the settings row so that UpdateSettings must wait for it
	// longer than the statement timeout.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM `+pgx.Identifier{schema, "settings"}.Sanitize()+` FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.UpdateSettings(t.Context(), func(*store.Settings) error { return nil })
	if err == nil || time.Since(start) > 8*time.Second {
		t.Fatalf("UpdateSettings behind a held lock: error %v after %v, want a statement timeout", err, time.Since(start))
	}
	t.Logf("refused after %v: %v", time.Since(start), err)
}

// TestWriteRetriedAfterConnectionDies kills the Store's connections in the
// middle of a write transaction: the transaction never committed, so it runs
// again on a new connection (fn included) and its effect lands once.
func TestWriteRetriedAfterConnectionDies(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := open(t, dsn, schema, postgres.Options{MaxConns: 2})
	ctx := t.Context()
	if err := s.CreateClient(ctx, store.Client{ClientID: "c0"}); err != nil {
		t.Fatal(err)
	}
	app := postgres.ApplicationName + ":" + schema
	calls := 0
	c, err := s.UpdateClient(ctx, "c0", func(c *store.Client) error {
		calls++
		if calls == 1 {
			if n := admin(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); n < 1 {
				t.Errorf("terminated %d connections", n)
			}
		}
		c.Name = c.Name + "x"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || c.Name != "x" {
		t.Fatalf("fn ran %d times, name %q; want 2 and %q", calls, c.Name, "x")
	}
	if got, err := s.GetClient(ctx, "c0"); err != nil || got.Name != "x" {
		t.Fatalf("stored name %q, %v; want %q", got.Name, err, "x")
	}
	if v, err := s.Version(ctx); err != nil || v != 2 {
		t.Fatalf("version %d, %v; want 2", v, err)
	}
}
