package postgres

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

	"github.com/jackc/pgx/v5"
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
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql", e.Name())
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
			return nil, fmt.Errorf("postgres: migration %04d_%s is out of sequence (want version %d)", m.version, m.name, i+1)
		}
	}
	return out, nil
})

// Migrate creates Options.Schema if set and applies the pending embedded
// migrations in order, each in its own transaction together with its row in
// schema_migrations. It holds a session advisory lock (per schema) while it
// works, so replicas that start together migrate once. It is idempotent;
// Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return s.withConn(ctx, func(c *pgx.Conn) error {
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
		for _, m := range ms {
			if err := apply(ctx, c, m); err != nil {
				return fmt.Errorf("postgres: migration %04d_%s: %w", m.version, m.name, err)
			}
		}
		return nil
	})
}

func apply(ctx context.Context, c *pgx.Conn, m migration) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
		return err
	})
}

// MigrationStatus lists every migration this binary embeds, in order, with
// its applied time (zero when pending), followed by any migration recorded in
// the database that this binary does not know (applied by a newer version).
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationInfo, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var recorded []MigrationInfo
	err = s.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		recorded, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (MigrationInfo, error) {
			var mi MigrationInfo
			err := r.Scan(&mi.Version, &mi.Name, &mi.AppliedAt)
			mi.AppliedAt = mi.AppliedAt.UTC()
			return mi, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	applied := map[int]time.Time{}
	var unknown []MigrationInfo
	for _, mi := range recorded {
		applied[mi.Version] = mi.AppliedAt
		if mi.Version > len(ms) {
			unknown = append(unknown, mi)
		}
	}
	out := make([]MigrationInfo, 0, len(ms)+len(unknown))
	for _, m := range ms {
		out = append(out, MigrationInfo{Version: m.version, Name: m.name, AppliedAt: applied[m.version]})
	}
	return append(out, unknown...), nil
}
