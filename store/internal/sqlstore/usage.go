package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/credo-dev/credo/store"
)

// AddUsage adds counts to their hourly rows in one transaction, without
// bumping the version.
func (s *Store) AddUsage(ctx context.Context, counts []store.UsageCount) error {
	if len(counts) == 0 {
		return ctx.Err()
	}
	rows := make([][]any, 0, len(counts))
	for _, c := range counts {
		if c.Count <= 0 {
			continue
		}
		rows = append(rows, []any{c.Hour.UTC().Truncate(time.Hour).Unix(), c.Metric, c.ClientID, c.Reason, c.Count})
	}
	if len(rows) == 0 {
		return nil
	}
	return s.db.Write(ctx, func(q Querier) error {
		return q.ExecEach(ctx, `INSERT INTO usage (hour, metric, client_id, reason, count) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (hour, metric, client_id, reason) DO UPDATE SET count = usage.count + excluded.count`, rows)
	})
}

// ListUsage returns the counters of the hours in [from, to), oldest first,
// after deleting those older than store.UsageRetention before to.
func (s *Store) ListUsage(ctx context.Context, from, to time.Time) ([]store.UsageCount, error) {
	var out []store.UsageCount
	err := s.db.Write(ctx, func(q Querier) error {
		out = out[:0]
		if _, err := q.Exec(ctx, `DELETE FROM usage WHERE hour < $1`, to.Add(-store.UsageRetention).Unix()); err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT hour, metric, client_id, reason, count FROM usage WHERE hour >= $1 AND hour < $2
ORDER BY hour, metric, client_id, reason`, from.UTC().Truncate(time.Hour).Unix(), to.Unix())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c store.UsageCount
			var hour int64
			if err := rows.Scan(&hour, &c.Metric, &c.ClientID, &c.Reason, &c.Count); err != nil {
				return err
			}
			c.Hour = time.Unix(hour, 0).UTC()
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// CreateLoginLink stores a login link by its hash.
func (s *Store) CreateLoginLink(ctx context.Context, l store.LoginLink) error {
	if l.Hash == "" {
		return errors.New("sqlstore: login link without a hash")
	}
	return s.db.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO dashboard_login_links (hash, name, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			l.Hash, l.Name, strings.Join(l.Scopes, " "), l.CreatedAt.Unix(), l.ExpiresAt.Unix())
		return err
	})
}

// ConsumeLoginLink deletes the link and returns it unless it has expired;
// expired links are deleted on the way.
func (s *Store) ConsumeLoginLink(ctx context.Context, hash string, now time.Time) (store.LoginLink, error) {
	var l store.LoginLink
	err := s.db.Write(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, `DELETE FROM dashboard_login_links WHERE expires_at <= $1`, now.Unix()); err != nil {
			return err
		}
		var scopes string
		var created, expires int64
		err := q.QueryRow(ctx, `DELETE FROM dashboard_login_links WHERE hash = $1 RETURNING name, scopes, created_at, expires_at`, hash).
			Scan(&l.Name, &scopes, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		l.Hash, l.Scopes = hash, strings.Fields(scopes)
		l.CreatedAt, l.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC()
		return nil
	})
	return l, err
}
