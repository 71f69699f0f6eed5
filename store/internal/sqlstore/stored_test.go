package sqlstore

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestStoredForm pins the JSON document every entity is stored as. A
// renamed Go field must not rename a stored property (that would silently
// lose the data of every existing database); a new field adds one.
func TestStoredForm(t *testing.T) {
	at := time.Date(2027, 1, 2, 3, 4, 5, 6000, time.UTC)
	later := at.Add(time.Hour)
	docs := map[string]any{
		"client": docOf(t, clients, store.Client{
			ClientID: "cid", Name: "Worker", Description: "d", AppType: "non_interactive",
			GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
			IsFirstParty: true, Metadata: map[string]string{"team": "payroll"}, JWTAlg: "RS256", TokenLifetime: 3600,
			DefaultOrganization: &store.DefaultOrganization{OrganizationID: "org_1", Flows: []string{"client_credentials"}},
			Secrets:             []store.Secret{{Hash: "$sha256$x$y", CreatedAt: at, ExpiresAt: later}},
			CreatedAt:           at, UpdatedAt: later,
		}),
		"resource_server": docOf(t, resourceServers, store.ResourceServer{
			ID: "rs1", Name: "API", Identifier: "https://api.example.com/", Scopes: []store.Scope{{Value: "read:x", Description: "Read"}},
			SigningAlg: "HS256", SigningSecret: "sealed", TokenLifetime: 60, TokenDialect: "access_token", IsSystem: false,
			CreatedAt: at, UpdatedAt: later,
		}),
		"client_grant": docOf(t, clientGrants, store.ClientGrant{
			ID: "cgr_1", ClientID: "cid", Audience: "https://api.example.com/", Scope: []string{"read:x"},
			AllowAllScopes: true, SubjectType: "client", OrganizationUsage: "require", AllowAnyOrganization: true,
			CreatedAt: at, UpdatedAt: later,
		}),
		"organization": docOf(t, organizations, store.Organization{
			ID: "org_1", Name: "acme", DisplayName: "Acme Corp", Metadata: map[string]string{"plan": "gold"},
			Branding:  &store.OrganizationBranding{LogoURL: "https://acme.example/logo.png", Colors: store.OrganizationColors{Primary: "#0050ff", PageBackground: "#ffffff"}},
			CreatedAt: at, UpdatedAt: later,
		}),
		"signing_key": docOf(t, signingKeys, store.SigningKey{
			KID: "kid1", KeyType: "RSA", State: store.KeyPrevious, SealedPrivateKey: []byte{1, 2}, CertDER: []byte{3},
			CreatedAt: at, CurrentSince: at, CurrentUntil: later, RevokedAt: later,
		}),
		"action": docOf(t, actions, store.Action{
			ID: "act1", Name: "a", Code: "c", Runtime: "node22", SupportedTriggers: []store.Trigger{{ID: "credentials-exchange", Version: "v2"}},
			Secrets: []store.ActionSecret{{Name: "K", Sealed: "s", UpdatedAt: at}}, DeployedCode: "c", DeployedVersion: 2,
			DeployedAt: at, CreatedAt: at, UpdatedAt: later,
		}),
		"hook": docOf(t, hooks, store.Hook{
			ID: "h1", Name: "h", Script: "s", TriggerID: "credentials-exchange", Enabled: true,
			Secrets: []store.ActionSecret{{Name: "K", Sealed: "s", UpdatedAt: at}}, CreatedAt: at, UpdatedAt: later,
		}),
		"log_event": docOf(t, logs, store.LogEvent{
			ID: "l1", Date: at, Type: "seccft", Description: "d", ClientID: "cid", ClientName: "n", IP: "192.0.2.1",
			UserAgent: "ua", Hostname: "h", Audience: "https://api.example.com/", Scope: "read:x", Details: map[string]any{"k": "v"},
			OrganizationID: "org_1", OrganizationName: "acme",
		}),
		"settings": marshal(t, store.Settings{HonorScopeSubset: true, Auth0CompatErrors: true, AllowOrganizationNameInAuthenticationAPI: true}),
		"tenant":   marshal(t, store.Tenant{Issuer: "https://a/", ManagementAudience: "https://a/api/v2/", CreatedAt: at, UpdatedAt: later}),
	}
	for name, doc := range docs {
		var buf bytes.Buffer
		if err := json.Indent(&buf, doc.([]byte), "", "  "); err != nil {
			t.Fatal(err)
		}
		buf.WriteByte('\n')
		p := filepath.Join("testdata", "stored_"+name+".golden")
		if *update {
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test -update creates it)", err)
		}
		if !bytes.Equal(want, buf.Bytes()) {
			t.Errorf("stored form of %s changed:\n--- got\n%s--- want\n%s", name, buf.Bytes(), want)
		}
	}
}

// docOf is the doc column tb writes for v.
func docOf[T any](t *testing.T, tb *table[T], v T) any {
	t.Helper()
	row, err := tb.row(&v)
	if err != nil {
		t.Fatal(err)
	}
	return row[len(row)-1]
}

func marshal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoredFieldsNamed: every field of every stored type names its JSON
// property explicitly, so the golden files above catch each new field.
func TestStoredFieldsNamed(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty.PkgPath() != "github.com/credo-dev/credo/store" || seen[ty] {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			f := ty.Field(i)
			if tag, ok := f.Tag.Lookup("json"); !ok || tag == "" {
				t.Errorf("store.%s.%s has no json tag", ty.Name(), f.Name)
			}
			check(f.Type)
		}
	}
	for _, v := range []any{store.Client{}, store.ResourceServer{}, store.ClientGrant{}, store.SigningKey{},
		store.Action{}, store.Hook{}, store.LogEvent{}, store.Settings{}, store.Tenant{}, store.Organization{}} {
		check(reflect.TypeOf(v))
	}
	if len(seen) < 13 {
		t.Fatalf("checked only %d types", len(seen))
	}
}
