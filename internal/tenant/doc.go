// Package tenant is credo's service layer and its read model.
//
// Service holds every validated write (clients, APIs, client grants, signing
// keys, settings, seeds, bootstrap): the Management API, the CLI, the seed
// loader and the dashboard all call it, so no write path skips validation,
// secret hashing or defaults. Each write goes to the store first and then
// refreshes the in-memory Snapshot.
//
// Snapshot is the immutable view the token endpoint reads: clients by id,
// APIs by identifier, grants by (client, audience), signers, settings. Holder
// keeps the current one in an atomic pointer; readers never lock and never
// touch the database. Watch rebuilds it when the store's version moves (a
// store Notifier such as PostgreSQL LISTEN/NOTIFY, plus a poll as safety net).
package tenant
