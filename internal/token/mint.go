package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/verify"
)

// mint is the pipeline's last step: the claims, signed with the API's key,
// or a still-fresh token for the same exchange from the reuse cache (only
// without extensions, whose output may vary per request).
func (e *Endpoint) mint(_ context.Context, ex *Exchange) *oauth.Error {
	if nb := ex.Client.NotBefore; ex.Issued.Before(nb) {
		// The client's tokens were revoked within this second: date the
		// new token at the not-before (under a second ahead, well within
		// verifiers' leeway) so that it is not revoked with them.
		ex.Issued = nb
	}
	reuse := e.Reuse != nil && ex.Snapshot.Extensions == nil
	var key string
	if reuse {
		key = reuseKey(ex)
		if t, ok := e.Reuse.Get(ex.Snapshot.Version, key, ex.Issued); ok {
			ex.Token = t
			return nil
		}
	}
	rfc9068 := isRFC9068(ex.API.TokenDialect)
	typ := keys.TypJWT
	if rfc9068 {
		typ = keys.TypAtJWT
	}
	signer := ex.Snapshot.Signer(ex.API, typ)
	if signer == nil {
		if e.Log != nil {
			e.Log.Error("no signing key for algorithm", "alg", ex.API.SigningAlg, "audience", ex.API.Identifier)
		}
		return oauth.ServerError("")
	}
	scope := strings.Join(ex.Scopes, " ")
	cid := ex.Client.ClientID
	iat := ex.Issued.Unix()
	c := oauth.Claims{
		Issuer: e.Issuer, Subject: cid + "@clients", Audience: ex.API.Identifier,
		IssuedAt: iat, Expiry: iat + ex.Lifetime, Scope: scope, ClientID: cid, Custom: ex.CustomClaims,
	}
	if o := ex.Organization; o != nil {
		c.OrgID = o.ID
		if ex.Snapshot.Settings.AllowOrganizationNameInAuthenticationAPI {
			c.OrgName = o.Name
		}
	}
	if rfc9068 {
		c.Profile, c.JTI = oauth.ProfileRFC9068, newJTI()
	} else {
		c.GrantType = ex.GrantType.GTY()
	}
	compact, err := signer.Sign(c.AppendJSON(make([]byte, 0, 256+len(e.Issuer)+len(ex.API.Identifier)+len(scope))))
	if err == nil && c.JTI == "" && ex.Snapshot.HasRevokedTokens() && ex.Snapshot.JTIRevoked(verify.TokenID(compact, "")) {
		// Without a jti, a token asked for again within the second of
		// its revocation is the same token: date it a second later.
		ex.Issued = ex.Issued.Add(time.Second)
		c.IssuedAt, c.Expiry = c.IssuedAt+1, c.Expiry+1
		compact, err = signer.Sign(c.AppendJSON(make([]byte, 0, 256+len(e.Issuer)+len(ex.API.Identifier)+len(scope))))
	}
	if err != nil {
		if e.Log != nil {
			e.Log.Error("signing failed", "err", err)
		}
		return oauth.ServerError("")
	}
	ex.Token = oauth.Token{AccessToken: compact, TokenType: "Bearer", ExpiresIn: ex.Lifetime, Scope: scope}
	if reuse {
		e.Reuse.Put(ex.Snapshot.Version, key, ex.Issued, ex.Token)
	}
	return nil
}

func isRFC9068(d string) bool { return strings.HasPrefix(d, "rfc9068_profile") }

func newJTI() string {
	var r [16]byte
	rand.Read(r[:])
	return base64.RawURLEncoding.EncodeToString(r[:])
}
