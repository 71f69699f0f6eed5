package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
)

// Deps are the server's collaborators.
type Deps struct {
	Holder *tenant.Holder
	Token  *token.Endpoint
	// Tokens serves revocation and introspection (nil: not mounted).
	Tokens *token.Tokens
	// Management serves /api/v2/ (nil: not mounted).
	Management http.Handler
	// Dashboard serves /dashboard (nil: not mounted).
	Dashboard http.Handler
	// Metrics instruments every route and serves /metrics (nil: neither).
	Metrics *Metrics
	Log     *slog.Logger
	// Issuer with its trailing slash.
	Issuer string
	// JWKSMaxAge is the JWKS Cache-Control max-age.
	JWKSMaxAge time.Duration
	// Now is the clock of the revocation list's iat and exp (time.Now when nil).
	Now func() time.Time
	// StaleAfter marks /readyz not ready when the store has been unreachable
	// for longer (tokens are still served from the snapshot meanwhile).
	StaleAfter time.Duration
}

// Server is credo's HTTP handler.
type Server struct {
	deps    Deps
	handler http.Handler

	discMu      sync.Mutex
	discVersion int64
	discDoc     []byte

	revList revocationList
}

// New builds the server.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{deps: d, discVersion: -1}
	s.handler = s.recover(s.routes())
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// recover turns a panic into a logged 500 server_error; the process keeps serving.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				oauth.WriteError(w, oauth.ServerError(""))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// discovery renders the OpenID Provider / RFC 8414 metadata, cached per
// snapshot version.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	snap := s.deps.Holder.Current()
	s.discMu.Lock()
	if s.discVersion != snap.Version {
		iss := s.deps.Issuer
		doc := map[string]any{
			"issuer":                                iss,
			"token_endpoint":                        iss + "oauth/token",
			"jwks_uri":                              iss + ".well-known/jwks.json",
			"grant_types_supported":                 []string{oauth.GrantClientCredentials},
			"token_endpoint_auth_methods_supported": []string{oauth.AuthSecretBasic, oauth.AuthSecretPost},
			"id_token_signing_alg_values_supported": snap.Algorithms(),
			"response_types_supported":              []string{"token"},
			"subject_types_supported":               []string{"public"},
			"scopes_supported":                      scopesSupported(snap),
			"claims_supported":                      []string{"iss", "sub", "aud", "iat", "exp", "scope", "gty", "azp", "client_id", "jti"},
			"service_documentation":                 "https://github.com/credo-dev/credo",
		}
		if s.deps.Tokens != nil {
			methods := []string{oauth.AuthSecretBasic, oauth.AuthSecretPost}
			doc["revocation_endpoint"] = iss + "oauth/revoke"
			doc["revocation_endpoint_auth_methods_supported"] = methods
			doc["introspection_endpoint"] = iss + "oauth/introspect"
			doc["introspection_endpoint_auth_methods_supported"] = methods
		}
		b, _ := json.MarshalIndent(doc, "", "  ")
		s.discDoc, s.discVersion = append(b, '\n'), snap.Version
	}
	doc := s.discDoc
	s.discMu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.deps.JWKSMaxAge.Seconds())))
	h.Set("Access-Control-Allow-Origin", "*")
	w.Write(doc)
}

// scopesSupported lists the scopes the tenant's own APIs define (not the
// Management API's), sorted, at most 1000.
func scopesSupported(snap *tenant.Snapshot) []string {
	set := map[string]bool{}
	snap.EachAPI(func(a *tenant.API) {
		if a.IsSystem {
			return
		}
		for _, sc := range a.AllScope {
			if len(set) < 1000 {
				set[sc] = true
			}
		}
	})
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.deps.JWKSMaxAge.Seconds())))
	h.Set("Access-Control-Allow-Origin", "*")
	w.Write(s.deps.Holder.Current().Keys.JWKS())
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyz reports whether the snapshot is fresh. When the store is
// unreachable, tokens are still issued from the last snapshot, and readyz
// says so (503 after StaleAfter, so a load balancer can prefer healthy
// replicas). It tells anyone who asks only the state: the store's error
// (which may name the database, its host and user) goes to the log, which
// the Holder writes when the store first fails.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	lastOK, err := s.deps.Holder.Health()
	snap := s.deps.Holder.Current()
	body := map[string]any{"status": "ready", "version": snap.Version}
	code := http.StatusOK
	if err != nil {
		body["status"] = "degraded"
		body["serving_from_snapshot"] = true
		if !lastOK.IsZero() {
			body["last_store_ok"] = lastOK.UTC().Format(time.RFC3339)
		}
		if s.deps.StaleAfter > 0 && time.Since(lastOK) > s.deps.StaleAfter {
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	oauth.WriteError(w, oauth.NotFound())
}
