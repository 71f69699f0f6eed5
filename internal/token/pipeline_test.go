package token

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopq"

func testEndpoint(t *testing.T) (*Endpoint, *[]store.LogEvent) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	km := &keys.Manager{Store: st, Master: mk, CommonName: "p"}
	if _, err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := tenant.NewHolder(ctx, st, mk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := &tenant.Service{Store: st, Master: mk, Keys: km, Issuer: "https://p/", Holder: h}
	s, err := tenant.ParseSeed([]byte(`
resourceServers: [{identifier: "urn:a", scopes: [{value: r}]}, {identifier: "urn:b"}]
clients: [{name: c, client_id: c, client_secret: `+testSecret+`}]
clientGrants: [{client_id: c, audience: "urn:a", scope: [r]}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplySeed(ctx, s); err != nil {
		t.Fatal(err)
	}
	var events []store.LogEvent
	return &Endpoint{Holder: h, Secrets: secret.NewVerifier(time.Minute, nil), Issuer: "https://p/",
		Events: func(ev store.LogEvent) { events = append(events, ev) }}, &events
}

func post(e *Endpoint, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, r)
	return rec
}

// TestFailedStepIsRecorded: each refusal names the step that refused it.
func TestFailedStepIsRecorded(t *testing.T) {
	e, events := testEndpoint(t)
	ok := "grant_type=client_credentials&client_id=c&client_secret=" + testSecret
	for _, tc := range []struct{ body, step string }{
		{"grant_type=password", "parse"},
		{"grant_type=client_credentials&client_id=c&client_secret=nope&audience=urn:a", "authenticate"},
		{ok + "&audience=urn:none", "grant"},
		{ok + "&audience=urn:a&organization=acme", "organization"},
		{ok + "&audience=urn:b", "policy"},                   // no client grant
		{ok + "&audience=urn:b&organization=acme", "policy"}, // no client grant: organizations do not matter
		{ok + "&audience=urn:a&scope=%22", "policy"},
		{ok + "&audience=urn:a", ""},
	} {
		*events = nil
		rec := post(e, tc.body)
		if len(*events) != 1 {
			t.Fatalf("%s: %d events", tc.body, len(*events))
		}
		ev := (*events)[0]
		if tc.step == "" {
			if rec.Code != 200 || ev.Type != "seccft" {
				t.Fatalf("%s: %d %+v", tc.body, rec.Code, ev)
			}
			continue
		}
		if ev.Type != "feccft" || ev.Details["step"] != tc.step {
			t.Errorf("%s: event %+v, want step %s", tc.body, ev, tc.step)
		}
	}
}

type busyMethod struct{ clientauth.SecretPost }

func (busyMethod) Verify(context.Context, *clientauth.Request, *tenant.Client, time.Time) (bool, error) {
	return false, clientauth.ErrBusy
}

func TestBusySecretCheckIsRetryLater(t *testing.T) {
	e, _ := testEndpoint(t)
	e.auth = &clientauth.Authenticator{Methods: []clientauth.Method{busyMethod{}}}
	rec := post(e, "grant_type=client_credentials&client_id=c&client_secret=short&audience=urn:a")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"too_many_requests"`) {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// TestReuseKeyCoversWhatChangesTheToken: exchanges that would mint
// different tokens never share a cache entry.
func TestReuseKeyCoversWhatChangesTheToken(t *testing.T) {
	base := func() *Exchange {
		return &Exchange{
			GrantType: clientCredentials{}, Client: &tenant.Client{ClientID: "c"},
			API: &tenant.API{ResourceServer: store.ResourceServer{Identifier: "urn:a"}}, Request: &Request{}, Scopes: []string{"r", "w"},
		}
	}
	k := reuseKey(base())
	for name, change := range map[string]func(*Exchange){
		"client":       func(ex *Exchange) { ex.Client = &tenant.Client{ClientID: "d"} },
		"audience":     func(ex *Exchange) { ex.API = &tenant.API{ResourceServer: store.ResourceServer{Identifier: "urn:b"}} },
		"scopes":       func(ex *Exchange) { ex.Scopes = []string{"r"} },
		"organization": func(ex *Exchange) { ex.Organization = &tenant.Organization{ID: "org_1"} },
		"grant type":   func(ex *Exchange) { ex.GrantType = otherGrant{} },
	} {
		ex := base()
		change(ex)
		if reuseKey(ex) == k {
			t.Errorf("a different %s shares the reuse key", name)
		}
	}
	if reuseKey(base()) != k {
		t.Fatal("the same exchange has another key")
	}
	// The organization counts once decided: named by id or by name, the token is the same.
	byID, byName := base(), base()
	byID.Request.Organization, byID.Organization = "org_1", &tenant.Organization{ID: "org_1", Name: "acme"}
	byName.Request.Organization, byName.Organization = "acme", &tenant.Organization{ID: "org_1", Name: "acme"}
	if reuseKey(byID) != reuseKey(byName) || reuseKey(byID) == k {
		t.Fatal("the organization by id and by name: different keys, or the key of no organization")
	}
}

type otherGrant struct{ clientCredentials }

func (otherGrant) Name() string { return "urn:ietf:params:oauth:grant-type:token-exchange" }
