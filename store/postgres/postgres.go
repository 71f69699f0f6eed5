package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/internal/sqlstore"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// Options.MaxLogs says otherwise.
const DefaultMaxLogs = sqlstore.DefaultMaxLogs

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
// Its store.Store methods other than Ping and Close are those of the
// shared SQL layer (store/internal/sqlstore).
type Store struct {
	*core
	db     *db
	schema string
}

// core is the shared SQL layer, embedded under an unexported name so that
// its methods are promoted without exporting a field of an internal type.
type core = sqlstore.Store

// dialect is PostgreSQL's side of the shared SQL. Every write sends NOTIFY
// with the schema as payload, delivered at commit. Writers of signing keys
// and of logs take a transaction advisory lock, scoped to the schema so
// that stores in different schemas do not wait on each other; updates lock
// the row they read.
var dialect = sqlstore.Dialect{
	Name:       "postgres",
	Migrations: sqlstore.EmbeddedMigrations(migrationFiles, "migrations"),
	Bump: `WITH v AS (UPDATE tenant_version SET version = version + 1 WHERE id = 1 RETURNING version)
		SELECT pg_notify('` + changesChannel + `', current_schema()) FROM v`,
	Lock:      `SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))`,
	ForUpdate: " FOR UPDATE",
	Now:       "now()",
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
	d := &db{start: time.Now()}
	pc.ShouldPing = d.shouldPing
	if d.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{core: sqlstore.New(d, dialect, func() int { return maxLogs }), db: d, schema: opt.Schema}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the Store's connections, waiting for those in use to be
// released. LISTEN connections close when the contexts given to Changes end.
func (s *Store) Close() error {
	s.db.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.run(ctx, func(c *pgx.Conn) error { return c.Ping(ctx) })
}
