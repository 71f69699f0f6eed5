// Package mgmt serves credo's Management API v2 under /api/v2/: clients,
// resource servers (APIs), client grants, signing keys, tenant settings and
// logs, in Auth0's JSON shapes and with Auth0's scopes, so that tools written
// for Auth0's Management API (its SDKs, Terraform's auth0 provider, Deploy
// CLI) work against credo by changing the domain.
//
// Every handler is a thin adapter: reads go to the store, every write goes
// through tenant.Service (the same validated code path the CLI, the seed
// loader and the dashboard use), which refreshes the in-memory snapshot, so a
// created grant or a rotated secret is honoured by the very next token
// request. Errors are values of one type, apiError, written in one place in
// Auth0's shape {"statusCode","error","message","errorCode"}.
//
// # Protection
//
// Every call needs "Authorization: Bearer <token>": an access token credo
// issued for the audience <issuer>api/v2/, verified with credo's public
// verify package (signature, iss, aud, exp, algorithm allow-list). The JWKS
// is answered in process from the current snapshot (no network self-call),
// and the verifier is rebuilt whenever the tenant's keys change, so a
// revoked key stops verifying at once. Each route then checks its scopes
// (reference §3.1, "any of"; rotating signing keys needs both
// create:signing_keys and update:signing_keys).
//
// # Differences from Auth0 (deliberate, documented)
//
//   - Client secrets are stored hashed. client_secret appears only in the
//     response of POST /clients and POST /clients/{id}/rotate-secret; a
//     later GET cannot return it (Auth0 returns it to holders of
//     read:client_keys).
//   - POST /clients/{id}/rotate-secret?grace_period=SECONDS keeps the
//     previous secret valid for that long (default 0: Auth0's behaviour,
//     the old secret stops at once). While it is valid the client object
//     carries previous_secret_expires_at.
//   - A resource server's signing_secret (HS256) is generated when an HS256
//     API is created without one, stored encrypted, and returned by GET,
//     POST and PATCH as Auth0 returns it.
//   - Beyond Auth0, the caller's access is re-checked against the current
//     tenant on every call: a token whose client was deleted, or whose grant
//     to the Management API was deleted, is refused (401), and the scopes
//     that count are the token's scopes that the grant still holds. Auth0
//     honours such tokens until they expire.
//   - The system API (<issuer>api/v2/, named "Auth0 Management API" as on
//     Auth0, so that the Deploy CLI leaves it alone) cannot be patched or
//     deleted: 403 operation_not_supported.
//   - POST /keys/signing/rotate rotates every key type (RSA, EC, OKP;
//     ?key_type=RSA limits it) and answers {"cert","kid"} of the new
//     current RSA key (the one the Management API itself signs with).
//     PUT /keys/signing/{kid}/revoke answers {"cert","kid"} of the revoked
//     key. GET /keys/signing/{kid}/pem and /cer download its certificate.
//   - GET /keys/signing sets Auth0's current/next/previous booleans on RSA
//     keys only (one current key, as Auth0 tools expect); every key carries
//     credo's state within its own type (ADR 0004).
//   - GET/PATCH /tenants/settings take every setting of Auth0's tenant
//     object (settings.go): default_audience and credo's two flags
//     (honor_scope_subset, auth0_compat_errors) are honoured, the others are
//     type-checked, stored and returned.
//   - What GET returns, PATCH and POST accept (readonly.go): read-only
//     fields are ignored, identities that would change are refused.
//   - Collections and settings of an Auth0 tenant that do not apply to an
//     M2M server (rules, connections, roles, prompts, attack protection,
//     guardian, branding, …) answer what a tenant without them answers
//     (absent.go), so that the Deploy CLI's export runs to the end.
//   - Other fields credo does not model are refused as unknown properties
//     rather than stored and ignored. Accepted but fixed: oidc_conformant
//     (must be true), allow_offline_access and enforce_policies (must be
//     false), skip_consent_for_verifiable_first_party_clients (ignored; M2M
//     has no consent).
//   - Credo extensions on objects: created_at and updated_at on clients,
//     resource servers and grants; token_lifetime on clients (seconds,
//     0 = the API's); client_id on POST /clients (choose the id, as a seed
//     file can).
//   - 403 messages follow the form observed on the wire
//     ("Insufficient scope, expected any of: read:clients"); a missing
//     Authorization header is 401 "Missing authentication" and every other
//     token failure 401 "Invalid token", both with errorCode invalid_token.
//   - POST /actions/actions/{id}/test runs the action's current code
//     (deployed or not) once on the event in "payload", with its secrets,
//     and answers {"payload": {"accessToken": {"scope": [...],
//     "customClaims": {...}}}}, or {"payload": {"denied": {"code",
//     "reason"}}} for api.access.deny, or {"payload": {"error": "..."}} for
//     code that does not compile, throws or times out. Auth0 documents only
//     that the answer's payload is "the resulting payload".
//   - A successful write is recorded as a durable audit entry of type sapi
//     (e.g. "Create a client") in the write's own transaction: the caller,
//     the address, the request line, the status, the target and the stored
//     fields that changed, never a secret. A write refused to an
//     authenticated caller is a fapi event in the bounded token log.
//   - GET /logs takes q (Auth0's Lucene subset, see logquery.go) and
//     sort=date:1|-1; search_engine is accepted and ignored.
//   - POST /clients/{id}/revoke-tokens revokes every token issued to the
//     client until now (Auth0 has no such endpoint).
package mgmt
