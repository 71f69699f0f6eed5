package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/store"
)

var clients = &table[store.Client]{
	name:    "clients",
	what:    "client",
	cols:    []string{"client_id", "app_type"},
	kind:    store.ChangeClient,
	key:     func(c *store.Client) *string { return &c.ClientID },
	columns: func(c *store.Client) []any { return []any{c.AppType} },
	client:  func(c *store.Client) string { return c.ClientID },
}

var resourceServers = &table[store.ResourceServer]{
	name:    "resource_servers",
	what:    "resource server",
	cols:    []string{"id", "identifier"},
	kind:    store.ChangeResourceServer,
	key:     func(rs *store.ResourceServer) *string { return &rs.ID },
	columns: func(rs *store.ResourceServer) []any { return []any{rs.Identifier} },
}

var clientGrants = &table[store.ClientGrant]{
	name: "client_grants",
	what: "client grant",
	cols: []string{"id", "client_id", "audience", "subject_type", "allow_any_organization"},
	kind: store.ChangeClientGrant,
	key:  func(g *store.ClientGrant) *string { return &g.ID },
	columns: func(g *store.ClientGrant) []any {
		return []any{g.ClientID, g.Audience, g.SubjectType, boolInt(g.AllowAnyOrganization)}
	},
	restore: func(g *store.ClientGrant, c []string) {
		g.ID, g.ClientID, g.Audience, g.SubjectType = c[0], c[1], c[2], c[3]
		g.AllowAnyOrganization = c[4] == "1"
	},
	client: func(g *store.ClientGrant) string { return g.ClientID },
}

var signingKeys = &table[store.SigningKey]{
	name:    "signing_keys",
	what:    "signing key",
	cols:    []string{"kid", "key_type", "state"},
	key:     func(k *store.SigningKey) *string { return &k.KID },
	columns: func(k *store.SigningKey) []any { return []any{k.KeyType, string(k.State)} },
}

var actions = &table[store.Action]{
	name:    "actions",
	what:    "action",
	cols:    []string{"id"},
	kind:    store.ChangeAction,
	key:     func(a *store.Action) *string { return &a.ID },
	columns: func(*store.Action) []any { return nil },
}

var hooks = &table[store.Hook]{
	name:    "hooks",
	what:    "hook",
	cols:    []string{"id"},
	kind:    store.ChangeHook,
	key:     func(h *store.Hook) *string { return &h.ID },
	columns: func(*store.Hook) []any { return nil },
}

var logs = &table[store.LogEvent]{
	name:    "logs",
	what:    "log event",
	cols:    []string{"id"},
	key:     func(e *store.LogEvent) *string { return &e.ID },
	columns: func(*store.LogEvent) []any { return nil },
}

var auditLog = &table[store.LogEvent]{
	name:    "audit_log",
	what:    "log event",
	cols:    []string{"id"},
	key:     func(e *store.LogEvent) *string { return &e.ID },
	columns: func(*store.LogEvent) []any { return nil },
}

// getOne reads one value outside a transaction.
func getOne[T any](ctx context.Context, s *Store, tb *table[T], want, where string, args ...any) (T, error) {
	var v T
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		v, err = tb.get(ctx, q, want, where, args...)
		return err
	})
	return v, err
}

// Clients.

// GetClient returns the client with clientID or store.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, clientID string) (store.Client, error) {
	return getOne(ctx, s, clients, clientID, "client_id = $1", clientID)
}

// ListClients returns a page of clients ordered by client id, and how many
// match the filter.
func (s *Store) ListClients(ctx context.Context, f store.ClientFilter) ([]store.Client, int, error) {
	var where []string
	var args []any
	if f.AppType != "" {
		args = append(args, f.AppType)
		where = append(where, "app_type = "+param(len(args)))
	}
	p := f.Page
	if f.From != "" {
		args = append(args, f.From)
		where = append(where, "client_id > "+param(len(args)))
		p.Offset = 0
	}
	return clients.page(ctx, s, strings.Join(where, " AND "), args, p)
}

// CreateClient stores a new client; a taken client id is store.ErrConflict.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	return clients.create(ctx, s, c, nil)
}

// UpdateClient applies fn to the stored client in one transaction. The
// client id cannot be changed.
func (s *Store) UpdateClient(ctx context.Context, clientID string, fn func(*store.Client) error) (store.Client, error) {
	return clients.update(ctx, s, clientID, fn, nil)
}

// DeleteClient removes the client and its grants.
func (s *Store) DeleteClient(ctx context.Context, clientID string) error {
	return clients.remove(ctx, s, clientID)
}

// Resource servers.

// GetResourceServer returns the API whose id or identifier is idOrIdentifier.
func (s *Store) GetResourceServer(ctx context.Context, idOrIdentifier string) (store.ResourceServer, error) {
	return getOne(ctx, s, resourceServers, idOrIdentifier, "id = $1 OR identifier = $1 ORDER BY id = $1 DESC LIMIT 1", idOrIdentifier)
}

// ListResourceServers returns a page of APIs ordered by id.
func (s *Store) ListResourceServers(ctx context.Context, p store.Page) ([]store.ResourceServer, int, error) {
	return resourceServers.page(ctx, s, "", nil, p)
}

// CreateResourceServer stores a new API; a taken id or identifier is
// store.ErrConflict.
func (s *Store) CreateResourceServer(ctx context.Context, rs store.ResourceServer) error {
	return resourceServers.create(ctx, s, rs, nil)
}

// UpdateResourceServer applies fn to the stored API. The id cannot be
// changed; a new identifier moves the API's grants with it.
func (s *Store) UpdateResourceServer(ctx context.Context, id string, fn func(*store.ResourceServer) error) (store.ResourceServer, error) {
	return resourceServers.update(ctx, s, id, fn, nil)
}

// DeleteResourceServer removes the API and the grants for its identifier.
func (s *Store) DeleteResourceServer(ctx context.Context, id string) error {
	return resourceServers.remove(ctx, s, id)
}

// Client grants.

// GetClientGrant returns the grant with id or store.ErrNotFound.
func (s *Store) GetClientGrant(ctx context.Context, id string) (store.ClientGrant, error) {
	return getOne(ctx, s, clientGrants, id, "id = $1", id)
}

// ListClientGrants returns a page of grants ordered by id.
func (s *Store) ListClientGrants(ctx context.Context, f store.GrantFilter) ([]store.ClientGrant, int, error) {
	var where []string
	var args []any
	add := func(cond string, arg string) {
		args = append(args, arg)
		where = append(where, cond+" "+param(len(args)))
	}
	if f.ClientID != "" {
		add("client_id =", f.ClientID)
	}
	if f.Audience != "" {
		add("audience =", f.Audience)
	}
	if f.SubjectType != "" {
		add("subject_type =", f.SubjectType)
	}
	if f.AllowAnyOrganization != nil {
		where = append(where, "allow_any_organization = "+strconv.Itoa(boolInt(*f.AllowAnyOrganization)))
	}
	p := f.Page
	if f.From != "" {
		add("id >", f.From)
		p.Offset = 0
	}
	return clientGrants.page(ctx, s, strings.Join(where, " AND "), args, p)
}

// CreateClientGrant stores a new grant. The client and the API (by
// identifier) must exist, else store.ErrNotFound; a second grant for one
// (client, audience, subject type) is store.ErrConflict. An empty
// SubjectType is stored as "client".
func (s *Store) CreateClientGrant(ctx context.Context, g store.ClientGrant) error {
	return clientGrants.create(ctx, s, g, checkGrant(ctx))
}

// UpdateClientGrant applies fn to the stored grant, with the checks of
// CreateClientGrant. The id cannot be changed.
func (s *Store) UpdateClientGrant(ctx context.Context, id string, fn func(*store.ClientGrant) error) (store.ClientGrant, error) {
	return clientGrants.update(ctx, s, id, fn, checkGrant(ctx))
}

func checkGrant(ctx context.Context) func(Querier, *store.ClientGrant) error {
	return func(q Querier, g *store.ClientGrant) error {
		if g.SubjectType == "" {
			g.SubjectType = "client"
		}
		if err := clients.exists(ctx, q, "client_id", g.ClientID); err != nil {
			return err
		}
		return resourceServers.exists(ctx, q, "identifier", g.Audience)
	}
}

// DeleteClientGrant removes the grant with id and (by the foreign key's
// cascade, in the same transaction) its organization associations.
func (s *Store) DeleteClientGrant(ctx context.Context, id string) error {
	return clientGrants.remove(ctx, s, id)
}

// Signing keys.

// ListSigningKeys returns every signing key ordered by KID.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var keys []store.SigningKey
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		keys, err = signingKeys.all(ctx, q, "")
		return err
	})
	return keys, err
}

// UpdateSigningKeys runs fn on all keys in a write transaction that holds
// the signing-key lock (PostgreSQL: a transaction advisory lock; SQLite:
// the database's single writer), so calls from every process are
// serialised, and upserts the keys fn returns by KID. Keys that leave the
// current state are written before keys that enter it, so one call can
// rotate. A second current key of one key type is store.ErrConflict. When
// fn returns no keys nothing is written and the version stays.
func (s *Store) UpdateSigningKeys(ctx context.Context, fn func(keys []store.SigningKey) ([]store.SigningKey, error)) error {
	o := op(store.Change{Kind: store.ChangeSigningKeys})
	return s.write(ctx, o, func(q Querier) error {
		if err := s.lock(ctx, q, "signing_keys"); err != nil {
			return err
		}
		keys, err := signingKeys.all(ctx, q, "")
		if err != nil {
			return err
		}
		out, err := fn(slices.Clone(keys))
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return errUnchanged
		}
		out = slices.Clone(out)
		if audited(ctx) {
			var before []store.SigningKey
			for _, k := range out {
				if i := slices.IndexFunc(keys, func(c store.SigningKey) bool { return c.KID == k.KID }); i >= 0 {
					before = append(before, keys[i])
				}
			}
			o.before, o.after = before, out
		}
		slices.SortStableFunc(out, func(a, b store.SigningKey) int {
			return boolInt(a.State == store.KeyCurrent) - boolInt(b.State == store.KeyCurrent)
		})
		for i := range out {
			k := &out[i]
			if k.KID == "" {
				return errors.New("store: signing key has an empty kid")
			}
			doc, err := json.Marshal(k)
			if err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `INSERT INTO signing_keys (kid, key_type, state, doc) VALUES ($1, $2, $3, $4)
				ON CONFLICT (kid) DO UPDATE SET key_type = excluded.key_type, state = excluded.state, doc = excluded.doc`,
				k.KID, k.KeyType, string(k.State), doc); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteSigningKey removes a revoked key; any other state is
// store.ErrConflict, a missing key store.ErrNotFound.
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error {
	o := op(store.Change{Kind: store.ChangeSigningKeys, ID: kid})
	return s.write(ctx, o, func(q Querier) error {
		if err := s.lock(ctx, q, "signing_keys"); err != nil {
			return err
		}
		var state string
		err := q.QueryRow(ctx, "SELECT state FROM signing_keys WHERE kid = $1", kid).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("signing key", kid)
		}
		if err != nil {
			return err
		}
		if state != string(store.KeyRevoked) {
			return fmt.Errorf("%w: signing key %s is %s, only revoked keys can be deleted", store.ErrConflict, kid, state)
		}
		_, err = q.Exec(ctx, "DELETE FROM signing_keys WHERE kid = $1", kid)
		return err
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Actions.

// GetAction returns the action with id or store.ErrNotFound.
func (s *Store) GetAction(ctx context.Context, id string) (store.Action, error) {
	return getOne(ctx, s, actions, id, "id = $1", id)
}

// ListActions returns a page of actions ordered by id.
func (s *Store) ListActions(ctx context.Context, p store.Page) ([]store.Action, int, error) {
	return actions.page(ctx, s, "", nil, p)
}

// CreateAction stores a new action; a taken id is store.ErrConflict.
func (s *Store) CreateAction(ctx context.Context, a store.Action) error {
	return actions.create(ctx, s, a, nil)
}

// UpdateAction applies fn to the stored action. The id cannot be changed.
func (s *Store) UpdateAction(ctx context.Context, id string, fn func(*store.Action) error) (store.Action, error) {
	return actions.update(ctx, s, id, fn, nil)
}

// DeleteAction removes the action and its bindings.
func (s *Store) DeleteAction(ctx context.Context, id string) error {
	return actions.remove(ctx, s, id)
}

// Bindings returns the action ids bound to trigger, in order.
func (s *Store) Bindings(ctx context.Context, trigger string) ([]string, error) {
	var ids []string
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		ids, err = bindings(ctx, q, trigger)
		return err
	})
	return ids, err
}

// bindings reads the action ids bound to trigger, in order.
func bindings(ctx context.Context, q Querier, trigger string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT action_id FROM action_bindings WHERE trigger = $1 ORDER BY position`, trigger)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SetBindings replaces the trigger's bindings with actionIDs, in order.
// Every action must exist (else store.ErrNotFound) and appear once (else
// store.ErrConflict).
func (s *Store) SetBindings(ctx context.Context, trigger string, actionIDs []string) error {
	o := op(store.Change{Kind: store.ChangeBindings, ID: trigger})
	return s.write(ctx, o, func(q Querier) error {
		if audited(ctx) {
			before, err := bindings(ctx, q, trigger)
			if err != nil {
				return err
			}
			o.before, o.after = map[string]any{"Actions": before}, map[string]any{"Actions": actionIDs}
		}
		if _, err := q.Exec(ctx, `DELETE FROM action_bindings WHERE trigger = $1`, trigger); err != nil {
			return err
		}
		for i, id := range actionIDs {
			if err := actions.exists(ctx, q, "id", id); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `INSERT INTO action_bindings (trigger, position, action_id) VALUES ($1, $2, $3)`,
				trigger, i, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Hooks.

// GetHook returns the hook with id or store.ErrNotFound.
func (s *Store) GetHook(ctx context.Context, id string) (store.Hook, error) {
	return getOne(ctx, s, hooks, id, "id = $1", id)
}

// ListHooks returns a page of hooks ordered by id.
func (s *Store) ListHooks(ctx context.Context, p store.Page) ([]store.Hook, int, error) {
	return hooks.page(ctx, s, "", nil, p)
}

// CreateHook stores a new hook; a taken id is store.ErrConflict.
func (s *Store) CreateHook(ctx context.Context, h store.Hook) error {
	return hooks.create(ctx, s, h, nil)
}

// UpdateHook applies fn to the stored hook. The id cannot be changed.
func (s *Store) UpdateHook(ctx context.Context, id string, fn func(*store.Hook) error) (store.Hook, error) {
	return hooks.update(ctx, s, id, fn, nil)
}

// DeleteHook removes the hook with id.
func (s *Store) DeleteHook(ctx context.Context, id string) error {
	return hooks.remove(ctx, s, id)
}

// Logs.

// AppendLogs stores events in one transaction without bumping the version.
// An event without an ID gets one that sorts in append order (its sequence
// number in 20 decimal digits); a duplicate ID is store.ErrConflict and
// stores nothing. Past the Store's bound, the oldest events are deleted.
//
// Appends hold the logs lock (PostgreSQL: a transaction advisory lock;
// SQLite: the single writer) and assign sequence numbers under it, so
// sequence order is commit order (a checkpoint reader never skips an
// event), there are no gaps, and the bound is one indexed range delete.
func (s *Store) AppendLogs(ctx context.Context, events []store.LogEvent) error {
	if len(events) == 0 {
		return ctx.Err()
	}
	keep := s.maxLogs()
	if keep < 1 {
		keep = DefaultMaxLogs
	}
	return s.db.Write(ctx, func(q Querier) error {
		if err := s.lock(ctx, q, "logs"); err != nil {
			return err
		}
		var last int64
		if err := q.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM logs`).Scan(&last); err != nil {
			return err
		}
		rows := make([][]any, len(events))
		for i := range events {
			seq := last + int64(i) + 1
			doc, err := json.Marshal(&events[i])
			if err != nil {
				return err
			}
			e := &events[i]
			rows[i] = []any{seq, logID(e.ID, seq), doc, e.Date.UnixMilli(), e.Type, e.Description, e.ClientID, e.ClientName,
				e.IP, e.UserAgent, e.Hostname, e.Audience, e.Scope}
		}
		if err := q.ExecEach(ctx, `INSERT INTO logs (seq, id, doc, date_ms, type, description, client_id, client_name, ip, user_agent, hostname, audience, scope)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, rows); err != nil {
			return err
		}
		_, err := q.Exec(ctx, `DELETE FROM logs WHERE seq <= $1`, last+int64(len(events)-keep))
		return err
	})
}

// logID is id, or for an event without one its sequence number in 20
// digits, so that assigned ids sort in append order.
func logID(id string, seq int64) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("%020d", seq)
}

// ListLogs returns the log events and audit entries matching f.Query, by
// id (ids sort by date): newest first, or oldest first with f.Ascending.
// With f.From set it returns instead the entries after From, oldest first
// (a checkpoint to follow the log; Offset is ignored), and From must exist.
//
// Each table is read in id order up to the end of the page and the two
// are merged, so a page costs its offset plus its length, not the size of
// the audit log.
func (s *Store) ListLogs(ctx context.Context, f store.LogFilter) ([]store.LogEvent, int, error) {
	limit, offset := bounds(f.Page)
	var w logWhere
	var conds []string
	if f.Query != nil {
		c, err := w.compile(f.Query)
		if err != nil {
			return nil, 0, err
		}
		conds = append(conds, c)
	}
	order := " ORDER BY id DESC"
	if f.Ascending || f.From != "" {
		order = " ORDER BY id"
	}
	var out []store.LogEvent
	var total int
	err := s.db.Read(ctx, func(q Querier) error {
		w := w
		w.args = slices.Clone(w.args)
		conds := slices.Clone(conds)
		if f.After != "" {
			conds = append(conds, "id > "+w.param(f.After))
		}
		if f.Before != "" {
			conds = append(conds, "id < "+w.param(f.Before))
		}
		if f.From != "" {
			var one int
			err := q.QueryRow(ctx, `SELECT 1 FROM logs WHERE id = $1 UNION ALL SELECT 1 FROM audit_log WHERE id = $1`, f.From).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("log event", f.From)
			} else if err != nil {
				return err
			}
			conds = append(conds, "id > "+w.param(f.From))
			offset = 0
		}
		where := whereClause(strings.Join(conds, " AND "))
		if err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM logs`+where+`) + (SELECT count(*) FROM audit_log`+where+`)`, w.args...).Scan(&total); err != nil {
			return err
		}
		end := w.param(offset + limit)
		lim, off := w.param(limit), w.param(offset)
		var err error
		out, err = logs.query(ctx, q, `SELECT id, doc FROM (SELECT id, doc FROM logs`+where+order+` LIMIT `+end+`) AS l
			UNION ALL SELECT id, doc FROM (SELECT id, doc FROM audit_log`+where+order+` LIMIT `+end+`) AS a`+
			order+` LIMIT `+lim+` OFFSET `+off, w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// GetLog returns the log event or audit entry with id, or store.ErrNotFound.
func (s *Store) GetLog(ctx context.Context, id string) (store.LogEvent, error) {
	e, err := getOne(ctx, s, logs, id, "id = $1", id)
	if errors.Is(err, store.ErrNotFound) {
		return getOne(ctx, s, auditLog, id, "id = $1", id)
	}
	return e, err
}

// Revoked tokens.

var revokedTokens = &table[store.RevokedToken]{
	name:    "revoked_tokens",
	what:    "revoked token",
	cols:    []string{"jti"},
	kind:    store.ChangeRevocation,
	key:     func(t *store.RevokedToken) *string { return &t.JTI },
	columns: func(*store.RevokedToken) []any { return nil },
}

// RevokeToken records t unless its jti is already revoked, and deletes the
// revocations of tokens that expired before t.RevokedAt; it moves the
// version (the snapshot holds the revocations) unless nothing changed.
func (s *Store) RevokeToken(ctx context.Context, t store.RevokedToken) error {
	if t.JTI == "" {
		return errors.New("store: a revoked token needs a jti")
	}
	o := op(store.Change{Kind: store.ChangeRevocation, ID: t.JTI, ClientID: ""})
	return s.write(ctx, o, func(q Querier) error {
		doc, err := json.Marshal(&t)
		if err != nil {
			return err
		}
		n, err := q.Exec(ctx, `INSERT INTO revoked_tokens (jti, expires_ms, doc) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING`,
			t.JTI, t.ExpiresAt.UnixMilli(), doc)
		if err != nil {
			return err
		}
		if n == 0 {
			return errUnchanged
		}
		if audited(ctx) {
			o.after = &t
		}
		_, err = q.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_ms < $1`, t.RevokedAt.UnixMilli())
		return err
	})
}

// RevokedTokens lists the recorded revocations by jti.
func (s *Store) RevokedTokens(ctx context.Context) ([]store.RevokedToken, error) {
	var out []store.RevokedToken
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		out, err = revokedTokens.all(ctx, q, "")
		return err
	})
	return out, err
}

// Log streams.

var logStreams = &table[store.LogStream]{
	name:    "log_streams",
	what:    "log stream",
	cols:    []string{"id"},
	kind:    store.ChangeLogStream,
	key:     func(l *store.LogStream) *string { return &l.ID },
	columns: func(*store.LogStream) []any { return nil },
}

// GetLogStream returns the log stream with id or store.ErrNotFound.
func (s *Store) GetLogStream(ctx context.Context, id string) (store.LogStream, error) {
	return getOne(ctx, s, logStreams, id, "id = $1", id)
}

// ListLogStreams returns every log stream by id.
func (s *Store) ListLogStreams(ctx context.Context) ([]store.LogStream, error) {
	var out []store.LogStream
	err := s.db.Query(ctx, func(q Querier) error {
		var err error
		out, err = logStreams.all(ctx, q, "")
		return err
	})
	return out, err
}

// CreateLogStream stores a new log stream; a taken id is store.ErrConflict.
func (s *Store) CreateLogStream(ctx context.Context, ls store.LogStream) error {
	return logStreams.create(ctx, s, ls, nil)
}

// UpdateLogStream applies fn to the stored stream in one transaction.
func (s *Store) UpdateLogStream(ctx context.Context, id string, fn func(*store.LogStream) error) (store.LogStream, error) {
	return logStreams.update(ctx, s, id, fn, nil)
}

// DeleteLogStream removes the log stream.
func (s *Store) DeleteLogStream(ctx context.Context, id string) error {
	return logStreams.remove(ctx, s, id)
}

// SetLogStreamState applies fn to a stream's delivery state (cursor, failure,
// lease) in one transaction that does not move the tenant version: delivery
// progress is no tenant change and must not invalidate snapshots and caches.
func (s *Store) SetLogStreamState(ctx context.Context, id string, fn func(*store.LogStream) error) (store.LogStream, error) {
	var out store.LogStream
	err := s.db.Write(ctx, func(q Querier) error {
		v, err := logStreams.get(ctx, q, id, "id = $1"+s.dialect.ForUpdate, id)
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		v.ID = id
		if err := logStreams.replace(ctx, q, &v); err != nil {
			return err
		}
		out = v
		return nil
	})
	return out, err
}
