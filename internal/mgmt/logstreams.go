package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// LogStreamSink is a log stream's sink in Auth0's shape. httpAuthorization
// is write-only: it is stored encrypted and never returned.
type LogStreamSink struct {
	HTTPEndpoint      *string         `json:"httpEndpoint,omitempty"`
	HTTPContentType   *string         `json:"httpContentType,omitempty"`
	HTTPContentFormat *string         `json:"httpContentFormat,omitempty"`
	HTTPAuthorization *string         `json:"httpAuthorization,omitempty"`
	HTTPCustomHeaders *[]StreamHeader `json:"httpCustomHeaders,omitempty"`
}

// StreamHeader is one custom header of an HTTP sink.
type StreamHeader struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// StreamFilter is one Auth0 log stream filter.
type StreamFilter struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// LogStreamBody is the body of POST and PATCH /log-streams. pii_config is
// accepted and ignored: credo's M2M log events carry no end user's data.
type LogStreamBody struct {
	Name       *string         `json:"name,omitempty"`
	Type       *string         `json:"type,omitempty"`   // create only
	Status     *string         `json:"status,omitempty"` // patch only
	IsPriority *bool           `json:"isPriority,omitempty"`
	Filters    *[]StreamFilter `json:"filters,omitempty"`
	PIIConfig  json.RawMessage `json:"pii_config,omitempty"`
	Sink       *LogStreamSink  `json:"sink,omitempty"`
	StartFrom  *string         `json:"startFrom,omitempty"` // create only
}

// Fields returns the service's fields.
func (b *LogStreamBody) Fields() tenant.LogStreamFields {
	f := tenant.LogStreamFields{Name: b.Name, Status: b.Status, IsPriority: b.IsPriority}
	if b.Type != nil {
		f.Type = *b.Type
	}
	if b.StartFrom != nil {
		f.StartFrom = *b.StartFrom
	}
	if b.Filters != nil {
		l := make([]store.StreamFilter, len(*b.Filters))
		for i, fl := range *b.Filters {
			l[i] = store.StreamFilter{Type: fl.Type, Name: fl.Name}
		}
		f.Filters = &l
	}
	if s := b.Sink; s != nil {
		f.HTTPEndpoint, f.HTTPContentType, f.HTTPContentFormat, f.HTTPAuthorization = s.HTTPEndpoint, s.HTTPContentType, s.HTTPContentFormat, s.HTTPAuthorization
		if s.HTTPCustomHeaders != nil {
			l := make([]store.StreamHeader, len(*s.HTTPCustomHeaders))
			for i, h := range *s.HTTPCustomHeaders {
				l[i] = store.StreamHeader{Header: h.Header, Value: h.Value}
			}
			f.HTTPCustomHeaders = &l
		}
	}
	return f
}

// LogStream is the Auth0 log stream object.
type LogStream struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Status     string         `json:"status"`
	IsPriority bool           `json:"isPriority"`
	Filters    []StreamFilter `json:"filters"`
	Sink       *LogStreamSink `json:"sink,omitempty"`
	// Credo extensions: why a suspended stream stopped, and where delivery is.
	LastError string `json:"last_error,omitempty"`
	Cursor    string `json:"last_log_id,omitempty"`
}

// LogStreamView is the API object of a stored log stream.
func LogStreamView(l store.LogStream) LogStream {
	v := LogStream{ID: l.ID, Name: l.Name, Type: l.Type, Status: l.Status, IsPriority: l.IsPriority, Filters: []StreamFilter{},
		LastError: l.LastError, Cursor: l.Cursor}
	for _, f := range l.Filters {
		v.Filters = append(v.Filters, StreamFilter{Type: f.Type, Name: f.Name})
	}
	if l.Type == tenant.StreamHTTP {
		hs := []StreamHeader{}
		for _, h := range l.HTTPCustomHeaders {
			hs = append(hs, StreamHeader{Header: h.Header, Value: h.Value})
		}
		v.Sink = &LogStreamSink{HTTPEndpoint: &l.HTTPEndpoint, HTTPContentType: &l.HTTPContentType, HTTPContentFormat: &l.HTTPContentFormat, HTTPCustomHeaders: &hs}
	}
	return v
}

func errNoLogStream() *apiError {
	return &apiError{Status: 404, Message: "The log stream does not exist", Code: "inexistent_log_stream"}
}

func logStreamErr(err error) error { return objectErr(err, errNoLogStream(), "log_stream_conflict") }

func (a *API) listLogStreams(c *call) (any, error) {
	list, err := c.st().ListLogStreams(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]LogStream, len(list))
	for i, l := range list {
		out[i] = LogStreamView(l)
	}
	return out, nil
}

func (a *API) getLogStream(c *call) (any, error) {
	l, err := c.st().GetLogStream(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, logStreamErr(err)
	}
	return LogStreamView(l), nil
}

func (a *API) createLogStream(c *call) (any, error) {
	var b LogStreamBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if err := required(prop{"type", b.Type != nil}); err != nil {
		return nil, err
	}
	l, err := c.svc().CreateLogStream(c.r.Context(), b.Fields())
	if err != nil {
		return nil, logStreamErr(err)
	}
	c.status, c.target = http.StatusCreated, l.ID
	return LogStreamView(l), nil
}

func (a *API) updateLogStream(c *call) (any, error) {
	var b LogStreamBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.Type != nil {
		return nil, errBody("Additional properties not allowed: type", "")
	}
	if b.StartFrom != nil {
		return nil, errBody("Additional properties not allowed: startFrom", "")
	}
	id := c.r.PathValue("id")
	l, err := c.svc().UpdateLogStream(c.r.Context(), id, b.Fields())
	if err != nil {
		return nil, logStreamErr(err)
	}
	c.target = id
	return LogStreamView(l), nil
}
