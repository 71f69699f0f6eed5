package tenant

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credo-dev/credo/store"
)

// Log stream types and statuses (Auth0's; stdout is a credo extension).
const (
	StreamHTTP      = "http"
	StreamStdout    = "stdout"
	StreamActive    = "active"
	StreamPaused    = "paused"
	StreamSuspended = "suspended"
)

var streamFormats = []string{"JSONARRAY", "JSONLINES", "JSONOBJECT"}

// maxStreams bounds how many log streams a tenant has (Auth0 allows a few).
const maxStreams = 10

// LogStreamFields are the writable log stream fields; nil means "not given".
type LogStreamFields struct {
	Name              *string
	Type              string // create only
	Status            *string
	IsPriority        *bool
	Filters           *[]store.StreamFilter
	HTTPEndpoint      *string
	HTTPContentType   *string
	HTTPContentFormat *string
	HTTPAuthorization *string
	HTTPCustomHeaders *[]store.StreamHeader
	// StartFrom, on create, is the log id after which delivery starts
	// (default: the stream's creation, as at Auth0).
	StartFrom string
}

func (f *LogStreamFields) apply(l *store.LogStream, s *Service) error {
	if f.Name != nil {
		if err := checkName("name", *f.Name); err != nil {
			return err
		}
		l.Name = *f.Name
	}
	if f.Status != nil {
		if *f.Status != StreamActive && *f.Status != StreamPaused {
			return invalid("status", "must be active or paused (credo suspends a failing stream itself)")
		}
		if *f.Status != l.Status {
			l.Status, l.LastError, l.FailingSince = *f.Status, "", time.Time{}
		}
	}
	if f.IsPriority != nil {
		l.IsPriority = *f.IsPriority
	}
	if f.Filters != nil {
		if len(*f.Filters) > 30 {
			return invalid("filters", "at most 30 filters")
		}
		for _, fl := range *f.Filters {
			if fl.Type != "category" || fl.Name == "" || len(fl.Name) > 100 {
				return invalid("filters", `each filter is {"type":"category","name":"<category>"}`)
			}
		}
		l.Filters = slices.Clone(*f.Filters)
	}
	if l.Type == StreamStdout && (f.HTTPEndpoint != nil || f.HTTPAuthorization != nil || f.HTTPContentType != nil || f.HTTPContentFormat != nil || f.HTTPCustomHeaders != nil) {
		return invalid("sink", "a stdout stream has no sink settings")
	}
	if f.HTTPEndpoint != nil {
		u, err := url.Parse(*f.HTTPEndpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*f.HTTPEndpoint) > 2048 {
			return invalid("sink.httpEndpoint", "must be an absolute http(s) URL")
		}
		if err := s.StreamNetworks.checkEndpointHost(u.Hostname()); err != nil {
			return invalid("sink.httpEndpoint", "%s", err.Error())
		}
		l.HTTPEndpoint = *f.HTTPEndpoint
	}
	if f.HTTPContentType != nil {
		if len(*f.HTTPContentType) > 255 || strings.ContainsAny(*f.HTTPContentType, "\r\n") {
			return invalid("sink.httpContentType", "must be a media type")
		}
		l.HTTPContentType = *f.HTTPContentType
	}
	if f.HTTPContentFormat != nil {
		if !slices.Contains(streamFormats, *f.HTTPContentFormat) {
			return invalid("sink.httpContentFormat", "must be one of %s", strings.Join(streamFormats, ", "))
		}
		l.HTTPContentFormat = *f.HTTPContentFormat
	}
	if f.HTTPAuthorization != nil {
		v := *f.HTTPAuthorization
		if len(v) > 4096 || strings.ContainsAny(v, "\r\n") || !utf8.ValidString(v) {
			return invalid("sink.httpAuthorization", "must be a header value of at most 4096 characters")
		}
		l.HTTPAuthorization = ""
		if v != "" {
			sealed, err := s.Master.SealString(v, "log-stream-authorization:"+l.ID)
			if err != nil {
				return err
			}
			l.HTTPAuthorization = sealed
		}
	}
	if f.HTTPCustomHeaders != nil {
		if len(*f.HTTPCustomHeaders) > 20 {
			return invalid("sink.httpCustomHeaders", "at most 20 headers")
		}
		for _, h := range *f.HTTPCustomHeaders {
			if h.Header == "" || len(h.Header) > 255 || len(h.Value) > 4096 || strings.ContainsAny(h.Header+h.Value, "\r\n") ||
				strings.ContainsAny(h.Header, " :") || strings.EqualFold(h.Header, "Authorization") || http.CanonicalHeaderKey(h.Header) == "Content-Length" {
				return invalid("sink.httpCustomHeaders", "invalid header %q (Authorization goes in httpAuthorization)", h.Header)
			}
		}
		l.HTTPCustomHeaders = slices.Clone(*f.HTTPCustomHeaders)
	}
	return nil
}

// StreamAuthorization opens a stream's sealed Authorization header value.
func (s *Service) StreamAuthorization(l store.LogStream) (string, error) {
	if l.HTTPAuthorization == "" {
		return "", nil
	}
	return s.Master.OpenString(l.HTTPAuthorization, "log-stream-authorization:"+l.ID)
}

// CreateLogStream validates and creates a log stream, delivering the events
// logged after now (or after f.StartFrom).
func (s *Service) CreateLogStream(ctx context.Context, f LogStreamFields) (store.LogStream, error) {
	if f.Type != StreamHTTP && f.Type != StreamStdout {
		return store.LogStream{}, invalid("type", "must be http or stdout (credo delivers no other sink)")
	}
	list, err := s.Store.ListLogStreams(ctx)
	if err != nil {
		return store.LogStream{}, err
	}
	if len(list) >= maxStreams {
		return store.LogStream{}, invalid("", "a tenant has at most %d log streams", maxStreams)
	}
	now := s.now()
	l := store.LogStream{ID: "lst_" + randomID(16), Type: f.Type, Status: StreamActive, Name: f.Type,
		Filters: []store.StreamFilter{}, CreatedAt: now, UpdatedAt: now, Cursor: NewLogID(now)}
	if f.Type == StreamHTTP {
		l.HTTPContentType, l.HTTPContentFormat = "application/json", "JSONARRAY"
		if f.HTTPEndpoint == nil {
			return store.LogStream{}, invalid("sink.httpEndpoint", "is required")
		}
	}
	if f.StartFrom != "" {
		if len(f.StartFrom) > 64 {
			return store.LogStream{}, invalid("startFrom", "must be a log id")
		}
		l.Cursor = f.StartFrom
	}
	if f.Status != nil {
		return store.LogStream{}, invalid("status", "cannot be set on create")
	}
	if err := f.apply(&l, s); err != nil {
		return store.LogStream{}, err
	}
	if err := s.Store.CreateLogStream(ctx, l); err != nil {
		return store.LogStream{}, err
	}
	return l, nil
}

// UpdateLogStream patches a log stream; setting status active again resumes
// a paused or suspended stream where it stopped.
func (s *Service) UpdateLogStream(ctx context.Context, id string, f LogStreamFields) (store.LogStream, error) {
	return s.Store.UpdateLogStream(ctx, id, func(l *store.LogStream) error {
		if err := f.apply(l, s); err != nil {
			return err
		}
		l.UpdatedAt = s.now()
		return nil
	})
}

// DeleteLogStream deletes a log stream.
func (s *Service) DeleteLogStream(ctx context.Context, id string) error {
	return s.Store.DeleteLogStream(ctx, id)
}
