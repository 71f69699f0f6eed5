package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/credo-dev/credo/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationInfo describes one schema migration: its Version (0001_init.sql
// is 1), its Name ("init") and AppliedAt, zero while it is pending.
type MigrationInfo = sqlstore.MigrationInfo

// Migrate creates Options.Schema if set and applies the pending embedded
// migrations in order, each in its own transaction together with its row in
// schema_migrations. It holds a session advisory lock (per schema) while it
// works, so replicas that start together migrate once. It is idempotent;
// Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	return s.db.run(ctx, func(c *pgx.Conn) error {
		lock := "credo:migrate:" + s.schema
		if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, lock); err != nil {
			return fmt.Errorf("postgres: migration lock: %w", err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if _, err := c.Exec(ctx, `SELECT pg_advisory_unlock(hashtext($1))`, lock); err != nil {
				closeConn(c) // ending the session releases the lock
			}
		}()
		if s.schema != "" {
			if _, err := c.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return fmt.Errorf("postgres: create schema: %w", err)
			}
		}
		if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: create schema_migrations: %w", err)
		}
		// The migrations run on this connection, which holds the lock.
		return dialect.Migrate(ctx, func(ctx context.Context, fn func(sqlstore.Querier) error) error {
			return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return fn(querier{tx}) })
		})
	})
}

// MigrationStatus lists every migration this binary embeds, in order, with
// its applied time (zero when pending), followed by any migration recorded in
// the database that this binary does not know (applied by a newer version).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationInfo, error) {
	return dialect.MigrationStatus(ctx, s.db)
}
