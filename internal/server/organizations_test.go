package server_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
)

const orgAPI = "urn:credo:orgs"

// orgFixture is a tenant with two organizations, acme (A) and globex (B),
// and one client per organization_usage × association × default
// organization, each with a grant for orgAPI: client "<usage>-<assoc>-<def>"
// with assoc none (no association), assoc (associated with acme) or any
// (allow_any_organization), def none or acme.
func orgFixture(t *testing.T) (f *fixture, acme, globex store.Organization) {
	t.Helper()
	f = newFixture(t)
	f.seed(baseSeed)
	acme, globex = orgSetup(t, f)
	return f, acme, globex
}

// orgSetup adds orgFixture's API, organizations, clients and grants to f.
func orgSetup(t *testing.T, f *fixture) (acme, globex store.Organization) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Name: ptr("Orgs"), Identifier: ptr(orgAPI), Scopes: &[]store.Scope{{Value: "read:data"}}})
	must(err)
	acme, err = f.svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr("acme"), DisplayName: ptr("Acme Corp"), Metadata: &map[string]string{"tier": "gold"}})
	must(err)
	globex, err = f.svc.CreateOrganization(ctx, tenant.OrganizationFields{Name: ptr("globex")})
	must(err)
	for _, usage := range []string{"deny", "allow", "require"} {
		for _, assoc := range []string{"none", "assoc", "any"} {
			for _, def := range []string{"none", "acme"} {
				id := usage + "-" + assoc + "-" + def
				cf := tenant.ClientFields{ClientID: id, Name: ptr(id), ClientSecret: orgSecret}
				if def == "acme" {
					cf.DefaultOrganization = &store.DefaultOrganization{OrganizationID: acme.ID, Flows: []string{"client_credentials"}}
				}
				_, _, err := f.svc.CreateClient(ctx, cf)
				must(err)
				gf := tenant.GrantFields{ClientID: id, Audience: orgAPI, Scope: &[]string{"read:data"}, OrganizationUsage: ptr(usage), AllowAnyOrganization: ptr(assoc == "any")}
				g, err := f.svc.CreateGrant(ctx, gf)
				must(err)
				if assoc == "assoc" {
					_, err := f.svc.AddOrganizationGrant(ctx, acme.ID, g.ID)
					must(err)
				}
			}
		}
	}
	return acme, globex
}

const orgSecret = "org-secret-0123456789abcdefghijklmnopqrstu"

func ptr[T any](v T) *T { return &v }

// TestOrganizationMatrix: every organization_usage × association ×
// organization parameter × default organization, through the real router.
// Outcomes: "-" a token without org_id, "A"/"B" a token for acme/globex,
// else the golden file of the refusal.
func TestOrganizationMatrix(t *testing.T) {
	f, acme, globex := orgFixture(t)
	params := map[string]string{"none": "", "A id": acme.ID, "A name": "acme", "B id": globex.ID, "unknown": "org_doesnotexist"}
	const (
		no      = "-"
		denied  = "organization_denied"      // 403: unknown organization, or one the grant may not use
		deny    = "organization_not_allowed" // 400: organization_usage deny
		req     = "organization_required"    // 400: require, no organization, no default
		defDeny = "default_organization_denied"
	)
	// want[assoc] for assoc none, assoc (with acme), any.
	rows := []struct {
		usage, param, def string
		want              [3]string
	}{
		{"deny", "none", "none", [3]string{no, no, no}},
		{"deny", "none", "acme", [3]string{no, no, no}}, // a default applies only when required
		{"deny", "A id", "none", [3]string{deny, deny, deny}},
		{"deny", "A name", "acme", [3]string{deny, deny, deny}},
		{"deny", "B id", "none", [3]string{deny, deny, deny}},
		{"deny", "unknown", "none", [3]string{deny, deny, deny}}, // not looked up: says nothing about existence
		{"deny", "unknown", "acme", [3]string{deny, deny, deny}},

		{"allow", "none", "none", [3]string{no, no, no}},
		{"allow", "none", "acme", [3]string{no, no, no}}, // optional: the default is not applied
		{"allow", "A id", "none", [3]string{denied, "A", "A"}},
		{"allow", "A id", "acme", [3]string{denied, "A", "A"}},
		{"allow", "A name", "none", [3]string{denied, "A", "A"}},
		{"allow", "B id", "none", [3]string{denied, denied, "B"}},
		{"allow", "B id", "acme", [3]string{denied, denied, "B"}}, // the parameter wins over the default
		{"allow", "unknown", "none", [3]string{denied, denied, denied}},
		{"allow", "unknown", "acme", [3]string{denied, denied, denied}},

		{"require", "none", "none", [3]string{req, req, req}},
		{"require", "none", "acme", [3]string{defDeny, "A", "A"}},
		{"require", "A id", "none", [3]string{denied, "A", "A"}},
		{"require", "A id", "acme", [3]string{denied, "A", "A"}},
		{"require", "A name", "none", [3]string{denied, "A", "A"}},
		{"require", "A name", "acme", [3]string{denied, "A", "A"}},
		{"require", "B id", "none", [3]string{denied, denied, "B"}},
		{"require", "B id", "acme", [3]string{denied, denied, "B"}},
		{"require", "unknown", "none", [3]string{denied, denied, denied}},
		{"require", "unknown", "acme", [3]string{denied, denied, denied}},
	}
	bodies := map[string]string{}
	for _, row := range rows {
		for i, assoc := range []string{"none", "assoc", "any"} {
			client := row.usage + "-" + assoc + "-" + row.def
			want := row.want[i]
			t.Run(client+"/"+row.param, func(t *testing.T) {
				kv := []string{"grant_type", "client_credentials", "client_id", client, "client_secret", orgSecret, "audience", orgAPI}
				if p := params[row.param]; p != "" {
					kv = append(kv, "organization", p)
				}
				rec := f.do(formReq(form(kv...)))
				switch want {
				case no, "A", "B":
					if rec.Code != 200 {
						t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
					}
					_, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
					wantOrg := map[string]string{no: "", "A": acme.ID, "B": globex.ID}[want]
					if got, _ := claims["org_id"].(string); got != wantOrg {
						t.Fatalf("org_id = %q, want %q", got, wantOrg)
					}
					if _, ok := claims["org_name"]; ok {
						t.Fatal("org_name without allow_organization_name_in_authentication_api")
					}
				default:
					wantStatus := map[string]int{denied: 403, defDeny: 403, deny: 400, req: 400}[want]
					if rec.Code != wantStatus {
						t.Fatalf("status %d, want %d: %s", rec.Code, wantStatus, rec.Body)
					}
					if prev, ok := bodies[want]; ok && prev != rec.Body.String() {
						t.Fatalf("one refusal, two bodies:\n%s%s", prev, rec.Body)
					}
					bodies[want] = rec.Body.String()
					golden(t, "error_"+want, rec.Body.Bytes())
				}
			})
		}
	}
	for _, name := range []string{denied, deny, req, defDeny} {
		if bodies[name] == "" {
			t.Errorf("no case produced %s", name)
		}
	}
}

// TestOrganizationRequestShapes: organization is read from form, JSON and
// Basic-authenticated requests alike; org_name follows the tenant setting;
// the seccft event names the organization; the organization step is what
// refuses (feccft details.step).
func TestOrganizationRequestShapes(t *testing.T) {
	f, acme, _ := orgFixture(t)
	client := "require-assoc-none"
	shapes := map[string]func(org string) *http.Request{
		"form": func(org string) *http.Request {
			return formReq(form("grant_type", "client_credentials", "client_id", client, "client_secret", orgSecret, "audience", orgAPI, "organization", org))
		},
		"json": func(org string) *http.Request {
			r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(`{"grant_type":"client_credentials","client_id":"`+client+
				`","client_secret":"`+orgSecret+`","audience":"`+orgAPI+`","organization":"`+org+`"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		"basic": func(org string) *http.Request {
			r := formReq(form("grant_type", "client_credentials", "audience", orgAPI, "organization", org))
			r.Header.Set("Authorization", basic(client, orgSecret))
			return r
		},
	}
	for name, mk := range shapes {
		t.Run(name, func(t *testing.T) {
			rec := f.do(mk("acme"))
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			_, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
			if claims["org_id"] != acme.ID {
				t.Fatalf("claims %v", claims)
			}
			if rec := f.do(mk("globex")); rec.Code != 403 {
				t.Fatalf("not associated: %d %s", rec.Code, rec.Body)
			}
		})
	}
	ev := f.events[len(f.events)-1]
	if ev.Type != "feccft" || ev.Details["step"] != "organization" {
		t.Fatalf("refusal event %+v", ev)
	}
	if _, err := f.svc.UpdateSettings(t.Context(), func(s *store.Settings) error {
		s.AllowOrganizationNameInAuthenticationAPI = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec := f.do(shapes["form"](acme.ID))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	_, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
	if claims["org_id"] != acme.ID || claims["org_name"] != "acme" {
		t.Fatalf("with org names on: %v", claims)
	}
	ev = f.events[len(f.events)-1]
	if ev.Type != "seccft" || ev.OrganizationID != acme.ID || ev.OrganizationName != "acme" {
		t.Fatalf("success event %+v", ev)
	}
}

// TestOrganizationWritesReachTheTokenPath: associations, deletions and
// grant changes take effect on the very next token request.
func TestOrganizationWritesReachTheTokenPath(t *testing.T) {
	f, acme, globex := orgFixture(t)
	ctx := t.Context()
	get := func(client, org string) int {
		t.Helper()
		return f.do(formReq(form("grant_type", "client_credentials", "client_id", client, "client_secret", orgSecret, "audience", orgAPI, "organization", org))).Code
	}
	if get("allow-none-none", "globex") != 403 {
		t.Fatal("unassociated organization accepted")
	}
	g, _ := f.holder.Current().Grant("allow-none-none", orgAPI)
	if _, err := f.svc.AddOrganizationGrant(ctx, globex.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if code := get("allow-none-none", "globex"); code != 200 {
		t.Fatalf("after association: %d", code)
	}
	if err := f.svc.RemoveOrganizationGrant(ctx, globex.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if get("allow-none-none", "globex") != 403 {
		t.Fatal("removed association still accepted")
	}
	if get("allow-assoc-none", "acme") != 200 {
		t.Fatal("associated organization refused")
	}
	if _, err := f.svc.UpdateOrganization(ctx, acme.ID, tenant.OrganizationFields{Name: ptr("acme-eu")}); err != nil {
		t.Fatal(err)
	}
	if get("allow-assoc-none", "acme") != 403 || get("allow-assoc-none", "acme-eu") != 200 {
		t.Fatal("rename not seen by the token path")
	}
	ga, _ := f.holder.Current().Grant("allow-assoc-none", orgAPI)
	if _, err := f.svc.UpdateGrant(ctx, ga.ID, tenant.GrantFields{OrganizationUsage: ptr("deny")}); err != nil {
		t.Fatal(err)
	}
	if get("allow-assoc-none", acme.ID) != 400 {
		t.Fatal("usage deny not seen")
	}
	if err := f.svc.DeleteOrganization(ctx, acme.ID); err != nil {
		t.Fatal(err)
	}
	if get("allow-any-none", acme.ID) != 403 || get("allow-any-none", globex.ID) != 200 {
		t.Fatal("deleted organization still served, or another lost")
	}
	// A client whose default organization was deleted is refused like one
	// whose default it may not use.
	rec := f.do(formReq(form("grant_type", "client_credentials", "client_id", "require-any-acme", "client_secret", orgSecret, "audience", orgAPI)))
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "default organization") {
		t.Fatalf("deleted default organization: %d %s", rec.Code, rec.Body)
	}
}

// TestOrganizationInActions: a credentials-exchange Action sees
// event.organization {id, name, display_name, metadata} for a token issued
// for an organization, and no event.organization otherwise.
func TestOrganizationInActions(t *testing.T) {
	f := newFixtureWith(t, filepath.Join(t.TempDir(), "a.db"), &token.Scripts{Runtime: hook.New(hook.Options{Timeout: 500 * time.Millisecond}), TenantID: "credo-test"})
	f.seed(baseSeed + `
actions:
  - name: org-claims
    code: |
      exports.onExecuteCredentialsExchange = async (event, api) => {
        if (event.organization) {
          api.accessToken.setCustomClaim("https://x.example/org", [event.organization.id, event.organization.name,
            event.organization.display_name, event.organization.metadata.tier].join("|"));
        } else {
          api.accessToken.setCustomClaim("https://x.example/org", "none");
        }
      };
`)
	acme, _ := orgSetup(t, f)
	for org, want := range map[string]string{"acme": acme.ID + "|acme|Acme Corp|gold", "": "none"} {
		kv := []string{"grant_type", "client_credentials", "client_id", "allow-assoc-none", "client_secret", orgSecret, "audience", orgAPI}
		if org != "" {
			kv = append(kv, "organization", org)
		}
		rec := f.do(formReq(form(kv...)))
		if rec.Code != 200 {
			t.Fatalf("%q: %d %s", org, rec.Code, rec.Body)
		}
		_, claims := f.verifyToken(t, decode(t, rec)["access_token"].(string), "")
		if claims["https://x.example/org"] != want {
			t.Fatalf("organization %q: claim %v, want %q", org, claims["https://x.example/org"], want)
		}
	}
}
