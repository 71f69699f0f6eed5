package timesheets_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/credo-dev/credo/examples/timesheets/api/timesheets"
	"github.com/credo-dev/credo/verify"
)

const audience = "https://api.exampleco.com/timesheets"

// issuer is a stand-in authorization server: a JWKS endpoint and a minter.
type issuer struct {
	url    string
	signer jose.Signer
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return &issuer{url: srv.URL + "/", signer: signer}
}

// token mints an Auth0-profile client-credentials token (azp, no client_id).
func (is *issuer) token(t *testing.T, clientID, scope string) string {
	t.Helper()
	now := time.Now()
	tok, err := jwt.Signed(is.signer).Claims(map[string]any{
		"iss": is.url, "sub": clientID + "@clients", "aud": audience, "azp": clientID,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "gty": "client-credentials", "scope": scope,
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newAPI(t *testing.T) (*issuer, *timesheets.Handler) {
	t.Helper()
	is := newIssuer(t)
	v, err := verify.New(verify.Config{Issuer: is.url, Audience: []string{audience}, Algorithms: []string{"EdDSA"}})
	if err != nil {
		t.Fatal(err)
	}
	return is, timesheets.NewHandler(v)
}

func do(h http.Handler, method, target, token, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) (string, string) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	return body.Error, body.Description
}

func TestCreateRecordsSubmitterAndListReturnsEntries(t *testing.T) {
	is, h := newAPI(t)
	worker := is.token(t, "batch-worker", "create:timesheets")
	rec := do(h, "POST", "/timesheets", worker, "application/json",
		`{"user_id":" 007 ","date":"2025-03-03","project":"StoreZero","hours":7.5,"notes":"sync"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	var created timesheets.Entry
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	want := timesheets.Entry{ID: 1, NewEntry: timesheets.NewEntry{UserID: "007", Date: "2025-03-03", Project: "StoreZero", Hours: 7.5, Notes: "sync"},
		SubmittedBy: "batch-worker@clients", ClientID: "batch-worker", CreatedAt: created.CreatedAt}
	if created != want || created.CreatedAt.IsZero() {
		t.Errorf("created %+v\nwant    %+v", created, want)
	}
	if loc := rec.Header().Get("Location"); loc != "/timesheets/1" {
		t.Errorf("Location %q", loc)
	}
	do(h, "POST", "/timesheets", worker, "application/json; charset=utf-8", `{"user_id":"042","date":"2025-03-04","project":"Payroll","hours":4}`)

	reader := is.token(t, "reporting", "read:timesheets")
	for _, tc := range []struct {
		query string
		ids   []int
	}{{"", []int{1, 2}}, {"?user_id=042", []int{2}}, {"?user_id=nobody", nil}} {
		rec := do(h, "GET", "/timesheets"+tc.query, reader, "", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET%s: %d %s", tc.query, rec.Code, rec.Body)
		}
		var list []timesheets.Entry
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list == nil {
			t.Fatalf("GET%s: body %s (want a JSON array): %v", tc.query, rec.Body, err)
		}
		var ids []int
		for _, e := range list {
			ids = append(ids, e.ID)
			if e.SubmittedBy != "batch-worker@clients" {
				t.Errorf("entry %d submitted_by %q", e.ID, e.SubmittedBy)
			}
		}
		if len(ids) != len(tc.ids) || (len(ids) > 0 && ids[0] != tc.ids[0]) {
			t.Errorf("GET%s ids %v, want %v", tc.query, ids, tc.ids)
		}
	}
}

func TestScopesAndTokens(t *testing.T) {
	is, h := newAPI(t)
	entry := `{"user_id":"007","date":"2025-03-03","project":"StoreZero","hours":8}`
	for _, tc := range []struct {
		name, method, token string
		status              int
		code, challenge     string
	}{
		{"no token", "POST", "", 401, "", `Bearer realm="api"`},
		{"read token cannot create", "POST", is.token(t, "reporting", "read:timesheets"), 403, "insufficient_scope",
			`Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="create:timesheets"`},
		{"create token cannot read", "GET", is.token(t, "batch-worker", "create:timesheets"), 403, "insufficient_scope",
			`Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="read:timesheets"`},
		{"token from another issuer", "GET", newIssuer(t).token(t, "x", "read:timesheets"), 401, "invalid_token", ""},
		{"garbage", "GET", "not.a.jwt", 401, "invalid_token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, tc.method, "/timesheets", tc.token, "application/json", entry)
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			if code, _ := errorCode(t, rec); code != tc.code {
				t.Errorf("error %q, want %q", code, tc.code)
			}
			ch := rec.Header().Get("WWW-Authenticate")
			if (tc.challenge != "" && ch != tc.challenge) || !strings.HasPrefix(ch, "Bearer ") {
				t.Errorf("WWW-Authenticate %q, want %q", ch, tc.challenge)
			}
		})
	}
	if n := len(h.Entries()); n != 0 {
		t.Errorf("%d entries stored by refused requests", n)
	}
	if rec := do(h, "GET", "/healthz", "", "", ""); rec.Code != 200 {
		t.Errorf("healthz: %d", rec.Code)
	}
}

func TestCreateValidatesEntries(t *testing.T) {
	is, h := newAPI(t)
	tok := is.token(t, "batch-worker", "create:timesheets")
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code, desc              string
	}{
		{"missing user", "application/json", `{"date":"2025-03-03","project":"P","hours":1}`, 400, "invalid_entry", "user_id is required"},
		{"blank project", "application/json", `{"user_id":"1","date":"2025-03-03","project":"  ","hours":1}`, 400, "invalid_entry", "project is required"},
		{"zero hours", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":0}`, 400, "invalid_entry", "hours must be more than 0 and at most 24"},
		{"too many hours", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":24.5}`, 400, "invalid_entry", "hours must be more than 0 and at most 24"},
		{"not a date", "application/json", `{"user_id":"1","date":"2025-02-30","project":"P","hours":1}`, 400, "invalid_entry", "date must be a calendar date as YYYY-MM-DD"},
		{"date with time", "application/json", `{"user_id":"1","date":"2025-03-03T10:00:00Z","project":"P","hours":1}`, 400, "invalid_entry", "date must be a calendar date as YYYY-MM-DD"},
		{"long notes", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":1,"notes":"` + strings.Repeat("n", 1001) + `"}`, 400, "invalid_entry", "notes are longer than 1000 characters"},
		{"unknown field", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":1,"approved":true}`, 400, "invalid_request", ""},
		{"hours as string", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":"8"}`, 400, "invalid_request", ""},
		{"two values", "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":1} {}`, 400, "invalid_request", "body holds more than one JSON value"},
		{"form body", "application/x-www-form-urlencoded", `user_id=1`, 415, "invalid_request", "Content-Type must be application/json"},
		{"huge body", "application/json", `{"user_id":"1","notes":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "invalid_request", "body larger than 64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, "POST", "/timesheets", tok, tc.contentType, tc.body)
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			code, desc := errorCode(t, rec)
			if code != tc.code || (tc.desc != "" && desc != tc.desc) {
				t.Errorf("got %q %q, want %q %q", code, desc, tc.code, tc.desc)
			}
		})
	}
	if n := len(h.Entries()); n != 0 {
		t.Errorf("%d invalid entries stored", n)
	}
}

func TestConcurrentCreatesGetDistinctIDs(t *testing.T) {
	is, h := newAPI(t)
	tok := is.token(t, "batch-worker", "create:timesheets")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if rec := do(h, "POST", "/timesheets", tok, "application/json", `{"user_id":"1","date":"2025-03-03","project":"P","hours":1}`); rec.Code != 201 {
				t.Errorf("POST: %d %s", rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, e := range h.Entries() {
		if seen[e.ID] {
			t.Errorf("id %d used twice", e.ID)
		}
		seen[e.ID] = true
	}
	if len(seen) != 20 {
		t.Errorf("%d entries, want 20", len(seen))
	}
}

// orgToken mints a token like token, for organization org (org_id).
func (is *issuer) orgToken(t *testing.T, clientID, scope, org string) string {
	t.Helper()
	now := time.Now()
	tok, err := jwt.Signed(is.signer).Claims(map[string]any{
		"iss": is.url, "sub": clientID + "@clients", "aud": audience, "azp": clientID, "org_id": org,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "gty": "client-credentials", "scope": scope,
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestEntriesArePartitionedByOrganization: two customers' workers write
// entries with tokens for their own organization; each lists only its own,
// a token without org_id sees neither, and an API that allow-lists
// organizations refuses the others' tokens.
func TestEntriesArePartitionedByOrganization(t *testing.T) {
	is, h := newAPI(t)
	scopes := "create:timesheets read:timesheets"
	acme, globex := is.orgToken(t, "acme-worker", scopes, "org_acme"), is.orgToken(t, "globex-worker", scopes, "org_globex")
	for tok, user := range map[string]string{acme: "acme-1", globex: "globex-1"} {
		if rec := do(h, "POST", "/timesheets", tok, "application/json", `{"user_id":"`+user+`","date":"2025-03-03","project":"P","hours":1}`); rec.Code != 201 {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
	list := func(tok string) []timesheets.Entry {
		t.Helper()
		rec := do(h, "GET", "/timesheets", tok, "", "")
		var l []timesheets.Entry
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &l) != nil {
			t.Fatalf("GET: %d %s", rec.Code, rec.Body)
		}
		return l
	}
	for tok, want := range map[string]string{acme: "org_acme", globex: "org_globex"} {
		l := list(tok)
		if len(l) != 1 || l[0].OrgID != want {
			t.Fatalf("%s sees %+v", want, l)
		}
	}
	if l := list(is.token(t, "internal", scopes)); len(l) != 0 {
		t.Fatalf("a token without org_id sees %+v", l)
	}

	v, err := verify.New(verify.Config{Issuer: is.url, Audience: []string{audience}, Algorithms: []string{"EdDSA"}, Organizations: []string{"org_acme"}})
	if err != nil {
		t.Fatal(err)
	}
	only := timesheets.NewHandler(v)
	if rec := do(only, "GET", "/timesheets", acme, "", ""); rec.Code != 200 {
		t.Fatalf("listed organization: %d %s", rec.Code, rec.Body)
	}
	for name, tok := range map[string]string{"another organization": globex, "no organization": is.token(t, "internal", scopes)} {
		if rec := do(only, "GET", "/timesheets", tok, "", ""); rec.Code != 401 {
			t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}
