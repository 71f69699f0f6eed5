// Package realip finds the address of the client behind a request: the TCP
// peer, unless the peer is one of the operator's trusted proxies, in which
// case the Forwarded (RFC 7239) or X-Forwarded-For header that the proxies
// appended is read from the right, skipping trusted hops, to the first
// address a trusted proxy saw connect. Anything a client writes into those
// headers itself is to the left of that point and never believed.
//
// Every place that needs the client's address (the tenant log, Actions'
// event.request.ip, the Management API's audit events, per-IP limits) asks
// one Resolver, so they all agree.
package realip
