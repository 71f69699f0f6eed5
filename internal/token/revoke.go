package token

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/realip"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/verify"
)

// Tokens serves token revocation (RFC 7009, POST /oauth/revoke) and
// introspection (RFC 7662, POST /oauth/introspect) for the access tokens
// credo issued. Both authenticate the calling client with the token
// endpoint's methods (internal/clientauth) and read the snapshot; only a
// revocation writes.
//
// A token is named by its jti when it has one (the rfc9068_profile
// dialect), else by "sha256:" and the base64url SHA-256 of the token
// itself (Auth0's access_token dialect has no jti), so that every token can
// be revoked without changing what tokens carry; verify's revocation list
// names tokens the same way (see verify.TokenID).
type Tokens struct {
	Holder  *tenant.Holder
	Service *tenant.Service
	Secrets *secret.Verifier
	// Issuer is the iss claim, with its trailing slash.
	Issuer string
	Now    func() time.Time
	Log    *slog.Logger
	// IP finds the client's address for the audit entry (nil: the TCP peer).
	IP *realip.Resolver
	// MaxRevoked bounds the tokens of one client revoked one by one and not
	// yet expired (default DefaultMaxRevoked), so that no client can grow
	// the revocation list every API polls without bound; past it, the
	// client's tokens are revoked all at once instead.
	MaxRevoked int

	authOnce sync.Once
	auth     *clientauth.Authenticator
	jwksMu   sync.Mutex
	jwksFor  *keys.Set
	jwks     jose.JSONWebKeySet
}

// tokenClaims are the claims of a credo access token that introspection
// returns.
type tokenClaims struct {
	Issuer   string          `json:"iss"`
	Subject  string          `json:"sub"`
	Audience json.RawMessage `json:"aud"`
	IssuedAt int64           `json:"iat"`
	Expiry   int64           `json:"exp"`
	Scope    string          `json:"scope"`
	ClientID string          `json:"client_id"`
	AZP      string          `json:"azp"`
	JTI      string          `json:"jti"`
}

func (c *tokenClaims) client() string {
	if c.ClientID != "" {
		return c.ClientID
	}
	return c.AZP
}

func (c *tokenClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Audience, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(c.Audience, &many)
	return many
}

var tokenAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA, jose.HS256}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tokens) keySet(snap *tenant.Snapshot) jose.JSONWebKeySet {
	t.jwksMu.Lock()
	defer t.jwksMu.Unlock()
	if t.jwksFor != snap.Keys {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(snap.Keys.JWKS(), &set); err == nil {
			t.jwks, t.jwksFor = set, snap.Keys
		}
	}
	return t.jwks
}

// inspect returns the claims of raw if it is a token credo issued: signed
// with a key of the tenant's JWKS (or the HS256 secret of the API it names),
// with credo's issuer. Expiry and revocation are the caller's to check.
func (t *Tokens) inspect(snap *tenant.Snapshot, raw string) (*tokenClaims, bool) {
	if len(raw) > 16<<10 {
		return nil, false
	}
	jws, err := jose.ParseSignedCompact(raw, tokenAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	h := jws.Signatures[0].Header
	var payload []byte
	if h.Algorithm == string(jose.HS256) {
		var c tokenClaims
		if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c) != nil {
			return nil, false
		}
		auds := c.audiences()
		if len(auds) != 1 {
			return nil, false
		}
		api, ok := snap.API(auds[0])
		if !ok || api.HMACKey() == nil {
			return nil, false
		}
		if payload, err = jws.Verify(api.HMACKey()); err != nil {
			return nil, false
		}
	} else {
		set := t.keySet(snap)
		keys := set.Key(h.KeyID)
		if len(keys) == 0 {
			return nil, false
		}
		if payload, err = jws.Verify(keys[0].Key); err != nil {
			return nil, false
		}
	}
	var c tokenClaims
	if json.Unmarshal(payload, &c) != nil || c.Issuer != t.Issuer || c.client() == "" {
		return nil, false
	}
	return &c, true
}

// request parses an RFC 7009/7662 request and authenticates its client.
func (t *Tokens) request(w http.ResponseWriter, r *http.Request, snap *tenant.Snapshot) (*Request, *tenant.Client, *oauth.Error) {
	req, oerr := parseRequest(w, r)
	if oerr != nil {
		return nil, nil, oerr
	}
	t.authOnce.Do(func() { t.auth = clientauth.New(t.Secrets) })
	c, _, err := t.auth.Authenticate(r.Context(), snap, &req.Client, t.now())
	if err != nil {
		if errors.Is(err, clientauth.ErrBusy) {
			return nil, nil, oauth.TooManyRequests("Too many requests are verifying low-entropy client secrets at once; retry shortly").WithRetryAfter(1)
		}
		if errors.Is(err, clientauth.ErrNoClientID) {
			return nil, nil, oauth.MissingParameter("client_id")
		}
		fail := oauth.InvalidClient()
		if req.Client.Basic {
			fail = fail.WithBasic()
		}
		return nil, nil, fail
	}
	if req.Body["token"] == "" {
		return nil, nil, oauth.MissingParameter("token")
	}
	return req, c, nil
}

// DefaultMaxRevoked is Tokens.MaxRevoked's default.
const DefaultMaxRevoked = 1000

func (t *Tokens) maxRevoked() int {
	if t.MaxRevoked > 0 {
		return t.MaxRevoked
	}
	return DefaultMaxRevoked
}

// Revoke serves POST /oauth/revoke (RFC 7009): the authenticated client
// revokes one of its own tokens until it expires. An invalid, expired or
// unknown token is answered 200 as the RFC says (§2.2); a token issued to
// another client is 400 unauthorized_client. token_type_hint is accepted
// and ignored (credo issues access tokens only).
func (t *Tokens) Revoke(w http.ResponseWriter, r *http.Request) {
	snap := t.Holder.Current()
	req, client, oerr := t.request(w, r, snap)
	if oerr != nil {
		oauth.WriteError(w, oerr)
		return
	}
	raw := req.Body["token"]
	c, ok := t.inspect(snap, raw)
	now := t.now()
	if ok && time.Unix(c.Expiry, 0).After(now) {
		if c.client() != client.ClientID {
			oauth.WriteError(w, &oauth.Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "The token was not issued to this client"})
			return
		}
		id := verify.TokenID(raw, c.JTI)
		if !snap.TokenRevoked(c.client(), id, time.Unix(c.IssuedAt, 0)) {
			if snap.RevokedCount(client.ClientID, now) >= t.maxRevoked() {
				// Each revocation grows the list every API polls: a client
				// revoking its tokens in bulk revokes them all at once.
				oauth.WriteError(w, oauth.InvalidRequest("This client has too many revoked tokens that have not expired; revoke all of its tokens with the Management API (POST /api/v2/clients/{id}/revoke-tokens)"))
				return
			}
			ctx := store.WithAudit(r.Context(), &store.Audit{Event: store.LogEvent{
				ID: tenant.NewLogID(now), Date: now.UTC(), Type: "sapi", Description: "Revoke a token (RFC 7009)",
				ClientID: client.ClientID, ClientName: client.Name, IP: t.IP.IP(r), UserAgent: r.UserAgent(), Hostname: r.Host,
				Details: map[string]any{"request": map[string]any{"method": "post", "path": r.URL.Path, "channel": "oauth"},
					"response": map[string]any{"statusCode": http.StatusOK}},
			}})
			if err := t.Service.RevokeToken(ctx, id, c.client(), time.Unix(c.Expiry, 0)); err != nil {
				if t.Log != nil {
					t.Log.Error("recording a token revocation failed", "client_id", client.ClientID, "err", err)
				}
				if errors.Is(err, store.ErrUnavailable) {
					oauth.WriteError(w, oauth.TemporarilyUnavailable("The store is unavailable; retry shortly").WithRetryAfter(5))
				} else {
					oauth.WriteError(w, oauth.ServerError(""))
				}
				return
			}
		}
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// Introspect serves POST /oauth/introspect (RFC 7662) to any authenticated
// client of the tenant: {"active":false} for a token that is not credo's,
// has expired or is revoked (by its id or by its client's not-before), else
// {"active":true} with the token's claims.
func (t *Tokens) Introspect(w http.ResponseWriter, r *http.Request) {
	snap := t.Holder.Current()
	req, _, oerr := t.request(w, r, snap)
	if oerr != nil {
		oauth.WriteError(w, oerr)
		return
	}
	raw := req.Body["token"]
	out := map[string]any{"active": false}
	if c, ok := t.inspect(snap, raw); ok && time.Unix(c.Expiry, 0).After(t.now()) &&
		!snap.TokenRevoked(c.client(), verify.TokenID(raw, c.JTI), time.Unix(c.IssuedAt, 0)) {
		out = map[string]any{"active": true, "token_type": "Bearer", "client_id": c.client(), "iss": c.Issuer, "sub": c.Subject,
			"aud": c.Audience, "iat": c.IssuedAt, "exp": c.Expiry}
		if c.Scope != "" {
			out["scope"] = c.Scope
		}
		if c.JTI != "" {
			out["jti"] = c.JTI
		}
	}
	b, _ := json.Marshal(out)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.Write(b)
}
