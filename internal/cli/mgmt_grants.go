package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "grants", summary: "manage client grants (which application gets which API's scopes)", run: runGrants})
}

func runGrants(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "grants", "Manage client grants: an application may get tokens for an API with at most the granted scopes.", []verb{
		{"list", "list grants, optionally of one application or API", grantsList},
		{"create", "grant an application access to an API", grantsCreate},
		{"update", "change a grant's scopes", grantsUpdate},
		{"delete", "delete a grant; the next token request for it fails", grantsDelete},
	}, args)
}

func allScopes(g *client.ClientGrant) bool { return g.AllowAllScopes != nil && *g.AllowAllScopes }

func showGrants(io IO, o *mgmtOpts, list []client.ClientGrant) error {
	return o.show(io, orEmpty(list), func(w writer) {
		row(w, "ID", "CLIENT ID", "AUDIENCE", "SCOPE")
		for i := range list {
			g := &list[i]
			scope := strings.Join(g.Scope, " ")
			if allScopes(g) {
				scope = "(all scopes of the API)"
			}
			row(w, g.ID, g.ClientID, g.Audience, scope)
		}
	})
}

func showGrant(io IO, o *mgmtOpts, g *client.ClientGrant) error {
	return o.show(io, g, func(w writer) {
		row(w, "id", g.ID)
		row(w, "client_id", g.ClientID)
		row(w, "audience", g.Audience)
		row(w, "scope", strings.Join(g.Scope, " "))
		row(w, "allow_all_scopes", strconv.FormatBool(allScopes(g)))
		row(w, "subject_type", g.SubjectType)
		row(w, "organization_usage", g.OrganizationUsage)
		row(w, "allow_any_organization", strconv.FormatBool(g.AllowAnyOrganization != nil && *g.AllowAnyOrganization))
		row(w, "created_at", timeCell(g.CreatedAt))
		row(w, "updated_at", timeCell(g.UpdatedAt))
	})
}

func grantsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "grants list", "grants list [--client CLIENT_ID] [--audience IDENTIFIER] [flags]", `grants list --client CLIENT_ID --audience https://api.example.com/invoices`)
	var clientID, audience string
	fs.String(&clientID, "client", "", "only the grants of this application (client_id or name)")
	fs.String(&audience, "audience", "", "only the grants for this API identifier")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if clientID != "" {
			a, err := findClient(ctx, c, clientID)
			if err != nil {
				return err
			}
			clientID = a.ClientID
		}
		list, err := c.api.ClientGrants.All(ctx, client.ClientGrantListOptions{ClientID: clientID, Audience: audience})
		if err != nil {
			return err
		}
		return showGrants(io, o, list)
	})
}

func grantsCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "grants create", "grants create --client CLIENT_ID --audience IDENTIFIER [--scope a,b | --all-scopes] [flags]", `grants create --client CLIENT_ID --audience https://api.example.com/invoices --scope read:invoices`)
	var clientID, audience, scope string
	var all bool
	fs.String(&clientID, "client", "", "the application (client_id or name)")
	fs.String(&audience, "audience", "", "the API's identifier")
	fs.String(&scope, "scope", "", "comma-separated scopes granted (the ceiling of every token); each must be one of the API's")
	fs.Bool(&all, "all-scopes", false, "grant every current and future scope of the API (allow_all_scopes)")
	var usage string
	var anyOrg bool
	fs.String(&usage, "organization-usage", "", "deny (default: no organizations), allow or require (tokens for an organization)")
	fs.Bool(&anyOrg, "allow-any-organization", false, "the grant may be used with every organization, not only those it is associated with")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if clientID == "" || audience == "" {
			return fmt.Errorf("--client and --audience are required")
		}
		a, err := findClient(ctx, c, clientID)
		if err != nil {
			return err
		}
		if err := knownScopes(ctx, c, audience, splitList(scope)); err != nil {
			return err
		}
		g := &client.ClientGrant{ClientID: a.ClientID, Audience: audience, Scope: splitList(scope)}
		if all {
			g.AllowAllScopes = &all
		}
		g.OrganizationUsage = usage
		if anyOrg {
			g.AllowAnyOrganization = &anyOrg
		}
		out, err := c.api.ClientGrants.Create(ctx, g)
		if err != nil {
			return err
		}
		return showGrant(io, o, out)
	})
}

func grantsUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "grants update", "grants update GRANT_ID [--scope a,b] [--all-scopes=true|false] [--organization-usage …] [flags]", `grants update cgr_… --scope read:invoices,write:invoices`)
	var scope string
	var all bool
	fs.String(&scope, "scope", "", `comma-separated scopes (replaces them all; "" revokes all)`)
	fs.Bool(&all, "all-scopes", false, "allow_all_scopes")
	var usage string
	var anyOrg bool
	fs.String(&usage, "organization-usage", "", "deny, allow or require")
	fs.Bool(&anyOrg, "allow-any-organization", false, "allow_any_organization")
	return withConn(ctx, io, fs, o, args, 1, "GRANT_ID", func(c *conn, pos []string) error {
		set := setFlags(fs)
		var u client.ClientGrantUpdate
		if set["scope"] {
			u.Scope = splitList(scope)
			g, err := c.api.ClientGrants.Get(ctx, pos[0])
			if err != nil {
				return err
			}
			if err := knownScopes(ctx, c, g.Audience, u.Scope); err != nil {
				return err
			}
		}
		if set["all-scopes"] {
			u.AllowAllScopes = &all
		}
		if set["organization-usage"] {
			u.OrganizationUsage = &usage
		}
		if set["allow-any-organization"] {
			u.AllowAnyOrganization = &anyOrg
		}
		if u.Scope == nil && u.AllowAllScopes == nil && u.OrganizationUsage == nil && u.AllowAnyOrganization == nil {
			return fmt.Errorf("nothing to change: give --scope, --all-scopes, --organization-usage or --allow-any-organization")
		}
		g, err := c.api.ClientGrants.Update(ctx, pos[0], u)
		if err != nil {
			return err
		}
		return showGrant(io, o, g)
	})
}

func grantsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "grants delete", "grants delete GRANT_ID [flags]\n\nThe application's next token request for the API fails. Asks first unless --yes.", `grants delete cgr_… --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "GRANT_ID", func(c *conn, pos []string) error {
		g, err := c.api.ClientGrants.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		if err := confirmUnless(io, *yes, fmt.Sprintf("Delete grant %s (%s → %s)?", g.ID, g.ClientID, g.Audience)); err != nil {
			return err
		}
		if err := c.api.ClientGrants.Delete(ctx, g.ID); err != nil {
			return err
		}
		return deleted(io, o, "grant", g.ID, -1)
	})
}

// knownScopes refuses scopes the API does not define. (The Management API,
// like Auth0's, accepts any scope in a grant; a token can never carry one
// the API does not define, so from the CLI it is a typo.)
func knownScopes(ctx context.Context, c *conn, audience string, scopes []string) error {
	rs, err := c.api.ResourceServers.Get(ctx, audience)
	if err != nil {
		return err
	}
	defined := map[string]bool{}
	for _, s := range rs.Scopes {
		defined[s.Value] = true
	}
	var unknown []string
	for _, s := range scopes {
		if !defined[s] {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s does not define the scope%s %s (it defines: %s); add %s to the API first (credo apis update --scopes)",
			audience, plural(len(unknown)), strings.Join(unknown, ", "), scopeList(rs.Scopes), map[bool]string{true: "it", false: "them"}[len(unknown) == 1])
	}
	return nil
}
