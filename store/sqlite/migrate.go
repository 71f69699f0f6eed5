package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationInfo describes one schema migration.
type MigrationInfo struct {
	// Version is the migration's number, from its file name (0001_init.sql is 1).
	Version int
	// Name is the rest of the file name without the extension ("init").
	Name string
	// AppliedAt is when the migration was applied; zero if it is pending.
	AppliedAt time.Time
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations parses the embedded files once. Versions must run 1, 2, 3, …
// without gaps so that the order is the file order.
var migrations = sync.OnceValues(func() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || name == "" {
			return nil, fmt.Errorf("sqlite: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %04d_%s is out of sequence (want version %d)", m.version, m.name, i+1)
		}
	}
	return out, nil
})

// Migrate applies the pending embedded migrations in order, each in its own
// transaction together with its row in schema_migrations. It is idempotent
// and safe to run from several processes at once: each migration's
// transaction starts with BEGIN IMMEDIATE and re-checks whether it has been
// applied. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("sqlite: migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return tx.Commit()
}

// MigrationStatus lists every migration this binary embeds, in order, with
// its applied time (zero when pending), followed by any migration recorded in
// the database that this binary does not know (applied by a newer version).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationInfo, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]MigrationInfo{}
	var unknown []MigrationInfo
	for rows.Next() {
		var mi MigrationInfo
		var at string
		if err := rows.Scan(&mi.Version, &mi.Name, &at); err != nil {
			return nil, err
		}
		if mi.AppliedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("sqlite: schema_migrations version %d: %w", mi.Version, err)
		}
		applied[mi.Version] = mi
		if mi.Version > len(ms) {
			unknown = append(unknown, mi)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]MigrationInfo, 0, len(ms)+len(unknown))
	for _, m := range ms {
		out = append(out, MigrationInfo{Version: m.version, Name: m.name, AppliedAt: applied[m.version].AppliedAt})
	}
	return append(out, unknown...), nil
}
