package mgmt_test

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

func TestClientGrants(t *testing.T) {
	h := newHarness(t)
	api := "urn:credo:orders"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": api, "scopes": []map[string]string{{"value": "read:orders"}, {"value": "write:orders"}}}).want(201)
	for i := range 5 {
		h.do("POST", "/api/v2/clients", map[string]any{"client_id": fmt.Sprintf("app%d", i), "name": fmt.Sprintf("App %d", i)}).want(201)
	}

	r := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "app0", "audience": api, "scope": []string{"read:orders"}}).want(201)
	g := r.json()
	id := str(g["id"])
	golden(t, "client_grant", r.Body.Bytes(), "id")
	for i := 1; i < 5; i++ {
		h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": fmt.Sprintf("app%d", i), "audience": api, "allow_all_scopes": true}).want(201)
	}

	t.Run("get patch", func(t *testing.T) {
		if m := h.do("GET", "/api/v2/client-grants/"+id, nil).want(200).json(); m["client_id"] != "app0" {
			t.Errorf("%v", m)
		}
		m := h.do("PATCH", "/api/v2/client-grants/"+id, map[string]any{"scope": []string{"read:orders", "write:orders"}}).want(200).json()
		if len(m["scope"].([]any)) != 2 {
			t.Errorf("%v", m)
		}
		m = h.do("PATCH", "/api/v2/client-grants/"+id, map[string]any{"allow_all_scopes": true}).want(200).json()
		if m["allow_all_scopes"] != true {
			t.Errorf("%v", m)
		}
		h.do("PATCH", "/api/v2/client-grants/"+id, map[string]any{"audience": "urn:other"}).want(400)
		h.do("PATCH", "/api/v2/client-grants/"+id, map[string]any{"scope": []string{"bad scope"}}).want(400)
	})

	t.Run("errors", func(t *testing.T) {
		r := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "app0", "audience": api}).want(409)
		golden(t, "error_409_client_grant", r.Body.Bytes())
		h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "app0", "audience": api, "subject_type": "user"}).want(201)
		h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "app0", "audience": api, "subject_type": "robot"}).want(400)
		r = h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "ghost", "audience": api}).want(404)
		if r.json()["errorCode"] != "inexistent_client" {
			t.Errorf("%s", r.Body)
		}
		r = h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": "app0", "audience": "urn:ghost"}).want(404)
		if r.json()["errorCode"] != "inexistent_resource_server" {
			t.Errorf("%s", r.Body)
		}
		h.do("POST", "/api/v2/client-grants", map[string]any{"audience": api}).want(400)
		r = h.do("GET", "/api/v2/client-grants/cgr_nope", nil).want(404)
		golden(t, "error_404_client_grant", r.Body.Bytes())
		h.do("PATCH", "/api/v2/client-grants/cgr_nope", map[string]any{"scope": []string{}}).want(404)
		h.do("DELETE", "/api/v2/client-grants/cgr_nope", nil).want(404)
	})

	t.Run("list and filters", func(t *testing.T) {
		q := "/api/v2/client-grants?audience=" + url.QueryEscape(api)
		if l := h.do("GET", q, nil).want(200).list(); len(l) != 6 { // 5 client grants + 1 user grant
			t.Errorf("%d grants for %s", len(l), api)
		}
		if l := h.do("GET", "/api/v2/client-grants?client_id=app3", nil).want(200).list(); len(l) != 1 {
			t.Errorf("%d grants for app3", len(l))
		}
		m := h.do("GET", q+"&per_page=4&page=1&include_totals=true", nil).want(200).json()
		if m["total"] != 6.0 || m["length"] != 2.0 || m["start"] != 4.0 {
			t.Errorf("%v", m)
		}
	})

	t.Run("checkpoint", func(t *testing.T) {
		base := "/api/v2/client-grants?audience=" + url.QueryEscape(api) + "&take=4"
		r := h.do("GET", base, nil).want(200)
		first := r.json()
		if len(first["client_grants"].([]any)) != 4 || first["next"] == nil {
			t.Fatalf("%v", first)
		}
		second := h.do("GET", base+"&from="+url.QueryEscape(str(first["next"])), nil).want(200).json()
		if len(second["client_grants"].([]any)) != 2 {
			t.Fatalf("%v", second)
		}
		if _, ok := second["next"]; ok {
			t.Errorf("next on the last page: %v", second)
		}
		seen := map[string]bool{}
		for _, p := range []map[string]any{first, second} {
			for _, g := range p["client_grants"].([]any) {
				seen[str(g.(map[string]any)["id"])] = true
			}
		}
		if len(seen) != 6 {
			t.Errorf("checkpoint pages cover %d grants, want 6", len(seen))
		}
		// As on Auth0 (and as the Node SDK and the Deploy CLI send it),
		// include_totals, page and per_page are ignored with from/take.
		for _, q := range []string{"&page=1", "&include_totals=true", "&per_page=1"} {
			m := h.do("GET", base+q, nil).want(200).json()
			if !reflect.DeepEqual(m, first) {
				t.Errorf("%s changed the checkpoint page: %v", q, m)
			}
		}
		h.do("GET", base+"&page=-1", nil).want(400)
		h.do("GET", base+"&include_totals=yes", nil).want(400)
		h.do("GET", "/api/v2/client-grants?take=101", nil).want(400)
	})

	t.Run("delete", func(t *testing.T) {
		h.do("DELETE", "/api/v2/client-grants/"+id, nil).want(204)
		h.do("GET", "/api/v2/client-grants/"+id, nil).want(404)
	})
}
