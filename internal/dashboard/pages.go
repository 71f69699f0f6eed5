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

func (db *Dashboard) actionPage(w http.ResponseWriter, r *http.Request, s *session) {
	var a mgmt.Action
	if e := db.call(r, s, "GET", "/actions/actions/"+url.PathEscape(r.PathValue("id")), nil, &a); e != nil {
		db.fail(w, r, s, "actions", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "action", &page{Title: a.Name, Nav: "actions", Data: a})
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

// logScan is how many of the newest events the Logs page filters.
const logScan = 1000

type logsData struct {
	Events                  []mgmt.LogEvent
	Type, Client, From, To  string
	Scanned, Matched, Shown int
	Types                   []string
	Clients                 []mgmt.Client
	TokenLog                string
}

var logTypes = []string{"seccft", "feccft", "sapi", "fapi"}

func (db *Dashboard) logsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := logsData{Type: q.Get("type"), Client: q.Get("client_id"), From: q.Get("from"), To: q.Get("to"), Types: logTypes, TokenLog: db.d.TokenLog}
	var from, to time.Time
	if d.From != "" {
		t, err := time.Parse("2006-01-02", d.From)
		if err != nil {
			db.render(w, r, s, http.StatusBadRequest, "logs", &page{Title: "Logs", Nav: "logs", Error: &apiErr{Status: 400, Message: "From must be a date (YYYY-MM-DD)."}, Data: d})
			return
		}
		from = t
	}
	if d.To != "" {
		t, err := time.Parse("2006-01-02", d.To)
		if err != nil {
			db.render(w, r, s, http.StatusBadRequest, "logs", &page{Title: "Logs", Nav: "logs", Error: &apiErr{Status: 400, Message: "To must be a date (YYYY-MM-DD)."}, Data: d})
			return
		}
		to = t.Add(24 * time.Hour)
	}
	for pg := 0; pg*100 < logScan; pg++ {
		var body struct {
			Logs  []mgmt.LogEvent `json:"logs"`
			Total int             `json:"total"`
		}
		if e := db.call(r, s, "GET", "/logs?include_totals=true&per_page=100&page="+strconv.Itoa(pg), nil, &body); e != nil {
			db.fail(w, r, s, "logs", e)
			return
		}
		for _, ev := range body.Logs {
			d.Scanned++
			if d.Type != "" && ev.Type != d.Type || d.Client != "" && ev.ClientID != d.Client {
				continue
			}
			if !from.IsZero() || !to.IsZero() {
				t, err := time.Parse(time.RFC3339Nano, ev.Date)
				if err != nil || !from.IsZero() && t.Before(from) || !to.IsZero() && !t.Before(to) {
					continue
				}
			}
			d.Matched++
			if len(d.Events) < 100 {
				d.Events = append(d.Events, ev)
			}
		}
		if len(body.Logs) == 0 || (pg+1)*100 >= body.Total {
			break
		}
	}
	d.Shown = len(d.Events)
	if db.can(s, "read:clients") {
		d.Clients, _ = listAll[mgmt.Client](db, r, s, "/clients", "clients")
	}
	db.render(w, r, s, http.StatusOK, "logs", &page{Title: "Logs", Nav: "logs", Data: d})
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
