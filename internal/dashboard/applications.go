package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/internal/mgmt"
)

func (db *Dashboard) applicationsPage(w http.ResponseWriter, r *http.Request, s *session) {
	list, e := listAll[mgmt.Client](db, r, s, "/clients", "clients")
	if e != nil {
		db.fail(w, r, s, "applications", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "applications", &page{Title: "Applications", Nav: "applications", Data: list})
}

// createApplication creates a Machine to Machine application; its secret
// is shown once, on the next page.
func (db *Dashboard) createApplication(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{
		"name":        strings.TrimSpace(r.PostForm.Get("name")),
		"app_type":    "non_interactive",
		"grant_types": []string{"client_credentials"},
	}
	if d := strings.TrimSpace(r.PostForm.Get("description")); d != "" {
		body["description"] = d
	}
	var c mgmt.Client
	if e := db.call(r, s, "POST", "/clients", body, &c); e != nil {
		db.done(w, r, s, Prefix+"/applications", "", e)
		return
	}
	s.addFlash(flash{Kind: "ok", Message: "Application " + c.Name + " created. Copy its Client Secret now: it is shown only once.", Secret: c.ClientSecret})
	http.Redirect(w, r, Prefix+"/applications/"+url.PathEscape(c.ClientID)+"/settings", http.StatusSeeOther)
}

type applicationData struct {
	Client mgmt.Client
	Tab    string
	// APIs tab: every API but the ones a client cannot be granted, with
	// the client's grant when it has one.
	APIs []appAPI
}

type appAPI struct {
	API   mgmt.ResourceServer
	Grant *mgmt.ClientGrant
}

var applicationTabs = []string{"settings", "credentials", "apis"}

func (db *Dashboard) applicationPage(w http.ResponseWriter, r *http.Request, s *session) {
	tab := r.PathValue("tab")
	if !slices.Contains(applicationTabs, tab) {
		db.notFound(w, r)
		return
	}
	id := r.PathValue("id")
	d := &applicationData{Tab: tab}
	if e := db.call(r, s, "GET", "/clients/"+url.PathEscape(id), nil, &d.Client); e != nil {
		db.fail(w, r, s, "applications", e)
		return
	}
	if tab == "apis" {
		apis, e := listAll[mgmt.ResourceServer](db, r, s, "/resource-servers", "resource_servers")
		if e != nil {
			db.fail(w, r, s, "applications", e)
			return
		}
		grants, e := listAll[mgmt.ClientGrant](db, r, s, "/client-grants?client_id="+url.QueryEscape(id), "client_grants")
		if e != nil {
			db.fail(w, r, s, "applications", e)
			return
		}
		for _, a := range apis {
			x := appAPI{API: a}
			for i := range grants {
				if grants[i].Audience == a.Identifier {
					x.Grant = &grants[i]
				}
			}
			d.APIs = append(d.APIs, x)
		}
	}
	db.render(w, r, s, http.StatusOK, "application", &page{Title: d.Client.Name, Nav: "applications", Data: d})
}

func (db *Dashboard) appLoc(r *http.Request, tab string) string {
	return Prefix + "/applications/" + url.PathEscape(r.PathValue("id")) + "/" + tab
}

func (db *Dashboard) updateApplication(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{"name": strings.TrimSpace(f.Get("name")), "description": strings.TrimSpace(f.Get("description"))}
	if v := f.Get("token_endpoint_auth_method"); v != "" {
		body["token_endpoint_auth_method"] = v
	}
	if strings.TrimSpace(f.Get("token_lifetime")) != "" {
		n, ok := formInt(f, "token_lifetime")
		if !ok {
			db.done(w, r, s, db.appLoc(r, "settings"), "", &apiErr{Status: 400, Message: "Token lifetime must be a whole number of seconds (0: the API's)."})
			return
		}
		body["token_lifetime"] = n
	}
	e := db.call(r, s, "PATCH", "/clients/"+url.PathEscape(r.PathValue("id")), body, nil)
	db.done(w, r, s, db.appLoc(r, "settings"), "Settings saved.", e)
}

// rotateSecret rotates the client secret, keeping the previous one valid
// for the grace period chosen (the Management API's grace_period).
func (db *Dashboard) rotateSecret(w http.ResponseWriter, r *http.Request, s *session) {
	grace := strings.TrimSpace(r.PostForm.Get("grace_period"))
	if grace == "" {
		grace = "0"
	}
	if _, err := strconv.Atoi(grace); err != nil {
		db.done(w, r, s, db.appLoc(r, "credentials"), "", &apiErr{Status: 400, Message: "The grace period must be a whole number of seconds."})
		return
	}
	var c mgmt.Client
	if e := db.call(r, s, "POST", "/clients/"+url.PathEscape(r.PathValue("id"))+"/rotate-secret?grace_period="+grace, nil, &c); e != nil {
		db.done(w, r, s, db.appLoc(r, "credentials"), "", e)
		return
	}
	msg := "Secret rotated; the previous secret stopped working."
	if c.PreviousSecretExpiresAt != "" {
		msg = "Secret rotated; the previous secret keeps working until " + funcs["when"].(func(string) string)(c.PreviousSecretExpiresAt) + "."
	}
	s.addFlash(flash{Kind: "ok", Message: msg + " Copy the new Client Secret now: it is shown only once.", Secret: c.ClientSecret})
	http.Redirect(w, r, db.appLoc(r, "credentials"), http.StatusSeeOther)
}

func (db *Dashboard) deleteApplication(w http.ResponseWriter, r *http.Request, s *session) {
	if e := db.call(r, s, "DELETE", "/clients/"+url.PathEscape(r.PathValue("id")), nil, nil); e != nil {
		db.done(w, r, s, db.appLoc(r, "settings"), "", e)
		return
	}
	db.done(w, r, s, Prefix+"/applications", "Application deleted.", nil)
}
