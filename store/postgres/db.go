package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/internal/sqlstore"
)

// db is the sqlstore.DB of a Store: a pgxpool pool that runs a call once
// more after its connection died (see run).
type db struct {
	pool *pgxpool.Pool
	// suspect is when (time since start) a pooled connection was last found
	// dead: whatever killed it (a restart, pg_terminate_backend) likely
	// killed the idle ones too, so those released before then are pinged
	// before use (see shouldPing).
	start   time.Time
	suspect atomic.Int64
}

var (
	readOnly  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	readWrite = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
)

// Query runs fn on a pooled connection outside a transaction.
func (d *db) Query(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return d.run(ctx, func(c *pgx.Conn) error { return fn(querier{c}) })
}

// Read runs fn in a read-only repeatable-read transaction: one snapshot.
func (d *db) Read(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return d.tx(ctx, readOnly, func(tx pgx.Tx) error { return fn(querier{tx}) })
}

// Write runs fn in a read-committed transaction.
func (d *db) Write(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return d.tx(ctx, readWrite, func(tx pgx.Tx) error { return fn(querier{tx}) })
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
func (d *db) run(ctx context.Context, fn func(*pgx.Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := d.pool.Acquire(ctx)
		if err != nil {
			return unavailable(err)
		}
		err = fn(c.Conn())
		dead := c.Conn().IsClosed()
		c.Release() // pgxpool destroys a closed, busy or mid-transaction connection
		if dead {
			d.suspect.Store(int64(time.Since(d.start)))
		}
		var ce commitError
		if err == nil || !dead || attempt > 0 || ctx.Err() != nil || errors.As(err, &ce) {
			if dead && err != nil {
				return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
			}
			return unavailable(err)
		}
	}
}

// unavailable marks the errors of a database that cannot be reached or is
// going away (connection failures; PostgreSQL classes 08, 53 and 57P) as
// store.ErrUnavailable; others are returned as they are.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce):
	case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "57P")):
	default:
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// shouldPing is pgxpool's ShouldPing: ping a connection on its way out of
// the pool if it has been idle for over a second (pgxpool's default) or was
// released before a pooled connection was last found dead.
func (d *db) shouldPing(_ context.Context, p pgxpool.ShouldPingParams) bool {
	released := time.Since(d.start) - p.IdleDuration
	return p.IdleDuration > time.Second || int64(released) < d.suspect.Load()
}

// commitError marks an error from COMMIT: whether the transaction committed
// is unknown, so it is not run again.
type commitError struct{ err error }

func (e commitError) Error() string { return e.err.Error() }
func (e commitError) Unwrap() error { return e.err }

// tx runs fn in a transaction. fn's error is returned as is; a failed
// commit's constraint errors become store sentinels.
func (d *db) tx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return d.run(ctx, func(c *pgx.Conn) error {
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

// querier is a sqlstore.Querier on a *pgx.Conn or a pgx.Tx.
type querier struct {
	c interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	}
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return q.c.Query(ctx, sql, args...)
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return q.c.QueryRow(ctx, sql, args...)
}

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.c.Exec(ctx, sql, args...)
	return tag.RowsAffected(), mapErr(err)
}

// ExecEach sends one statement per argument list in one batch.
func (q querier) ExecEach(ctx context.Context, sql string, args [][]any) error {
	var b pgx.Batch
	for _, a := range args {
		b.Queue(sql, a...)
	}
	return mapErr(q.c.SendBatch(ctx, &b).Close())
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
