package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
)

// cookieName is the session cookie. It is scoped to Prefix.
const cookieName = "credo_dashboard"

// maxSessions bounds the sessions held in memory (signed in or not); the
// oldest unused ones go first.
const maxSessions = 10000

// session is one browser's state on the server. Before sign-in it holds
// only the CSRF token of the sign-in forms.
type session struct {
	key     [32]byte // SHA-256 of the cookie value
	csrf    string
	created time.Time
	seen    time.Time

	mu        sync.Mutex
	principal *principal
	flash     []flash
}

// principal is who a signed-in session acts as.
type principal struct {
	// ClientID is the admin client signed in with (empty for a login link).
	ClientID string
	Name     string
	// Scopes are the scopes granted at sign-in; for a client, the scopes
	// that count are those its Management API grant still holds.
	Scopes []string
	Via    string // "client credentials" or "login link"
}

// flash is a message shown once, on the next page.
type flash struct {
	Kind    string // "ok" or "error"
	Message string
	// Secret, when set, is a value shown once (a new client secret).
	Secret string
}

func (s *session) addFlash(f flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flash) < 10 {
		s.flash = append(s.flash, f)
	}
}

func (s *session) takeFlash() []flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

type sessions struct {
	now          func() time.Time
	idle, maxAge time.Duration

	mu sync.Mutex
	m  map[[32]byte]*session
}

func newSessions(now func() time.Time, idle, maxAge time.Duration) *sessions {
	return &sessions{now: now, idle: idle, maxAge: maxAge, m: make(map[[32]byte]*session)}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a new session and returns it with its cookie value.
func (ss *sessions) create(p *principal) (*session, string) {
	id := randomToken()
	now := ss.now()
	s := &session{key: sha256.Sum256([]byte(id)), csrf: randomToken(), created: now, seen: now, principal: p}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		ss.sweepLocked(now)
		for len(ss.m) >= maxSessions {
			var oldest *session
			for _, x := range ss.m {
				if oldest == nil || x.seen.Before(oldest.seen) {
					oldest = x
				}
			}
			delete(ss.m, oldest.key)
		}
	}
	ss.m[s.key] = s
	return s, id
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) >= ss.idle || now.Sub(s.created) >= ss.maxAge
}

func (ss *sessions) sweepLocked(now time.Time) {
	for k, s := range ss.m {
		if ss.expired(s, now) {
			delete(ss.m, k)
		}
	}
}

// get returns the request's live session, touching it, or nil.
func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[key]
	if s == nil {
		return nil
	}
	if ss.expired(s, now) {
		delete(ss.m, key)
		return nil
	}
	s.seen = now
	return s
}

func (ss *sessions) remove(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s.key)
}

func (db *Dashboard) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: db.d.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// anonymous wraps the sign-in pages: they get a session (a new one when
// the browser has none) whose CSRF token their forms carry.
func (db *Dashboard) anonymous(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := db.sessions.get(r)
		if r.Method == http.MethodPost {
			if !db.checkPost(w, r, s) {
				return
			}
		} else if s == nil {
			var id string
			s, id = db.sessions.create(nil)
			db.setCookie(w, id, 0)
		}
		h(w, r, s)
	}
}

// signedIn wraps every other page: no live signed-in session redirects to
// the sign-in page; a POST must carry the session's CSRF token.
func (db *Dashboard) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := db.sessions.get(r)
		if s == nil || s.principal == nil || !db.stillAdmin(s) {
			if s != nil {
				db.sessions.remove(s)
			}
			if r.Method == http.MethodPost {
				db.renderBare(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
				return
			}
			q := url.Values{}
			if r.URL.Path != Prefix+"/" {
				q.Set("next", r.URL.RequestURI())
			}
			loc := Prefix + "/login"
			if len(q) > 0 {
				loc += "?" + q.Encode()
			}
			http.Redirect(w, r, loc, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !db.checkPost(w, r, s) {
			return
		}
		h(w, r, s)
	}
}

// stillAdmin re-checks a client session against the tenant as the
// Management API checks a token: the client and its grant to the
// Management API must still exist.
func (db *Dashboard) stillAdmin(s *session) bool {
	p := s.principal
	if p.ClientID == "" {
		return true
	}
	snap := db.d.Holder.Current()
	if _, ok := snap.Client(p.ClientID); !ok {
		return false
	}
	_, ok := snap.Grant(p.ClientID, db.audience)
	return ok
}

// checkPost refuses a POST without the session's CSRF token or from
// another origin.
func (db *Dashboard) checkPost(w http.ResponseWriter, r *http.Request, s *session) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		// The browser's origin is this host, or the issuer's behind a
		// proxy that rewrites Host.
		if err != nil || u.Host != r.Host && u.Scheme+"://"+u.Host+"/" != db.d.Issuer {
			db.renderBare(w, r, http.StatusForbidden, "This form was sent from another site and was refused.")
			return false
		}
	}
	if s == nil {
		db.renderBare(w, r, http.StatusForbidden, "Your session has ended or cookies are disabled. Reload the page and try again.")
		return false
	}
	if err := r.ParseForm(); err != nil {
		db.renderBare(w, r, http.StatusRequestEntityTooLarge, "The form could not be read: it is too large or malformed.")
		return false
	}
	tok := r.PostForm.Get("csrf")
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.csrf)) != 1 {
		db.renderBare(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Reload the page and try again.")
		return false
	}
	return true
}

// signIn replaces the session with a new signed-in one (a new id and CSRF
// token: a session id known before sign-in is worth nothing after it).
func (db *Dashboard) signIn(w http.ResponseWriter, old *session, p *principal) {
	if old != nil {
		db.sessions.remove(old)
	}
	_, id := db.sessions.create(p)
	db.setCookie(w, id, 0)
}

// mgmtPrincipal is the session's principal for the Management API: its
// scopes, less those its grant no longer holds.
func (db *Dashboard) mgmtPrincipal(s *session) mgmt.Principal {
	p := s.principal
	scopes := p.Scopes
	if p.ClientID != "" {
		scopes = nil
		if g, ok := db.d.Holder.Current().Grant(p.ClientID, db.audience); ok {
			for _, sc := range p.Scopes {
				if g.Allows(sc) {
					scopes = append(scopes, sc)
				}
			}
		}
	}
	return mgmt.Principal{ClientID: p.ClientID, Name: p.Name + " (dashboard)", Scopes: scopes}
}

// can reports whether the session holds any of the scopes.
func (db *Dashboard) can(s *session, scopes ...string) bool {
	have := db.mgmtPrincipal(s).Scopes
	for _, sc := range scopes {
		if slices.Contains(have, sc) {
			return true
		}
	}
	return false
}
