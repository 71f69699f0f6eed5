package mgmt_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
)

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	// A token for another API of the same issuer.
	aud := "https://api.example.com/other"
	if _, err := h.svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Identifier: &aud}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CreateGrant(ctx, tenant.GrantFields{ClientID: adminID, Audience: aud}); err != nil {
		t.Fatal(err)
	}
	otherAud := h.mustToken(adminID, adminSecret, aud)

	parts := strings.Split(h.admin, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

	cases := []struct {
		name, header, golden string
	}{
		{"missing header", "", "error_401_missing"},
		{"basic scheme", "Basic YWRtaW46c2VjcmV0", "error_401_missing"},
		{"empty bearer", "Bearer ", "error_401_missing"},
		{"garbage", "Bearer not-a-jwt", "error_401_invalid"},
		{"bad signature", "Bearer " + tampered, "error_401_invalid"},
		{"other audience", "Bearer " + otherAud, "error_401_invalid"},
		{"lowercase scheme works", "bearer " + h.admin, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v2/clients", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, r)
			if tc.golden == "" {
				if rec.Code != 200 {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != 401 {
				t.Fatalf("status %d, want 401: %s", rec.Code, rec.Body)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate challenge")
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			golden(t, tc.golden, rec.Body.Bytes())
		})
	}

	t.Run("expired", func(t *testing.T) {
		h.advance(24*time.Hour + time.Minute)
		defer h.advance(-(24*time.Hour + time.Minute))
		h.call(h.admin, "GET", "/api/v2/clients", nil).want(401)
	})

	t.Run("grant removed", func(t *testing.T) {
		tok := h.scoped("read:clients")
		h.call(tok, "GET", "/api/v2/clients", nil).want(200)
		gl := h.do("GET", "/api/v2/client-grants?audience="+esc(mgmtAud), nil).want(200).list()
		for _, g := range gl {
			g := g.(map[string]any)
			if sc, _ := g["scope"].([]any); len(sc) == 1 && sc[0] == "read:clients" {
				h.do("DELETE", "/api/v2/client-grants/"+str(g["id"]), nil).want(204)
			}
		}
		h.call(tok, "GET", "/api/v2/clients", nil).want(401)
	})

	t.Run("grant narrowed", func(t *testing.T) {
		tok := h.scoped("read:clients", "read:resource_servers")
		h.call(tok, "GET", "/api/v2/resource-servers", nil).want(200)
		gl := h.do("GET", "/api/v2/client-grants?audience="+esc(mgmtAud), nil).want(200).list()
		for _, g := range gl {
			g := g.(map[string]any)
			if sc, _ := g["scope"].([]any); len(sc) == 2 && sc[1] == "read:resource_servers" {
				h.do("PATCH", "/api/v2/client-grants/"+str(g["id"]), map[string]any{"scope": []string{"read:clients"}}).want(200)
			}
		}
		h.call(tok, "GET", "/api/v2/resource-servers", nil).want(403)
		h.call(tok, "GET", "/api/v2/clients", nil).want(200)
	})

	t.Run("client deleted", func(t *testing.T) {
		name := "doomed"
		c, sec, err := h.svc.CreateClient(ctx, tenant.ClientFields{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		sc := []string{"read:clients"}
		if _, err := h.svc.CreateGrant(ctx, tenant.GrantFields{ClientID: c.ClientID, Audience: mgmtAud, Scope: &sc}); err != nil {
			t.Fatal(err)
		}
		tok := h.mustToken(c.ClientID, sec, mgmtAud)
		h.call(tok, "GET", "/api/v2/clients", nil).want(200)
		h.do("DELETE", "/api/v2/clients/"+c.ClientID, nil).want(204)
		h.call(tok, "GET", "/api/v2/clients", nil).want(401)
	})
}

// TestScopes checks every route: a token without the route's scope gets
// 403 naming the expected scopes, and a token with only that scope passes
// the scope check.
func TestScopes(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		method, path string
		body         any
		scopes       []string // the scopes the 403 names; the first one is granted for the pass check
		all          bool
	}{
		{"GET", "/clients", nil, []string{"read:clients", "read:client_keys", "read:client_credentials", "read:client_summary"}, false},
		{"POST", "/clients", map[string]any{"name": "x"}, []string{"create:clients"}, false},
		{"GET", "/clients/" + adminID, nil, []string{"read:clients", "read:client_keys", "read:client_credentials"}, false},
		{"PATCH", "/clients/nope", map[string]any{}, []string{"update:clients", "update:client_keys"}, false},
		{"DELETE", "/clients/nope", nil, []string{"delete:clients"}, false},
		{"POST", "/clients/nope/rotate-secret", nil, []string{"update:client_keys"}, false},
		{"GET", "/resource-servers", nil, []string{"read:resource_servers"}, false},
		{"POST", "/resource-servers", map[string]any{"identifier": "urn:scope:test"}, []string{"create:resource_servers"}, false},
		{"GET", "/resource-servers/nope", nil, []string{"read:resource_servers"}, false},
		{"PATCH", "/resource-servers/nope", map[string]any{}, []string{"update:resource_servers"}, false},
		{"DELETE", "/resource-servers/nope", nil, []string{"delete:resource_servers"}, false},
		{"GET", "/client-grants", nil, []string{"read:client_grants"}, false},
		{"POST", "/client-grants", map[string]any{"client_id": "nope", "audience": "urn:x"}, []string{"create:client_grants"}, false},
		{"GET", "/client-grants/nope", nil, []string{"read:client_grants"}, false},
		{"PATCH", "/client-grants/nope", map[string]any{}, []string{"update:client_grants"}, false},
		{"DELETE", "/client-grants/nope", nil, []string{"delete:client_grants"}, false},
		{"GET", "/keys/signing", nil, []string{"read:signing_keys"}, false},
		{"GET", "/keys/signing/nope", nil, []string{"read:signing_keys"}, false},
		{"GET", "/keys/signing/nope/pem", nil, []string{"read:signing_keys"}, false},
		{"GET", "/keys/signing/nope/cer", nil, []string{"read:signing_keys"}, false},
		{"POST", "/keys/signing/rotate", nil, []string{"create:signing_keys", "update:signing_keys"}, true},
		{"PUT", "/keys/signing/nope/revoke", nil, []string{"update:signing_keys"}, false},
		{"GET", "/tenants/settings", nil, []string{"read:tenant_settings"}, false},
		{"PATCH", "/tenants/settings", map[string]any{}, []string{"update:tenant_settings"}, false},
		{"GET", "/logs", nil, []string{"read:logs", "read:logs_users"}, false},
		{"GET", "/logs/nope", nil, []string{"read:logs", "read:logs_users"}, false},
	}
	// A token with a scope no route accepts alone.
	unrelated := h.scoped("read:hooks")
	goldenDone := false
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := h.call(unrelated, tc.method, "/api/v2"+tc.path, tc.body).want(403)
			m := r.json()
			kind := "any"
			if tc.all {
				kind = "all"
			}
			want := "Insufficient scope, expected " + kind + " of: " + strings.Join(tc.scopes, ",")
			if m["message"] != want || m["errorCode"] != "insufficient_scope" {
				t.Errorf("body %v, want message %q", m, want)
			}
			if !goldenDone && tc.path == "/clients" && tc.method == "POST" {
				golden(t, "error_403_insufficient_scope", r.Body.Bytes())
				goldenDone = true
			}
			granted := tc.scopes[:1]
			if tc.all {
				// Half of an all-of pair is still refused.
				h.call(h.scoped(tc.scopes[0]), tc.method, "/api/v2"+tc.path, tc.body).want(403)
				granted = tc.scopes
			}
			got := h.call(h.scoped(granted...), tc.method, "/api/v2"+tc.path, tc.body)
			if got.Code == 401 || got.Code == 403 {
				t.Errorf("with %v: status %d: %s", granted, got.Code, got.Body)
			}
		})
	}
	t.Run("client_secret in PATCH needs update:client_keys", func(t *testing.T) {
		tok := h.scoped("update:clients")
		h.call(tok, "PATCH", "/api/v2/clients/"+adminID, map[string]any{"description": "x"}).want(200)
		r := h.call(tok, "PATCH", "/api/v2/clients/"+adminID, map[string]any{"client_secret": "a-new-imported-secret-0123456789abcdef"}).want(403)
		if m := r.json(); m["message"] != "Insufficient scope, expected any of: update:client_keys" {
			t.Errorf("%v", m)
		}
	})
}

func TestRouting(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/api/v2/nothing-here", nil).want(404)
	golden(t, "error_404_route", r.Body.Bytes())
	h.call("", "GET", "/api/v2/nothing-here", nil).want(404)
	r = h.do("PUT", "/api/v2/clients", nil).want(405)
	if got := r.Header().Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow %q", got)
	}
	golden(t, "error_405", r.Body.Bytes())
	r = h.do("POST", "/api/v2/clients/x", nil).want(405)
	if got := r.Header().Get("Allow"); got != "GET, PATCH, DELETE" {
		t.Errorf("Allow %q", got)
	}
}

// TestStoreFailure: an unexpected error is a logged 500 with a generic body.
func TestStoreFailure(t *testing.T) {
	h := newHarness(t)
	h.st.Close()
	r := h.do("GET", "/api/v2/clients", nil).want(500)
	golden(t, "error_500", r.Body.Bytes())
	if !strings.Contains(h.logs.String(), "Management API request failed") {
		t.Errorf("500 not logged:\n%s", h.logs)
	}
}

// TestPanicIs500: a panicking handler is a logged 500 in Auth0's shape and
// the process keeps serving. (A Deps without a Service panics on the first
// store access.)
func TestPanicIs500(t *testing.T) {
	h := newHarness(t)
	broken := mgmt.New(mgmt.Deps{Holder: h.holder, Issuer: issuer, Now: h.clock, Log: slog.New(slog.NewTextHandler(h.logs, nil))})
	for range 2 {
		r := httptest.NewRequest("GET", "/api/v2/clients", nil)
		r.Header.Set("Authorization", "Bearer "+h.admin)
		rec := httptest.NewRecorder()
		broken.ServeHTTP(rec, r)
		if rec.Code != 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		golden(t, "error_500", rec.Body.Bytes())
	}
	if !strings.Contains(h.logs.String(), "panic in Management API") {
		t.Errorf("panic not logged:\n%s", h.logs)
	}
}
