// Package logstream delivers the tenant log to the log streams configured
// with /api/v2/log-streams: an HTTP webhook (batched, retried with
// exponential backoff, at least once, in log id order) or standard output
// (JSON lines).
//
// A Streamer reads the events from the store, never from the token path:
// the token endpoint only queues its events for the batched tenant log, so a
// slow or failing sink cannot slow it. The store is the buffer, bounded like
// the token log itself (the newest 10,000 token events; audit entries are
// kept), and each stream's cursor (the last log id delivered) is stored
// with it, so delivery resumes where it stopped after a restart or an
// outage. Only events older than a settle delay are read, because events
// reach the store in batches up to half a second after their id (time)
// was assigned. A stream that keeps failing for SuspendAfter is suspended
// (status "suspended", last_error says why) until an operator sets it
// active again; a lease in the stream's record makes one replica deliver it.
package logstream
