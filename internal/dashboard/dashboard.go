package dashboard

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed snippets/*.txt
var snippetFS embed.FS

// Prefix is where the dashboard is mounted.
const Prefix = "/dashboard"

// Deps are the dashboard's collaborators.
type Deps struct {
	// Management is the Management API handler (mgmt.New): every page's
	// reads and writes are requests to it, served in process.
	Management http.Handler
	// Token is the token endpoint, for the Test tab's "run" button.
	Token http.Handler
	// Holder gives the snapshot the sign-in checks credentials against.
	Holder *tenant.Holder
	// Auth authenticates clients as the token endpoint does.
	Auth *clientauth.Authenticator
	// Store holds login links and the usage counters.
	Store store.Store
	// Issuer is the tenant's issuer, with its trailing slash.
	Issuer string
	// Secure marks the session cookie Secure (credo serves TLS, or sits
	// behind a TLS-terminating proxy).
	Secure bool
	// IdleTimeout ends a session unused for this long (default 15 min);
	// MaxAge ends any session this long after sign-in (default 8 h).
	IdleTimeout, MaxAge time.Duration
	// TokenLog is credo serve's --token-log (all, failures or none), which
	// the Logs page explains.
	TokenLog string
	// Usage, when set, is flushed before the usage page reads the counters.
	Usage *Usage
	// Log receives internal errors (nil: discarded).
	Log *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Dashboard is the /dashboard handler.
type Dashboard struct {
	d        Deps
	audience string
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessions
	static   http.Handler
}

// New returns the dashboard handler; mount it at Prefix and Prefix+"/".
func New(d Deps) (*Dashboard, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 15 * time.Minute
	}
	if d.MaxAge <= 0 {
		d.MaxAge = 8 * time.Hour
	}
	db := &Dashboard{d: d, audience: d.Issuer + "api/v2/", mux: http.NewServeMux()}
	db.sessions = newSessions(d.Now, d.IdleTimeout, d.MaxAge)
	var err error
	if db.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if err := loadSnippets(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	db.static = http.StripPrefix(Prefix+"/static/", http.FileServerFS(sub))
	db.routes()
	return db, nil
}

// routes is the dashboard's route table.
func (db *Dashboard) routes() {
	m := db.mux
	open := func(p string, h func(http.ResponseWriter, *http.Request, *session)) { m.HandleFunc(p, db.anonymous(h)) }
	auth := func(p string, h func(http.ResponseWriter, *http.Request, *session)) { m.HandleFunc(p, db.signedIn(h)) }

	m.Handle("GET "+Prefix+"/static/", http.HandlerFunc(db.serveStatic))
	m.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, Prefix+"/", http.StatusFound) })
	open("GET "+Prefix+"/login", db.loginPage)
	open("POST "+Prefix+"/login", db.login)
	open("GET "+Prefix+"/login-link", db.loginLinkPage)
	open("POST "+Prefix+"/login-link", db.loginLink)
	auth("POST "+Prefix+"/logout", db.logout)

	auth("GET "+Prefix+"/{$}", db.activityPage)
	auth("GET "+Prefix+"/apis", db.apisPage)
	auth("POST "+Prefix+"/apis", db.createAPI)
	auth("GET "+Prefix+"/apis/{id}/{tab}", db.apiPage)
	auth("POST "+Prefix+"/apis/{id}/settings", db.updateAPI)
	auth("POST "+Prefix+"/apis/{id}/delete", db.deleteAPI)
	auth("POST "+Prefix+"/apis/{id}/permissions", db.addPermission)
	auth("POST "+Prefix+"/apis/{id}/permissions/delete", db.deletePermission)
	auth("POST "+Prefix+"/apis/{id}/m2m", db.authorize)
	auth("POST "+Prefix+"/apis/{id}/test", db.runTest)

	auth("GET "+Prefix+"/applications", db.applicationsPage)
	auth("POST "+Prefix+"/applications", db.createApplication)
	auth("GET "+Prefix+"/applications/{id}/{tab}", db.applicationPage)
	auth("POST "+Prefix+"/applications/{id}/settings", db.updateApplication)
	auth("POST "+Prefix+"/applications/{id}/rotate-secret", db.rotateSecret)
	auth("POST "+Prefix+"/applications/{id}/delete", db.deleteApplication)

	auth("GET "+Prefix+"/organizations", db.organizationsPage)
	auth("POST "+Prefix+"/organizations", db.createOrganization)
	auth("GET "+Prefix+"/organizations/{id}/{tab}", db.organizationPage)
	auth("POST "+Prefix+"/organizations/{id}/settings", db.updateOrganization)
	auth("POST "+Prefix+"/organizations/{id}/delete", db.deleteOrganization)
	auth("POST "+Prefix+"/organizations/{id}/m2m", db.addOrganizationGrant)
	auth("POST "+Prefix+"/organizations/{id}/m2m/remove", db.removeOrganizationGrant)

	auth("GET "+Prefix+"/actions", db.actionsPage)
	auth("POST "+Prefix+"/actions", db.createAction)
	auth("POST "+Prefix+"/actions/bindings", db.setBindings)
	auth("GET "+Prefix+"/actions/{id}", db.actionPage)
	auth("POST "+Prefix+"/actions/{id}", db.updateAction)
	auth("POST "+Prefix+"/actions/{id}/deploy", db.deployAction)
	auth("POST "+Prefix+"/actions/{id}/test", db.testAction)
	auth("POST "+Prefix+"/actions/{id}/delete", db.deleteAction)

	auth("GET "+Prefix+"/keys", db.keysPage)
	auth("POST "+Prefix+"/keys/rotate", db.rotateKeys)
	auth("POST "+Prefix+"/keys/{kid}/revoke", db.revokeKey)

	auth("GET "+Prefix+"/logs", db.logsPage)
	auth("GET "+Prefix+"/logs/{id}", db.logPage)

	auth("GET "+Prefix+"/settings", db.settingsPage)
	auth("POST "+Prefix+"/settings", db.updateSettings)

	m.HandleFunc(Prefix+"/", db.notFound)
}

// maxForm bounds a form body (an Action's code is the largest field).
const maxForm = 256 << 10

func (db *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, Prefix+"/static/") {
		h.Set("Cache-Control", "no-store")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	db.mux.ServeHTTP(w, r)
}

// csp allows only the dashboard's own files: no inline script or style,
// no framing, forms posting only here.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (db *Dashboard) serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
		db.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	db.static.ServeHTTP(w, r)
}

func (db *Dashboard) notFound(w http.ResponseWriter, r *http.Request) {
	s := db.sessions.get(r)
	if s == nil || s.principal == nil {
		http.Redirect(w, r, Prefix+"/login", http.StatusFound)
		return
	}
	db.render(w, r, s, http.StatusNotFound, "error", &page{Title: "Not found", Error: &apiErr{Status: 404, Message: "There is no such page."}})
}
