package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
)

func init() {
	register(command{name: "clients", summary: "manage applications: list, create, get, update, delete, rotate-secret", run: runClients})
}

func runClients(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "clients", "Manage applications (Auth0 clients) on the tenant or a running server.", []verb{
		{"list", "list applications", clientsList},
		{"create", "create an application; prints its client secret once", clientsCreate},
		{"get", "show one application", clientsGet},
		{"update", "change the given fields of an application", clientsUpdate},
		{"delete", "delete an application and its grants", clientsDelete},
		{"rotate-secret", "give an application a new secret (optionally keeping the old one for a grace period)", clientsRotate},
	}, args)
}

func clientsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients list", "clients list [flags]")
	return withBackend(ctx, io, fs, o, args, 0, "", func(b backend, _ []string) error {
		list, err := b.listClients(ctx)
		if err != nil {
			return err
		}
		return o.show(io, list, func(w writer) {
			row(w, "CLIENT ID", "NAME", "APP TYPE", "AUTH METHOD", "GRANT TYPES")
			for _, c := range list {
				row(w, c.ClientID, c.Name, c.AppType, c.TokenEndpointAuthMethod, strings.Join(c.GrantTypes, ","))
			}
		})
	})
}

// clientFieldFlags registers the writable client fields.
type clientFieldFlags struct {
	name, description, appType, authMethod, grantTypes, metadata, jwtAlg string
	tokenLifetime                                                        int
}

func (c *clientFieldFlags) register(fs *flagSet) {
	fs.String(&c.name, "name", "", "display name (1-255 characters, no < or >)")
	fs.String(&c.description, "description", "", "free text, at most 140 characters")
	fs.String(&c.appType, "app-type", "", "non_interactive (machine-to-machine, the default), regular_web, spa, native, …")
	fs.String(&c.authMethod, "auth-method", "", "token_endpoint_auth_method: client_secret_post (default), client_secret_basic or none")
	fs.String(&c.grantTypes, "grant-types", "", "comma-separated grant types (default client_credentials)")
	fs.String(&c.metadata, "metadata", "", "client_metadata as key=value,key=value (replaces all keys; \"\" clears)")
	fs.String(&c.jwtAlg, "jwt-alg", "", "jwt_configuration.alg: RS256, PS256 or HS256")
	fs.Int(&c.tokenLifetime, "token-lifetime", 0, "token lifetime in seconds for this application (0 = the API's)")
}

// body builds the request from the flags in set (all given flags on update).
func (c *clientFieldFlags) body(set map[string]bool) (mgmt.ClientBody, error) {
	var b mgmt.ClientBody
	str := func(flag, v string) *string {
		if !set[flag] {
			return nil
		}
		return &v
	}
	b.Name = str("name", c.name)
	b.Description = str("description", c.description)
	b.AppType = str("app-type", c.appType)
	b.TokenEndpointAuthMethod = str("auth-method", c.authMethod)
	if set["grant-types"] {
		gt := splitList(c.grantTypes)
		b.GrantTypes = &gt
	}
	if set["metadata"] {
		m := map[string]string{}
		for _, kv := range splitList(c.metadata) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return b, fmt.Errorf("--metadata %q: want key=value", kv)
			}
			m[k] = v
		}
		b.ClientMetadata = &m
	}
	if set["jwt-alg"] {
		alg := c.jwtAlg
		b.JWTConfiguration = &mgmt.JWTConfigBody{Alg: &alg}
	}
	if set["token-lifetime"] {
		tl := c.tokenLifetime
		b.TokenLifetime = &tl
	}
	return b, nil
}

func showClient(io IO, o *mgmtOpts, c mgmt.Client) error {
	return o.show(io, c, func(w writer) {
		row(w, "client_id", c.ClientID)
		row(w, "name", c.Name)
		row(w, "description", c.Description)
		row(w, "app_type", c.AppType)
		row(w, "grant_types", strings.Join(c.GrantTypes, ","))
		row(w, "token_endpoint_auth_method", c.TokenEndpointAuthMethod)
		meta := []string{}
		for k, v := range c.ClientMetadata {
			meta = append(meta, k+"="+v)
		}
		row(w, "client_metadata", strings.Join(meta, ","))
		row(w, "is_first_party", strconv.FormatBool(c.IsFirstParty))
		row(w, "jwt_configuration.alg", c.JWTConfiguration.Alg)
		if c.TokenLifetime > 0 {
			row(w, "token_lifetime", strconv.Itoa(c.TokenLifetime))
		}
		row(w, "created_at", c.CreatedAt)
		row(w, "updated_at", c.UpdatedAt)
		if c.PreviousSecretExpiresAt != "" {
			row(w, "previous_secret_expires_at", c.PreviousSecretExpiresAt)
		}
		if c.ClientSecret != "" {
			row(w, "client_secret", c.ClientSecret+"   (shown only now: credo stores a hash)")
		}
	})
}

func clientsCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients create", "clients create --name NAME [flags]\n\nCreates an application (machine-to-machine by default) and prints its client\nsecret once; credo keeps only a hash of it.")
	var f clientFieldFlags
	f.register(fs)
	var id, imported string
	fs.String(&id, "id", "", "choose the client_id (default: generated)")
	fs.String(&imported, "import-secret", "", "use this client secret instead of generating one (e.g. when migrating from Auth0)")
	return withBackend(ctx, io, fs, o, args, 0, "", func(b backend, _ []string) error {
		set := givenFlags(fs)
		if !set["name"] {
			return fmt.Errorf("--name is required")
		}
		body, err := f.body(set)
		if err != nil {
			return err
		}
		if id != "" {
			body.ClientID = &id
		}
		if imported != "" {
			body.ClientSecret = &imported
		}
		c, err := b.createClient(ctx, body)
		if err != nil {
			return err
		}
		return showClient(io, o, c)
	})
}

func clientsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients get", "clients get CLIENT_ID [flags]")
	return withBackend(ctx, io, fs, o, args, 1, "CLIENT_ID", func(b backend, pos []string) error {
		c, err := b.getClient(ctx, pos[0])
		if err != nil {
			return err
		}
		return showClient(io, o, c)
	})
}

func clientsUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients update", "clients update CLIENT_ID [--name …] [--description …] [flags]\n\nChanges only the fields whose flags are given.")
	var f clientFieldFlags
	f.register(fs)
	return withBackend(ctx, io, fs, o, args, 1, "CLIENT_ID", func(b backend, pos []string) error {
		body, err := f.body(setFlags(fs))
		if err != nil {
			return err
		}
		c, err := b.updateClient(ctx, pos[0], body)
		if err != nil {
			return err
		}
		return showClient(io, o, c)
	})
}

func clientsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients delete", "clients delete CLIENT_ID [flags]\n\nDeletes the application and its grants; its next token request fails.")
	return withBackend(ctx, io, fs, o, args, 1, "CLIENT_ID", func(b backend, pos []string) error {
		if err := b.deleteClient(ctx, pos[0]); err != nil {
			return err
		}
		return deleted(io, o, "client", pos[0])
	})
}

func clientsRotate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients rotate-secret", "clients rotate-secret CLIENT_ID [--grace-period 1h] [flags]\n\nGenerates a new client secret and prints it once. With --grace-period the old\nsecret keeps working that long, so clients can be redeployed without downtime.")
	var grace time.Duration
	fs.Duration(&grace, "grace-period", 0, "how long the old secret stays valid (0 = stops at once, as Auth0)")
	return withBackend(ctx, io, fs, o, args, 1, "CLIENT_ID", func(b backend, pos []string) error {
		c, err := b.rotateSecret(ctx, pos[0], grace)
		if err != nil {
			return err
		}
		return showClient(io, o, c)
	})
}
