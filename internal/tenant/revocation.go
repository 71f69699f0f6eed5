package tenant

import (
	"context"
	"time"

	"github.com/credo-dev/credo/store"
)

// RevokeClientTokens revokes every token issued to the client until now:
// its NotBefore becomes now rounded up to the next whole second (a token's
// iat has whole seconds), so tokens issued in the second of the revocation
// are revoked too; the token endpoint dates the client's new tokens no
// earlier than NotBefore, so they are valid (see token's mint step).
func (s *Service) RevokeClientTokens(ctx context.Context, id string) (store.Client, error) {
	nb := s.now().Truncate(time.Second).Add(time.Second)
	return s.Store.UpdateClient(ctx, id, func(c *store.Client) error {
		if nb.After(c.TokensNotBefore) {
			c.TokensNotBefore = nb
		}
		c.UpdatedAt = s.now()
		return nil
	})
}

// RevokeToken revokes one token by its jti until it expires (RFC 7009).
func (s *Service) RevokeToken(ctx context.Context, jti, clientID string, expires time.Time) error {
	if jti == "" {
		return invalid("token", "has no jti")
	}
	return s.Store.RevokeToken(ctx, store.RevokedToken{JTI: jti, ClientID: clientID, ExpiresAt: expires.UTC(), RevokedAt: s.now()})
}
