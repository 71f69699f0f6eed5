package tenant

import (
	"context"
	"errors"
	"fmt"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/store"
)

// ManagementScopes are the Management API v2 scopes credo enforces
// (reference §3.1), all granted to the bootstrap admin.
var ManagementScopes = []string{
	"read:clients", "create:clients", "update:clients", "delete:clients",
	"read:client_keys", "update:client_keys", "read:client_credentials", "create:client_credentials",
	"update:client_credentials", "delete:client_credentials", "read:client_summary",
	"read:client_grants", "create:client_grants", "update:client_grants", "delete:client_grants",
	"read:resource_servers", "create:resource_servers", "update:resource_servers", "delete:resource_servers",
	"read:signing_keys", "create:signing_keys", "update:signing_keys",
	"read:tenant_settings", "update:tenant_settings", "read:logs", "read:logs_users",
	"read:log_streams", "create:log_streams", "update:log_streams", "delete:log_streams",
	"read:actions", "create:actions", "update:actions", "delete:actions",
	"read:hooks", "create:hooks", "update:hooks", "delete:hooks",
	"read:organizations", "read:organizations_summary", "create:organizations", "update:organizations", "delete:organizations",
	"read:organization_client_grants", "create:organization_client_grants", "delete:organization_client_grants",
}

// BootstrapMetadataKey marks the client created as bootstrap admin.
const BootstrapMetadataKey = "credo_role"

// SystemAPIName is the Management API resource server's name, Auth0's: the
// Deploy CLI recognises the system API by it and leaves it alone (neither
// exported nor patched nor deleted). Tenants created before it was used get
// it at the next start (EnsureSystem).
const SystemAPIName = "Auth0 Management API"

// SystemAPI returns the Management API resource server (IsSystem), looking
// through every API; found is false when the store has none yet.
func SystemAPI(ctx context.Context, st store.Store) (rs store.ResourceServer, found bool, err error) {
	list, err := store.All(ctx, st.ListResourceServers)
	for _, rs := range list {
		if rs.IsSystem {
			return rs, true, nil
		}
	}
	return store.ResourceServer{}, false, err
}

// EnsureSystem creates the Management API resource server (<issuer>api/v2/)
// if missing, and moves one left at another audience (after ChangeIssuer,
// if the move did not happen with it) to s.Issuer's. Callers check the
// issuer against the tenant's identity first (ResolveIssuer): EnsureSystem
// does not decide which issuer is right.
func (s *Service) EnsureSystem(ctx context.Context) error {
	aud := s.ManagementAudience()
	rs, found, err := SystemAPI(ctx, s.Store)
	switch {
	case err != nil:
		return err
	case found && rs.Identifier == aud:
		if len(rs.Scopes) == len(ManagementScopes) && rs.Name == SystemAPIName {
			return nil
		}
		_, err := s.Store.UpdateResourceServer(ctx, rs.ID, func(r *store.ResourceServer) error {
			r.Scopes, r.Name = managementScopeObjects(), SystemAPIName
			return nil
		})
		return err
	case found:
		// The issuer was changed on purpose (ChangeIssuer): move the
		// Management API, and with it every grant to it, to the new
		// audience instead of dropping the admins' grants.
		if s.Log != nil {
			s.Log.Warn("moving the Management API audience to the tenant's issuer", "old", rs.Identifier, "new", aud)
		}
		_, err := s.Store.UpdateResourceServer(ctx, rs.ID, func(r *store.ResourceServer) error {
			r.Identifier, r.Scopes, r.Name, r.UpdatedAt = aud, managementScopeObjects(), SystemAPIName, s.now()
			return nil
		})
		return err
	}
	now := s.now()
	err = s.Store.CreateResourceServer(ctx, store.ResourceServer{
		ID: randomHex(12), Name: SystemAPIName, Identifier: aud, Scopes: managementScopeObjects(),
		SigningAlg: keys.RS256, TokenLifetime: DefaultTokenLifetime, TokenDialect: oauth.DialectAuth0,
		IsSystem: true, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, store.ErrConflict) { // another replica created it
		err = nil
	}
	return err
}

func managementScopeObjects() []store.Scope {
	out := make([]store.Scope, len(ManagementScopes))
	for i, v := range ManagementScopes {
		out[i] = store.Scope{Value: v}
	}
	return out
}

// EnsureBootstrap makes sure an admin client with a grant to the Management
// API (all scopes) exists. With id and plain set (CREDO_BOOTSTRAP_CLIENT_ID
// and _SECRET) that client is created or its secret updated. Without them a
// client is generated once; its id and secret are returned (generated is
// true) for printing, and only its hash is stored.
func (s *Service) EnsureBootstrap(ctx context.Context, id, plain string) (clientID, generatedSecret string, err error) {
	if (id == "") != (plain == "") {
		return "", "", errors.New("set both CREDO_BOOTSTRAP_CLIENT_ID and CREDO_BOOTSTRAP_CLIENT_SECRET, or neither")
	}
	meta := map[string]string{BootstrapMetadataKey: "bootstrap-admin"}
	name := "credo bootstrap admin"
	if id != "" {
		c, err := s.Store.GetClient(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if _, _, err := s.CreateClient(ctx, ClientFields{ClientID: id, ClientSecret: plain, Name: &name, Metadata: &meta}); err != nil {
				return "", "", fmt.Errorf("bootstrap client: %w", err)
			}
		case err != nil:
			return "", "", err
		default:
			if len(c.Secrets) == 0 || !secret.NewVerifier(0, nil).Verify(c.Secrets[0].Hash, plain) {
				if _, err := s.UpdateClient(ctx, id, ClientFields{ClientSecret: plain}); err != nil {
					return "", "", fmt.Errorf("bootstrap client: %w", err)
				}
			}
		}
	} else {
		found := ""
		if s.Holder != nil {
			s.snapshot(ctx).EachClient(func(c *Client) {
				if found == "" && c.Metadata[BootstrapMetadataKey] == "bootstrap-admin" {
					found = c.ClientID
				}
			})
		}
		if found == "" {
			c, sec, err := s.CreateClient(ctx, ClientFields{Name: &name, Metadata: &meta})
			if err != nil {
				return "", "", err
			}
			id, generatedSecret = c.ClientID, sec
		} else {
			id = found
		}
	}
	all := true
	aud := s.ManagementAudience()
	list, _, err := s.Store.ListClientGrants(ctx, store.GrantFilter{ClientID: id, Audience: aud})
	if err != nil {
		return "", "", err
	}
	if len(list) == 0 {
		scopes := ManagementScopes
		if _, err := s.CreateGrant(ctx, GrantFields{ClientID: id, Audience: aud, Scope: &scopes, AllowAllScopes: &all}); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", "", fmt.Errorf("bootstrap grant: %w", err)
		}
	}
	return id, generatedSecret, nil
}

// DemoAudience is the demo API created on first start.
const DemoAudience = "https://demo.credo.local/api"

// Demo is what EnsureDemo created.
type Demo struct {
	ClientID, ClientSecret, Audience string
	Scopes                           []string
}

// EnsureDemo creates the demo tenant (an API, an M2M application and its
// grant) when the tenant has no applications and no APIs of its own yet. It
// returns nil when nothing was created.
func (s *Service) EnsureDemo(ctx context.Context) (*Demo, error) {
	_, nClients, err := s.Store.ListClients(ctx, store.ClientFilter{Page: store.Page{Limit: 1}})
	if err != nil {
		return nil, err
	}
	_, nAPIs, err := s.Store.ListResourceServers(ctx, store.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if nClients > 0 || nAPIs > 1 { // the system API is always there
		return nil, nil
	}
	name, apiName := "Demo M2M App", "Demo API"
	scopes := []store.Scope{{Value: "read:demo", Description: "Read demo data"}, {Value: "write:demo", Description: "Write demo data"}}
	aud := DemoAudience
	if _, err := s.CreateResourceServer(ctx, ResourceServerFields{Name: &apiName, Identifier: &aud, Scopes: &scopes}); err != nil {
		return nil, err
	}
	c, sec, err := s.CreateClient(ctx, ClientFields{Name: &name})
	if err != nil {
		return nil, err
	}
	granted := []string{"read:demo", "write:demo"}
	if _, err := s.CreateGrant(ctx, GrantFields{ClientID: c.ClientID, Audience: aud, Scope: &granted}); err != nil {
		return nil, err
	}
	return &Demo{ClientID: c.ClientID, ClientSecret: sec, Audience: aud, Scopes: granted}, nil
}
