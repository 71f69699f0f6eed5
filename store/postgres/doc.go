// Package postgres is credo's shared store: a store.Store on PostgreSQL
// through pgx, so that any number of stateless credo replicas can serve one
// tenant.
//
// Every write runs in one transaction that bumps the tenant_version row and
// sends NOTIFY credo_changes (payload: the schema name), delivered when the
// transaction commits. Store implements store.Notifier: Changes listens on a
// dedicated connection that reconnects with backoff when the database
// restarts or the connection is killed, so replicas rebuild their snapshots
// within milliseconds of another replica's write.
//
// The schema lives in numbered SQL files under migrations/, embedded in the
// binary and applied in order by Migrate (which Open calls) while holding a
// session advisory lock, so replicas that start together migrate once. Each
// applied migration is recorded in the schema_migrations table.
//
// Signing-key updates are serialised with a transaction advisory lock and
// guarded by a partial unique index (one current key per key type); log
// appends are serialised too, so that log sequence order is commit order and
// a checkpoint reader never skips an event.
//
// Queries run on a pgxpool pool. When a statement fails because its
// connection died (a database restart, pg_terminate_backend), the call runs
// once more on another connection, unless the failure was the COMMIT of a
// write, whose outcome is unknown; idle connections released before the
// death are pinged before reuse.
//
// The tables, their statements and the store.Store methods other than Ping
// and Close are shared with store/sqlite in store/internal/sqlstore; this
// package supplies the pool, the transactions (read-committed writes,
// repeatable-read reads), the PostgreSQL dialect and the mapping of
// constraint errors.
//
// Options.Schema puts every table in a schema of its own (created if
// needed), which lets tests run in parallel on one database. TLS and
// credentials are whatever the DSN says.
package postgres
