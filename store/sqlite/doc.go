// Package sqlite is credo's default, embedded store: a store.Store backed by
// one SQLite file through modernc.org/sqlite, a pure-Go driver, so that
// `go install` and cross-compiling need no C toolchain.
//
// The database runs in WAL mode with synchronous=NORMAL, foreign keys on and
// a busy timeout. Writes go through a pool of exactly one connection whose
// transactions start with BEGIN IMMEDIATE, so writers in this process queue
// in Go instead of failing with SQLITE_BUSY, and writers in other processes
// (the CLI) wait on the busy timeout. Reads use a separate pool of read-only
// connections and, in WAL mode, never wait for the writer.
//
// Every table keeps its lookup and constraint columns next to a JSON doc of
// the whole value; Load decodes documents in bulk, which keeps a full load of
// 100,000 clients and grants well under two seconds. The tables, their
// statements and the store.Store methods other than Ping and Close are
// shared with store/postgres in store/internal/sqlstore; this package
// supplies the connections, the transactions, the SQLite dialect and the
// mapping of constraint errors.
//
// The schema lives in numbered SQL files under migrations/, embedded in the
// binary and applied in order by Migrate (which Open calls); each applied
// migration is recorded in the schema_migrations table.
//
// Open needs a file path: SQLite's ":memory:" databases exist per connection
// and cannot be shared by the reader and writer pools, so they are refused.
package sqlite
