package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

// Run runs the conformance suite. open must return a new, empty store and
// arrange its own cleanup (t.Cleanup); it is called once per subtest, and
// subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Clients", func(t *testing.T, s store.Store) { testCRUD(t, s, clientKind) }},
		{"ResourceServers", func(t *testing.T, s store.Store) { testCRUD(t, s, resourceServerKind) }},
		{"ClientGrants", func(t *testing.T, s store.Store) { testCRUD(t, s, clientGrantKind) }},
		{"Actions", func(t *testing.T, s store.Store) { testCRUD(t, s, actionKind) }},
		{"Hooks", func(t *testing.T, s store.Store) { testCRUD(t, s, hookKind) }},
		{"LogStreams", func(t *testing.T, s store.Store) { testCRUD(t, s, logStreamKind) }},
		{"Organizations", func(t *testing.T, s store.Store) { testCRUD(t, s, organizationKind) }},
		{"OrganizationNames", testOrganizationNames},
		{"OrganizationGrants", testOrganizationGrants},
		{"OrganizationCascades", testOrganizationCascades},
		{"ResourceServerIdentifier", testResourceServerIdentifier},
		{"ClientGrantRules", testClientGrantRules},
		{"ClientGrantList", testClientGrantList},
		{"GrantCascades", testGrantCascades},
		{"SigningKeys", testSigningKeys},
		{"SigningKeysConcurrent", testSigningKeysConcurrent},
		{"DeleteSigningKey", testDeleteSigningKey},
		{"Bindings", testBindings},
		{"Settings", testSettings},
		{"SettingsConcurrent", testSettingsConcurrent},
		{"Logs", testLogs},
		{"Audit", testAudit},
		{"LogQuery", testLogQuery},
		{"Revocation", testRevocation},
		{"Usage", testUsage},
		{"UsageConcurrent", testUsageConcurrent},
		{"LoginLinks", testLoginLinks},
		{"Pagination", testPagination},
		{"Version", testVersion},
		{"Changes", testChanges},
		{"Tenant", testTenant},
		{"Load", testLoad},
		{"LoadConsistent", testLoadConsistent},
		{"NoAliasing", testNoAliasing},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"ContextCanceled", testContextCanceled},
		{"ConcurrentUpdates", testConcurrentUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// errBoom is what update functions return to abort.
var errBoom = errors.New("storetest: boom")

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// equal fails unless got and want are equal after normalize.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// normalize returns a deep copy of v with every time.Time in UTC truncated
// to the microsecond and every empty slice or map nil, so that values are
// compared by what the contract promises.
func normalize(v any) any {
	if v == nil {
		return nil
	}
	return norm(reflect.ValueOf(v)).Interface()
}

var timeType = reflect.TypeFor[time.Time]()

func norm(v reflect.Value) reflect.Value {
	if v.Type() == timeType {
		return reflect.ValueOf(v.Interface().(time.Time).UTC().Truncate(time.Microsecond))
	}
	switch v.Kind() {
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			out.Field(i).Set(norm(v.Field(i)))
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(norm(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), norm(it.Value()))
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(norm(v.Elem()))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(norm(v.Elem()))
		return out
	}
	return v
}

// Fixtures. Times carry nanoseconds and a non-UTC zone on purpose.

var zone = time.FixedZone("UTC+0530", 5*3600+30*60)

func ts(hours int) time.Time {
	return time.Date(2025, 3, 4, 5, 6, 7, 123456789, zone).Add(time.Duration(hours) * time.Hour)
}

func sampleClient(id string) store.Client {
	return store.Client{
		ClientID:                id,
		Name:                    "Client " + id,
		Description:             "the " + id + " service",
		AppType:                 "non_interactive",
		GrantTypes:              []string{"client_credentials"},
		TokenEndpointAuthMethod: "client_secret_post",
		IsFirstParty:            true,
		Metadata:                map[string]string{"team": "payments", "id": id},
		JWTAlg:                  "RS256",
		TokenLifetime:           600,
		DefaultOrganization:     &store.DefaultOrganization{OrganizationID: "org_default", Flows: []string{"client_credentials"}},
		Secrets: []store.Secret{
			{Hash: "$sha256$salt1$digest1-" + id, CreatedAt: ts(0)},
			{Hash: "$sha256$salt0$digest0-" + id, CreatedAt: ts(-48), ExpiresAt: ts(24)},
		},
		CreatedAt: ts(-48),
		UpdatedAt: ts(0),
	}
}

func audience(id string) string { return "https://api.example.com/" + id }

func sampleResourceServer(id string) store.ResourceServer {
	return store.ResourceServer{
		ID:            id,
		Name:          "API " + id,
		Identifier:    audience(id),
		Scopes:        []store.Scope{{Value: "read:things", Description: "Read things"}, {Value: "write:things"}},
		SigningAlg:    "RS256",
		SigningSecret: "sealed:" + id,
		TokenLifetime: 86400,
		TokenDialect:  "access_token",
		CreatedAt:     ts(-5),
		UpdatedAt:     ts(-4),
	}
}

func sampleGrant(id, clientID, aud string) store.ClientGrant {
	return store.ClientGrant{
		ID:                id,
		ClientID:          clientID,
		Audience:          aud,
		Scope:             []string{"read:things", "write:things"},
		SubjectType:       "client",
		OrganizationUsage: "allow",
		CreatedAt:         ts(-3),
		UpdatedAt:         ts(-2),
	}
}

func sampleKey(kid, keyType string, state store.KeyState) store.SigningKey {
	k := store.SigningKey{
		KID:              kid,
		KeyType:          keyType,
		State:            state,
		SealedPrivateKey: []byte("sealed-private-" + kid + "\x00\xff"),
		CertDER:          []byte{0x30, 0x82, 0x01, byte(len(kid))},
		CreatedAt:        ts(-100),
	}
	switch state {
	case store.KeyCurrent:
		k.CurrentSince = ts(-50)
	case store.KeyPrevious:
		k.CurrentSince, k.CurrentUntil = ts(-90), ts(-50)
	case store.KeyRevoked:
		k.CurrentSince, k.CurrentUntil, k.RevokedAt = ts(-90), ts(-50), ts(-10)
	}
	return k
}

func sampleAction(id string) store.Action {
	return store.Action{
		ID:                id,
		Name:              "action " + id,
		Code:              "exports.onExecuteCredentialsExchange = async (event, api) => {};",
		Runtime:           "node22",
		SupportedTriggers: []store.Trigger{{ID: "credentials-exchange", Version: "v2"}},
		Secrets:           []store.ActionSecret{{Name: "KEY", Sealed: "sealed:" + id, UpdatedAt: ts(-1)}},
		DeployedCode:      "exports.onExecuteCredentialsExchange = async () => {};",
		DeployedVersion:   3,
		DeployedAt:        ts(-1),
		CreatedAt:         ts(-7),
		UpdatedAt:         ts(-1),
	}
}

func sampleHook(id string) store.Hook {
	return store.Hook{
		ID:        id,
		Name:      "hook " + id,
		Script:    "module.exports = function(client, scope, audience, context, cb) { cb(null, {}); };",
		TriggerID: "credentials-exchange",
		Enabled:   true,
		Secrets:   []store.ActionSecret{{Name: "TOKEN", Sealed: "sealed:" + id, UpdatedAt: ts(-2)}},
		CreatedAt: ts(-9),
		UpdatedAt: ts(-8),
	}
}

func sampleLog(id string, n int) store.LogEvent {
	return store.LogEvent{
		ID:          id,
		Date:        ts(n),
		Type:        "seccft",
		Description: "Client Credentials for Access Token",
		ClientID:    "client-" + fmt.Sprint(n),
		ClientName:  "Client",
		IP:          "192.0.2.1",
		UserAgent:   "curl/8",
		Hostname:    "auth.example.com",
		Audience:    audience("a"),
		Scope:       "read:things",
		Details:     map[string]any{"n": float64(n), "ok": true, "nested": map[string]any{"list": []any{"x", 1.5}}},
	}
}

func sampleOrganization(id string) store.Organization {
	return store.Organization{
		ID:          id,
		Name:        "org-" + id,
		DisplayName: "Organization " + id,
		Metadata:    map[string]string{"plan": "gold", "id": id},
		Branding: &store.OrganizationBranding{LogoURL: "https://" + id + ".example/logo.png",
			Colors: store.OrganizationColors{Primary: "#0050ff", PageBackground: "#ffffff"}},
		CreatedAt: ts(-3),
		UpdatedAt: ts(-2),
	}
}
