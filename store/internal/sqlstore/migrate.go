package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MigrationInfo describes one schema migration.
type MigrationInfo struct {
	// Version is the migration's number, from its file name (0001_init.sql is 1).
	Version int
	// Name is the rest of the file name without the extension ("init").
	Name string
	// AppliedAt is when the migration was applied; zero if it is pending.
	AppliedAt time.Time
}

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// EmbeddedMigrations returns a function that parses the files of dir in
// fsys once (see ParseMigrations).
func EmbeddedMigrations(fsys fs.FS, dir string) func() ([]Migration, error) {
	return sync.OnceValues(func() ([]Migration, error) { return ParseMigrations(fsys, dir) })
}

// ParseMigrations reads the files of dir in fsys, which must be named
// NNNN_name.sql with versions 1, 2, 3, … without gaps, so that the order is
// the file order; it returns them in that order.
func ParseMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || name == "" {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s is out of sequence (want version %d)", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate applies the migrations that schema_migrations does not record,
// in order, each in a transaction of its own (run by write) together with
// its row in schema_migrations. Each transaction checks the record again,
// so concurrent migrators apply a migration once as long as write's
// transactions exclude each other or the caller holds a lock.
func (d Dialect) Migrate(ctx context.Context, write func(context.Context, func(Querier) error) error) error {
	ms, err := d.Migrations()
	if err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	err = write(ctx, func(q Querier) error {
		var newest int
		if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return err
		}
		if newest > len(ms) {
			return &SchemaTooNewError{Backend: d.Name, Database: newest, Known: len(ms)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := write(ctx, func(q Querier) error {
			var n int
			if err := q.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := q.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, `+d.Now+`)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: migration %04d_%s: %w", d.Name, m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaTooNewError is returned by Migrate when the database was migrated by
// a newer credo: an older binary could misread what it does not know, so it
// refuses to open it.
type SchemaTooNewError struct {
	Backend  string
	Database int // the newest migration applied to the database
	Known    int // the newest migration this binary embeds
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("%s: the database's schema is at migration %d, newer than this credo knows (%d): it was upgraded by a newer credo. "+
		"Run that version (or newer); migrations only go forward, so going back means restoring a backup taken before the upgrade",
		e.Backend, e.Database, e.Known)
}

// MigrationStatus lists every migration of the dialect, in order, with its
// applied time from schema_migrations (zero when pending), followed by any
// migration recorded there that the dialect does not know (applied by a
// newer version).
func (d Dialect) MigrationStatus(ctx context.Context, db DB) ([]MigrationInfo, error) {
	ms, err := d.Migrations()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	var recorded []MigrationInfo
	err = db.Query(ctx, func(q Querier) error {
		rows, err := q.Query(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		defer rows.Close()
		recorded = nil
		for rows.Next() {
			var mi MigrationInfo
			var at any
			if err := rows.Scan(&mi.Version, &mi.Name, &at); err != nil {
				return err
			}
			if mi.AppliedAt, err = appliedAt(at); err != nil {
				return fmt.Errorf("%s: schema_migrations version %d: %w", d.Name, mi.Version, err)
			}
			recorded = append(recorded, mi)
		}
		return rows.Err()
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
		out = append(out, MigrationInfo{Version: m.Version, Name: m.Name, AppliedAt: applied[m.Version]})
	}
	return append(out, unknown...), nil
}

// appliedAt converts a stored applied_at, a timestamptz (PostgreSQL) or an
// RFC 3339 text (SQLite), to a time in UTC.
func appliedAt(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		return t.UTC(), err
	case []byte:
		t, err := time.Parse(time.RFC3339Nano, string(v))
		return t.UTC(), err
	}
	return time.Time{}, fmt.Errorf("applied_at of type %T", v)
}
