// Package storetest is the conformance suite every store.Store backend runs,
// so that the SQLite and PostgreSQL backends (and any later one) behave the
// same to the service layer. A backend's test calls Run with a function that
// opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
//	}
//
// Beyond what store.go states, the suite pins these behaviours:
//
//   - Lists are ordered by id (client id, API id, grant id, action id, hook
//     id; signing keys by KID); log events newest first. Limit 0 means 50.
//   - Updates cannot change a value's id: the id given to UpdateX wins over
//     whatever fn sets.
//   - A client grant's client and API (by identifier) must exist, else
//     store.ErrNotFound; an empty SubjectType is stored as "client"; renaming
//     an API's identifier moves its grants.
//   - SetBindings refuses unknown actions (store.ErrNotFound) and an action
//     bound twice to one trigger (store.ErrConflict). Bindings of a trigger
//     without any is empty, not an error.
//   - UpdateSigningKeys whose fn returns no keys writes nothing and leaves the
//     version alone; one call may demote the current key and promote another.
//   - AppendLogs gives events without an ID one that sorts in append order,
//     refuses a duplicate ID with store.ErrConflict (storing none of the
//     batch), and with LogFilter.From lists the events appended after From,
//     oldest first; an unknown From is store.ErrNotFound. LogEvent.Details
//     round-trips as JSON does (numbers come back as float64).
//   - Times round-trip to the microsecond; the suite compares them in UTC.
//   - A failed write (an error from fn, a conflict, a missing id, a cancelled
//     context) changes nothing, including the version.
//   - Concurrent updates of one value (a client, the settings) apply one
//     after the other: none overwrites another's change.
//
// RunLogRetention checks the bound on stored log events for a store opened
// with a small bound.
package storetest
