package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "orgs", summary: "manage organizations and the client grants they may use", run: runOrgs})
}

func runOrgs(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "orgs", "Manage organizations (Auth0 Organizations for M2M). A token request names one by id or name and the\ntoken carries its org_id; a grant may be used with the organizations it is associated with. An\norganization is addressed by its id (org_…) or its name.", []verb{
		{"list", "list organizations", orgsList},
		{"create", "create an organization", orgsCreate},
		{"get", "show one organization", orgsGet},
		{"update", "change the given fields of an organization", orgsUpdate},
		{"delete", "delete an organization and its grant associations", orgsDelete},
		{"grants", "list, add or remove the client grants associated with an organization", orgsGrants},
	}, args)
}

// findOrg resolves an organization id (org_…) or name.
func findOrg(ctx context.Context, c *conn, idOrName string) (*client.Organization, error) {
	if strings.HasPrefix(idOrName, "org_") {
		o, err := c.api.Organizations.Get(ctx, idOrName)
		var ae *client.APIError
		if err == nil || !errors.As(err, &ae) || ae.StatusCode != 404 {
			return o, err
		}
	}
	return c.api.Organizations.GetByName(ctx, idOrName)
}

func showOrg(io IO, o *mgmtOpts, org *client.Organization) error {
	return o.show(io, org, func(w writer) {
		row(w, "id", org.ID)
		row(w, "name", org.Name)
		row(w, "display_name", org.DisplayName)
		if b := org.Branding; b != nil {
			row(w, "logo_url", b.LogoURL)
			if b.Colors != nil {
				row(w, "primary_color", b.Colors.Primary)
				row(w, "page_background", b.Colors.PageBackground)
			}
		}
		keys := make([]string, 0, len(org.Metadata))
		for k := range org.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			row(w, "metadata", k+"="+org.Metadata[k])
		}
	})
}

func orgsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs list", "orgs list [flags]", `orgs list -o json`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.Organizations.All(ctx)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "ID", "NAME", "DISPLAY NAME")
			for _, org := range list {
				row(w, org.ID, org.Name, org.DisplayName)
			}
		})
	})
}

type orgFieldFlags struct {
	name, display, logo, primary, background string
	metadata                                 string
}

func (f *orgFieldFlags) register(fs *flagSet) {
	fs.String(&f.name, "name", "", "the unique name: 1-50 characters of a-z 0-9 _ - (token requests may use it)")
	fs.String(&f.display, "display-name", "", "the name to show")
	fs.String(&f.logo, "logo-url", "", "branding: an https URL of the logo")
	fs.String(&f.primary, "primary-color", "", "branding: primary color, e.g. #0059d6")
	fs.String(&f.background, "page-background", "", "branding: page background color")
	fs.String(&f.metadata, "metadata", "", `metadata as key=value,… (create: all of it; update: merged, "key=" removes a key)`)
}

func (f *orgFieldFlags) branding(set map[string]bool) *client.OrganizationBranding {
	if !set["logo-url"] && !set["primary-color"] && !set["page-background"] {
		return nil
	}
	b := &client.OrganizationBranding{LogoURL: f.logo}
	if f.primary != "" || f.background != "" {
		b.Colors = &client.OrganizationColors{Primary: f.primary, PageBackground: f.background}
	}
	return b
}

// metadataPairs parses key=value,…; an empty value is nil (remove).
func metadataPairs(s string) (map[string]*string, error) {
	out := map[string]*string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--metadata: %q is not key=value", kv)
		}
		if v == "" {
			out[k] = nil
		} else {
			out[k] = &v
		}
	}
	return out, nil
}

func orgsCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs create", "orgs create --name NAME [flags]", `orgs create --name acme --display-name "Acme Corp" --metadata plan=gold`)
	var f orgFieldFlags
	f.register(fs)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if f.name == "" {
			return fmt.Errorf("--name is required")
		}
		org := &client.Organization{Name: f.name, DisplayName: f.display, Branding: f.branding(givenFlags(fs))}
		if f.metadata != "" {
			m, err := metadataPairs(f.metadata)
			if err != nil {
				return err
			}
			org.Metadata = map[string]string{}
			for k, v := range m {
				if v != nil {
					org.Metadata[k] = *v
				}
			}
		}
		out, err := c.api.Organizations.Create(ctx, org)
		if err != nil {
			return err
		}
		return showOrg(io, o, out)
	})
}

func orgsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs get", "orgs get ID_OR_NAME [flags]", `orgs get acme`)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_NAME", func(c *conn, pos []string) error {
		org, err := findOrg(ctx, c, pos[0])
		if err != nil {
			return err
		}
		return showOrg(io, o, org)
	})
}

func orgsUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs update", "orgs update ID_OR_NAME [--name …] [--display-name …] [flags]\n\nChanges only the fields whose flags are given.", `orgs update acme --display-name "Acme Europe" --metadata region=eu,old=`)
	var f orgFieldFlags
	f.register(fs)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_NAME", func(c *conn, pos []string) error {
		org, err := findOrg(ctx, c, pos[0])
		if err != nil {
			return err
		}
		set := setFlags(fs)
		var u client.OrganizationUpdate
		if set["name"] {
			u.Name = &f.name
		}
		if set["display-name"] {
			u.DisplayName = &f.display
		}
		u.Branding = f.branding(set)
		if set["metadata"] {
			if u.Metadata, err = metadataPairs(f.metadata); err != nil {
				return err
			}
		}
		if u.Name == nil && u.DisplayName == nil && u.Branding == nil && u.Metadata == nil {
			return fmt.Errorf("nothing to change: give --name, --display-name, a branding flag or --metadata")
		}
		out, err := c.api.Organizations.Update(ctx, org.ID, u)
		if err != nil {
			return err
		}
		return showOrg(io, o, out)
	})
}

func orgsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs delete", "orgs delete ID_OR_NAME [flags]\n\nDeletes the organization and its grant associations; tokens can no longer be issued for it.\nAsks first unless --yes.", `orgs delete acme --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_NAME", func(c *conn, pos []string) error {
		org, err := findOrg(ctx, c, pos[0])
		if err != nil {
			return err
		}
		grants, err := c.api.Organizations.ListGrants(ctx, org.ID, client.OrganizationGrantListOptions{ListOptions: client.ListOptions{PerPage: 1, IncludeTotals: true}})
		if err != nil {
			return err
		}
		n := grants.Total
		if err := confirmUnless(io, *yes, fmt.Sprintf("Delete organization %s (%s) and its %d grant association%s?", org.Name, org.ID, n, plural(n))); err != nil {
			return err
		}
		if err := c.api.Organizations.Delete(ctx, org.ID); err != nil {
			return err
		}
		return deleted(io, o, "organization", org.ID, -1)
	})
}

func orgsGrants(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "orgs grants", "Manage which client grants may be used with an organization (grants with\norganization_usage allow or require; allow_any_organization makes this unnecessary).", []verb{
		{"list", "list the grants associated with an organization", orgGrantsList},
		{"add", "associate a grant (by id, or --client and --audience)", orgGrantsAdd},
		{"remove", "remove a grant's association", orgGrantsRemove},
	}, args)
}

func orgGrantsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "orgs grants list", "orgs grants list ID_OR_NAME [--client CLIENT_ID] [--audience IDENTIFIER] [flags]", `orgs grants list acme`)
	var clientID, audience string
	fs.String(&clientID, "client", "", "only the grants of this application (client_id or name)")
	fs.String(&audience, "audience", "", "only the grants for this API identifier")
	return withConn(ctx, io, fs, o, args, 1, "ID_OR_NAME", func(c *conn, pos []string) error {
		org, err := findOrg(ctx, c, pos[0])
		if err != nil {
			return err
		}
		if clientID != "" {
			a, err := findClient(ctx, c, clientID)
			if err != nil {
				return err
			}
			clientID = a.ClientID
		}
		var list []client.ClientGrant
		for page := 0; ; page++ {
			l, err := c.api.Organizations.ListGrants(ctx, org.ID, client.OrganizationGrantListOptions{ClientID: clientID, Audience: audience,
				ListOptions: client.ListOptions{Page: page, PerPage: 100, IncludeTotals: true}})
			if err != nil {
				return err
			}
			list = append(list, l.ClientGrants...)
			if len(l.ClientGrants) == 0 || len(list) >= l.Total {
				break
			}
		}
		return showGrants(io, o, list)
	})
}

// grantArg is the grant named by pos[1], or by --client and --audience.
func grantArg(ctx context.Context, c *conn, pos []string, clientID, audience string) (string, error) {
	if len(pos) > 1 && pos[1] != "" {
		if clientID != "" || audience != "" {
			return "", fmt.Errorf("give a GRANT_ID or --client and --audience, not both")
		}
		return pos[1], nil
	}
	if clientID == "" || audience == "" {
		return "", fmt.Errorf("give a GRANT_ID, or --client and --audience")
	}
	a, err := findClient(ctx, c, clientID)
	if err != nil {
		return "", err
	}
	list, err := c.api.ClientGrants.All(ctx, client.ClientGrantListOptions{ClientID: a.ClientID, Audience: audience})
	if err != nil {
		return "", err
	}
	for _, g := range list {
		if g.SubjectType == "" || g.SubjectType == "client" {
			return g.ID, nil
		}
	}
	return "", fmt.Errorf("application %s has no grant for %s", a.ClientID, audience)
}

// orgGrantCmd runs "orgs grants add" or "remove": ID_OR_NAME and the grant,
// by id or by --client and --audience; do acts on the organization's id and
// the grant's.
func orgGrantCmd(ctx context.Context, io IO, args []string, verb, help, example string, do func(c *conn, o *mgmtOpts, org *client.Organization, gid string) error) error {
	usage := "orgs grants " + verb + " ID_OR_NAME [GRANT_ID | --client CLIENT_ID --audience IDENTIFIER] [flags]"
	fs, o := mgmtFlags(io, "orgs grants "+verb, usage+help, example)
	var clientID, audience string
	fs.String(&clientID, "client", "", "the grant's application (client_id or name)")
	fs.String(&audience, "audience", "", "the grant's API identifier")
	return withConn(ctx, io, fs, o, args, -1, "ID_OR_NAME [GRANT_ID]", func(c *conn, pos []string) error {
		if len(pos) < 1 || len(pos) > 2 {
			return fmt.Errorf("usage: credo orgs grants %s ID_OR_NAME [GRANT_ID | --client … --audience …]", verb)
		}
		org, err := findOrg(ctx, c, pos[0])
		if err != nil {
			return err
		}
		gid, err := grantArg(ctx, c, pos, clientID, audience)
		if err != nil {
			return err
		}
		return do(c, o, org, gid)
	})
}

func orgGrantsAdd(ctx context.Context, io IO, args []string) error {
	return orgGrantCmd(ctx, io, args, "add", "", `orgs grants add acme --client acme-backend --audience https://api.example.com/invoices`, func(c *conn, o *mgmtOpts, org *client.Organization, gid string) error {
		g, err := c.api.Organizations.AddGrant(ctx, org.ID, gid)
		if err != nil {
			return err
		}
		if g.OrganizationUsage == "" || g.OrganizationUsage == "deny" {
			fmt.Fprintf(io.Stderr, "note: grant %s has organization_usage deny: set it to allow or require (credo grants update %s --organization-usage allow) for tokens to carry the organization\n", g.ID, g.ID)
		}
		return showGrant(io, o, g)
	})
}

func orgGrantsRemove(ctx context.Context, io IO, args []string) error {
	return orgGrantCmd(ctx, io, args, "remove", "\n\nThe application can no longer get tokens for the organization with this grant.", `orgs grants remove acme cgr_…`, func(c *conn, o *mgmtOpts, org *client.Organization, gid string) error {
		if err := c.api.Organizations.RemoveGrant(ctx, org.ID, gid); err != nil {
			return err
		}
		if o.output == "json" {
			return o.show(io, map[string]any{"organization": org.ID, "removed_grant": gid}, nil)
		}
		fmt.Fprintf(io.Stdout, "Removed grant %s from organization %s\n", gid, org.Name)
		return nil
	})
}
