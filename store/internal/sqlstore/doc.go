// Package sqlstore is the part of store/sqlite and store/postgres that is
// the same SQL on both: the tables and how each value maps to its row (key
// and constraint columns next to a JSON doc of the whole value), every
// store.Store method built on them (get, list, create, update, delete, keys,
// bindings, settings, logs, Load), and the bookkeeping of numbered
// migrations.
//
// A backend supplies what really differs:
//
//   - a DB, which runs a function in the backend's kind of transaction:
//     SQLite writes on its one BEGIN IMMEDIATE connection and reads on
//     read-only connections; PostgreSQL takes pgxpool connections with
//     read-committed writes, repeatable-read reads and a retry after a
//     killed connection;
//   - a Querier over its driver (database/sql or pgx), which also turns
//     constraint violations into store.ErrConflict and store.ErrNotFound;
//   - a Dialect: the few statements that differ (the version bump, which
//     on PostgreSQL also sends NOTIFY; a transaction lock, which SQLite's
//     single writer does not need; FOR UPDATE; the current time in
//     schema_migrations).
//
// Statements are written once with $1, $2, … bind parameters: pgx binds them
// natively and modernc.org/sqlite binds $N to the N-th argument, as it does
// ?N. Both drivers report a missing row as an error that wraps
// sql.ErrNoRows.
//
// A backend's Store embeds *Store, whose exported methods are exactly
// those of store.Store except Ping and Close, which the backend defines.
package sqlstore
