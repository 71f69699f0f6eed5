package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Exchange is the state of one client-credentials exchange as it moves
// through the pipeline. Extensions may change Scopes and CustomClaims.
type Exchange struct {
	Request      *Request
	HTTP         *http.Request
	Snapshot     *tenant.Snapshot
	Client       *tenant.Client
	API          *tenant.API
	Grant        *tenant.Grant
	Scopes       []string
	CustomClaims map[string]any
	Issued       time.Time
	Lifetime     int64
}

// Extensions runs Actions/Hooks on an exchange; it may change ex.Scopes
// (the result is intersected with the grant by the pipeline) and
// ex.CustomClaims, or deny with an *oauth.Error.
type Extensions func(ctx context.Context, ex *Exchange) *oauth.Error

// Event records the outcome of an exchange (Auth0 log types seccft/feccft).
type Event func(ev store.LogEvent)

// Endpoint serves POST /oauth/token.
type Endpoint struct {
	Holder  *tenant.Holder
	Secrets *secret.Verifier
	// Issuer is the iss claim, with its trailing slash.
	Issuer     string
	Now        func() time.Time
	Log        *slog.Logger
	Extensions Extensions // nil: none
	Events     Event      // nil: not recorded
	// Reuse, when set, returns a still-fresh token for the same (client,
	// audience, scope) instead of signing a new one.
	Reuse *ReuseCache
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := e.Holder.Current()
	ex, tok, oerr := e.exchange(r.Context(), w, r, snap)
	if oerr != nil {
		if oerr.Status >= 500 && e.Log != nil {
			e.Log.Error("token request failed", "error", oerr.Code, "description", oerr.Description)
		}
		e.record(r, ex, "", oerr)
		oauth.WriteError(w, oerr)
		return
	}
	e.record(r, ex, tok.Scope, nil)
	oauth.WriteToken(w, tok)
}

func (e *Endpoint) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// exchange is the pipeline. It returns the exchange (as far as it got) for logging.
func (e *Endpoint) exchange(ctx context.Context, w http.ResponseWriter, r *http.Request, snap *tenant.Snapshot) (*Exchange, oauth.Token, *oauth.Error) {
	// parse
	req, oerr := Parse(w, r)
	if oerr != nil {
		return nil, oauth.Token{}, oerr
	}
	ex := &Exchange{Request: req, HTTP: r, Snapshot: snap}
	if req.GrantType != oauth.GrantClientCredentials {
		return ex, oauth.Token{}, oauth.UnsupportedGrantType(req.GrantType)
	}
	// authenticate
	if oerr = e.authenticate(ex); oerr != nil {
		return ex, oauth.Token{}, oerr
	}
	// grant type
	if !ex.Client.HasGrantType(req.GrantType) {
		return ex, oauth.Token{}, oauth.UnauthorizedClient(req.GrantType)
	}
	// resolve audience
	if oerr = resolve(ex); oerr != nil {
		return ex, oauth.Token{}, oerr
	}
	// policy
	g, ok := snap.Grant(ex.Client.ClientID, ex.API.Identifier)
	if !ok {
		return ex, oauth.Token{}, oauth.NoClientGrant(ex.API.Identifier)
	}
	ex.Grant = g
	requested, oerr := splitScope(req.Scope)
	if oerr != nil {
		return ex, oauth.Token{}, oerr
	}
	if ex.Scopes, oerr = snap.Scopes(g, requested); oerr != nil {
		return ex, oauth.Token{}, oerr
	}
	ex.Issued = e.now()
	ex.Lifetime = int64(ex.API.TokenLifetime)
	if ex.Client.TokenLifetime > 0 {
		ex.Lifetime = int64(ex.Client.TokenLifetime)
	}
	if ex.Lifetime <= 0 {
		ex.Lifetime = tenant.DefaultTokenLifetime
	}
	// reuse (optional, only without extensions: their output may vary per request)
	reuse := e.Reuse != nil && snap.Extensions == nil
	if reuse {
		if t, ok := e.Reuse.Get(snap.Version, ex.Client.ClientID, ex.API.Identifier, ex.Scopes, ex.Issued); ok {
			return ex, t, nil
		}
	}
	// extensions
	if e.Extensions != nil && snap.Extensions != nil {
		if oerr = e.Extensions(ctx, ex); oerr != nil {
			return ex, oauth.Token{}, oerr
		}
		ex.Scopes = intersect(ex.Scopes, g)
	}
	// build claims and sign
	typ := keys.TypJWT
	if isRFC9068(ex.API.TokenDialect) {
		typ = keys.TypAtJWT
	}
	signer := snap.Signer(ex.API, typ)
	if signer == nil {
		if e.Log != nil {
			e.Log.Error("no signing key for algorithm", "alg", ex.API.SigningAlg, "audience", ex.API.Identifier)
		}
		return ex, oauth.Token{}, oauth.ServerError("")
	}
	scope := strings.Join(ex.Scopes, " ")
	payload := e.claims(ex, scope)
	compact, err := signer.Sign(payload)
	if err != nil {
		if e.Log != nil {
			e.Log.Error("signing failed", "err", err)
		}
		return ex, oauth.Token{}, oauth.ServerError("")
	}
	t := oauth.Token{AccessToken: compact, TokenType: "Bearer", ExpiresIn: ex.Lifetime, Scope: scope}
	if reuse {
		e.Reuse.Put(snap.Version, ex.Client.ClientID, ex.API.Identifier, ex.Scopes, ex.Issued, t)
	}
	return ex, t, nil
}

// authenticate implements client_secret_basic and client_secret_post. An
// unknown client costs the same secret check as a wrong secret.
func (e *Endpoint) authenticate(ex *Exchange) *oauth.Error {
	req := ex.Request
	fail := oauth.InvalidClient()
	if ex.Snapshot.Settings.Auth0CompatErrors {
		fail = oauth.Auth0Unauthorized()
	}
	if req.Basic {
		fail = fail.WithBasic()
	}
	if req.ClientID == "" {
		if req.Body["client_assertion"] != "" {
			return oauth.InvalidRequest("client_assertion (private_key_jwt) is not enabled for any client; use client_secret_post or client_secret_basic")
		}
		return oauth.MissingParameter("client_id")
	}
	c, ok := ex.Snapshot.Client(req.ClientID)
	if !ok {
		e.Secrets.Dummy(req.ClientSecret)
		return fail
	}
	ex.Client = c
	if c.TokenEndpointAuthMethod == oauth.AuthNone || len(c.Secrets) == 0 {
		return oauth.PublicClient()
	}
	if req.ClientSecret == "" {
		e.Secrets.Dummy(req.ClientSecret)
		return fail
	}
	now := e.now()
	okAny := false
	for _, s := range c.Secrets {
		if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
			continue
		}
		if e.Secrets.Verify(s.Hash, req.ClientSecret) {
			okAny = true
		}
	}
	if !okAny {
		return fail
	}
	return nil
}

// resolve finds the API from audience or its RFC 8707 alias resource.
func resolve(ex *Exchange) *oauth.Error {
	req := ex.Request
	aud := req.Audience
	if req.Resource != "" {
		if aud != "" && aud != req.Resource {
			return oauth.InvalidRequest("audience and resource name different APIs; send one")
		}
		aud = req.Resource
	}
	if aud == "" {
		return oauth.MissingParameter("audience")
	}
	api, ok := ex.Snapshot.API(aud)
	if !ok {
		return oauth.ServiceNotFound(aud)
	}
	ex.API = api
	return nil
}

func splitScope(s string) ([]string, *oauth.Error) {
	if s == "" {
		return nil, nil
	}
	out := strings.Fields(s)
	for _, v := range out {
		if !tenant.ValidScope(v) {
			return nil, oauth.InvalidScope("Malformed scope: " + strconv.Quote(v))
		}
	}
	return out, nil
}

// intersect keeps only scopes the grant allows, in order, without duplicates.
func intersect(scopes []string, g *tenant.Grant) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if g.Allows(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func isRFC9068(d string) bool { return strings.HasPrefix(d, "rfc9068_profile") }

// claims encodes the JWT payload without reflection. Auth0 profile:
// iss, sub, aud, iat, exp, scope, gty, azp. RFC 9068 profile: iss, sub, aud,
// iat, exp, scope, client_id, jti.
func (e *Endpoint) claims(ex *Exchange, scope string) []byte {
	cid := ex.Client.ClientID
	iat := ex.Issued.Unix()
	b := make([]byte, 0, 256+len(e.Issuer)+len(ex.API.Identifier))
	b = append(b, `{"iss":`...)
	b = oauth.AppendJSONString(b, e.Issuer)
	b = append(b, `,"sub":`...)
	b = oauth.AppendJSONString(b, cid+"@clients")
	b = append(b, `,"aud":`...)
	b = oauth.AppendJSONString(b, ex.API.Identifier)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, iat, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, iat+ex.Lifetime, 10)
	if isRFC9068(ex.API.TokenDialect) {
		if scope != "" {
			b = append(b, `,"scope":`...)
			b = oauth.AppendJSONString(b, scope)
		}
		b = append(b, `,"client_id":`...)
		b = oauth.AppendJSONString(b, cid)
		b = append(b, `,"jti":`...)
		b = oauth.AppendJSONString(b, newJTI())
	} else {
		b = append(b, `,"scope":`...)
		b = oauth.AppendJSONString(b, scope)
		b = append(b, `,"gty":"client-credentials","azp":`...)
		b = oauth.AppendJSONString(b, cid)
	}
	if len(ex.CustomClaims) > 0 {
		names := make([]string, 0, len(ex.CustomClaims))
		for k := range ex.CustomClaims {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			v, err := json.Marshal(ex.CustomClaims[k])
			if err != nil {
				continue // extensions validate values; never emit a broken payload
			}
			b = append(b, ',')
			b = oauth.AppendJSONString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}')
}

func newJTI() string {
	var r [16]byte
	rand.Read(r[:])
	return base64.RawURLEncoding.EncodeToString(r[:])
}

func (e *Endpoint) record(r *http.Request, ex *Exchange, scope string, oerr *oauth.Error) {
	if e.Events == nil {
		return
	}
	ev := store.LogEvent{Date: e.now().UTC(), IP: clientIP(r), UserAgent: r.UserAgent(), Hostname: r.Host}
	if ex != nil && ex.Request != nil {
		ev.ClientID = ex.Request.ClientID
		ev.Audience = ex.Request.Audience
		if ev.Audience == "" {
			ev.Audience = ex.Request.Resource
		}
	}
	if ex != nil && ex.Client != nil {
		ev.ClientName = ex.Client.Name
	}
	if oerr == nil {
		ev.Type, ev.Description = "seccft", "Client Credentials for Access Token"
		ev.Scope = scope // already joined for the token
	} else {
		ev.Type, ev.Description = "feccft", oerr.Description
		ev.Details = map[string]any{"error": oerr.Code, "status": oerr.Status}
	}
	e.Events(ev)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
