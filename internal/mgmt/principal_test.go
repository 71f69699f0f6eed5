package mgmt_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/mgmt"
)

// callAs sends a request with no bearer token under a local principal.
func (h *harness) callAs(p mgmt.Principal, method, path, body string) resp {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r = r.WithContext(mgmt.WithPrincipal(r.Context(), p))
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, r)
	return resp{rec, h.t}
}

func TestLocalPrincipal(t *testing.T) {
	h := newHarness(t)
	admin := mgmt.LocalAdmin("credo CLI")

	// Every route works without a token, even with the admin's grant gone.
	grants := h.do("GET", "/api/v2/client-grants?audience="+esc(mgmtAud), nil).want(200).list()
	for _, g := range grants {
		h.callAs(admin, "DELETE", "/api/v2/client-grants/"+str(g.(map[string]any)["id"]), "").want(204)
	}
	h.do("GET", "/api/v2/clients", nil).want(401)
	h.callAs(admin, "GET", "/api/v2/clients", "").want(200)
	h.callAs(admin, "POST", "/api/v2/clients", `{"name":"made locally"}`).want(201)

	// The write is logged under the local principal's name, with no client id.
	evs := h.audit()
	last := evs[len(evs)-1]
	if last.Type != "sapi" || last.ClientID != "" || last.ClientName != "credo CLI" || last.Description != "Create a client" {
		t.Errorf("event = %+v", last)
	}

	// A local principal's scopes are enforced like a token's.
	ro := mgmt.Principal{Name: "viewer", Scopes: []string{"read:clients"}}
	h.callAs(ro, "GET", "/api/v2/clients", "").want(200)
	h.callAs(ro, "POST", "/api/v2/clients", `{"name":"x"}`).want(403)

	// Nothing a network request carries sets a principal.
	r := httptest.NewRequest("GET", "/api/v2/clients", nil)
	r.Header.Set("X-Credo-Principal", "admin")
	r = r.WithContext(context.WithValue(r.Context(), otherKey{}, admin))
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, r)
	if rec.Code != 401 {
		t.Errorf("request without a token: %d", rec.Code)
	}
}

type otherKey struct{}
