// Package timesheets is the HTTP handler of ExampleCo's Timesheets API, the
// resource server of Auth0's "Server Client + API" architecture scenario,
// protected by access tokens from credo (or Auth0) through the verify
// package:
//
//	POST /timesheets   requires create:timesheets; stores one entry
//	GET  /timesheets   requires read:timesheets; lists the entries
//	GET  /healthz      no token; answers 200 "ok"
//
// Entries are kept in memory. Each one records who submitted it: the token's
// sub (CLIENT_ID@clients for a client-credentials token) and client id, and
// the organization it belongs to: the token's org_id (Auth0 Organizations for
// M2M). Entries are partitioned by it: a token lists only the entries of its
// own organization (a token without org_id only those without one), so two
// customers' workers never see each other's entries.
package timesheets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/credo-dev/credo/verify"
)

// Scopes the API defines (the Auth0 scenario's). This handler enforces the
// first two; delete and approve belong to the scenario's other clients.
const (
	ScopeCreate  = "create:timesheets"
	ScopeRead    = "read:timesheets"
	ScopeDelete  = "delete:timesheets"
	ScopeApprove = "approve:timesheets"
)

// Limits on an entry.
const (
	maxBody      = 64 << 10
	maxHours     = 24
	maxNotes     = 1000
	maxFieldChar = 200
)

// NewEntry is the body of POST /timesheets: one employee's hours on a project
// for a day, as the Auth0 scenario's batch process sends them.
type NewEntry struct {
	UserID  string  `json:"user_id"`         // the employee, e.g. "007"
	Date    string  `json:"date"`            // YYYY-MM-DD
	Project string  `json:"project"`         // e.g. "StoreZero"
	Hours   float64 `json:"hours"`           // > 0 and ≤ 24
	Notes   string  `json:"notes,omitempty"` // free text
}

// Entry is a stored timesheet entry, as POST returns it and GET lists it.
type Entry struct {
	ID int `json:"id"`
	NewEntry
	Approved bool `json:"approved"`
	// SubmittedBy is the sub claim of the token that created the entry.
	SubmittedBy string `json:"submitted_by"`
	// ClientID is the application that created the entry (client_id or azp).
	ClientID string `json:"client_id"`
	// OrgID is the organization of the token that created the entry.
	OrgID     string    `json:"org_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Handler serves the Timesheets API. It is safe for concurrent use.
type Handler struct {
	mux *http.ServeMux
	now func() time.Time

	mu      sync.Mutex
	entries []Entry
}

// NewHandler returns the API with every timesheets route behind v's
// middleware. v decides which tokens are accepted (issuer, audience,
// algorithms); the handler then checks scopes.
func NewHandler(v *verify.Verifier) *Handler {
	h := &Handler{mux: http.NewServeMux(), now: time.Now}
	h.mux.Handle("POST /timesheets", v.Middleware(verify.RequireScope(ScopeCreate)(http.HandlerFunc(h.create))))
	h.mux.Handle("GET /timesheets", v.Middleware(verify.RequireScope(ScopeRead)(http.HandlerFunc(h.list))))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Entries returns a copy of the stored entries, oldest first.
func (h *Handler) Entries() []Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Entry(nil), h.entries...)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	claims, _ := verify.ClaimsFrom(r.Context()) // set: the middleware ran
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "invalid_request", "Content-Type must be application/json")
		return
	}
	var in NewEntry
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request", "body larger than 64 KiB")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_request", "body is not a timesheet entry: "+err.Error())
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_request", "body holds more than one JSON value")
		return
	}
	if err := in.validate(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_entry", err.Error())
		return
	}

	e := Entry{NewEntry: in, SubmittedBy: claims.Subject, ClientID: claims.ClientID, OrgID: claims.OrgID, CreatedAt: h.now().UTC()}
	h.mu.Lock()
	e.ID = len(h.entries) + 1
	h.entries = append(h.entries, e)
	h.mu.Unlock()

	w.Header().Set("Location", fmt.Sprintf("/timesheets/%d", e.ID))
	writeJSON(w, http.StatusCreated, e)
}

// list answers GET /timesheets with the entries of the token's
// organization, optionally filtered by ?user_id=.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	claims, _ := verify.ClaimsFrom(r.Context())
	user := r.URL.Query().Get("user_id")
	out := []Entry{}
	for _, e := range h.Entries() {
		if e.OrgID == claims.OrgID && (user == "" || e.UserID == user) {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *NewEntry) validate() error {
	e.UserID = strings.TrimSpace(e.UserID)
	e.Project = strings.TrimSpace(e.Project)
	switch {
	case e.UserID == "":
		return errors.New("user_id is required")
	case utf8.RuneCountInString(e.UserID) > maxFieldChar:
		return fmt.Errorf("user_id is longer than %d characters", maxFieldChar)
	case e.Project == "":
		return errors.New("project is required")
	case utf8.RuneCountInString(e.Project) > maxFieldChar:
		return fmt.Errorf("project is longer than %d characters", maxFieldChar)
	case !(e.Hours > 0 && e.Hours <= maxHours): // also refuses NaN
		return fmt.Errorf("hours must be more than 0 and at most %d", maxHours)
	case utf8.RuneCountInString(e.Notes) > maxNotes:
		return fmt.Errorf("notes are longer than %d characters", maxNotes)
	}
	if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
		return errors.New("date must be a calendar date as YYYY-MM-DD")
	}
	return nil
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, errorBody{Error: code, Description: desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
