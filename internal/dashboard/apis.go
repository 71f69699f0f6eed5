package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/internal/mgmt"
)

// listAll reads every page of a Management API list (at most 5,000 items).
func listAll[T any](db *Dashboard, r *http.Request, s *session, path, key string) ([]T, *apiErr) {
	var out []T
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for pg := 0; pg < 50; pg++ {
		var body map[string]json.RawMessage
		if e := db.call(r, s, "GET", path+sep+"include_totals=true&per_page=100&page="+strconv.Itoa(pg), nil, &body); e != nil {
			return nil, e
		}
		var items []T
		if err := json.Unmarshal(body[key], &items); err != nil {
			return nil, &apiErr{Status: 500, Message: "internal error: " + err.Error()}
		}
		var total int
		json.Unmarshal(body["total"], &total)
		out = append(out, items...)
		if len(items) == 0 || len(out) >= total {
			break
		}
	}
	return out, nil
}

type apisData struct {
	APIs []mgmt.ResourceServer
	Form url.Values
}

func (db *Dashboard) apisPage(w http.ResponseWriter, r *http.Request, s *session) {
	list, e := listAll[mgmt.ResourceServer](db, r, s, "/resource-servers", "resource_servers")
	if e != nil {
		db.fail(w, r, s, "apis", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "apis", &page{Title: "APIs", Nav: "apis", Data: apisData{APIs: list}})
}

func formInt(f url.Values, name string) (int, bool) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func (db *Dashboard) createAPI(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{"name": strings.TrimSpace(f.Get("name")), "identifier": strings.TrimSpace(f.Get("identifier"))}
	if v := f.Get("signing_alg"); v != "" {
		body["signing_alg"] = v
	}
	if v := f.Get("token_dialect"); v != "" {
		body["token_dialect"] = v
	}
	if v, ok := formInt(f, "token_lifetime"); ok {
		body["token_lifetime"] = v
	} else if strings.TrimSpace(f.Get("token_lifetime")) != "" {
		db.done(w, r, s, Prefix+"/apis", "", &apiErr{Status: 400, Message: "Token Expiration must be a whole number of seconds."})
		return
	}
	var rs mgmt.ResourceServer
	if e := db.call(r, s, "POST", "/resource-servers", body, &rs); e != nil {
		db.done(w, r, s, Prefix+"/apis", "", e)
		return
	}
	db.done(w, r, s, Prefix+"/apis/"+url.PathEscape(rs.ID)+"/settings", "API "+rs.Name+" created.", nil)
}

type apiData struct {
	API  mgmt.ResourceServer
	Tab  string
	Apps []m2mApp
	// Test tab.
	Snippets []snippet
	Test     *testResult
	TestApp  string
}

// m2mApp is one row of the Machine to Machine Applications tab.
type m2mApp struct {
	Client  mgmt.Client
	Grant   *mgmt.ClientGrant
	Granted map[string]bool
}

var apiTabs = []string{"settings", "permissions", "m2m", "test"}

func (db *Dashboard) loadAPI(w http.ResponseWriter, r *http.Request, s *session, tab string) (*apiData, bool) {
	var rs mgmt.ResourceServer
	if e := db.call(r, s, "GET", "/resource-servers/"+url.PathEscape(r.PathValue("id")), nil, &rs); e != nil {
		db.fail(w, r, s, "apis", e)
		return nil, false
	}
	d := &apiData{API: rs, Tab: tab}
	if tab == "m2m" || tab == "test" {
		clients, e := listAll[mgmt.Client](db, r, s, "/clients", "clients")
		if e != nil {
			db.fail(w, r, s, "apis", e)
			return nil, false
		}
		grants, e := listAll[mgmt.ClientGrant](db, r, s, "/client-grants?audience="+url.QueryEscape(rs.Identifier), "client_grants")
		if e != nil {
			db.fail(w, r, s, "apis", e)
			return nil, false
		}
		for _, c := range clients {
			if !slices.Contains(c.GrantTypes, "client_credentials") {
				continue
			}
			a := m2mApp{Client: c, Granted: map[string]bool{}}
			for i := range grants {
				if grants[i].ClientID == c.ClientID {
					a.Grant = &grants[i]
					for _, sc := range grants[i].Scope {
						a.Granted[sc] = true
					}
				}
			}
			if tab == "test" && a.Grant == nil {
				continue
			}
			d.Apps = append(d.Apps, a)
		}
	}
	return d, true
}

func (db *Dashboard) apiPage(w http.ResponseWriter, r *http.Request, s *session) {
	tab := r.PathValue("tab")
	if !slices.Contains(apiTabs, tab) {
		db.notFound(w, r)
		return
	}
	d, ok := db.loadAPI(w, r, s, tab)
	if !ok {
		return
	}
	if tab == "test" {
		d.TestApp = r.URL.Query().Get("client_id")
		if d.TestApp == "" && len(d.Apps) > 0 {
			d.TestApp = d.Apps[0].Client.ClientID
		}
		d.Snippets = db.snippets(d.TestApp, d.API.Identifier)
	}
	db.render(w, r, s, http.StatusOK, "api", &page{Title: d.API.Name, Nav: "apis", Data: d})
}

func (db *Dashboard) apiLoc(r *http.Request, tab string) string {
	return Prefix + "/apis/" + url.PathEscape(r.PathValue("id")) + "/" + tab
}

func (db *Dashboard) updateAPI(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{"name": strings.TrimSpace(f.Get("name"))}
	for _, k := range []string{"signing_alg", "token_dialect"} {
		if v := f.Get(k); v != "" {
			body[k] = v
		}
	}
	if v, ok := formInt(f, "token_lifetime"); ok {
		body["token_lifetime"] = v
	} else {
		db.done(w, r, s, db.apiLoc(r, "settings"), "", &apiErr{Status: 400, Message: "Token Expiration must be a whole number of seconds."})
		return
	}
	e := db.call(r, s, "PATCH", "/resource-servers/"+url.PathEscape(r.PathValue("id")), body, nil)
	db.done(w, r, s, db.apiLoc(r, "settings"), "Settings saved.", e)
}

func (db *Dashboard) deleteAPI(w http.ResponseWriter, r *http.Request, s *session) {
	if e := db.call(r, s, "DELETE", "/resource-servers/"+url.PathEscape(r.PathValue("id")), nil, nil); e != nil {
		db.done(w, r, s, db.apiLoc(r, "settings"), "", e)
		return
	}
	db.done(w, r, s, Prefix+"/apis", "API deleted.", nil)
}

// setScopes replaces the API's permissions with fn's result.
func (db *Dashboard) setScopes(w http.ResponseWriter, r *http.Request, s *session, ok string, fn func([]mgmt.Scope) ([]mgmt.Scope, *apiErr)) {
	id := url.PathEscape(r.PathValue("id"))
	var rs mgmt.ResourceServer
	e := db.call(r, s, "GET", "/resource-servers/"+id, nil, &rs)
	if e == nil {
		var scopes []mgmt.Scope
		if scopes, e = fn(rs.Scopes); e == nil {
			e = db.call(r, s, "PATCH", "/resource-servers/"+id, map[string]any{"scopes": scopes}, nil)
		}
	}
	db.done(w, r, s, db.apiLoc(r, "permissions"), ok, e)
}

func (db *Dashboard) addPermission(w http.ResponseWriter, r *http.Request, s *session) {
	v, desc := strings.TrimSpace(r.PostForm.Get("value")), strings.TrimSpace(r.PostForm.Get("description"))
	db.setScopes(w, r, s, "Permission "+v+" added.", func(sc []mgmt.Scope) ([]mgmt.Scope, *apiErr) {
		if v == "" {
			return nil, &apiErr{Status: 400, Message: "Enter a permission (scope), such as read:reports."}
		}
		if slices.ContainsFunc(sc, func(x mgmt.Scope) bool { return x.Value == v }) {
			return nil, &apiErr{Status: 409, Message: "The API already has the permission " + v + "."}
		}
		return append(sc, mgmt.Scope{Value: v, Description: desc}), nil
	})
}

func (db *Dashboard) deletePermission(w http.ResponseWriter, r *http.Request, s *session) {
	v := r.PostForm.Get("value")
	db.setScopes(w, r, s, "Permission "+v+" removed.", func(sc []mgmt.Scope) ([]mgmt.Scope, *apiErr) {
		out := slices.DeleteFunc(slices.Clone(sc), func(x mgmt.Scope) bool { return x.Value == v })
		if len(out) == len(sc) {
			return nil, &apiErr{Status: 404, Message: "The API has no permission " + v + "."}
		}
		if out == nil {
			out = []mgmt.Scope{}
		}
		return out, nil
	})
}

// authorize applies one row of the Machine to Machine Applications tab:
// create, update or delete the application's grant for this API.
func (db *Dashboard) authorize(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	clientID := f.Get("client_id")
	loc := db.apiLoc(r, "m2m")
	var rs mgmt.ResourceServer
	if e := db.call(r, s, "GET", "/resource-servers/"+url.PathEscape(r.PathValue("id")), nil, &rs); e != nil {
		db.done(w, r, s, loc, "", e)
		return
	}
	grants, e := listAll[mgmt.ClientGrant](db, r, s, "/client-grants?audience="+url.QueryEscape(rs.Identifier)+"&client_id="+url.QueryEscape(clientID), "client_grants")
	if e != nil {
		db.done(w, r, s, loc, "", e)
		return
	}
	scopes := f["scope"]
	if scopes == nil {
		scopes = []string{}
	}
	on := f.Get("authorized") == "on"
	switch {
	case on && len(grants) == 0:
		e = db.call(r, s, "POST", "/client-grants", map[string]any{"client_id": clientID, "audience": rs.Identifier, "scope": scopes}, nil)
		db.done(w, r, s, loc, "Application authorized.", e)
	case on:
		e = db.call(r, s, "PATCH", "/client-grants/"+url.PathEscape(grants[0].ID), map[string]any{"scope": scopes}, nil)
		db.done(w, r, s, loc, "Permissions updated.", e)
	case len(grants) > 0:
		e = db.call(r, s, "DELETE", "/client-grants/"+url.PathEscape(grants[0].ID), nil, nil)
		db.done(w, r, s, loc, "Application unauthorized.", e)
	default:
		db.done(w, r, s, loc, "Nothing to change: the application is not authorized.", nil)
	}
}

// testResult is the outcome of the Test tab's request.
type testResult struct {
	Status   int
	Response string
	Header   string
	Claims   string
	Scope    []string
	Error    string
}

// runTest makes the token request of the Test tab against the token
// endpoint, in process, and decodes the token it returns.
func (db *Dashboard) runTest(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := db.loadAPI(w, r, s, "test")
	if !ok {
		return
	}
	f := r.PostForm
	d.TestApp = f.Get("client_id")
	d.Snippets = db.snippets(d.TestApp, d.API.Identifier)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {d.TestApp}, "client_secret": {f.Get("client_secret")}, "audience": {d.API.Identifier}}
	req := httptest.NewRequestWithContext(r.Context(), "POST", "/oauth/token", strings.NewReader(form.Encode()))
	req.Host, req.RemoteAddr = r.Host, r.RemoteAddr
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "credo-dashboard-test")
	rec := httptest.NewRecorder()
	db.d.Token.ServeHTTP(rec, req)
	res := &testResult{Status: rec.Code}
	var body map[string]any
	raw := rec.Body.Bytes()
	if json.Unmarshal(raw, &body) == nil {
		if tok, ok := body["access_token"].(string); ok {
			parts := strings.Split(tok, ".")
			if len(parts) == 3 {
				res.Header = decodeSegment(parts[0])
				res.Claims = decodeSegment(parts[1])
			}
			body["access_token"] = short(tok, 24)
		}
		if desc, ok := body["error_description"].(string); ok {
			res.Error = desc
		}
		b, _ := json.MarshalIndent(body, "", "  ")
		res.Response = string(b)
	} else {
		res.Response = string(raw)
	}
	d.Test = res
	status := http.StatusOK
	db.render(w, r, s, status, "api", &page{Title: d.API.Name, Nav: "apis", Data: d})
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decodeSegment pretty-prints a JWT segment's JSON.
func decodeSegment(seg string) string {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "(not base64url)"
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}
