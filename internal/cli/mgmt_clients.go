package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/credo-dev/credo/client"
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
	fs, o := mgmtFlags(io, "clients list", "clients list [flags]", `clients list --db credo.db`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.Clients.All(ctx)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "CLIENT ID", "NAME", "APP TYPE", "AUTH METHOD", "GRANT TYPES")
			for _, a := range list {
				row(w, a.ClientID, a.Name, a.AppType, a.TokenEndpointAuthMethod, strings.Join(a.GrantTypes, ","))
			}
		})
	})
}

// clientFieldFlags registers the writable client fields.
type clientFieldFlags struct {
	name, description, appType, authMethod, grantTypes, metadata, jwtAlg string
	tokenLifetime                                                        int
	defaultOrg                                                           string
}

func (f *clientFieldFlags) register(fs *flagSet) {
	fs.String(&f.name, "name", "", "display name (1-255 characters, no < or >)")
	fs.String(&f.description, "description", "", "free text, at most 140 characters")
	fs.String(&f.appType, "app-type", "", "non_interactive (machine-to-machine, the default), regular_web, spa, native, …")
	fs.String(&f.authMethod, "auth-method", "", "token_endpoint_auth_method: client_secret_post (default), client_secret_basic or none")
	fs.String(&f.grantTypes, "grant-types", "", "comma-separated grant types (default client_credentials)")
	fs.String(&f.metadata, "metadata", "", "client_metadata as key=value,key=value (replaces all keys; \"\" clears)")
	fs.String(&f.jwtAlg, "jwt-alg", "", "jwt_configuration.alg: RS256, PS256 or HS256")
	fs.Int(&f.tokenLifetime, "token-lifetime", 0, "token lifetime in seconds for this application (0 = the API's)")
	fs.String(&f.defaultOrg, "default-organization", "", `the organization (id or name) of requests without one when the grant requires one ("" removes it)`)
}

// defaultOrganization resolves --default-organization into u, when given.
func (f *clientFieldFlags) defaultOrganization(ctx context.Context, c *conn, set map[string]bool, u *client.ApplicationUpdate) error {
	if !set["default-organization"] {
		return nil
	}
	if f.defaultOrg == "" {
		u.RemoveDefaultOrganization = true
		return nil
	}
	org, err := findOrg(ctx, c, f.defaultOrg)
	if err != nil {
		return err
	}
	u.DefaultOrganization = &client.DefaultOrganization{OrganizationID: org.ID, Flows: []string{"client_credentials"}}
	return nil
}

// update builds the patch from the flags in set (all given flags on update).
func (f *clientFieldFlags) update(set map[string]bool) (client.ApplicationUpdate, error) {
	var u client.ApplicationUpdate
	str := func(flag, v string) *string {
		if !set[flag] {
			return nil
		}
		return &v
	}
	u.Name = str("name", f.name)
	u.Description = str("description", f.description)
	u.AppType = str("app-type", f.appType)
	u.TokenEndpointAuthMethod = str("auth-method", f.authMethod)
	if set["grant-types"] {
		u.GrantTypes = splitList(f.grantTypes)
	}
	if set["metadata"] {
		m := map[string]string{}
		for _, kv := range splitList(f.metadata) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return u, fmt.Errorf("--metadata %q: want key=value", kv)
			}
			m[k] = v
		}
		u.ClientMetadata = m
	}
	if set["jwt-alg"] {
		u.JWTConfiguration = &client.JWTConfiguration{Alg: f.jwtAlg}
	}
	if set["token-lifetime"] {
		tl := f.tokenLifetime
		u.TokenLifetime = &tl
	}
	return u, nil
}

func showClient(io IO, o *mgmtOpts, a *client.Application) error {
	return o.show(io, a, func(w writer) {
		row(w, "client_id", a.ClientID)
		row(w, "name", a.Name)
		row(w, "description", a.Description)
		row(w, "app_type", a.AppType)
		row(w, "grant_types", strings.Join(a.GrantTypes, ","))
		row(w, "token_endpoint_auth_method", a.TokenEndpointAuthMethod)
		meta := []string{}
		for k, v := range a.ClientMetadata {
			meta = append(meta, k+"="+v)
		}
		row(w, "client_metadata", strings.Join(meta, ","))
		if a.IsFirstParty != nil {
			row(w, "is_first_party", strconv.FormatBool(*a.IsFirstParty))
		}
		if a.JWTConfiguration != nil {
			row(w, "jwt_configuration.alg", a.JWTConfiguration.Alg)
		}
		if a.TokenLifetime > 0 {
			row(w, "token_lifetime", strconv.Itoa(a.TokenLifetime))
		}
		if d := a.DefaultOrganization; d != nil {
			row(w, "default_organization", d.OrganizationID+" ("+strings.Join(d.Flows, ",")+")")
		}
		row(w, "created_at", timeCell(a.CreatedAt))
		row(w, "updated_at", timeCell(a.UpdatedAt))
		if a.PreviousSecretExpiresAt != nil {
			row(w, "previous_secret_expires_at", timeCell(a.PreviousSecretExpiresAt))
		}
		if a.ClientSecret != "" {
			row(w, "client_secret", a.ClientSecret+"   (shown only now: credo stores a hash)")
		}
	})
}

// timeCell formats a time for a table, as the Management API sends it.
func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func clientsCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients create", "clients create --name NAME [flags]\n\nCreates an application (machine-to-machine by default) and prints its client\nsecret once; credo keeps only a hash of it.", `clients create --name "Billing Worker" --metadata team=finance`)
	var f clientFieldFlags
	f.register(fs)
	var id, imported string
	fs.String(&id, "id", "", "choose the client_id (default: generated)")
	fs.String(&imported, "import-secret", "", "use this client secret instead of generating one (e.g. when migrating from Auth0)")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		set := givenFlags(fs)
		if !set["name"] {
			return fmt.Errorf("--name is required")
		}
		u, err := f.update(set)
		if err != nil {
			return err
		}
		if err := f.defaultOrganization(ctx, c, set, &u); err != nil {
			return err
		}
		app := &client.Application{
			ClientID: id, ClientSecret: imported, Name: deref(u.Name), Description: deref(u.Description), AppType: deref(u.AppType),
			GrantTypes: u.GrantTypes, TokenEndpointAuthMethod: deref(u.TokenEndpointAuthMethod), ClientMetadata: u.ClientMetadata,
			JWTConfiguration: u.JWTConfiguration, TokenLifetime: deref(u.TokenLifetime), DefaultOrganization: u.DefaultOrganization,
		}
		a, err := c.api.Clients.Create(ctx, app)
		if err != nil {
			return err
		}
		if imported != "" {
			a.ClientSecret = "" // the caller knows it
		}
		return showClient(io, o, a)
	})
}

func clientsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients get", "clients get CLIENT_ID_OR_NAME [flags]\n\nShows one application, found by its client_id or, failing that, by its name.", `clients get "Billing Worker"`)
	return withConn(ctx, io, fs, o, args, 1, "CLIENT_ID_OR_NAME", func(c *conn, pos []string) error {
		a, err := findClient(ctx, c, pos[0])
		if err != nil {
			return err
		}
		return showClient(io, o, a)
	})
}

func clientsUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients update", "clients update CLIENT_ID [--name …] [--description …] [flags]\n\nChanges only the fields whose flags are given.", `clients update CLIENT_ID --description "nightly billing run"`)
	var f clientFieldFlags
	f.register(fs)
	return withConn(ctx, io, fs, o, args, 1, "CLIENT_ID", func(c *conn, pos []string) error {
		set := setFlags(fs)
		u, err := f.update(set)
		if err != nil {
			return err
		}
		if err := f.defaultOrganization(ctx, c, set, &u); err != nil {
			return err
		}
		a, err := c.api.Clients.Update(ctx, pos[0], u)
		if err != nil {
			return err
		}
		return showClient(io, o, a)
	})
}

func clientsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients delete", "clients delete CLIENT_ID [flags]\n\nDeletes the application and its grants; its next token request fails. Asks first\nunless --yes.", `clients delete CLIENT_ID --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "CLIENT_ID", func(c *conn, pos []string) error {
		a, err := c.api.Clients.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		grants, err := c.api.ClientGrants.All(ctx, client.ClientGrantListOptions{ClientID: a.ClientID})
		if err != nil {
			return err
		}
		if err := confirmUnless(io, *yes, fmt.Sprintf("Delete application %s (%s) and its %d grant%s?", a.ClientID, a.Name, len(grants), plural(len(grants)))); err != nil {
			return err
		}
		if err := c.api.Clients.Delete(ctx, a.ClientID); err != nil {
			return err
		}
		return deleted(io, o, "client", a.ClientID, len(grants))
	})
}

func clientsRotate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "clients rotate-secret", "clients rotate-secret CLIENT_ID [--grace-period 1h] [flags]\n\nGenerates a new client secret and prints it once. With --grace-period the old\nsecret keeps working that long, so clients can be redeployed without downtime.", `clients rotate-secret CLIENT_ID --grace-period 24h`)
	var grace time.Duration
	fs.Duration(&grace, "grace-period", 0, "how long the old secret stays valid (0 = stops at once, as Auth0)")
	return withConn(ctx, io, fs, o, args, 1, "CLIENT_ID", func(c *conn, pos []string) error {
		a, err := c.api.Clients.RotateSecret(ctx, pos[0], grace)
		if err != nil {
			return err
		}
		return showClient(io, o, a)
	})
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// findClient finds an application by client_id or, when no client has that
// id, by name (which must then name exactly one).
func findClient(ctx context.Context, c *conn, idOrName string) (*client.Application, error) {
	return byIDOrName(ctx, idOrName, c.api.Clients.Get, c.api.Clients.All,
		func(a *client.Application) (string, string) { return a.ClientID, a.Name },
		"no application has the client_id or the name %q", "%d applications are named %q (%s): give a client_id")
}

// byIDOrName gets the object with id idOrName or, when there is none (404),
// the one object whose name it is. missing formats the error for none (with
// idOrName), several the one for more than one (with their number,
// idOrName and their ids).
func byIDOrName[T any](ctx context.Context, idOrName string, get func(context.Context, string) (*T, error), all func(context.Context) ([]T, error),
	key func(*T) (id, name string), missing, several string) (*T, error) {
	x, err := get(ctx, idOrName)
	var ae *client.APIError
	if err == nil || !errors.As(err, &ae) || ae.StatusCode != 404 {
		return x, err
	}
	list, lerr := all(ctx)
	if lerr != nil {
		return nil, lerr
	}
	var found *T
	var ids []string
	for i := range list {
		if id, name := key(&list[i]); name == idOrName {
			found, ids = &list[i], append(ids, id)
		}
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf(missing, idOrName)
	case 1:
		return found, nil
	}
	return nil, fmt.Errorf(several, len(ids), idOrName, strings.Join(ids, ", "))
}
