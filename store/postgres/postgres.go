package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credo-dev/credo/store"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// Options.MaxLogs says otherwise.
const DefaultMaxLogs = 10000

// defaultLimit is the page size when store.Page.Limit is 0.
const defaultLimit = 50

// changesChannel is the NOTIFY channel every write signals.
const changesChannel = "credo_changes"

// ApplicationName is the application_name of a Store's query connections,
// followed by ":" and the schema when Options.Schema is set, unless the DSN
// names one.
const ApplicationName = "credo"

// Options configure Open. The zero value is usable.
type Options struct {
	// MaxConns caps the connections a Store keeps open for queries, not
	// counting one LISTEN connection per Changes call. Zero means
	// max(4, GOMAXPROCS). The other pool_* parameters that pgxpool reads
	// from the DSN (pool_max_conn_lifetime, …) apply as pgxpool documents;
	// pool_max_conns is overridden by this field.
	MaxConns int32
	// StatementTimeout, when positive, is set as the statement_timeout
	// runtime parameter of every connection.
	StatementTimeout time.Duration
	// Schema, when set, is created if missing and made the search_path of
	// every connection, so all of credo's tables live in it.
	Schema string
	// MaxLogs is how many of the newest log events AppendLogs keeps; older
	// ones are deleted. Zero means DefaultMaxLogs.
	MaxLogs int
}

// Store is a store.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	maxLogs int

	// suspect is when (time since start) a pooled connection was last found
	// dead: whatever killed it (a restart, pg_terminate_backend) likely
	// killed the idle ones too, so those released before then are pinged
	// before use (see shouldPing).
	start   time.Time
	suspect atomic.Int64
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; TLS as it says), applies pending migrations and returns
// the Store.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	config := pc.ConnConfig
	if opt.StatementTimeout > 0 {
		config.RuntimeParams["statement_timeout"] = strconv.FormatInt(opt.StatementTimeout.Milliseconds(), 10)
	}
	if opt.Schema != "" {
		config.RuntimeParams["search_path"] = pgx.Identifier{opt.Schema}.Sanitize()
	}
	if _, ok := config.RuntimeParams["application_name"]; !ok {
		config.RuntimeParams["application_name"] = ApplicationName
		if opt.Schema != "" {
			config.RuntimeParams["application_name"] += ":" + opt.Schema
		}
	}
	pc.MaxConns = opt.MaxConns
	if pc.MaxConns <= 0 {
		pc.MaxConns = int32(max(4, runtime.GOMAXPROCS(0)))
	}
	maxLogs := opt.MaxLogs
	if maxLogs <= 0 {
		maxLogs = DefaultMaxLogs
	}
	s := &Store{schema: opt.Schema, maxLogs: maxLogs, start: time.Now()}
	pc.ShouldPing = s.shouldPing
	if s.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the Store's connections, waiting for those in use to be
// released. LISTEN connections close when the contexts given to Changes end.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.withConn(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) })
}

// Version returns the tenant version.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&v)
	})
	return v, err
}

// querier is what reads and writes need from *pgx.Conn and pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// withConn runs fn, which must be safe to repeat (a read), on a pooled
// connection; see run.
func (s *Store) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	return s.run(ctx, fn)
}

// run runs fn on a pooled connection. After a database restart or a killed
// backend, pooled connections fail on first use (pgxpool pings only those
// idle for over a second); so when fn fails and its connection turns out to
// be dead, fn runs once more on another connection unless its error came
// from a COMMIT, whose outcome is unknown. A transaction whose session died
// before COMMIT was rolled back by the server, so a whole write transaction
// may run twice (and with it the fn given to an UpdateX method); reads are
// repeatable anyway. Idle connections released before the death are pinged
// before the second attempt uses them (see shouldPing).
func (s *Store) run(ctx context.Context, fn func(*pgx.Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		err = fn(c.Conn())
		dead := c.Conn().IsClosed()
		c.Release() // pgxpool destroys a closed, busy or mid-transaction connection
		if dead {
			s.suspect.Store(int64(time.Since(s.start)))
		}
		var ce commitError
		if err == nil || !dead || attempt > 0 || ctx.Err() != nil || errors.As(err, &ce) {
			return err
		}
	}
}

// shouldPing is pgxpool's ShouldPing: ping a connection on its way out of
// the pool if it has been idle for over a second (pgxpool's default) or was
// released before a pooled connection was last found dead.
func (s *Store) shouldPing(_ context.Context, p pgxpool.ShouldPingParams) bool {
	released := time.Since(s.start) - p.IdleDuration
	return p.IdleDuration > time.Second || int64(released) < s.suspect.Load()
}

// commitError marks an error from COMMIT: whether the transaction committed
// is unknown, so it is not run again.
type commitError struct{ err error }

func (e commitError) Error() string { return e.err.Error() }
func (e commitError) Unwrap() error { return e.err }

var (
	readOnly  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	readWrite = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
)

// tx runs fn in a transaction. fn's error is returned as is; a failed
// commit's constraint errors become store sentinels.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return s.run(ctx, func(c *pgx.Conn) error {
		tx, err := c.BeginTx(ctx, opts)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			rollback(ctx, tx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return commitError{mapErr(err)}
		}
		return nil
	})
}

// rollback ends tx even when ctx is already cancelled, so the connection
// stays usable.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	tx.Rollback(ctx)
}

// write runs fn in a read-committed transaction that then bumps the tenant
// version and notifies listeners. Taking the version row's lock last keeps
// it held only for the commit; it also orders concurrent commits.
func (s *Store) write(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.tx(ctx, readWrite, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

func bump(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `WITH v AS (UPDATE tenant_version SET version = version + 1 WHERE id = 1 RETURNING version)
		SELECT pg_notify('`+changesChannel+`', current_schema()) FROM v`)
	return err
}

// read runs fn in a read-only repeatable-read transaction: one snapshot.
func (s *Store) read(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.tx(ctx, readOnly, fn)
}

// advisoryLock takes a transaction advisory lock named by what, scoped to
// the schema so that stores in different schemas do not wait on each other.
func advisoryLock(ctx context.Context, tx pgx.Tx, what string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))`, ":credo:"+what)
	return err
}

// mapErr turns constraint violations into the store's sentinels.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case "23503": // foreign_key_violation
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

// Load reads everything the token endpoint needs in one snapshot.
func (s *Store) Load(ctx context.Context) (*store.Data, error) {
	d := &store.Data{Bindings: map[string][]string{}}
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		if err = tx.QueryRow(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&d.Version); err != nil {
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
func loadBindings(ctx context.Context, tx pgx.Tx, d *store.Data) error {
	rows, err := tx.Query(ctx, `SELECT b.trigger, a.id, a.doc FROM action_bindings b
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
