package mgmt

import (
	"net/http"
	"time"
)

// TokensRevoked is the answer to POST /clients/{id}/revoke-tokens.
type TokensRevoked struct {
	ClientID string `json:"client_id"`
	// TokensNotBefore: tokens issued to the client before it are revoked.
	TokensNotBefore string `json:"tokens_not_before"`
}

// revokeTokens revokes every token issued to the client until now (a credo
// extension; Auth0 cannot revoke access tokens). Introspection, the
// Management API and verifiers that poll the revocation list refuse them;
// the client's next token request gets a valid token.
func (a *API) revokeTokens(c *call) (any, error) {
	id := c.r.PathValue("id")
	cl, err := c.svc().RevokeClientTokens(c.r.Context(), id)
	if err != nil {
		return nil, err
	}
	c.status, c.target = http.StatusOK, id
	return TokensRevoked{ClientID: cl.ClientID, TokensNotBefore: cl.TokensNotBefore.UTC().Format(time.RFC3339)}, nil
}
