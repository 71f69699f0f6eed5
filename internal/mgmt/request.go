package mgmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// maxBody bounds every request body (1 MiB); larger bodies are 413.
const maxBody = 1 << 20

// Pagination limits (Auth0's).
const (
	defaultPerPage = 50
	maxPerPage     = 100
)

// decodeBody strictly decodes a JSON object body into dst: unknown
// properties, wrong types, trailing data and non-objects are 400
// invalid_body with Auth0's "Payload validation error" wording.
func decodeBody(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errMediaType()
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge()
		}
		return errInvalidJSON()
	}
	if len(body) > maxBody {
		return errTooLarge()
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return errBody("Expected type object but found type null", "")
	}
	if !json.Valid(body) {
		return errInvalidJSON()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errInvalidJSON()
	}
	return nil
}

// jsonError turns an encoding/json error into Auth0's validation text.
func jsonError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) { // from a field's UnmarshalJSON
		return ae
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		found, _, _ := strings.Cut(te.Value, " ") // "number 1.5" → "number"
		if found == "bool" {
			found = "boolean"
		}
		return errBody("Expected type "+jsonType(te.Type)+" but found type "+found, te.Field)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errBody("Additional properties not allowed: "+strings.Trim(name, `"`), "")
	}
	return errInvalidJSON()
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// jsonType names a Go type the way JSON Schema does.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case isInteger(t):
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "array"
	}
	return "object"
}

// query is a request's query string, checked against the names a route accepts.
type query struct{ v url.Values }

func parseQuery(r *http.Request, allowed []string) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, errQuery("Malformed query string", "")
	}
	for name, vals := range v {
		ok, multi := false, false
		for _, a := range allowed {
			if a == name || a == name+"*" {
				ok, multi = true, a != name
				break
			}
		}
		if !ok {
			return query{}, errQuery("Additional properties not allowed: "+name, "")
		}
		if len(vals) > 1 && !multi {
			return query{}, errQuery("Expected a single value but found "+strconv.Itoa(len(vals)), name)
		}
	}
	return query{v}, nil
}

func (q query) has(name string) bool { return q.v.Has(name) }

// list is every value of a parameter a route accepts repeated (named with
// a trailing * in its params), each also split at commas, without empties.
func (q query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (q query) str(name string) string { return q.v.Get(name) }

func (q query) int(name string, def, min, max int) (int, error) {
	if !q.v.Has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(q.v.Get(name))
	if err != nil {
		return 0, errQuery("Expected type integer but found type string", name)
	}
	if n < min {
		return 0, errQuery("Must be no less than "+strconv.Itoa(min), name)
	}
	if n > max {
		return 0, errQuery("Must be no greater than "+strconv.Itoa(max), name)
	}
	return n, nil
}

func (q query) bool(name string, def bool) (bool, error) {
	if !q.v.Has(name) {
		return def, nil
	}
	switch q.v.Get(name) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errQuery("Expected type boolean but found type string", name)
}

// page is offset pagination: page (from 0) of per_page entries.
type page struct {
	Page, PerPage int
	Totals        bool
}

func (p page) offset() int { return p.Page * p.PerPage }

var pageParams = []string{"page", "per_page", "include_totals"}

func (q query) page() (page, error) {
	var p page
	var err error
	if p.PerPage, err = q.int("per_page", defaultPerPage, 1, maxPerPage); err != nil {
		return p, err
	}
	if p.Page, err = q.int("page", 0, 0, 1<<20); err != nil {
		return p, err
	}
	p.Totals, err = q.bool("include_totals", false)
	return p, err
}

// fields is the fields/include_fields projection of GET responses.
type fields struct {
	names   []string
	include bool
}

var fieldParams = []string{"fields", "include_fields"}

func (q query) fields() (fields, error) {
	f := fields{include: true}
	var err error
	if f.include, err = q.bool("include_fields", true); err != nil {
		return f, err
	}
	if s := q.str("fields"); s != "" {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				f.names = append(f.names, n)
			}
		}
	}
	return f, nil
}

// apply returns v itself when no fields were named, else v's JSON object
// keeping (include) or dropping (!include) the named properties.
func (f fields) apply(v any) (any, error) {
	if len(f.names) == 0 {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, n := range f.names {
		named[n] = true
	}
	for k := range m {
		if named[k] != f.include {
			delete(m, k)
		}
	}
	return m, nil
}

func (f fields) applyAll(list []any) ([]any, error) {
	for i, v := range list {
		p, err := f.apply(v)
		if err != nil {
			return nil, err
		}
		list[i] = p
	}
	return list, nil
}

// writeJSON writes a success body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if v == nil {
		w.WriteHeader(status)
		return
	}
	b, err := marshal(v)
	if err != nil {
		writeError(w, errInternal(err))
		return
	}
	w.WriteHeader(status)
	w.Write(b)
}

// marshal encodes v as JSON followed by a newline, without HTML escaping
// (a name may hold "&"; JSON bodies are never HTML).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
