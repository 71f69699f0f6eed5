package sqlstore

import "context"

// DB runs functions in a backend's transactions. fn's error is returned as
// is; a backend may run fn a second time after a connection failure that
// left nothing committed, so fn must not keep state across calls.
type DB interface {
	// Query runs fn, which only reads, outside a transaction.
	Query(ctx context.Context, fn func(Querier) error) error
	// Read runs fn in a read-only transaction in which every statement sees
	// one snapshot.
	Read(ctx context.Context, fn func(Querier) error) error
	// Write runs fn in a read-write transaction and commits it unless fn
	// fails. A constraint violation found at commit is store.ErrConflict or
	// store.ErrNotFound.
	Write(ctx context.Context, fn func(Querier) error) error
}

// Querier runs statements on a backend's connection or transaction.
// Statements use $1, $2, … bind parameters.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// QueryRow's Scan fails with an error wrapping sql.ErrNoRows when there
	// is no row.
	QueryRow(ctx context.Context, sql string, args ...any) Row
	// Exec runs a statement and returns how many rows it affected. A
	// constraint violation is store.ErrConflict (unique) or
	// store.ErrNotFound (foreign key).
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// ExecEach runs sql once for each argument list, in one round trip
	// where the driver can; errors as Exec's.
	ExecEach(ctx context.Context, sql string, args [][]any) error
}

// Rows is the result of Querier.Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of Querier.QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// Dialect holds the statements that differ between backends.
type Dialect struct {
	// Name prefixes migration errors ("sqlite", "postgres").
	Name string
	// Migrations returns the backend's schema, in order (see
	// EmbeddedMigrations).
	Migrations func() ([]Migration, error)
	// Bump increments the tenant version; on PostgreSQL it also sends the
	// change notification, delivered at commit.
	Bump string
	// Lock, unless empty, takes a transaction-scoped lock named by its one
	// argument, serialising writers of signing keys and of logs across
	// processes. Empty where write transactions exclude each other anyway.
	Lock string
	// ForUpdate is appended to the SELECT that reads a row the same
	// transaction then overwrites (" FOR UPDATE"); empty where write
	// transactions exclude each other anyway.
	ForUpdate string
	// Now is the current time as schema_migrations.applied_at stores it.
	Now string
}
