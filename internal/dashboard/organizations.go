package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/credo-dev/credo/internal/mgmt"
)

func (db *Dashboard) organizationsPage(w http.ResponseWriter, r *http.Request, s *session) {
	list, e := listAll[mgmt.Organization](db, r, s, "/organizations", "organizations")
	if e != nil {
		db.fail(w, r, s, "organizations", e)
		return
	}
	db.render(w, r, s, http.StatusOK, "organizations", &page{Title: "Organizations", Nav: "organizations", Data: list})
}

func (db *Dashboard) createOrganization(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"name": strings.TrimSpace(r.PostForm.Get("name"))}
	if d := strings.TrimSpace(r.PostForm.Get("display_name")); d != "" {
		body["display_name"] = d
	}
	var o mgmt.Organization
	if e := db.call(r, s, "POST", "/organizations", body, &o); e != nil {
		db.done(w, r, s, Prefix+"/organizations", "", e)
		return
	}
	db.done(w, r, s, Prefix+"/organizations/"+url.PathEscape(o.ID)+"/settings", "Organization "+o.Name+" created.", nil)
}

type organizationData struct {
	Org mgmt.Organization
	Tab string
	// Machine to machine access: the associated grants, and the others
	// that could be associated, with their application and API names.
	Grants, Others []orgGrant
}

type orgGrant struct {
	Grant       mgmt.ClientGrant
	Application string
	API         string
}

var organizationTabs = []string{"settings", "m2m"}

func (db *Dashboard) organizationPage(w http.ResponseWriter, r *http.Request, s *session) {
	tab := r.PathValue("tab")
	if !slices.Contains(organizationTabs, tab) {
		db.notFound(w, r)
		return
	}
	id := url.PathEscape(r.PathValue("id"))
	d := &organizationData{Tab: tab}
	if e := db.call(r, s, "GET", "/organizations/"+id, nil, &d.Org); e != nil {
		db.fail(w, r, s, "organizations", e)
		return
	}
	if tab == "m2m" {
		assoc, e := listAll[mgmt.ClientGrant](db, r, s, "/organizations/"+id+"/client-grants", "client_grants")
		if e != nil {
			db.fail(w, r, s, "organizations", e)
			return
		}
		// Names, where the session may read them.
		apps, apis := map[string]string{}, map[string]string{}
		if cs, e := listAll[mgmt.Client](db, r, s, "/clients", "clients"); e == nil {
			for _, c := range cs {
				apps[c.ClientID] = c.Name
			}
		}
		if rs, e := listAll[mgmt.ResourceServer](db, r, s, "/resource-servers", "resource_servers"); e == nil {
			for _, a := range rs {
				apis[a.Identifier] = a.Name
			}
		}
		view := func(g mgmt.ClientGrant) orgGrant {
			return orgGrant{Grant: g, Application: apps[g.ClientID], API: apis[g.Audience]}
		}
		in := map[string]bool{}
		for _, g := range assoc {
			in[g.ID] = true
			d.Grants = append(d.Grants, view(g))
		}
		if all, e := listAll[mgmt.ClientGrant](db, r, s, "/client-grants", "client_grants"); e == nil {
			for _, g := range all {
				if !in[g.ID] && g.OrganizationUsage != "" && g.OrganizationUsage != "deny" {
					d.Others = append(d.Others, view(g))
				}
			}
		}
	}
	db.render(w, r, s, http.StatusOK, "organization", &page{Title: d.Org.DisplayName, Nav: "organizations", Data: d})
}

func (db *Dashboard) orgLoc(r *http.Request, tab string) string {
	return Prefix + "/organizations/" + url.PathEscape(r.PathValue("id")) + "/" + tab
}

func (db *Dashboard) updateOrganization(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"name": strings.TrimSpace(r.PostForm.Get("name")), "display_name": strings.TrimSpace(r.PostForm.Get("display_name"))}
	e := db.call(r, s, "PATCH", "/organizations/"+url.PathEscape(r.PathValue("id")), body, nil)
	db.done(w, r, s, db.orgLoc(r, "settings"), "Settings saved.", e)
}

func (db *Dashboard) deleteOrganization(w http.ResponseWriter, r *http.Request, s *session) {
	if e := db.call(r, s, "DELETE", "/organizations/"+url.PathEscape(r.PathValue("id")), nil, nil); e != nil {
		db.done(w, r, s, db.orgLoc(r, "settings"), "", e)
		return
	}
	db.done(w, r, s, Prefix+"/organizations", "Organization deleted.", nil)
}

func (db *Dashboard) addOrganizationGrant(w http.ResponseWriter, r *http.Request, s *session) {
	e := db.call(r, s, "POST", "/organizations/"+url.PathEscape(r.PathValue("id"))+"/client-grants", map[string]any{"grant_id": r.PostForm.Get("grant_id")}, nil)
	db.done(w, r, s, db.orgLoc(r, "m2m"), "Access added.", e)
}

func (db *Dashboard) removeOrganizationGrant(w http.ResponseWriter, r *http.Request, s *session) {
	e := db.call(r, s, "DELETE", "/organizations/"+url.PathEscape(r.PathValue("id"))+"/client-grants/"+url.PathEscape(r.PostForm.Get("grant_id")), nil, nil)
	db.done(w, r, s, db.orgLoc(r, "m2m"), "Access removed.", e)
}
