package client_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
)

const mgmtToken = "mgmt-token"

// fakeMgmt is an in-memory Management API v2 that speaks Auth0's JSON shapes.
// It stores objects as JSON maps, not as the client's types, so a wrong JSON
// tag in the client shows up as a wrong field on the wire.
type fakeMgmt struct {
	*httptest.Server
	mu      sync.Mutex
	seq     int
	objects map[string]map[string]map[string]any // kind → id → object
	order   map[string][]string                  // kind → ids in creation order

	// last request, for assertions on the wire format
	method, escapedPath, rawQuery, body, userAgent string
}

func newFakeMgmt(t *testing.T) *fakeMgmt {
	t.Helper()
	f := &fakeMgmt{objects: map[string]map[string]map[string]any{}, order: map[string][]string{}}
	for _, k := range []map[string]any{
		{"kid": "k-prev", "cert": "-----BEGIN CERTIFICATE-----\nprev", "previous": true, "current_since": "2026-01-01T00:00:00Z", "current_until": "2026-06-01T00:00:00Z", "fingerprint": "AA:BB", "thumbprint": "aabb"},
		{"kid": "k-cur", "cert": "-----BEGIN CERTIFICATE-----\ncur", "pkcs7": "-----BEGIN PKCS7-----", "current": true, "current_since": "2026-06-01T00:00:00.000Z", "kty": "RSA", "algs": []string{"RS256", "PS256"}},
		{"kid": "k-next", "cert": "-----BEGIN CERTIFICATE-----\nnext", "next": true},
	} {
		f.put("keys", k["kid"].(string), k)
	}

	mux := http.NewServeMux()
	for _, kind := range []struct{ name, idField, prefix string }{
		{"clients", "client_id", "cid_"},
		{"resource-servers", "id", "rs_"},
		{"client-grants", "id", "cgr_"},
	} {
		mux.HandleFunc("GET /api/v2/"+kind.name, f.list(kind.name))
		mux.HandleFunc("POST /api/v2/"+kind.name, f.create(kind.name, kind.idField, kind.prefix))
		mux.HandleFunc("GET /api/v2/"+kind.name+"/{id}", f.get(kind.name))
		mux.HandleFunc("PATCH /api/v2/"+kind.name+"/{id}", f.patch(kind.name))
		mux.HandleFunc("DELETE /api/v2/"+kind.name+"/{id}", f.delete(kind.name))
	}
	mux.HandleFunc("POST /api/v2/clients/{id}/rotate-secret", func(w http.ResponseWriter, r *http.Request) {
		obj := f.find("clients", r.PathValue("id"))
		if obj == nil {
			notFound(w, "client")
			return
		}
		f.mu.Lock()
		f.seq++
		obj["client_secret"] = "secret-" + strconv.Itoa(f.seq)
		f.mu.Unlock()
		writeJSON(w, 200, obj)
	})
	mux.HandleFunc("GET /api/v2/keys/signing", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, f.all("keys"))
	})
	mux.HandleFunc("GET /api/v2/keys/signing/{kid}", f.get("keys"))
	mux.HandleFunc("POST /api/v2/keys/signing/rotate", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]any{"kid": "k-next", "cert": "-----BEGIN CERTIFICATE-----\nnext"})
	})
	mux.HandleFunc("PUT /api/v2/keys/signing/{kid}/revoke", func(w http.ResponseWriter, r *http.Request) {
		k := f.find("keys", r.PathValue("kid"))
		if k == nil {
			notFound(w, "signing key")
			return
		}
		writeJSON(w, 200, map[string]any{"kid": k["kid"], "cert": k["cert"]})
	})

	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.method, f.escapedPath, f.rawQuery, f.body, f.userAgent = r.Method, r.URL.EscapedPath(), r.URL.RawQuery, string(body), r.UserAgent()
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+mgmtToken {
			writeJSON(w, 401, map[string]any{"statusCode": 401, "error": "Unauthorized", "message": "Invalid token."})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// last returns the last request's method, escaped path, query and body.
func (f *fakeMgmt) last() (method, path, query, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.method, f.escapedPath, f.rawQuery, f.body
}

func (f *fakeMgmt) put(kind, id string, obj map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects[kind] == nil {
		f.objects[kind] = map[string]map[string]any{}
	}
	if _, ok := f.objects[kind][id]; !ok {
		f.order[kind] = append(f.order[kind], id)
	}
	f.objects[kind][id] = obj
}

// find looks an object up by id; resource servers also by identifier.
func (f *fakeMgmt) find(kind, id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.objects[kind][id]; ok {
		return o
	}
	if kind == "resource-servers" {
		for _, o := range f.objects[kind] {
			if o["identifier"] == id {
				return o
			}
		}
	}
	return nil
}

func (f *fakeMgmt) all(kind string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, id := range f.order[kind] {
		if o, ok := f.objects[kind][id]; ok {
			out = append(out, o)
		}
	}
	return out
}

func (f *fakeMgmt) list(kind string) http.HandlerFunc {
	key := map[string]string{"clients": "clients", "resource-servers": "resource_servers", "client-grants": "client_grants"}[kind]
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		items := []map[string]any{}
		for _, o := range f.all(kind) {
			if v := q.Get("client_id"); v != "" && o["client_id"] != v {
				continue
			}
			if v := q.Get("audience"); v != "" && o["audience"] != v {
				continue
			}
			items = append(items, o)
		}
		if q.Has("take") || q.Has("from") { // checkpoint pagination
			take, _ := strconv.Atoi(q.Get("take"))
			start := 0
			for i, o := range items {
				if o["id"] == q.Get("from") {
					start = i
				}
			}
			end := min(start+take, len(items))
			resp := map[string]any{key: items[start:end]}
			if end < len(items) {
				resp["next"] = items[end]["id"]
			}
			writeJSON(w, 200, resp)
			return
		}
		total := len(items)
		page, _ := strconv.Atoi(q.Get("page"))
		perPage := 50
		if v := q.Get("per_page"); v != "" {
			perPage, _ = strconv.Atoi(v)
		}
		start := min(page*perPage, len(items))
		items = items[start:min(start+perPage, len(items))]
		if q.Get("include_totals") == "true" {
			writeJSON(w, 200, map[string]any{"start": start, "limit": perPage, "length": len(items), "total": total, key: items})
			return
		}
		writeJSON(w, 200, items)
	}
}

func (f *fakeMgmt) create(kind, idField, prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var obj map[string]any
		if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
			writeJSON(w, 400, map[string]any{"statusCode": 400, "error": "Bad Request", "message": "Payload validation error: 'Invalid JSON'", "errorCode": "invalid_body"})
			return
		}
		if kind == "resource-servers" && f.find(kind, fmt.Sprint(obj["identifier"])) != nil {
			writeJSON(w, 409, map[string]any{"statusCode": 409, "error": "Conflict", "message": "A resource server with the same identifier already exists", "errorCode": "operation_not_supported"})
			return
		}
		f.mu.Lock()
		f.seq++
		id := prefix + strconv.Itoa(f.seq)
		if kind == "clients" {
			obj["client_secret"] = "secret-" + strconv.Itoa(f.seq)
		}
		f.mu.Unlock()
		obj[idField] = id
		obj["created_at"], obj["updated_at"] = "2026-07-01T10:00:00.000Z", "2026-07-01T10:00:00.000Z"
		f.put(kind, id, obj)
		writeJSON(w, 201, obj)
	}
}

func (f *fakeMgmt) get(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == "" {
			id = r.PathValue("kid")
		}
		obj := f.find(kind, id)
		if obj == nil {
			notFound(w, kind)
			return
		}
		writeJSON(w, 200, obj)
	}
}

func (f *fakeMgmt) patch(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		obj := f.find(kind, r.PathValue("id"))
		if obj == nil {
			notFound(w, kind)
			return
		}
		var changes map[string]any
		if err := json.NewDecoder(r.Body).Decode(&changes); err != nil {
			writeJSON(w, 400, map[string]any{"statusCode": 400, "error": "Bad Request", "message": "Invalid JSON"})
			return
		}
		f.mu.Lock()
		keys := make([]string, 0, len(changes))
		for k := range changes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			obj[k] = changes[k]
		}
		f.mu.Unlock()
		writeJSON(w, 200, obj)
	}
}

func (f *fakeMgmt) delete(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		obj := f.find(kind, r.PathValue("id"))
		if obj == nil {
			notFound(w, kind)
			return
		}
		f.mu.Lock()
		for id, o := range f.objects[kind] {
			if fmt.Sprint(o) == fmt.Sprint(obj) {
				delete(f.objects[kind], id)
			}
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

func notFound(w http.ResponseWriter, what string) {
	writeJSON(w, 404, map[string]any{"statusCode": 404, "error": "Not Found", "message": "The " + what + " does not exist", "errorCode": "inexistent_" + what})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
