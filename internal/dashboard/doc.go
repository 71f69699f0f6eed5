// Package dashboard is credo's web console, served by credo serve at
// /dashboard: the pages of Auth0's Dashboard for the Client Credentials
// flow (APIs with their Permissions, Machine to Machine Applications and
// Test tabs; Applications; Actions; Signing Keys; Logs; Settings) and the
// usage charts.
//
// It is server-rendered html/template pages with a little hand-written
// JavaScript, all embedded in the binary (no build step, no CDN; see
// docs/adr/0006-dashboard-stack.md).
//
// # Authorization
//
// A person signs in with the Management API's own authorization: the
// credentials of a client that holds a grant for the Management API
// audience (checked by internal/clientauth against the tenant snapshot, as
// the token endpoint checks them), whose grant's scopes decide what the
// pages may do; or a one-time login link printed by credo dashboard
// login-link (stored as a SHA-256 hash, single use, short-lived). Every
// read and write a page makes is a Management API request served in
// process by the same handler as /api/v2/ (mgmt.WithPrincipal) with the
// signed-in principal's scopes, so the dashboard can do exactly what that
// principal could do with a token, and a refusal carries the Management
// API's own message.
//
// Sessions are held in memory by the server (a random id in an HttpOnly,
// SameSite=Strict cookie, Secure over TLS), end after an idle timeout and
// an absolute lifetime, and every POST carries the session's CSRF token.
// Pages are sent with a strict Content-Security-Policy (default-src 'self',
// no inline script or style).
package dashboard
