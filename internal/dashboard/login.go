package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/store"
)

// MaxLoginLinkTTL bounds how long a login link may stay valid.
const MaxLoginLinkTTL = time.Hour

// NewLoginLink stores a one-time login link for a session named name with
// the scopes, valid for ttl, and returns the URL to open. Only the token's
// SHA-256 is stored.
func NewLoginLink(ctx context.Context, st store.Store, issuer, name string, scopes []string, ttl time.Duration, now time.Time) (string, error) {
	if ttl <= 0 || ttl > MaxLoginLinkTTL {
		return "", fmt.Errorf("a login link is valid for 1s to %s, not %s", MaxLoginLinkTTL, ttl)
	}
	if len(scopes) == 0 {
		return "", errors.New("a login link needs at least one scope")
	}
	tok := randomToken()
	err := st.CreateLoginLink(ctx, store.LoginLink{
		Hash: hashToken(tok), Name: name, Scopes: scopes,
		CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(ttl),
	})
	if err != nil {
		return "", err
	}
	return issuer + strings.TrimPrefix(Prefix, "/") + "/login-link?token=" + tok, nil
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

type loginData struct {
	Next     string
	ClientID string
	Token    string
}

// safeNext keeps a post-sign-in destination only when it is a dashboard path.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/"
}

func (db *Dashboard) loginPage(w http.ResponseWriter, r *http.Request, s *session) {
	db.render(w, r, s, http.StatusOK, "login", &page{Title: "Sign in", Data: loginData{Next: r.URL.Query().Get("next")}})
}

// login signs in with an admin client's credentials, checked as the token
// endpoint checks them; the client must hold a grant for the Management
// API, whose scopes become the session's.
func (db *Dashboard) login(w http.ResponseWriter, r *http.Request, s *session) {
	id, sec := strings.TrimSpace(r.PostForm.Get("client_id")), r.PostForm.Get("client_secret")
	next := r.PostForm.Get("next")
	fail := func(status int, msg string) {
		db.render(w, r, s, status, "login", &page{Title: "Sign in", Error: &apiErr{Status: status, Message: msg}, Data: loginData{Next: next, ClientID: id}})
	}
	if id == "" || sec == "" {
		fail(http.StatusBadRequest, "Enter the Client ID and Client Secret of an application authorized for the Auth0 Management API.")
		return
	}
	snap := db.d.Holder.Current()
	c, _, err := db.d.Auth.Authenticate(r.Context(), snap, &clientauth.Request{ClientID: id, HasPostSecret: true, PostSecret: sec}, db.d.Now())
	if errors.Is(err, clientauth.ErrBusy) {
		fail(http.StatusServiceUnavailable, "The server is busy checking secrets; try again in a moment.")
		return
	}
	if err != nil {
		fail(http.StatusUnauthorized, "Wrong Client ID or Client Secret.")
		return
	}
	g, ok := snap.Grant(c.ClientID, db.audience)
	if !ok || len(g.Scopes) == 0 {
		fail(http.StatusForbidden, "This application is not authorized for the Management API ("+db.audience+"): authorize it on the API's Machine to Machine Applications tab first.")
		return
	}
	db.signIn(w, s, &principal{ClientID: c.ClientID, Name: c.Name, Scopes: slices.Clone(g.Scopes), Via: "client credentials"})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// loginLinkPage shows a button that uses the link: a GET (a link preview,
// a prefetch) never consumes it.
func (db *Dashboard) loginLinkPage(w http.ResponseWriter, r *http.Request, s *session) {
	db.render(w, r, s, http.StatusOK, "login-link", &page{Title: "Sign in with a login link", Data: loginData{Token: r.URL.Query().Get("token")}})
}

func (db *Dashboard) loginLink(w http.ResponseWriter, r *http.Request, s *session) {
	tok := r.PostForm.Get("token")
	fail := func(status int, msg string) {
		db.render(w, r, s, status, "login-link", &page{Title: "Sign in with a login link", Error: &apiErr{Status: status, Message: msg}, Data: loginData{}})
	}
	if tok == "" || len(tok) > 128 {
		fail(http.StatusBadRequest, "This login link is incomplete. Copy the whole link credo dashboard login-link printed.")
		return
	}
	l, err := db.d.Store.ConsumeLoginLink(r.Context(), hashToken(tok), db.d.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(http.StatusUnauthorized, "This login link has expired or was already used. Print a new one with credo dashboard login-link.")
		return
	case err != nil:
		db.d.Log.Error("dashboard: consuming a login link failed", "err", err)
		fail(http.StatusServiceUnavailable, "The database could not be reached; try again in a moment.")
		return
	}
	db.signIn(w, s, &principal{Name: l.Name, Scopes: l.Scopes, Via: "login link"})
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

func (db *Dashboard) logout(w http.ResponseWriter, r *http.Request, s *session) {
	db.sessions.remove(s)
	db.setCookie(w, "", -1)
	http.Redirect(w, r, Prefix+"/login?signed_out=1", http.StatusSeeOther)
}
