package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/server"
)

func TestDiscoveryGolden(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	for _, p := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		rec := f.do(httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %v", p, rec.Code, rec.Header())
		}
		golden(t, "discovery", rec.Body.Bytes())
		m := decode(t, rec)
		if m["issuer"] != testIssuer || m["token_endpoint"] != testIssuer+"oauth/token" {
			t.Fatalf("discovery %v", m)
		}
	}
}

func TestJWKSShapeGolden(t *testing.T) {
	f := newFixture(t)
	rec := f.do(httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// The shape: for each key, its kty/alg/use and the sorted member names.
	var shape []string
	for _, k := range doc.Keys {
		var names []string
		for n := range k {
			names = append(names, n)
		}
		sort.Strings(names)
		shape = append(shape, k["kty"].(string)+" "+k["alg"].(string)+" "+k["use"].(string)+": "+strings.Join(names, ","))
		if _, private := k["d"]; private {
			t.Fatal("private key material in JWKS")
		}
	}
	sort.Strings(shape)
	golden(t, "jwks_shape", []byte(strings.Join(shape, "\n")+"\n"))
}

func TestHealthAndUnknownPaths(t *testing.T) {
	f := newFixture(t)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/nope": 404, "/api/v2/clients": 404} {
		if rec := f.do(httptest.NewRequest("GET", path, nil)); rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.seed(baseSeed)
	m := server.NewMetrics(f.holder, func() int64 { return 0 })
	m.BuildInfo("v9.9.9-test", keys.Backend())
	h := server.New(server.Deps{Holder: f.holder, Token: f.endpoint(m.TokenEvent), Issuer: testIssuer, Metrics: m})
	for _, secret := range []string{workerSecret, "wrong"} {
		h.ServeHTTP(httptest.NewRecorder(), formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", secret, "audience", timesheets)))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`credo_token_exchanges_total{outcome="success"} 1`,
		`credo_token_exchanges_total{outcome="invalid_client"} 1`,
		`credo_http_requests_total{code="200",route="token"} 1`,
		`credo_http_requests_total{code="401",route="token"} 1`,
		`credo_store_up 1`,
		`credo_snapshot_version`,
		`credo_build_info{crypto_backend="` + keys.Backend() + `",go_version="` + runtime.Version() + `",version="v9.9.9-test"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
