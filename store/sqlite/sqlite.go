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
	"github.com/credo-dev/credo/store/internal/sqlstore"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// MaxLogs says otherwise.
const DefaultMaxLogs = sqlstore.DefaultMaxLogs

// busyTimeoutMillis is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
// Its store.Store methods other than Ping and Close are those of the
// shared SQL layer (store/internal/sqlstore).
type Store struct {
	*core
	// MaxLogs is how many of the newest log events AppendLogs keeps; older
	// ones are deleted. Open sets it to DefaultMaxLogs; values below 1 mean
	// DefaultMaxLogs. Change it only before the Store is shared.
	MaxLogs int

	db *db
}

// core is the shared SQL layer, embedded under an unexported name so that
// its methods are promoted without exporting a field of an internal type.
type core = sqlstore.Store

// dialect is SQLite's side of the shared SQL. The single writer connection
// serialises write transactions (BEGIN IMMEDIATE), so no lock statements.
var dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Migrations: sqlstore.EmbeddedMigrations(migrationFiles, "migrations"),
	Bump:       `UPDATE tenant_version SET version = version + 1 WHERE id = 1`,
	Now:        `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
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
	s := &Store{MaxLogs: DefaultMaxLogs, db: &db{w: w, r: r}}
	s.core = sqlstore.New(s.db, dialect, func() int { return s.MaxLogs })

	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.db.r.Close(), s.db.w.Close())
}

// Ping reports whether the database file can be read and written.
func (s *Store) Ping(ctx context.Context) error {
	return errors.Join(s.db.r.PingContext(ctx), s.db.w.PingContext(ctx))
}

// db is the sqlstore.DB of a Store.
type db struct {
	w *sql.DB // exactly one connection; transactions BEGIN IMMEDIATE
	r *sql.DB // read-only connections
}

// Query runs fn on the read-only connections.
func (d *db) Query(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return fn(querier{d.r})
}

// Read runs fn in a read transaction: every statement sees one snapshot.
func (d *db) Read(ctx context.Context, fn func(sqlstore.Querier) error) error {
	tx, err := d.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	return fn(querier{tx})
}

// Write runs fn in a transaction on the writer connection, which begins
// with BEGIN IMMEDIATE: writers in this process queue for the connection,
// writers in other processes wait on the busy timeout.
func (d *db) Write(ctx context.Context, fn func(sqlstore.Querier) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	if err := fn(querier{tx}); err != nil {
		return err
	}
	return mapErr(tx.Commit())
}

// querier is a sqlstore.Querier on a *sql.DB or *sql.Tx.
type querier struct {
	c interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	}
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r, err := q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.c.QueryRowContext(ctx, query, args...)
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

// ExecEach prepares query once and runs it with each argument list.
func (q querier) ExecEach(ctx context.Context, query string, args [][]any) error {
	stmt, err := q.c.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, a := range args {
		if _, err := stmt.ExecContext(ctx, a...); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// rows is a sqlstore.Rows on *sql.Rows.
type rows struct{ *sql.Rows }

func (r rows) Close() { r.Rows.Close() }

// mapErr turns SQLite constraint violations into the store's sentinels,
// and a database that is locked past the busy timeout, read-only, full or
// failing to read or write into store.ErrUnavailable.
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
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// Backup writes a consistent copy of the database to path, which must not
// exist, while other connections and processes go on reading and writing
// (SQLite's VACUUM INTO: one read transaction, so the copy is the database
// as of one commit, with the WAL's contents folded in). The copy is a
// complete SQLite file: Open it, or put it in place of a database, as is.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("sqlite: backup %s: the file exists; choose a new name", path)
	}
	if _, err := s.db.w.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil { // the readers are query_only
		return fmt.Errorf("sqlite: backup to %s: %w", path, mapErr(err))
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("sqlite: backup %s: %w", path, err)
	}
	return nil
}

// Check runs SQLite's integrity check and reports the first problem.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.db.r.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: integrity check: %s", res)
	}
	return nil
}
