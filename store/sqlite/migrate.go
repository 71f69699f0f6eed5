package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/credo-dev/credo/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationInfo describes one schema migration: its Version (0001_init.sql
// is 1), its Name ("init") and AppliedAt, zero while it is pending.
type MigrationInfo = sqlstore.MigrationInfo

// Migrate applies the pending embedded migrations in order, each in its own
// transaction together with its row in schema_migrations. It is idempotent
// and safe to run from several processes at once: each migration's
// transaction starts with BEGIN IMMEDIATE and re-checks whether it has been
// applied. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	return dialect.Migrate(ctx, s.db.Write)
}

// MigrationStatus lists every migration this binary embeds, in order, with
// its applied time (zero when pending), followed by any migration recorded in
// the database that this binary does not know (applied by a newer version).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationInfo, error) {
	return dialect.MigrationStatus(ctx, s.db)
}
