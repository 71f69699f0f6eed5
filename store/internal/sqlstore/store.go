package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/credo-dev/credo/store"
)

// DefaultMaxLogs is how many of the newest log events a Store keeps unless
// told otherwise.
const DefaultMaxLogs = 10000

// Store implements store.Store, except Ping and Close, over a DB.
type Store struct {
	db       DB
	dialect  Dialect
	maxLogs  func() int
	commitMu sync.Mutex // serialises OnCommit registrations
	onCommit atomic.Pointer[[]*func(ctx context.Context)]
}

// New returns a Store that runs its statements through db. maxLogs is
// called by every AppendLogs for the number of events to keep; a value
// below 1 means DefaultMaxLogs.
func New(db DB, d Dialect, maxLogs func() int) *Store {
	return &Store{db: db, dialect: d, maxLogs: maxLogs}
}

// errUnchanged, returned by a write's fn, commits nothing and moves no
// version: the write found nothing to do.
var errUnchanged = errors.New("sqlstore: nothing to write")

// write runs fn in a write transaction that then bumps the tenant version
// and records o.ch (which fn may fill in) in the change log and, when ctx
// carries a store.Audit, the audit entry of the write; after the commit it
// calls the OnCommit function. Every write that moves the version goes
// through it. On PostgreSQL, taking the version row's lock near the end
// keeps it held only for the commit; it also orders concurrent commits.
func (s *Store) write(ctx context.Context, o *writeOp, fn func(Querier) error) error {
	a := store.AuditFrom(ctx)
	err := s.db.Write(ctx, func(q Querier) error {
		if err := fn(q); err != nil {
			return err
		}
		if a != nil {
			if err := s.recordAudit(ctx, q, a, o); err != nil {
				return err
			}
		}
		return s.bump(ctx, q, o.ch)
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err == nil {
		if a != nil {
			a.Written++
		}
		if fns := s.onCommit.Load(); fns != nil {
			for _, f := range *fns {
				(*f)(ctx)
			}
		}
	}
	return err
}

// OnCommit registers fn to run after each committed write (see store.Store).
func (s *Store) OnCommit(fn func(ctx context.Context)) (remove func()) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	f := &fn
	var next []*func(context.Context)
	if cur := s.onCommit.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, f)
	s.onCommit.Store(&next)
	return func() {
		s.commitMu.Lock()
		defer s.commitMu.Unlock()
		if cur := s.onCommit.Load(); cur != nil {
			next := slices.DeleteFunc(slices.Clone(*cur), func(g *func(context.Context)) bool { return g == f })
			s.onCommit.Store(&next)
		}
	}
}

// ChangeLogSize is how many writes the change log keeps.
const ChangeLogSize = 1000

// bump moves the tenant version by one and records the write in the change
// log. The log keeps the newest ChangeLogSize writes.
func (s *Store) bump(ctx context.Context, q Querier, ch store.Change) error {
	if _, err := q.Exec(ctx, s.dialect.Bump); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO changes (version, kind, entity_id, client_id)
		SELECT version, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT) FROM tenant_version WHERE id = 1`,
		string(ch.Kind), nullable(ch.ID), nullable(ch.ClientID)); err != nil {
		return err
	}
	// Each write adds one version and drops the one that leaves the window:
	// a point delete. (A range delete, version <= v, walked the index over
	// every row deleted before and not yet vacuumed: on PostgreSQL each
	// write got slower with the number of writes since the last vacuum.)
	_, err := q.Exec(ctx, `DELETE FROM changes WHERE version = (SELECT version FROM tenant_version WHERE id = 1) - `+strconv.Itoa(ChangeLogSize))
	return err
}

// nullable is v, or NULL for "".
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
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
		rows, err := q.Query(ctx, `SELECT version, COALESCE(kind, ''), COALESCE(entity_id, ''), COALESCE(client_id, '')
			FROM changes WHERE version > $1 ORDER BY version`, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c store.Change
			var kind string
			if err := rows.Scan(&c.Version, &kind, &c.ID, &c.ClientID); err != nil {
				return err
			}
			c.Kind = store.ChangeKind(kind)
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
		if d.Organizations, err = organizations.all(ctx, q, ""); err != nil {
			return err
		}
		if d.OrganizationGrants, err = loadOrganizationGrants(ctx, q); err != nil {
			return err
		}
		if d.Revoked, err = revokedTokens.all(ctx, q, ""); err != nil {
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
	o := op(store.Change{Kind: store.ChangeSettings})
	err := s.write(ctx, o, func(q Querier) error {
		st, err := settings(ctx, q, s.dialect.ForUpdate)
		if err != nil {
			return err
		}
		o.before = snapshotDoc(ctx, st)
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
		o.after = json.RawMessage(doc)
		out = st
		return nil
	})
	if err != nil {
		return store.Settings{}, err
	}
	return out, nil
}

// Tenant returns the tenant's identity or store.ErrNotFound.
func (s *Store) Tenant(ctx context.Context) (store.Tenant, error) {
	var t store.Tenant
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		t, _, err = tenantRow(ctx, q, "")
		return err
	})
	if err == nil && t.Issuer == "" {
		return t, notFound("tenant", "identity")
	}
	return t, err
}

// tenantRow reads the identity; exists is false when there is none. lock
// is appended to the SELECT.
func tenantRow(ctx context.Context, q Querier, lock string) (t store.Tenant, exists bool, err error) {
	var doc []byte
	err = q.QueryRow(ctx, `SELECT doc FROM tenant WHERE id = 1`+lock).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	if err := json.Unmarshal(doc, &t); err != nil {
		return t, false, fmt.Errorf("store: decode tenant: %w", err)
	}
	return t, true, nil
}

// UpdateTenant applies fn to the identity and writes it in one transaction.
func (s *Store) UpdateTenant(ctx context.Context, fn func(t *store.Tenant, exists bool) error) (store.Tenant, error) {
	var out store.Tenant
	o := op(store.Change{Kind: store.ChangeTenant})
	err := s.write(ctx, o, func(q Querier) error {
		t, exists, err := tenantRow(ctx, q, s.dialect.ForUpdate)
		if err != nil {
			return err
		}
		if exists {
			o.before = snapshotDoc(ctx, t)
		}
		if err := fn(&t, exists); err != nil {
			return err
		}
		if t.Issuer == "" {
			return errors.New("store: the tenant's issuer is empty")
		}
		doc, err := json.Marshal(t)
		if err != nil {
			return err
		}
		o.after = json.RawMessage(doc)
		if exists {
			_, err = q.Exec(ctx, `UPDATE tenant SET doc = $1 WHERE id = 1`, doc)
		} else {
			_, err = q.Exec(ctx, `INSERT INTO tenant (id, doc) VALUES (1, $1)`, doc)
		}
		out = t
		return err
	})
	return out, err
}
