package cli

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrgsCLI: credo orgs and orgs grants through the client package (--db):
// create, get by name, update (metadata merged), associate a grant by
// --client/--audience, a token for the organization, remove, delete.
func TestOrgsCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "credo.db")
	env := map[string]string{"CREDO_DB": db, "CREDO_MASTER_KEY": testMasterKey}
	cli(t, env, 0, "migrate")
	api := "https://api.example.com/invoices"
	cli(t, env, 0, "apis", "create", "--identifier", api, "--scopes", "read:inv")
	app := cliJSON(t, env, "clients", "create", "--name", "Acme backend", "--id", "acme-backend")
	sec := app["client_secret"].(string)
	g := cliJSON(t, env, "grants", "create", "--client", "acme-backend", "--audience", api, "--scope", "read:inv", "--organization-usage", "require")
	if g["organization_usage"] != "require" {
		t.Fatalf("grant %v", g)
	}

	org := cliJSON(t, env, "orgs", "create", "--name", "acme", "--display-name", "Acme Corp", "--metadata", "plan=gold,region=eu", "--logo-url", "https://acme.example/l.png", "--primary-color", "#0050ff")
	id := org["id"].(string)
	if !strings.HasPrefix(id, "org_") || org["display_name"] != "Acme Corp" || org["branding"].(map[string]any)["colors"].(map[string]any)["primary"] != "#0050ff" {
		t.Fatalf("created %v", org)
	}
	if got := cliJSON(t, env, "orgs", "get", "acme"); got["id"] != id {
		t.Fatalf("by name %v", got)
	}
	if errOut := cli(t, env, 1, "orgs", "create", "--name", "Acme Corp"); !strings.Contains(errOut, "name") {
		t.Fatalf("invalid name: %s", errOut)
	}
	up := cliJSON(t, env, "orgs", "update", id, "--metadata", "region=,tier=1")
	if m := up["metadata"].(map[string]any); m["plan"] != "gold" || m["tier"] != "1" || m["region"] != nil {
		t.Fatalf("merged metadata %v", up["metadata"])
	}
	if l := cliList(t, env, "orgs", "list"); len(l) != 1 || l[0]["name"] != "acme" {
		t.Fatalf("list %v", l)
	}

	cli(t, env, 1, "token", "--client", "acme-backend", "--client-secret", sec, "--audience", api, "--organization", "acme")
	cliJSON(t, env, "orgs", "grants", "add", "acme", "--client", "Acme backend", "--audience", api)
	if l := cliList(t, env, "orgs", "grants", "list", "acme"); len(l) != 1 || l[0]["id"] != g["id"] {
		t.Fatalf("grants %v", l)
	}
	tok := cliJSON(t, env, "token", "--client", "acme-backend", "--client-secret", sec, "--audience", api, "--organization", "acme")
	parts := strings.Split(tok["access_token"].(string), ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil || claims["org_id"] != id {
		t.Fatalf("claims %s %v", b, err)
	}
	// --default-organization: a token without organization gets it (the grant requires one).
	c := cliJSON(t, env, "clients", "update", "acme-backend", "--default-organization", "acme")
	if c["default_organization"].(map[string]any)["organization_id"] != id {
		t.Fatalf("default organization %v", c["default_organization"])
	}
	cliJSON(t, env, "token", "--client", "acme-backend", "--client-secret", sec, "--audience", api)
	if c := cliJSON(t, env, "clients", "update", "acme-backend", "--default-organization", ""); c["default_organization"] != nil {
		t.Fatalf("not removed: %v", c["default_organization"])
	}
	cli(t, env, 1, "token", "--client", "acme-backend", "--client-secret", sec, "--audience", api)

	cli(t, env, 0, "orgs", "grants", "remove", "acme", g["id"].(string))
	if l := cliList(t, env, "orgs", "grants", "list", id); len(l) != 0 {
		t.Fatalf("after remove %v", l)
	}
	cli(t, env, 1, "orgs", "grants", "remove", "acme", g["id"].(string))
	cli(t, env, 1, "orgs", "delete", "acme") // no --yes, no terminal
	cli(t, env, 0, "orgs", "delete", "acme", "--yes")
	cli(t, env, 1, "orgs", "get", "acme")
}
