package mgmt_test

import (
	"fmt"
	"testing"
	"time"
)

func TestClients(t *testing.T) {
	h := newHarness(t)

	r := h.do("POST", "/api/v2/clients", map[string]any{
		"client_id":       "timesheets-worker",
		"name":            "Timesheets Worker",
		"description":     "Nightly batch",
		"client_metadata": map[string]string{"team": "billing"},
		"token_lifetime":  3600,
	}).want(201)
	created := r.json()
	sec := str(created["client_secret"])
	if len(sec) < 43 {
		t.Fatalf("client_secret %q: want a generated high-entropy secret", sec)
	}
	golden(t, "client_created", r.Body.Bytes(), "client_secret")

	r = h.do("GET", "/api/v2/clients/timesheets-worker", nil).want(200)
	got := r.json()
	if _, ok := got["client_secret"]; ok {
		t.Error("GET returned client_secret")
	}
	golden(t, "client", r.Body.Bytes())

	t.Run("fields", func(t *testing.T) {
		m := h.do("GET", "/api/v2/clients/timesheets-worker?fields=client_id,name", nil).want(200).json()
		if len(m) != 2 || m["name"] != "Timesheets Worker" {
			t.Errorf("%v", m)
		}
		m = h.do("GET", "/api/v2/clients/timesheets-worker?fields=client_metadata&include_fields=false", nil).want(200).json()
		if _, ok := m["client_metadata"]; ok || m["name"] == nil {
			t.Errorf("%v", m)
		}
	})

	t.Run("patch", func(t *testing.T) {
		h.advance(time.Minute)
		r := h.do("PATCH", "/api/v2/clients/timesheets-worker", map[string]any{
			"name": "Worker", "jwt_configuration": map[string]any{"alg": "PS256"}, "client_metadata": map[string]string{},
		}).want(200)
		m := r.json()
		if m["name"] != "Worker" || m["jwt_configuration"].(map[string]any)["alg"] != "PS256" || m["description"] != "Nightly batch" {
			t.Errorf("%v", m)
		}
		if m["updated_at"] == m["created_at"] {
			t.Error("updated_at unchanged")
		}
		golden(t, "client_patched", r.Body.Bytes())
	})

	t.Run("public client has no secret", func(t *testing.T) {
		m := h.do("POST", "/api/v2/clients", map[string]any{
			"name": "SPA", "app_type": "spa", "token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"},
		}).want(201).json()
		if _, ok := m["client_secret"]; ok {
			t.Errorf("public client got a secret: %v", m)
		}
		h.do("POST", "/api/v2/clients/"+str(m["client_id"])+"/rotate-secret", nil).want(400)
	})

	t.Run("errors", func(t *testing.T) {
		r := h.do("GET", "/api/v2/clients/nope", nil).want(404)
		golden(t, "error_404_client", r.Body.Bytes())
		h.do("PATCH", "/api/v2/clients/nope", map[string]any{"name": "x"}).want(404)
		h.do("DELETE", "/api/v2/clients/nope", nil).want(404)
		h.do("POST", "/api/v2/clients/nope/rotate-secret", nil).want(404)
		r = h.do("POST", "/api/v2/clients", map[string]any{"client_id": "timesheets-worker", "name": "dup"}).want(409)
		golden(t, "error_409_client", r.Body.Bytes())
		r = h.do("POST", "/api/v2/clients", map[string]any{"name": "<script>"}).want(400)
		golden(t, "error_400_validation", r.Body.Bytes())
		r = h.do("POST", "/api/v2/clients", map[string]any{"description": "no name"}).want(400)
		golden(t, "error_400_missing_name", r.Body.Bytes())
		h.do("POST", "/api/v2/clients", map[string]any{"name": "x", "oidc_conformant": false}).want(400)
		h.do("POST", "/api/v2/clients", map[string]any{"name": "x", "app_type": "toaster"}).want(400)
		h.do("PATCH", "/api/v2/clients/timesheets-worker", map[string]any{"client_id": "other"}).want(400)
		h.do("POST", "/api/v2/clients", map[string]any{"name": "x", "token_lifetime": 5}).want(400)
	})

	t.Run("delete", func(t *testing.T) {
		h.do("DELETE", "/api/v2/clients/timesheets-worker", nil).want(204)
		h.do("GET", "/api/v2/clients/timesheets-worker", nil).want(404)
	})
}

func TestClientList(t *testing.T) {
	h := newHarness(t)
	// admin + 2 scoped-free clients of each of two types.
	for i := range 4 {
		typ := "non_interactive"
		body := map[string]any{"client_id": fmt.Sprintf("c%02d", i), "name": fmt.Sprintf("client %d", i)}
		if i%2 == 1 {
			typ = "regular_web"
		}
		body["app_type"] = typ
		h.do("POST", "/api/v2/clients", body).want(201)
	}
	all := h.do("GET", "/api/v2/clients", nil).want(200).list()
	if len(all) != 5 {
		t.Fatalf("%d clients, want 5", len(all))
	}
	r := h.do("GET", "/api/v2/clients?page=1&per_page=2&include_totals=true&fields=client_id", nil).want(200)
	m := r.json()
	if m["start"] != 2.0 || m["limit"] != 2.0 || m["length"] != 2.0 || m["total"] != 5.0 {
		t.Errorf("%v", m)
	}
	golden(t, "clients_page", r.Body.Bytes())
	m = h.do("GET", "/api/v2/clients?app_type=regular_web&include_totals=true", nil).want(200).json()
	if m["total"] != 2.0 {
		t.Errorf("regular_web: %v", m)
	}
	m = h.do("GET", "/api/v2/clients?app_type=regular_web,non_interactive&per_page=2&page=1&include_totals=true", nil).want(200).json()
	if m["total"] != 5.0 || m["length"] != 2.0 {
		t.Errorf("two types: %v", m)
	}
	if l := h.do("GET", "/api/v2/clients?page=9", nil).want(200).list(); len(l) != 0 {
		t.Errorf("page past the end: %v", l)
	}
}
