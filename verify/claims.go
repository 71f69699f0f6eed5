package verify

import (
	"fmt"
	"strings"
	"time"
)

// Claims are the verified claims of an access token, in the shape of Auth0's
// and RFC 9068's access-token profiles. Time fields are zero when the claim is
// absent.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub, e.g. "CLIENT_ID@clients" for client credentials
	Audience  []string  // aud, a string or an array in the token
	IssuedAt  time.Time // iat
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
	ID        string    // jti

	// ClientID is the client_id claim (RFC 9068), or azp when client_id is
	// absent (Auth0's default profile).
	ClientID        string
	AuthorizedParty string   // azp
	GrantType       string   // gty, e.g. "client-credentials"
	Scopes          []string // scope, split on spaces (an array is accepted too)
	OrgID           string   // org_id
	OrgName         string   // org_name

	// Custom holds every other claim as decoded JSON (numbers are float64).
	// It is nil when there are none.
	Custom map[string]any
}

// HasScope reports whether the token was granted scope s. It is false for a
// nil *Claims.
func (c *Claims) HasScope(s string) bool {
	if c == nil {
		return false
	}
	for _, have := range c.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// claimsFrom moves the known claims out of m into a Claims; what remains of m
// becomes Custom, so the claims set is decoded exactly once.
func claimsFrom(m map[string]any) (*Claims, error) {
	c := &Claims{}
	var err error
	str := func(name string, dst *string) {
		v, ok := m[name]
		if !ok || err != nil {
			return
		}
		delete(m, name)
		s, isStr := v.(string)
		if !isStr {
			err = fmt.Errorf("%w: %s is not a string", ErrMalformed, name)
			return
		}
		*dst = s
	}
	date := func(name string, dst *time.Time) {
		v, ok := m[name]
		if !ok || err != nil {
			return
		}
		delete(m, name)
		*dst, err = numericDate(v, name)
	}
	str("iss", &c.Issuer)
	str("sub", &c.Subject)
	str("jti", &c.ID)
	str("client_id", &c.ClientID)
	str("azp", &c.AuthorizedParty)
	str("gty", &c.GrantType)
	str("org_id", &c.OrgID)
	str("org_name", &c.OrgName)
	date("exp", &c.ExpiresAt)
	date("nbf", &c.NotBefore)
	date("iat", &c.IssuedAt)
	if err != nil {
		return nil, err
	}
	if c.ClientID == "" {
		c.ClientID = c.AuthorizedParty
	}
	if v, ok := m["aud"]; ok {
		delete(m, "aud")
		if c.Audience, err = stringList(v, "aud", false); err != nil {
			return nil, err
		}
	}
	if v, ok := m["scope"]; ok {
		delete(m, "scope")
		if c.Scopes, err = stringList(v, "scope", true); err != nil {
			return nil, err
		}
	}
	if len(m) > 0 {
		c.Custom = m
	}
	return c, nil
}

// stringList decodes a claim that is a string or an array of strings. With
// split, a string is a space-separated list (the OAuth scope syntax).
func stringList(v any, name string, split bool) ([]string, error) {
	switch v := v.(type) {
	case string:
		if split {
			return strings.Fields(v), nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s contains a non-string", ErrMalformed, name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s is neither a string nor an array of strings", ErrMalformed, name)
}
