package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
)

// RevocationListPath is where credo publishes its signed revocation list.
const RevocationListPath = "/.well-known/revocations.jwt"

// revocationListTTL is the list's validity (its exp): a verifier that
// cannot refresh it for longer stops trusting it.
const revocationListTTL = 10 * time.Minute

// revocationList caches the signed list per snapshot version, re-signing
// it when it is older than a minute so that its iat stays fresh.
type revocationList struct {
	mu      sync.Mutex
	version int64
	signed  time.Time
	jwt     []byte
}

// revocations serves the tenant's revocation state as a JWT signed with the
// tenant's current RS256 key (in the JWKS, typ "JWT"), so that APIs check
// revocation without a call per request (verify.Config.RevocationList):
//
//	{"iss": …, "iat": …, "exp": iat+600,
//	 "revoked_tokens": {"<jti or sha256:…>": <exp>, …},
//	 "clients_not_before": {"<client_id>": <unix seconds>, …}}
//
// A token is revoked when its id (verify.TokenID) is listed, or when its
// client is listed and its iat is before that time.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	snap := s.deps.Holder.Current()
	now := time.Now()
	if s.deps.Now != nil {
		now = s.deps.Now()
	}
	s.revList.mu.Lock()
	if s.revList.jwt == nil || s.revList.version != snap.Version || now.Sub(s.revList.signed) > time.Minute {
		rv := snap.Revocations(now)
		body := map[string]any{"iss": s.deps.Issuer, "iat": now.Unix(), "exp": now.Add(revocationListTTL).Unix()}
		toks := make(map[string]int64, len(rv.JTIs))
		for id, exp := range rv.JTIs {
			toks[id] = exp.Unix()
		}
		clients := make(map[string]int64, len(rv.Clients))
		for id, nb := range rv.Clients {
			clients[id] = nb.Unix()
		}
		body["revoked_tokens"], body["clients_not_before"] = toks, clients
		payload, _ := json.Marshal(body)
		signer := snap.Keys.Signer(keys.RS256, keys.TypJWT)
		if signer == nil {
			s.revList.mu.Unlock()
			s.deps.Log.Error("no RS256 key to sign the revocation list")
			oauth.WriteError(w, oauth.ServerError(""))
			return
		}
		jwt, err := signer.Sign(payload)
		if err != nil {
			s.revList.mu.Unlock()
			s.deps.Log.Error("signing the revocation list failed", "err", err)
			oauth.WriteError(w, oauth.ServerError(""))
			return
		}
		s.revList.jwt, s.revList.version, s.revList.signed = []byte(jwt), snap.Version, now
	}
	jwt := s.revList.jwt
	s.revList.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/jwt")
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	w.Write(jwt)
}
