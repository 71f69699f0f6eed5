package dashboard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
)

// --- Actions ---------------------------------------------------------------

const trigger = tenant.TriggerCredentialsExchange

// actionTemplate is the code a new Action starts with (Auth0's).
const actionTemplate = `/**
* Handler that will be called during the execution of a Client Credentials exchange.
*
* @param {Event} event - Details about client credentials grant request.
* @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
*/
exports.onExecuteCredentialsExchange = async (event, api) => {
};
`

type actionsData struct {
	Actions []mgmt.Action
	Bound   []string // action ids bound to the trigger, in order
	Trigger string
}

func (db *Dashboard) loadActions(r *http.Request, s *session) (*actionsData, *apiErr) {
	d := &actionsData{Trigger: trigger}
	var list struct {
		Actions []mgmt.Action `json:"actions"`
	}
	for pg := 0; pg < 50; pg++ {
		var one struct {
			Actions []mgmt.Action `json:"actions"`
			Total   int           `json:"total"`
		}
		if e := db.call(r, s, "GET", "/actions/actions?per_page=50&page="+strconv.Itoa(pg), nil, &one); e != nil {
			return nil, e
		}
		list.Actions = append(list.Actions, one.Actions...)
		if len(one.Actions) == 0 || len(list.Actions) >= one.Total {
			break
		}
	}
	d.Actions = list.Actions
	var b struct {
		Bindings []mgmt.Binding `json:"bindings"`
	}
	if e := db.call(r, s, "GET", "/actions/triggers/"+trigger+"/bindings", nil, &b); e != nil {
		return nil, e
	}
	for _, x := range b.Bindings {
		d.Bound = append(d.Bound, x.Action.ID)
	}
	return d, nil
}

func (db *Dashboard) actionsPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, e := db.loadActions(r, s)
	if e != nil {
		db.fail(w, r, s, "actions", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "actions", &page{Title: "Actions", Nav: "actions", Data: d})
}

func (db *Dashboard) createAction(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{
		"name":               strings.TrimSpace(r.PostForm.Get("name")),
		"supported_triggers": []map[string]string{{"id": trigger, "version": "v2"}},
		"code":               actionTemplate,
	}
	var a mgmt.Action
	if e := db.call(r, s, "POST", "/actions/actions", body, &a); e != nil {
		db.done(w, r, s, Prefix+"/actions", "", e)
		return
	}
	db.done(w, r, s, Prefix+"/actions/"+url.PathEscape(a.ID), "Action "+a.Name+" created. Edit its code, then deploy it.", nil)
}

type actionData struct {
	Action mgmt.Action
	// Test run: the event sent and what the action did.
	Event  string
	Result string
	Ran    bool
}

func (db *Dashboard) actionPage(w http.ResponseWriter, r *http.Request, s *session) {
	var a mgmt.Action
	if e := db.call(r, s, "GET", "/actions/actions/"+url.PathEscape(r.PathValue("id")), nil, &a); e != nil {
		db.fail(w, r, s, "actions", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "action", &page{Title: a.Name, Nav: "actions", Data: actionData{Action: a, Event: db.sampleEvent(r, s)}})
}

// sampleEvent is a credentials-exchange event for the test run, with the
// tenant's first authorized application and its API where the session may
// read them.
func (db *Dashboard) sampleEvent(r *http.Request, s *session) string {
	ev := map[string]any{
		"client":          map[string]any{"client_id": "YOUR_CLIENT_ID", "name": "My M2M Application", "metadata": map[string]string{}},
		"resource_server": map[string]any{"identifier": "https://my-api.example.com"},
		"accessToken":     map[string]any{"scope": []string{"read:reports"}},
		"transaction":     map[string]any{"requested_scopes": []string{}},
		"request":         map[string]any{"ip": "203.0.113.7", "hostname": strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(db.d.Issuer, "https://"), "http://"), "/"), "user_agent": "curl/8.5.0", "body": map[string]string{"grant_type": "client_credentials"}},
	}
	if grants, e := listAll[mgmt.ClientGrant](db, r, s, "/client-grants", "client_grants"); e == nil {
		for _, g := range grants {
			if g.Audience == db.audience {
				continue
			}
			var c mgmt.Client
			if db.call(r, s, "GET", "/clients/"+url.PathEscape(g.ClientID), nil, &c) != nil {
				break
			}
			ev["client"] = map[string]any{"client_id": c.ClientID, "name": c.Name, "metadata": c.ClientMetadata}
			ev["resource_server"] = map[string]any{"identifier": g.Audience}
			ev["accessToken"] = map[string]any{"scope": g.Scope}
			break
		}
	}
	b, _ := json.MarshalIndent(ev, "", "  ")
	return string(b)
}

// testAction runs the action's current code on the event given, through
// the Management API's test endpoint, and shows what it did.
func (db *Dashboard) testAction(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	var a mgmt.Action
	if e := db.call(r, s, "GET", "/actions/actions/"+id, nil, &a); e != nil {
		db.fail(w, r, s, "actions", e)
		return
	}
	d := actionData{Action: a, Event: r.PostForm.Get("payload"), Ran: true}
	if !json.Valid([]byte(d.Event)) {
		db.render(w, r, s, http.StatusBadRequest, "action", &page{Title: a.Name, Nav: "actions", Data: d,
			Error: &apiErr{Status: 400, Message: "The event is not valid JSON."}})
		return
	}
	var out struct {
		Payload json.RawMessage `json:"payload"`
	}
	if e := db.call(r, s, "POST", "/actions/actions/"+id+"/test", map[string]any{"payload": json.RawMessage(d.Event)}, &out); e != nil {
		db.render(w, r, s, e.Status, "action", &page{Title: a.Name, Nav: "actions", Data: d, Error: e})
		return
	}
	var pretty any
	json.Unmarshal(out.Payload, &pretty)
	b, _ := json.MarshalIndent(pretty, "", "  ")
	d.Result = string(b)
	db.render(w, r, s, http.StatusOK, "action", &page{Title: a.Name, Nav: "actions", Data: d})
}

func (db *Dashboard) actionLoc(r *http.Request) string {
	return Prefix + "/actions/" + url.PathEscape(r.PathValue("id"))
}

func (db *Dashboard) updateAction(w http.ResponseWriter, r *http.Request, s *session) {
	code := strings.ReplaceAll(r.PostForm.Get("code"), "\r\n", "\n")
	e := db.call(r, s, "PATCH", "/actions/actions/"+url.PathEscape(r.PathValue("id")), map[string]any{"code": code}, nil)
	if e == nil && r.PostForm.Get("deploy") == "1" {
		e = db.call(r, s, "POST", "/actions/actions/"+url.PathEscape(r.PathValue("id"))+"/deploy", nil, nil)
		db.done(w, r, s, db.actionLoc(r), "Saved and deployed.", e)
		return
	}
	db.done(w, r, s, db.actionLoc(r), "Draft saved (not deployed).", e)
}

func (db *Dashboard) deployAction(w http.ResponseWriter, r *http.Request, s *session) {
	e := db.call(r, s, "POST", "/actions/actions/"+url.PathEscape(r.PathValue("id"))+"/deploy", nil, nil)
	db.done(w, r, s, db.actionLoc(r), "Deployed.", e)
}

func (db *Dashboard) deleteAction(w http.ResponseWriter, r *http.Request, s *session) {
	if e := db.call(r, s, "DELETE", "/actions/actions/"+url.PathEscape(r.PathValue("id"))+"?force=true", nil, nil); e != nil {
		db.done(w, r, s, db.actionLoc(r), "", e)
		return
	}
	db.done(w, r, s, Prefix+"/actions", "Action deleted.", nil)
}

// setBindings binds the ticked actions to the trigger: those already bound
// keep their order, new ones follow.
func (db *Dashboard) setBindings(w http.ResponseWriter, r *http.Request, s *session) {
	d, e := db.loadActions(r, s)
	if e != nil {
		db.done(w, r, s, Prefix+"/actions", "", e)
		return
	}
	want := r.PostForm["bound"]
	var ids []string
	for _, id := range d.Bound {
		if slices.Contains(want, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range want {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	refs := make([]map[string]any, len(ids))
	for i, id := range ids {
		refs[i] = map[string]any{"ref": map[string]string{"type": "action_id", "value": id}}
	}
	e = db.call(r, s, "PATCH", "/actions/triggers/"+trigger+"/bindings", map[string]any{"bindings": refs}, nil)
	db.done(w, r, s, Prefix+"/actions", "Flow updated: "+strconv.Itoa(len(ids))+" action(s) run on every token exchange.", e)
}

// --- Signing keys ----------------------------------------------------------

func (db *Dashboard) keysPage(w http.ResponseWriter, r *http.Request, s *session) {
	var list []keys.Info
	if e := db.call(r, s, "GET", "/keys/signing", nil, &list); e != nil {
		db.fail(w, r, s, "keys", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "keys", &page{Title: "Signing Keys", Nav: "keys", Data: list})
}

func (db *Dashboard) rotateKeys(w http.ResponseWriter, r *http.Request, s *session) {
	var ref mgmt.SigningKeyRef
	e := db.call(r, s, "POST", "/keys/signing/rotate", nil, &ref)
	db.done(w, r, s, Prefix+"/keys", "Keys rotated: the next keys are now current (RSA key "+ref.KID+"), the current ones previous.", e)
}

func (db *Dashboard) revokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	kid := r.PathValue("kid")
	e := db.call(r, s, "PUT", "/keys/signing/"+url.PathEscape(kid)+"/revoke", nil, nil)
	db.done(w, r, s, Prefix+"/keys", "Key "+kid+" revoked: it is no longer in the JWKS.", e)
}

// --- Logs ------------------------------------------------------------------

type logsData struct {
	Events                 []mgmt.LogEvent
	Type, Client, From, To string
	Search                 string // the free search (Auth0's log search syntax)
	Query                  string // the q sent to GET /api/v2/logs
	Total, Shown           int
	Types                  []string
	Clients                []mgmt.Client
	TokenLog               string
}

var logTypes = []string{"seccft", "feccft", "sapi", "fapi"}

// logPageSize is how many events the Logs page shows.
const logPageSize = 100

// quoteTerm quotes a value for the log search syntax.
func quoteTerm(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// logQuery builds GET /api/v2/logs's q from the page's filters.
func (d *logsData) logQuery() (string, *apiErr) {
	var terms []string
	if d.Type != "" {
		terms = append(terms, "type:"+quoteTerm(d.Type))
	}
	if d.Client != "" {
		terms = append(terms, "client_id:"+quoteTerm(d.Client))
	}
	for _, x := range []struct{ name, v string }{{"From", d.From}, {"To", d.To}} {
		if _, err := time.Parse("2006-01-02", x.v); x.v != "" && err != nil {
			return "", &apiErr{Status: 400, Message: x.name + " must be a date (YYYY-MM-DD)."}
		}
	}
	if d.From != "" || d.To != "" {
		from, to := d.From, d.To
		if from == "" {
			from = "*"
		}
		if to == "" {
			to = "*"
		}
		terms = append(terms, "date:["+from+" TO "+to+"]")
	}
	if d.Search != "" {
		terms = append(terms, "("+d.Search+")")
	}
	return strings.Join(terms, " AND "), nil
}

// logsPage filters the tenant log with the Management API's log search.
func (db *Dashboard) logsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := logsData{Type: q.Get("type"), Client: q.Get("client_id"), From: q.Get("from"), To: q.Get("to"),
		Search: strings.TrimSpace(q.Get("q")), Types: logTypes, TokenLog: db.d.TokenLog}
	if db.can(s, "read:clients") {
		d.Clients, _ = listAll[mgmt.Client](db, r, s, "/clients", "clients")
	}
	query, e := d.logQuery()
	if e == nil {
		d.Query = query
		var body struct {
			Logs  []mgmt.LogEvent `json:"logs"`
			Total int             `json:"total"`
		}
		e = db.call(r, s, "GET", "/logs?include_totals=true&per_page="+strconv.Itoa(logPageSize)+"&page=0&q="+url.QueryEscape(query), nil, &body)
		d.Events, d.Total, d.Shown = body.Logs, body.Total, len(body.Logs)
	}
	status := http.StatusOK
	if e != nil {
		status = e.Status
	}
	db.render(w, r, s, status, "logs", &page{Title: "Logs", Nav: "logs", Data: d, Error: e})
}

func (db *Dashboard) logPage(w http.ResponseWriter, r *http.Request, s *session) {
	var ev mgmt.LogEvent
	if e := db.call(r, s, "GET", "/logs/"+url.PathEscape(r.PathValue("id")), nil, &ev); e != nil {
		db.fail(w, r, s, "logs", e)
		return
	}
	raw, _ := json.MarshalIndent(ev, "", "  ")
	db.render(w, r, s, http.StatusOK, "log", &page{Title: "Log event", Nav: "logs", Data: map[string]any{"Event": ev, "Raw": string(raw)}})
}

// --- Settings --------------------------------------------------------------

type settingsData struct {
	Settings mgmt.Settings
	Issuer   string
	Audience string
	Readable bool
}

func (db *Dashboard) settingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := settingsData{Issuer: db.d.Issuer, Audience: db.audience}
	// Who is signed in is shown even to a session that may not read the
	// tenant's settings.
	e := db.call(r, s, "GET", "/tenants/settings", nil, &d.Settings)
	d.Readable = e == nil
	db.render(w, r, s, http.StatusOK, "settings", &page{Title: "Settings", Nav: "settings", Data: d, Error: e})
}

func (db *Dashboard) updateSettings(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{"flags": map[string]bool{
		"honor_scope_subset":  f.Get("honor_scope_subset") == "on",
		"auth0_compat_errors": f.Get("auth0_compat_errors") == "on",
	}}
	e := db.call(r, s, "PATCH", "/tenants/settings", body, nil)
	db.done(w, r, s, Prefix+"/settings", "Settings saved.", e)
}
