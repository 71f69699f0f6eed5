package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/internal/sqlstore"
	"github.com/credo-dev/credo/store/sqlite"
	"github.com/credo-dev/credo/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, filepath.Join(t.TempDir(), "credo.db")) })
}

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLogRetention(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "credo.db"))
	s.MaxLogs = 7
	storetest.RunLogRetention(t, s, 7)
}

func TestAuditRetention(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "credo.db"))
	s.MaxLogs = 7
	storetest.RunAuditRetention(t, s, 7)
}

func TestFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credo.db")
	s := open(t, path)
	if err := s.CreateClient(t.Context(), store.Client{ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestRefusesMemoryAndURIs(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared", "file:credo.db", "credo.db?_fk=0"} {
		if s, err := sqlite.Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credo.db")
	before := time.Now().Add(-time.Second)
	s := open(t, path)
	status, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(status) == 0 || status[0].Version != 1 || status[0].Name != "init" {
		t.Fatalf("status = %+v, want 0001 init first", status)
	}
	for i, m := range status {
		if m.Version != i+1 || m.AppliedAt.Before(before) || m.AppliedAt.After(time.Now()) {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
	if err := s.CreateClient(t.Context(), store.Client{ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}

	// Migrating again, here or from a second Store on the same file, changes
	// nothing and keeps the data.
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path)
	again, err := s2.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, status) {
		t.Fatalf("status after reopening = %+v, want %+v", again, status)
	}
	if _, err := s2.GetClient(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
}

// TestTwoStoresOneFile stands in for a second process (the CLI) writing to
// the same file: writes from both succeed and each sees the other's.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credo.db")
	a, b := open(t, path), open(t, path)
	ctx := t.Context()
	var wg sync.WaitGroup
	for i, s := range []*sqlite.Store{a, b} {
		wg.Go(func() {
			for j := range 20 {
				if err := s.CreateClient(ctx, store.Client{ClientID: fmt.Sprintf("s%d-c%02d", i, j)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, s := range []*sqlite.Store{a, b} {
		_, total, err := s.ListClients(ctx, store.ClientFilter{})
		if err != nil || total != 40 {
			t.Fatalf("total = %d, %v; want 40", total, err)
		}
		if v, err := s.Version(ctx); err != nil || v != 40 {
			t.Fatalf("version = %d, %v; want 40", v, err)
		}
	}
}

// TestNewerSchemaRefused: a database migrated by a newer credo (a migration
// this binary does not know) is refused with a message that says why,
// instead of being read and written by code that does not know its schema.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credo.db")
	s := open(t, path)
	status, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', '2030-01-01T00:00:00Z')`, len(status)+1); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(t.Context(), path)
	var tooNew *sqlstore.SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Database != len(status)+1 || tooNew.Known != len(status) || !strings.Contains(err.Error(), "newer credo") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

// TestBackupUnderWrites: a backup taken while another goroutine writes is a
// complete, consistent database holding every write committed before it.
func TestBackupUnderWrites(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "credo.db"))
	ctx := t.Context()
	for i := range 50 {
		if err := s.CreateClient(ctx, store.Client{ClientID: fmt.Sprintf("before-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.CreateClient(ctx, store.Client{ClientID: fmt.Sprintf("during-%05d", i)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	backup := filepath.Join(dir, "backup.db")
	err := s.Backup(ctx, backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, backup); err == nil {
		t.Fatal("a backup overwrote an existing file")
	}
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", st, err)
	}
	b := open(t, backup)
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := b.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, n, err := b.ListClients(ctx, store.ClientFilter{})
	if err != nil || int64(n) != v || n < 50 {
		t.Fatalf("backup: %d clients at version %d (%v): not one consistent commit", n, v, err)
	}
	for i := range 50 {
		if _, err := b.GetClient(ctx, fmt.Sprintf("before-%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
}
