package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LogEvent is Auth0's log event object (/api/v2/logs). Type is Auth0's event
// code: "seccft" (a token issued), "feccft" (a token refused), "sapi" (a
// Management API write), …
type LogEvent struct {
	LogID       string         `json:"log_id"`
	Date        *time.Time     `json:"date,omitempty"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	ClientID    string         `json:"client_id,omitempty"`
	ClientName  string         `json:"client_name,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	Hostname    string         `json:"hostname,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

// LogListOptions selects log events. Without From or Take the server pages
// by offset, newest first (ListOptions); with them it uses checkpoint
// pagination: at most Take events after the event From, oldest first; the
// offset options and Sort are then left out (the server ignores them, as
// Auth0 does).
type LogListOptions struct {
	ListOptions
	// From is the log_id after which to list (checkpoint pagination).
	From string
	// Take is the checkpoint page size.
	Take int
	// Query is a log search in Auth0's Lucene syntax (sent as q), e.g.
	// `type:feccft AND client_id:"abc"` or `date:[2026-12-01 TO *]`.
	Query string
	// Sort is "date:1" (oldest first) or "date:-1" (newest first, the
	// default) for offset pages.
	Sort string
	// Fields, when set, asks for only these fields (include them, or, with
	// ExcludeFields, leave them out).
	Fields        []string
	ExcludeFields bool
}

// values is the query of GET /api/v2/logs. Each option is one parameter, so
// that a parameter the server adds is one more line here.
func (o LogListOptions) values() url.Values {
	q := url.Values{}
	if o.From != "" || o.Take > 0 {
		if o.From != "" {
			q.Set("from", o.From)
		}
		if o.Take > 0 {
			q.Set("take", strconv.Itoa(o.Take))
		}
	} else {
		q = o.ListOptions.values()
	}
	if o.Query != "" {
		q.Set("q", o.Query)
	}
	if o.Sort != "" && o.From == "" && o.Take == 0 {
		q.Set("sort", o.Sort)
	}
	if len(o.Fields) > 0 {
		q.Set("fields", strings.Join(o.Fields, ","))
		q.Set("include_fields", strconv.FormatBool(!o.ExcludeFields))
	}
	return q
}

// LogList is one page of log events. Under checkpoint pagination the server
// answers with a bare array and Totals stay zero.
type LogList struct {
	Totals
	Logs []LogEvent `json:"logs"`
}

// LogsService reads the tenant log (/api/v2/logs).
type LogsService struct{ c *Client }

// List returns log events (GET /api/v2/logs). Scope read:logs.
func (s *LogsService) List(ctx context.Context, opts LogListOptions) (*LogList, error) {
	var out LogList
	if err := s.c.list(ctx, "logs", opts.values(), &out, &out.Logs); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one log event (GET /api/v2/logs/{id}). Scope read:logs.
func (s *LogsService) Get(ctx context.Context, id string) (*LogEvent, error) {
	var out LogEvent
	if err := s.c.do(ctx, http.MethodGet, path("logs", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
