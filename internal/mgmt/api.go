package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/realip"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Deps are the Management API's collaborators.
type Deps struct {
	// Service performs every write (and holds the store for reads).
	Service *tenant.Service
	// Holder gives the current snapshot: the JWKS tokens are verified
	// with, and the callers' clients and grants.
	Holder *tenant.Holder
	// Events records fapi log events for refused writes by an
	// authenticated caller in the bounded tenant log (nil: none). A
	// successful write's sapi entry is durable instead: the write records
	// it in its own transaction (store.WithAudit).
	Events func(store.LogEvent)
	// Log receives internal errors (nil: discarded).
	Log *slog.Logger
	// Issuer is the tenant's issuer with its trailing slash; tokens must
	// carry it as iss and <Issuer>api/v2/ as aud.
	Issuer string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// IP finds the caller's address for the tenant log (nil: the TCP peer).
	IP *realip.Resolver
	// TestAction runs an Action's current code on a sample event for
	// POST /actions/actions/{id}/test (nil: that route answers 404).
	TestAction func(ctx context.Context, a store.Action, payload json.RawMessage) (any, error)
}

// API is the Management API handler.
type API struct {
	d        Deps
	audience string
	mux      *http.ServeMux
	auth     *authenticator
}

// route is one row of the route table.
type route struct {
	method, path string
	scopes       []string // any of (all of when all is set)
	all          bool
	kind         kind     // what a 404/409 is about
	event        string   // sapi description recorded after a successful write
	params       []string // accepted query parameters (name* may repeat)
	// via, when set, is the ServeMux pattern that serves this row together
	// with other rows whose paths ServeMux cannot tell apart (neither is
	// more specific): the rows are tried in table order by their own path.
	via string
	h   func(*call) (any, error)
}

// call is one request on its way through a route.
type call struct {
	api    *API
	w      http.ResponseWriter
	r      *http.Request
	q      query
	who    Principal
	status int    // success status; 200 unless the handler sets it
	target string // id of the object written, for the log event
	raw    []byte // a non-JSON body to write as is (certificate downloads)
	rawCT  string
}

const prefix = "/api/v2"

// New returns the Management API handler; mount it at /api/v2/.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a := &API{d: d, audience: d.Issuer + "api/v2/", mux: http.NewServeMux()}
	a.auth = newAuthenticator(d.Issuer, a.audience, d.Holder, d.Now)
	shared := map[string][]route{}
	var order []string
	for _, rt := range a.routes() {
		if rt.via != "" {
			k := rt.method + " " + prefix + rt.via
			if shared[k] == nil {
				order = append(order, k)
			}
			shared[k] = append(shared[k], rt)
			continue
		}
		a.mux.HandleFunc(rt.method+" "+prefix+rt.path, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, &rt) })
	}
	for _, k := range order {
		rows := shared[k]
		a.mux.HandleFunc(k, func(w http.ResponseWriter, r *http.Request) {
			for i := range rows {
				if matchPath(prefix+rows[i].path, r) {
					a.serve(w, r, &rows[i])
					return
				}
			}
			writeError(w, errRouteNotFound())
		})
	}
	a.mux.HandleFunc(prefix+"/", a.fallback)
	return a
}

// routes is THE route table of the Management API (scopes: reference §3.1).
func (a *API) routes() []route {
	listClients := append(append([]string{"app_type", "is_global", "is_first_party", "client_ids", "external_client_id", "q", "from", "take"}, pageParams...), fieldParams...)
	listGrants := append([]string{"audience", "client_id", "allow_any_organization", "from", "take", "subject_type", "default_for"}, pageParams...)
	listLogs := append(append([]string{"from", "take", "q", "search", "sort", "search_engine"}, pageParams...), fieldParams...) // search_engine (v1/v2/v3) is accepted and ignored: credo has one search
	listActions := []string{"page", "per_page", "actionName", "deployed", "triggerId", "installed"}
	listHooks := append(append([]string{"enabled", "triggerId"}, pageParams...), fieldParams...)
	listOrgs := append([]string{"from", "take", "sort"}, pageParams...)
	listOrgGrants := append([]string{"audience", "client_id", "grant_ids*"}, pageParams...)
	rts := []route{
		{method: "GET", path: "/clients", scopes: []string{"read:clients", "read:client_keys", "read:client_credentials", "read:client_summary"}, kind: kindClient, params: listClients, h: a.listClients},
		{method: "POST", path: "/clients", scopes: []string{"create:clients"}, kind: kindClient, event: "Create a client", h: a.createClient},
		{method: "GET", path: "/clients/{id}", scopes: []string{"read:clients", "read:client_keys", "read:client_credentials"}, kind: kindClient, params: fieldParams, h: a.getClient},
		{method: "PATCH", path: "/clients/{id}", scopes: []string{"update:clients", "update:client_keys"}, kind: kindClient, event: "Update a client", h: a.updateClient},
		{method: "DELETE", path: "/clients/{id}", scopes: []string{"delete:clients"}, kind: kindClient, event: "Delete a client", h: deleteByID((*tenant.Service).DeleteClient, nil)},
		{method: "POST", path: "/clients/{id}/rotate-secret", scopes: []string{"update:client_keys"}, kind: kindClient, event: "Rotate a client secret", params: []string{"grace_period"}, h: a.rotateSecret},
		{method: "POST", path: "/clients/{id}/revoke-tokens", scopes: []string{"update:client_keys"}, kind: kindClient, event: "Revoke a client's tokens", h: a.revokeTokens},

		{method: "GET", path: "/resource-servers", scopes: []string{"read:resource_servers"}, kind: kindResourceServer, params: append(append([]string{"identifiers*"}, pageParams...), fieldParams...), h: a.listResourceServers},
		{method: "POST", path: "/resource-servers", scopes: []string{"create:resource_servers"}, kind: kindResourceServer, event: "Create a resource server", h: a.createResourceServer},
		{method: "GET", path: "/resource-servers/{id}", scopes: []string{"read:resource_servers"}, kind: kindResourceServer, params: fieldParams, h: a.getResourceServer},
		{method: "PATCH", path: "/resource-servers/{id}", scopes: []string{"update:resource_servers"}, kind: kindResourceServer, event: "Update a resource server", h: a.updateResourceServer},
		{method: "DELETE", path: "/resource-servers/{id}", scopes: []string{"delete:resource_servers"}, kind: kindResourceServer, event: "Delete a resource server", h: deleteByID((*tenant.Service).DeleteResourceServer, nil)},

		{method: "GET", path: "/client-grants", scopes: []string{"read:client_grants"}, kind: kindGrant, params: listGrants, h: a.listGrants},
		{method: "POST", path: "/client-grants", scopes: []string{"create:client_grants"}, kind: kindGrant, event: "Create a client grant", h: a.createGrant},
		{method: "GET", path: "/client-grants/{id}", scopes: []string{"read:client_grants"}, kind: kindGrant, h: a.getGrant},
		{method: "PATCH", path: "/client-grants/{id}", scopes: []string{"update:client_grants"}, kind: kindGrant, event: "Update a client grant", h: a.updateGrant},
		{method: "DELETE", path: "/client-grants/{id}", scopes: []string{"delete:client_grants"}, kind: kindGrant, event: "Delete a client grant", h: deleteByID((*tenant.Service).DeleteGrant, nil)},
		{method: "GET", path: "/client-grants/{id}/organizations", scopes: []string{"read:organization_client_grants"}, kind: kindGrant, params: append([]string{"from", "take"}, pageParams...), h: a.listGrantOrganizations},

		{method: "GET", path: "/organizations", scopes: []string{"read:organizations", "read:organizations_summary"}, kind: kindOrganization, params: listOrgs, h: a.listOrganizations},
		{method: "POST", path: "/organizations", scopes: []string{"create:organizations"}, kind: kindOrganization, event: "Create an organization", h: a.createOrganization},
		{method: "GET", path: "/organizations/{id}", scopes: []string{"read:organizations"}, kind: kindOrganization, h: a.getOrganization},
		{method: "PATCH", path: "/organizations/{id}", scopes: []string{"update:organizations"}, kind: kindOrganization, event: "Update an organization", h: a.updateOrganization},
		{method: "DELETE", path: "/organizations/{id}", scopes: []string{"delete:organizations"}, kind: kindOrganization, event: "Delete an organization", h: deleteByID((*tenant.Service).DeleteOrganization, nil)},
		// ServeMux cannot tell /organizations/name/{name} from /organizations/{id}/client-grants; ids start with org_.
		{method: "GET", path: "/organizations/name/{name}", via: "/organizations/{a}/{b}", scopes: []string{"read:organizations"}, kind: kindOrganization, h: a.getOrganizationByName},
		{method: "GET", path: "/organizations/{id}/client-grants", via: "/organizations/{a}/{b}", scopes: []string{"read:organization_client_grants"}, kind: kindOrganization, params: listOrgGrants, h: a.listOrganizationGrants},
		{method: "POST", path: "/organizations/{id}/client-grants", scopes: []string{"create:organization_client_grants"}, kind: kindOrgGrant, event: "Associate a client grant with an organization", h: a.addOrganizationGrant},
		{method: "DELETE", path: "/organizations/{id}/client-grants/{grant_id}", scopes: []string{"delete:organization_client_grants"}, kind: kindOrgGrant, event: "Remove a client grant from an organization", h: a.removeOrganizationGrant},

		{method: "GET", path: "/keys/signing", scopes: []string{"read:signing_keys"}, kind: kindKey, h: a.listKeys},
		{method: "POST", path: "/keys/signing/rotate", scopes: []string{"create:signing_keys", "update:signing_keys"}, all: true, kind: kindKey, event: "Rotate the signing keys", params: []string{"key_type"}, h: a.rotateKeys},
		{method: "GET", path: "/keys/signing/{kid}", scopes: []string{"read:signing_keys"}, kind: kindKey, h: a.getKey},
		{method: "GET", path: "/keys/signing/{kid}/pem", scopes: []string{"read:signing_keys"}, kind: kindKey, h: a.keyPEM},
		{method: "GET", path: "/keys/signing/{kid}/cer", scopes: []string{"read:signing_keys"}, kind: kindKey, h: a.keyCER},
		{method: "PUT", path: "/keys/signing/{kid}/revoke", scopes: []string{"update:signing_keys"}, kind: kindKey, event: "Revoke a signing key", h: a.revokeKey},

		{method: "GET", path: "/tenants/settings", scopes: []string{"read:tenant_settings"}, params: fieldParams, h: a.getSettings},
		{method: "PATCH", path: "/tenants/settings", scopes: []string{"update:tenant_settings"}, event: "Update tenant settings", h: a.updateSettings},

		{method: "GET", path: "/logs", scopes: []string{"read:logs", "read:logs_users"}, kind: kindLog, params: listLogs, h: a.listLogs},
		{method: "GET", path: "/logs/{id}", scopes: []string{"read:logs", "read:logs_users"}, kind: kindLog, h: a.getLog},

		{method: "GET", path: "/log-streams", scopes: []string{"read:log_streams"}, h: a.listLogStreams},
		{method: "POST", path: "/log-streams", scopes: []string{"create:log_streams"}, event: "Create a log stream", h: a.createLogStream},
		{method: "GET", path: "/log-streams/{id}", scopes: []string{"read:log_streams"}, h: a.getLogStream},
		{method: "PATCH", path: "/log-streams/{id}", scopes: []string{"update:log_streams"}, event: "Update a log stream", h: a.updateLogStream},
		{method: "DELETE", path: "/log-streams/{id}", scopes: []string{"delete:log_streams"}, event: "Delete a log stream", h: deleteByID((*tenant.Service).DeleteLogStream, logStreamErr)},

		{method: "GET", path: "/actions/actions", scopes: []string{"read:actions"}, params: listActions, h: a.listActions},
		{method: "POST", path: "/actions/actions", scopes: []string{"create:actions"}, event: "Create an action", h: a.createAction},
		{method: "GET", path: "/actions/actions/{id}", scopes: []string{"read:actions"}, h: a.getAction},
		{method: "PATCH", path: "/actions/actions/{id}", scopes: []string{"update:actions"}, event: "Update an action", h: a.updateAction},
		{method: "DELETE", path: "/actions/actions/{id}", scopes: []string{"delete:actions"}, event: "Delete an action", params: []string{"force"}, h: a.deleteAction},
		{method: "POST", path: "/actions/actions/{id}/deploy", scopes: []string{"update:actions"}, event: "Deploy an action", h: a.deployAction},
		{method: "POST", path: "/actions/actions/{id}/test", scopes: []string{"create:actions"}, h: a.testAction},
		{method: "GET", path: "/actions/triggers", scopes: []string{"read:actions"}, h: a.listTriggers},
		{method: "GET", path: "/actions/triggers/{triggerId}/bindings", scopes: []string{"read:actions"}, params: []string{"page", "per_page"}, h: a.getBindings},
		{method: "PATCH", path: "/actions/triggers/{triggerId}/bindings", scopes: []string{"update:actions"}, event: "Update trigger bindings", h: a.setBindings},

		{method: "GET", path: "/hooks", scopes: []string{"read:hooks"}, params: listHooks, h: a.listHooks},
		{method: "POST", path: "/hooks", scopes: []string{"create:hooks"}, event: "Create a hook", h: a.createHook},
		{method: "GET", path: "/hooks/{id}", scopes: []string{"read:hooks"}, params: fieldParams, h: a.getHook},
		{method: "PATCH", path: "/hooks/{id}", scopes: []string{"update:hooks"}, event: "Update a hook", h: a.updateHook},
		{method: "DELETE", path: "/hooks/{id}", scopes: []string{"delete:hooks"}, event: "Delete a hook", h: deleteByID((*tenant.Service).DeleteHook, hookErr)},
		{method: "GET", path: "/hooks/{id}/secrets", scopes: []string{"read:hooks"}, h: a.getHookSecrets},
		{method: "POST", path: "/hooks/{id}/secrets", scopes: []string{"create:hooks"}, event: "Add hook secrets", h: a.addHookSecrets},
		{method: "PATCH", path: "/hooks/{id}/secrets", scopes: []string{"update:hooks"}, event: "Update hook secrets", h: a.updateHookSecrets},
		{method: "DELETE", path: "/hooks/{id}/secrets", scopes: []string{"delete:hooks"}, event: "Delete hook secrets", h: a.deleteHookSecrets},
	}
	// What an Auth0 tenant has and a machine-to-machine server does not
	// (absent.go): empty lists and neutral settings for Auth0's tools.
	return append(rts, a.absentRoutes()...)
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.d.Log.Error("panic in Management API", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, errInternal(nil))
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	a.mux.ServeHTTP(w, r)
}

// matchPath reports whether r's path matches pattern (literal segments and
// {name} wildcards) and sets the wildcards' path values.
func matchPath(pattern string, r *http.Request) bool {
	ps, rs := strings.Split(pattern, "/"), strings.Split(r.URL.EscapedPath(), "/")
	if len(ps) != len(rs) {
		return false
	}
	vals := map[string]string{}
	for i, p := range ps {
		seg, err := url.PathUnescape(rs[i])
		if err != nil {
			return false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			vals[p[1:len(p)-1]] = seg
		} else if p != seg {
			return false
		}
	}
	for k, v := range vals {
		r.SetPathValue(k, v)
	}
	return true
}

// fallback answers paths no route matches: 405 when another method would
// match, else 404.
func (a *API) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pat := a.mux.Handler(r2); pat != "" && pat != prefix+"/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		writeError(w, errMethod(strings.Join(allow, ", ")))
		return
	}
	writeError(w, errRouteNotFound())
}

// serve runs one route: authenticate, check scopes, parse the query, run
// the handler, write its result or its error, record the event.
func (a *API) serve(w http.ResponseWriter, r *http.Request, rt *route) {
	c := &call{api: a, w: w, r: r, status: http.StatusOK}
	v, err := a.run(c, rt)
	if err != nil {
		ae := toAPIError(err, rt.kind)
		if ae.Status >= 500 {
			a.d.Log.Error("Management API request failed", "method", r.Method, "path", r.URL.Path, "err", ae.cause)
		}
		writeError(w, ae)
		a.refused(c, rt, ae)
		return
	}
	if c.raw != nil {
		w.Header().Set("Content-Type", c.rawCT)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(c.status)
		w.Write(c.raw)
	} else {
		writeJSON(w, c.status, v)
	}
}

func (a *API) run(c *call, rt *route) (any, error) {
	if p, ok := principalFrom(c.r.Context()); ok {
		c.who = p
	} else {
		claims, scopes, err := a.auth.authenticate(c.r)
		if err != nil {
			return nil, err
		}
		c.who = Principal{ClientID: claims.ClientID, Scopes: scopes}
		if cl, ok := a.d.Holder.Current().Client(claims.ClientID); ok {
			c.who.Name = cl.Name
		}
	}
	if !scopeOK(c.who.Scopes, rt.scopes, rt.all) {
		return nil, errScope(rt.all, rt.scopes)
	}
	var err error
	if c.q, err = parseQuery(c.r, rt.params); err != nil {
		return nil, err
	}
	if rt.event != "" {
		c.r = c.r.WithContext(store.WithAudit(c.r.Context(), &store.Audit{Event: a.event(c, rt, "sapi", successStatus(rt))}))
	}
	return rt.h(c)
}

func scopeOK(have, want []string, all bool) bool {
	for _, s := range want {
		ok := slices.Contains(have, s)
		if ok && !all {
			return true
		}
		if !ok && all {
			return false
		}
	}
	return all
}

// LocalActor is the client_name of a local operator's audit entries when
// the caller gave no name.
const LocalActor = "local admin"

// event is the log event of a write on route rt by c's caller, answered
// with status: sapi for a write that succeeded (the durable audit entry),
// fapi for one that was refused. It carries the caller, the request line
// and its query, never a body (bodies may hold secrets).
func (a *API) event(c *call, rt *route, typ string, status int) store.LogEvent {
	now := a.d.Now().UTC()
	auth := map[string]any{"strategy": "jwt", "credentials": map[string]any{"client_id": c.who.ClientID, "scopes": c.who.Scopes}}
	name := c.who.Name
	if c.who.Local {
		if name == "" {
			name = LocalActor
		}
		auth = map[string]any{"strategy": "local", "user": map[string]any{"name": name}}
	}
	ip := a.d.IP.IP(c.r)
	query := map[string]any{}
	for k, v := range c.r.URL.Query() {
		query[k] = strings.Join(v, ",")
	}
	return store.LogEvent{
		ID:          tenant.NewLogID(now),
		Date:        now,
		Type:        typ,
		Description: rt.event,
		ClientID:    c.who.ClientID,
		ClientName:  name,
		IP:          ip,
		UserAgent:   c.r.UserAgent(),
		Hostname:    c.r.Host,
		Audience:    a.audience,
		Details: map[string]any{
			"request": map[string]any{"method": strings.ToLower(c.r.Method), "path": c.r.URL.Path, "query": query,
				"channel": "api", "ip": ip, "userAgent": c.r.UserAgent(), "auth": auth},
			"response": map[string]any{"statusCode": status},
		},
	}
}

// successStatus is the status a successful write on rt answers: 204 for a
// delete, 201 for a POST that creates, else 200.
func successStatus(rt *route) int {
	switch {
	case rt.method == "DELETE":
		return http.StatusNoContent
	case rt.method == "POST" && !strings.HasSuffix(rt.path, "/rotate-secret") && !strings.HasSuffix(rt.path, "/deploy") && !strings.HasSuffix(rt.path, "/revoke-tokens"):
		return http.StatusCreated
	}
	return http.StatusOK
}

// refused records the fapi event of a write refused to an authenticated
// caller, in the bounded tenant log.
func (a *API) refused(c *call, rt *route, ae *apiError) {
	if a.d.Events == nil || rt.event == "" || (c.who.ClientID == "" && !c.who.Local) {
		return
	}
	ev := a.event(c, rt, "fapi", ae.Status)
	ev.Details["response"] = map[string]any{"statusCode": ae.Status, "body": map[string]any{"error": http.StatusText(ae.Status), "message": ae.Message, "errorCode": ae.Code}}
	a.d.Events(ev)
}

// svc and st shorten handler code.
func (c *call) svc() *tenant.Service { return c.api.d.Service }
func (c *call) st() store.Store      { return c.api.d.Service.Store }
func (c *call) now() time.Time       { return c.api.d.Now() }

// deleteByID is the handler of a DELETE /…/{id}: 204 once del removed the
// object; del's error goes through wrap when given (an endpoint's own 404).
func deleteByID(del func(*tenant.Service, context.Context, string) error, wrap func(error) error) func(*call) (any, error) {
	return func(c *call) (any, error) {
		id := c.r.PathValue("id")
		if err := del(c.svc(), c.r.Context(), id); err != nil {
			if wrap != nil {
				err = wrap(err)
			}
			return nil, err
		}
		c.status, c.target = http.StatusNoContent, id
		return nil, nil
	}
}
