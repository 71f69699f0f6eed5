package oauth

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Profile is an access token's claim profile (an API's token_dialect).
type Profile int

const (
	// ProfileAuth0 is Auth0's: iss, sub, aud, iat, exp, scope, gty, azp.
	ProfileAuth0 Profile = iota
	// ProfileRFC9068 is RFC 9068's JWT access token profile: iss, sub,
	// aud, iat, exp, scope (when not empty), client_id, jti; typ at+jwt.
	ProfileRFC9068
)

// Claims is the claim set of an access token: what the token pipeline
// mints and what Actions may add to (Custom). It encodes itself without
// reflection, in a fixed order, on the hot path.
type Claims struct {
	Profile  Profile
	Issuer   string // iss, with its trailing slash
	Subject  string // sub: CLIENT_ID@clients
	Audience string // aud
	IssuedAt int64  // iat
	Expiry   int64  // exp
	Scope    string // scope, space-separated
	// GrantType is the gty claim of the Auth0 profile (client-credentials).
	GrantType string
	// ClientID is azp (Auth0 profile) or client_id (RFC 9068 profile).
	ClientID string
	// JTI is the token id (RFC 9068 profile).
	JTI string
	// OrgID and OrgName name the organization the token is for (Auth0's
	// org_id, org_name); empty for none.
	OrgID, OrgName string
	// Custom holds the claims Actions set; names never collide with
	// ReservedClaims (the Actions runtime refuses those).
	Custom map[string]any
}

// ReservedClaims are the claims the token pipeline owns: Actions cannot set
// them (api.accessToken.setCustomClaim refuses each).
var ReservedClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "azp", "gty", "scope", "client_id",
	"org_id", "org_name", "permissions", "cnf", "act",
}

// IsReservedClaim reports whether name is one of ReservedClaims.
func IsReservedClaim(name string) bool { return slices.Contains(ReservedClaims, name) }

// AppendJSON appends the claims as a JSON object. Custom claims follow the
// registered ones, sorted by name; a value that cannot be encoded is left
// out (the Actions runtime only produces encodable values).
func (c *Claims) AppendJSON(b []byte) []byte {
	b = append(b, `{"iss":`...)
	b = AppendJSONString(b, c.Issuer)
	b = append(b, `,"sub":`...)
	b = AppendJSONString(b, c.Subject)
	b = append(b, `,"aud":`...)
	b = AppendJSONString(b, c.Audience)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expiry, 10)
	switch c.Profile {
	case ProfileRFC9068:
		if c.Scope != "" {
			b = append(b, `,"scope":`...)
			b = AppendJSONString(b, c.Scope)
		}
		b = append(b, `,"client_id":`...)
		b = AppendJSONString(b, c.ClientID)
		b = append(b, `,"jti":`...)
		b = AppendJSONString(b, c.JTI)
	default:
		b = append(b, `,"scope":`...)
		b = AppendJSONString(b, c.Scope)
		b = append(b, `,"gty":`...)
		b = AppendJSONString(b, c.GrantType)
		b = append(b, `,"azp":`...)
		b = AppendJSONString(b, c.ClientID)
	}
	if c.OrgID != "" {
		b = append(b, `,"org_id":`...)
		b = AppendJSONString(b, c.OrgID)
		if c.OrgName != "" {
			b = append(b, `,"org_name":`...)
			b = AppendJSONString(b, c.OrgName)
		}
	}
	if len(c.Custom) > 0 {
		names := make([]string, 0, len(c.Custom))
		for k := range c.Custom {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			v, err := json.Marshal(c.Custom[k])
			if err != nil || IsReservedClaim(k) {
				continue
			}
			b = append(b, ',')
			b = AppendJSONString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}')
}
