package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "apis", summary: "manage APIs (resource servers): list, create, get, update, delete", run: runAPIs})
}

func runAPIs(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "apis", "Manage APIs (Auth0 resource servers). An API is addressed by its id or its identifier (the audience).", []verb{
		{"list", "list APIs, the Management API included", apisList},
		{"create", "create an API", apisCreate},
		{"get", "show one API", apisGet},
		{"update", "change the given fields of an API", apisUpdate},
		{"delete", "delete an API and its grants", apisDelete},
	}, args)
}

func scopeList(scopes []client.Scope) string {
	v := make([]string, len(scopes))
	for i, s := range scopes {
		v[i] = s.Value
	}
	return strings.Join(v, " ")
}

func apisList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "apis list", "apis list [flags]", `apis list -o json`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.ResourceServers.All(ctx)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "ID", "NAME", "IDENTIFIER", "ALG", "LIFETIME", "SCOPES")
			for _, rs := range list {
				scopes := scopeList(rs.Scopes)
				if rs.IsSystem {
					scopes = fmt.Sprintf("(%d Management API scopes)", len(rs.Scopes))
				}
				row(w, rs.ID, rs.Name, rs.Identifier, rs.SigningAlg, strconv.Itoa(rs.TokenLifetime), scopes)
			}
		})
	})
}

type apiFieldFlags struct {
	name, scopes, alg, secret, dialect string
	lifetime                           int
}

func (a *apiFieldFlags) register(fs *flagSet) {
	fs.String(&a.name, "name", "", "display name (default: the identifier)")
	fs.String(&a.scopes, "scopes", "", `scopes as value[=description],…, e.g. "read:x=Read things,write:x" (replaces all; "" clears)`)
	fs.String(&a.alg, "signing-alg", "", "RS256 (default), PS256, ES256, EdDSA or HS256")
	fs.String(&a.secret, "signing-secret", "", "the HS256 secret (16-512 characters; generated when HS256 is chosen without one)")
	fs.String(&a.dialect, "token-dialect", "", "access_token (Auth0's profile, default) or rfc9068_profile")
	fs.Int(&a.lifetime, "token-lifetime", 0, "access token lifetime in seconds (default 86400)")
}

func (a *apiFieldFlags) update(set map[string]bool) client.ResourceServerUpdate {
	var u client.ResourceServerUpdate
	str := func(flag, v string) *string {
		if !set[flag] {
			return nil
		}
		return &v
	}
	u.Name = str("name", a.name)
	u.SigningAlg = str("signing-alg", a.alg)
	u.SigningSecret = str("signing-secret", a.secret)
	u.TokenDialect = str("token-dialect", a.dialect)
	if set["token-lifetime"] {
		tl := a.lifetime
		u.TokenLifetime = &tl
	}
	if set["scopes"] {
		u.Scopes = []client.Scope{}
		for _, s := range splitList(a.scopes) {
			v, d, _ := strings.Cut(s, "=")
			u.Scopes = append(u.Scopes, client.Scope{Value: v, Description: d})
		}
	}
	return u
}

func showAPI(io IO, o *mgmtOpts, rs *client.ResourceServer) error {
	return o.show(io, rs, func(w writer) {
		row(w, "id", rs.ID)
		row(w, "name", rs.Name)
		row(w, "identifier", rs.Identifier)
		row(w, "is_system", strconv.FormatBool(rs.IsSystem))
		row(w, "signing_alg", rs.SigningAlg)
		row(w, "token_lifetime", strconv.Itoa(rs.TokenLifetime))
		row(w, "token_dialect", rs.TokenDialect)
		row(w, "created_at", timeCell(rs.CreatedAt))
		row(w, "updated_at", timeCell(rs.UpdatedAt))
		for _, s := range rs.Scopes {
			row(w, "scope", s.Value+"  "+s.Description)
		}
	})
}

func apisCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "apis create", "apis create --identifier URL_OR_URN [flags]", `apis create --identifier https://api.example.com/invoices --name Invoices --scopes "read:invoices=Read invoices,write:invoices"`)
	var f apiFieldFlags
	f.register(fs)
	var ident string
	fs.String(&ident, "identifier", "", "the API's identifier, the audience of its tokens (absolute URI or URN; immutable)")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if ident == "" {
			return fmt.Errorf("--identifier is required")
		}
		u := f.update(givenFlags(fs))
		rs, err := c.api.ResourceServers.Create(ctx, &client.ResourceServer{
			Name: deref(u.Name), Identifier: ident, Scopes: u.Scopes, SigningAlg: deref(u.SigningAlg),
			SigningSecret: deref(u.SigningSecret), TokenLifetime: deref(u.TokenLifetime), TokenDialect: deref(u.TokenDialect),
		})
		if err != nil {
			return err
		}
		return showAPI(io, o, rs)
	})
}

func apisGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "apis get", "apis get ID_OR_IDENTIFIER [flags]", `apis get https://api.example.com/invoices`)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_IDENTIFIER", func(c *conn, pos []string) error {
		rs, err := c.api.ResourceServers.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		return showAPI(io, o, rs)
	})
}

func apisUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "apis update", "apis update ID_OR_IDENTIFIER [--name …] [--scopes …] [flags]\n\nChanges only the fields whose flags are given; the identifier cannot change.", `apis update https://api.example.com/invoices --token-lifetime 3600`)
	var f apiFieldFlags
	f.register(fs)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_IDENTIFIER", func(c *conn, pos []string) error {
		rs, err := c.api.ResourceServers.Update(ctx, pos[0], f.update(setFlags(fs)))
		if err != nil {
			return err
		}
		return showAPI(io, o, rs)
	})
}

func apisDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "apis delete", "apis delete ID_OR_IDENTIFIER [flags]\n\nDeletes the API and every grant for it. Asks first unless --yes.", `apis delete https://api.example.com/invoices --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_IDENTIFIER", func(c *conn, pos []string) error {
		rs, err := c.api.ResourceServers.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		grants, err := c.api.ClientGrants.All(ctx, client.ClientGrantListOptions{Audience: rs.Identifier})
		if err != nil {
			return err
		}
		if err := confirmUnless(io, *yes, fmt.Sprintf("Delete API %s (%s) and its %d grant%s?", rs.Identifier, rs.Name, len(grants), plural(len(grants)))); err != nil {
			return err
		}
		if err := c.api.ResourceServers.Delete(ctx, rs.ID); err != nil {
			return err
		}
		return deleted(io, o, "API", rs.Identifier, len(grants))
	})
}
