package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/credo-dev/credo/store"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// told otherwise.
const DefaultMaxLogs = 10000

// Store implements store.Store, except Ping and Close, over a DB.
type Store struct {
	db      DB
	dialect Dialect
	maxLogs func() int
}

// New returns a Store that runs its statements through db. maxLogs is
// called by every AppendLogs for the number of events to keep; a value
// below 1 means DefaultMaxLogs.
func New(db DB, d Dialect, maxLogs func() int) *Store {
	return &Store{db: db, dialect: d, maxLogs: maxLogs}
}

// write runs fn in a write transaction that then bumps the tenant version
// and records the write in the change log as touching more than one client
// (see writeFor). On PostgreSQL, taking the version row's lock near the end
// keeps it held only for the commit; it also orders concurrent commits.
func (s *Store) write(ctx context.Context, fn func(Querier) error) error {
	return s.writeFor(ctx, nil, fn)
}

// writeFor is write for a change that may concern one client only: fn sets
// *client to the id of the one client whose record or grants it changed,
// or leaves it "" when it changed anything else.
func (s *Store) writeFor(ctx context.Context, client *string, fn func(Querier) error) error {
	return s.db.Write(ctx, func(q Querier) error {
		if err := fn(q); err != nil {
			return err
		}
		c := ""
		if client != nil {
			c = *client
		}
		return s.bumpFor(ctx, q, c)
	})
}

// ChangeLogSize is how many writes the change log keeps.
const ChangeLogSize = 1000

func (s *Store) bump(ctx context.Context, q Querier) error { return s.bumpFor(ctx, q, "") }

// bumpFor moves the tenant version by one and records the write in the
// change log: the one client it touched, or NULL. The log keeps the newest
// ChangeLogSize writes.
func (s *Store) bumpFor(ctx context.Context, q Querier, client string) error {
	if _, err := q.Exec(ctx, s.dialect.Bump); err != nil {
		return err
	}
	var c any // NULL: not one client
	if client != "" {
		c = client
	}
	if _, err := q.Exec(ctx, `INSERT INTO changes (version, client_id)
		SELECT version, CAST($1 AS TEXT) FROM tenant_version WHERE id = 1`, c); err != nil {
		return err
	}
	// Each write adds one version and drops the one that leaves the window:
	// a point delete. (A range delete, version <= v, walked the index over
	// every row deleted before and not yet vacuumed: on PostgreSQL each
	// write got slower with the number of writes since the last vacuum.)
	_, err := q.Exec(ctx, `DELETE FROM changes WHERE version = (SELECT version FROM tenant_version WHERE id = 1) - `+strconv.Itoa(ChangeLogSize))
	return err
}

// ChangesSince returns the tenant version and the writes after version
// since, oldest first, read in one transaction. The log keeps only the
// newest ChangeLogSize writes (none from before the schema had it), so
// fewer than current-since changes mean it does not reach back to since.
func (s *Store) ChangesSince(ctx context.Context, since int64) (int64, []store.Change, error) {
	var cur int64
	var out []store.Change
	err := s.db.Read(ctx, func(q Querier) error {
		out = out[:0]
		if err := q.QueryRow(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&cur); err != nil {
			return err
		}
		if cur <= since || cur-since > ChangeLogSize {
			return nil
		}
		rows, err := q.Query(ctx, `SELECT version, COALESCE(client_id, '') FROM changes WHERE version > $1 ORDER BY version`, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c store.Change
			if err := rows.Scan(&c.Version, &c.ClientID); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return cur, out, err
}

// lock takes the dialect's transaction lock named what, if it has one,
// scoped (on PostgreSQL) to the schema so that stores in different schemas
// do not wait on each other.
func (s *Store) lock(ctx context.Context, q Querier, what string) error {
	if s.dialect.Lock == "" {
		return nil
	}
	_, err := q.Exec(ctx, s.dialect.Lock, ":credo:"+what)
	return err
}

// Version returns the tenant version.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.Query(ctx, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&v)
	})
	return v, err
}

// Load reads everything the token endpoint needs in one snapshot.
func (s *Store) Load(ctx context.Context) (*store.Data, error) {
	var d *store.Data
	err := s.db.Read(ctx, func(q Querier) error {
		d = &store.Data{Bindings: map[string][]string{}}
		var err error
		if err = q.QueryRow(ctx, `SELECT version FROM tenant_version WHERE id = 1`).Scan(&d.Version); err != nil {
			return err
		}
		if d.Clients, err = clients.all(ctx, q, ""); err != nil {
			return err
		}
		if d.ResourceServers, err = resourceServers.all(ctx, q, ""); err != nil {
			return err
		}
		if d.Grants, err = clientGrants.all(ctx, q, ""); err != nil {
			return err
		}
		if d.Keys, err = signingKeys.all(ctx, q, ""); err != nil {
			return err
		}
		if d.Hooks, err = hooks.all(ctx, q, ""); err != nil {
			return err
		}
		if d.Settings, err = settings(ctx, q, ""); err != nil {
			return err
		}
		return loadBindings(ctx, q, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// loadBindings fills d.Bindings and d.Actions: the bound actions, each once,
// in trigger order and binding order within a trigger.
func loadBindings(ctx context.Context, q Querier, d *store.Data) error {
	rows, err := q.Query(ctx, `SELECT b.trigger, a.id, a.doc FROM action_bindings b
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

// Settings returns the tenant settings.
func (s *Store) Settings(ctx context.Context) (store.Settings, error) {
	var st store.Settings
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		st, err = settings(ctx, q, "")
		return err
	})
	return st, err
}

// settings reads the settings; lock is appended to the SELECT.
func settings(ctx context.Context, q Querier, lock string) (store.Settings, error) {
	var doc []byte
	var st store.Settings
	if err := q.QueryRow(ctx, `SELECT doc FROM settings WHERE id = 1`+lock).Scan(&doc); err != nil {
		return st, err
	}
	if err := json.Unmarshal(doc, &st); err != nil {
		return st, fmt.Errorf("store: decode settings: %w", err)
	}
	return st, nil
}

// UpdateSettings applies fn to the settings in one transaction. The read
// locks the row (where the dialect locks rows), so that concurrent updates
// apply one after the other instead of overwriting each other.
func (s *Store) UpdateSettings(ctx context.Context, fn func(*store.Settings) error) (store.Settings, error) {
	var out store.Settings
	err := s.write(ctx, func(q Querier) error {
		st, err := settings(ctx, q, s.dialect.ForUpdate)
		if err != nil {
			return err
		}
		if err := fn(&st); err != nil {
			return err
		}
		doc, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE settings SET doc = $1 WHERE id = 1`, doc); err != nil {
			return err
		}
		out = st
		return nil
	})
	if err != nil {
		return store.Settings{}, err
	}
	return out, nil
}
