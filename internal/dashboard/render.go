package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
)

// page is what every template gets.
type page struct {
	Title string
	// Nav is the sidebar entry to mark as current.
	Nav   string
	Error *apiErr
	Data  any

	// Filled by render.
	CSRF      string
	Principal *principal
	Scopes    []string
	ReadOnly  bool
	Flash     []flash
}

// apiErr is a Management API refusal, in Auth0's shape, as a page shows it.
type apiErr struct {
	Status    int    `json:"statusCode"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

func (e *apiErr) String() string {
	if e.ErrorCode != "" {
		return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.ErrorCode)
	}
	return e.Message
}

var funcs = template.FuncMap{
	"algs":  func() []string { return []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"} },
	"deref": func(p *string) string { return *p },
	"join":  strings.Join,
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"when": func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
	"pathesc": url.PathEscape,
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
	"lifetime": func(sec int) string {
		d := time.Duration(sec) * time.Second
		switch {
		case sec == 0:
			return "the API's"
		case sec%86400 == 0:
			return fmt.Sprintf("%d s (%d d)", sec, sec/86400)
		case sec%3600 == 0:
			return fmt.Sprintf("%d s (%d h)", sec, sec/3600)
		}
		return fmt.Sprintf("%d s (%s)", sec, d)
	},
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template)
	for _, e := range names {
		n := strings.TrimSuffix(e.Name(), ".html")
		if n == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[n] = t
	}
	return out, nil
}

// render writes a page: the layout around the named template.
func (db *Dashboard) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, p *page) {
	if s != nil {
		p.CSRF = s.csrf
		if s.principal != nil {
			p.Principal = s.principal
			p.Scopes = db.mgmtPrincipal(s).Scopes
			p.ReadOnly = !hasWrite(p.Scopes)
			p.Flash = s.takeFlash()
		}
	}
	var buf bytes.Buffer
	if err := db.pages[name].Execute(&buf, p); err != nil {
		db.d.Log.Error("dashboard: rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderBare writes an error page for a request that has no usable session.
func (db *Dashboard) renderBare(w http.ResponseWriter, r *http.Request, status int, msg string) {
	db.render(w, r, nil, status, "error", &page{Title: http.StatusText(status), Error: &apiErr{Status: status, Message: msg}})
}

func hasWrite(scopes []string) bool {
	for _, s := range scopes {
		if !strings.HasPrefix(s, "read:") {
			return true
		}
	}
	return false
}

// call makes a Management API request in process as the session's
// principal and decodes a 2xx answer into out (when not nil). A refusal
// comes back as the Management API's error.
func (db *Dashboard) call(r *http.Request, s *session, method, path string, body, out any) *apiErr {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &apiErr{Status: 500, Message: "internal error: " + err.Error()}
		}
		rd = bytes.NewReader(b)
	}
	ctx := mgmt.WithPrincipal(context.WithoutCancel(r.Context()), db.mgmtPrincipal(s))
	req, err := http.NewRequestWithContext(ctx, method, "/api/v2"+path, rd)
	if err != nil {
		return &apiErr{Status: 500, Message: "internal error: " + err.Error()}
	}
	req.Host, req.RemoteAddr = r.Host, r.RemoteAddr
	for _, h := range []string{"User-Agent", "Forwarded", "X-Forwarded-For"} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	db.d.Management.ServeHTTP(rec, req)
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		var e apiErr
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e = apiErr{Status: res.StatusCode, Message: strings.TrimSpace(string(data))}
		}
		if e.Status == 0 {
			e.Status = res.StatusCode
		}
		return &e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &apiErr{Status: 500, Message: "internal error: the Management API's answer could not be read: " + err.Error()}
		}
	}
	return nil
}

// done ends a POST: the outcome is flashed and the browser sent to loc
// (post/redirect/get). A Management API refusal is shown as Auth0 words it.
func (db *Dashboard) done(w http.ResponseWriter, r *http.Request, s *session, loc, ok string, e *apiErr) {
	if e != nil {
		s.addFlash(flash{Kind: "error", Message: e.String()})
	} else if ok != "" {
		s.addFlash(flash{Kind: "ok", Message: ok})
	}
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// fail renders a page that could not load its data.
func (db *Dashboard) fail(w http.ResponseWriter, r *http.Request, s *session, nav string, e *apiErr) {
	status := e.Status
	if status < 400 {
		status = 500
	}
	db.render(w, r, s, status, "error", &page{Title: "Error", Nav: nav, Error: e})
}
