package token

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/realip"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Exchange is the state of one token exchange as it moves through the
// pipeline; each step fills in what it decided. Extensions may change
// Scopes and CustomClaims.
type Exchange struct {
	Request  *Request
	HTTP     *http.Request
	Snapshot *tenant.Snapshot
	// IP is the client's address (behind trusted proxies, see realip).
	IP        string
	GrantType GrantType
	Client    *tenant.Client
	// AuthMethod is the client authentication method that succeeded.
	AuthMethod string
	API        *tenant.API
	Grant      *tenant.Grant
	// Organization is the organization the token is for (nil: none).
	Organization *tenant.Organization
	// Requested are the scopes the request asked for.
	Requested    []string
	Scopes       []string
	CustomClaims map[string]any
	Issued       time.Time
	Lifetime     int64
	// Token is the answer, once minted.
	Token oauth.Token
	// Failed names the step that refused the exchange ("" while none did);
	// FailedScript the Action or Hook that denied or failed, if one did.
	Failed       string
	FailedScript string

	w http.ResponseWriter
}

// Extensions runs Actions/Hooks on an exchange; it may change ex.Scopes
// (the result is intersected with the grant by the pipeline) and
// ex.CustomClaims, or deny with an *oauth.Error.
type Extensions func(ctx context.Context, ex *Exchange) *oauth.Error

// Event records the outcome of an exchange (Auth0 log types seccft/feccft).
type Event func(ev store.LogEvent)

// Endpoint serves POST /oauth/token.
type Endpoint struct {
	Holder *tenant.Holder
	// Secrets verifies client secrets (the methods of internal/clientauth
	// are built on it).
	Secrets *secret.Verifier
	// Issuer is the iss claim, with its trailing slash.
	Issuer     string
	Now        func() time.Time
	Log        *slog.Logger
	Extensions Extensions // nil: none
	Events     Event      // nil: not recorded
	// Reuse, when set, returns a still-fresh token for the same exchange
	// instead of signing a new one.
	Reuse *ReuseCache
	// IP finds the client's address (nil: the TCP peer).
	IP *realip.Resolver

	authOnce sync.Once
	auth     *clientauth.Authenticator
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &Exchange{HTTP: r, Snapshot: e.Holder.Current(), w: w}
	ctx := r.Context()
	for i := range pipeline {
		if oerr := pipeline[i].run(e, ctx, ex); oerr != nil {
			ex.Failed = pipeline[i].name
			e.refused(ex, oerr)
			oauth.WriteError(w, oerr)
			return
		}
	}
	e.record(ex, nil)
	oauth.WriteToken(w, ex.Token)
}

// refused logs and records a failed exchange.
func (e *Endpoint) refused(ex *Exchange, oerr *oauth.Error) {
	if e.Log != nil {
		if oerr.Status >= 500 {
			e.Log.Error("token request failed", "step", ex.Failed, "error", oerr.Code, "description", oerr.Description, "client_id", ex.clientID())
		} else if e.Log.Enabled(ex.HTTP.Context(), slog.LevelDebug) {
			e.Log.Debug("token request refused", "step", ex.Failed, "error", oerr.Code, "description", oerr.Description,
				"client_id", ex.clientID(), "ip", ex.IP)
		}
	}
	e.record(ex, oerr)
}

func (e *Endpoint) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (ex *Exchange) clientID() string {
	if ex.Request == nil {
		return ""
	}
	return ex.Request.Client.ClientID
}

func (e *Endpoint) record(ex *Exchange, oerr *oauth.Error) {
	if e.Events == nil {
		return
	}
	r := ex.HTTP
	ip := ex.IP
	if ip == "" {
		ip = e.IP.IP(r)
	}
	ev := store.LogEvent{Date: e.now().UTC(), IP: ip, UserAgent: r.UserAgent(), Hostname: r.Host}
	if ex.Request != nil {
		ev.ClientID = ex.Request.Client.ClientID
		ev.Audience = ex.Request.Audience
		if ev.Audience == "" {
			ev.Audience = ex.Request.Resource
		}
	}
	if ex.Client != nil {
		ev.ClientName = ex.Client.Name
	}
	if oerr == nil {
		ev.Type, ev.Description = "seccft", "Client Credentials for Access Token"
		ev.Scope = ex.Token.Scope // already joined for the token
		if o := ex.Organization; o != nil {
			ev.OrganizationID, ev.OrganizationName = o.ID, o.Name
		}
	} else {
		ev.Type, ev.Description = "feccft", oerr.Description
		ev.Details = map[string]any{"error": oerr.Code, "status": oerr.Status, "step": ex.Failed}
		if ex.FailedScript != "" {
			ev.Details["action"] = ex.FailedScript
		}
	}
	e.Events(ev)
}
