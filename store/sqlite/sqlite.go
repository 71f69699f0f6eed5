package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/credo-dev/credo/store"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// MaxLogs says otherwise.
const DefaultMaxLogs = 10000

// defaultLimit is the page size when store.Page.Limit is 0.
const defaultLimit = 50

// busyTimeoutMillis is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	// MaxLogs is how many of the newest log events AppendLogs keeps; older
	// ones are deleted. Open sets it to DefaultMaxLogs; values below 1 mean
	// DefaultMaxLogs. Change it only before the Store is shared.
	MaxLogs int

	w *sql.DB // exactly one connection; transactions BEGIN IMMEDIATE
	r *sql.DB // read-only connections
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it with mode 0600 if needed) the SQLite database at
// path, configures WAL, foreign keys, synchronous=NORMAL and a busy timeout,
// and applies pending migrations. path is a file system path, not a URI;
// ":memory:" databases are refused (see the package documentation).
func Open(ctx context.Context, path string) (*Store, error) {
	switch {
	case path == "":
		return nil, errors.New("sqlite: empty database path")
	case strings.Contains(path, ":memory:"), strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: %q: a file path is required (in-memory databases and URIs are not supported)", path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("sqlite: %q: the path must not contain '?'", path)
	}
	// Create the file ourselves so it is private from the first byte; SQLite
	// gives its -wal and -shm files the same mode as the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}

	common := fmt.Sprintf("_busy_timeout=%d&_fk=1", busyTimeoutMillis)
	w, err := sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{MaxLogs: DefaultMaxLogs, w: w}
	// The first connection switches the file to WAL before any reader opens.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	readers := max(4, runtime.GOMAXPROCS(0))
	r, err := sql.Open("sqlite", path+"?"+common+"&_synchronous=NORMAL&_query_only=1&_txlock=deferred")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s.r = r

	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping reports whether the database file can be read and written.
func (s *Store) Ping(ctx context.Context) error {
	return errors.Join(s.r.PingContext(ctx), s.w.PingContext(ctx))
}

// Version returns the tenant version.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&v)
	return v, err
}

// queryer is what reads need from *sql.DB and *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// write runs fn in a write transaction that also bumps the tenant version.
// fn's error is returned as is; constraint errors from the database become
// store.ErrConflict or store.ErrNotFound.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tenant_version SET version = version + 1 WHERE id = 1`)
		return err
	})
}

// tx runs fn in a write transaction without bumping the version.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return mapErr(tx.Commit())
}

// read runs fn in a read transaction: every statement sees one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// mapErr turns SQLite constraint violations into the store's sentinels.
func mapErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	return err
}

// bounds returns the LIMIT and OFFSET for p.
func bounds(p store.Page) (limit, offset int) {
	limit, offset = p.Limit, max(p.Offset, 0)
	if limit <= 0 {
		limit = defaultLimit
	}
	return limit, offset
}

// Load reads everything the token endpoint needs in one read transaction.
func (s *Store) Load(ctx context.Context) (*store.Data, error) {
	d := &store.Data{Bindings: map[string][]string{}}
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		if err = tx.QueryRowContext(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&d.Version); err != nil {
			return err
		}
		if d.Clients, err = clients.all(ctx, tx, "", nil); err != nil {
			return err
		}
		if d.ResourceServers, err = resourceServers.all(ctx, tx, "", nil); err != nil {
			return err
		}
		if d.Grants, err = clientGrants.all(ctx, tx, "", nil); err != nil {
			return err
		}
		if d.Keys, err = signingKeys.all(ctx, tx, "", nil); err != nil {
			return err
		}
		if d.Hooks, err = hooks.all(ctx, tx, "", nil); err != nil {
			return err
		}
		if d.Settings, err = settings(ctx, tx); err != nil {
			return err
		}
		return loadBindings(ctx, tx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// loadBindings fills d.Bindings and d.Actions: the bound actions, each once,
// in trigger order and binding order within a trigger.
func loadBindings(ctx context.Context, tx *sql.Tx, d *store.Data) error {
	rows, err := tx.QueryContext(ctx, `SELECT b.trigger, a.id, a.doc FROM action_bindings b
		JOIN actions a ON a.id = b.action_id ORDER BY b.trigger, b.position`)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var trigger string
		var a store.Action
		if err := actions.scanInto(rows, &a, &trigger); err != nil {
			return err
		}
		d.Bindings[trigger] = append(d.Bindings[trigger], a.ID)
		if !seen[a.ID] {
			seen[a.ID] = true
			d.Actions = append(d.Actions, a)
		}
	}
	return rows.Err()
}
