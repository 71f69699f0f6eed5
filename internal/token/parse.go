package token

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/oauth"
)

// Request is a parsed token request.
type Request struct {
	GrantType    string
	Audience     string
	Resource     string
	Scope        string
	Organization string
	// Client is what the request presents to authenticate its client.
	Client clientauth.Request
	// Body holds every body parameter except the client's credentials
	// (exposed to Actions as event.request.body).
	Body map[string]string

	seen uint16 // the known parameters seen so far, by their bit in known
}

// Limits on a token request besides oauth.MaxBodyBytes.
const (
	maxParams     = 64
	maxParamValue = 4096
)

// known parameters, each with its bit in Request.seen: each may appear at
// most once (RFC 6749 §3.2), whatever its values, empty ones included.
var known = map[string]uint16{
	"grant_type": 1 << 0, "client_id": 1 << 1, "client_secret": 1 << 2, "audience": 1 << 3, "resource": 1 << 4,
	"scope": 1 << 5, "organization": 1 << 6, "client_assertion": 1 << 7, "client_assertion_type": 1 << 8,
	"token": 1 << 9, "token_type_hint": 1 << 10, // revocation and introspection
}

// parse is the pipeline's first step: the request, its grant type and the
// caller's address.
func (e *Endpoint) parse(_ context.Context, ex *Exchange) *oauth.Error {
	ex.IP = e.IP.IP(ex.HTTP)
	req, oerr := Parse(ex.w, ex.HTTP)
	if oerr != nil {
		return oerr
	}
	ex.Request = req
	gt, ok := grantTypes[req.GrantType]
	if !ok {
		return oauth.UnsupportedGrantType(req.GrantType)
	}
	ex.GrantType = gt
	return nil
}

// Parse reads and validates a token request from r. It never panics on any input.
func Parse(w http.ResponseWriter, r *http.Request) (*Request, *oauth.Error) {
	req, oerr := parseRequest(w, r)
	if oerr != nil {
		return nil, oerr
	}
	if req.GrantType == "" {
		return nil, oauth.MissingParameter("grant_type")
	}
	return req, nil
}

// parseRequest reads a POST of form or JSON parameters with the client's
// credentials (the token, revocation and introspection endpoints').
func parseRequest(w http.ResponseWriter, r *http.Request) (*Request, *oauth.Error) {
	if r.Method != http.MethodPost {
		return nil, oauth.MethodNotAllowed()
	}
	ct := r.Header.Get("Content-Type")
	kind := "form"
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, oauth.InvalidRequest("Malformed Content-Type header")
		}
		switch mt {
		case "application/x-www-form-urlencoded":
		case "application/json":
			kind = "json"
		default:
			return nil, oauth.InvalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
		}
	}
	if r.ContentLength > oauth.MaxBodyBytes {
		return nil, oauth.TooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, oauth.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, oauth.TooLarge()
		}
		return nil, oauth.InvalidRequest("Could not read the request body")
	}
	req := &Request{}
	var perr *oauth.Error
	if kind == "json" {
		perr = parseJSON(body, req)
	} else {
		perr = parseForm(body, req)
	}
	if perr != nil {
		return nil, perr
	}
	if perr := parseBasic(r, req); perr != nil {
		return nil, perr
	}
	return req, nil
}

func (req *Request) set(k, v string) *oauth.Error {
	if req.Body == nil {
		req.Body = make(map[string]string, 8)
	}
	if bit := known[k]; bit != 0 {
		if req.seen&bit != 0 {
			return oauth.DuplicateParameter(k)
		}
		req.seen |= bit
	}
	if len(req.Body) >= maxParams {
		return oauth.InvalidRequest("Too many parameters")
	}
	if len(v) > maxParamValue && k != "client_assertion" {
		return oauth.InvalidRequest("Parameter too long: " + k)
	}
	switch k {
	case "grant_type":
		req.GrantType = v
	case "client_id":
		req.Client.ClientID = v
	case "client_secret":
		req.Client.HasPostSecret, req.Client.PostSecret = true, v
		return nil // credentials are never kept in Body
	case "client_assertion":
		req.Client.HasAssertion = true
		return nil
	case "client_assertion_type":
		req.Client.HasAssertion = true
	case "audience":
		req.Audience = v
	case "resource":
		req.Resource = v
	case "scope":
		req.Scope = v
	case "organization":
		req.Organization = v
	}
	req.Body[k] = v
	return nil
}

func parseForm(body []byte, req *Request) *oauth.Error {
	s := string(body)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := unescape(k)
		val, err2 := unescape(v)
		if err1 != nil || err2 != nil {
			return oauth.InvalidRequest("Malformed application/x-www-form-urlencoded body")
		}
		if perr := req.set(key, val); perr != nil {
			return perr
		}
	}
	return nil
}

// unescape is url.QueryUnescape without allocating when there is nothing to unescape.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

func parseJSON(body []byte, req *Request) *oauth.Error {
	bad := oauth.InvalidRequest("Malformed JSON body: expected an object of string parameters")
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return bad
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return bad
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad
		}
		var v string
		if len(raw) > 0 && raw[0] == '"' {
			if err := json.Unmarshal(raw, &v); err != nil {
				return bad
			}
		} else if known[k] != 0 {
			if string(raw) == "null" {
				continue
			}
			return oauth.InvalidRequest("Parameter " + k + " must be a string")
		} else {
			v = string(raw)
		}
		if perr := req.set(k, v); perr != nil {
			return perr
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad
	}
	return nil
}

// parseBasic reads client_secret_basic credentials. Per RFC 6749 §2.3.1 the
// id and secret are form-url-encoded before base64.
func parseBasic(r *http.Request, req *Request) *oauth.Error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil // other schemes (e.g. DPoP proofs travel elsewhere) are ignored
	}
	bad := oauth.InvalidClient().WithBasic()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(strings.TrimSpace(cred)); err != nil {
			return bad
		}
	}
	id, sec, ok := strings.Cut(string(raw), ":")
	if !ok {
		return bad
	}
	if id, err = unescape(id); err != nil || id == "" {
		return bad
	}
	if sec, err = unescape(sec); err != nil {
		return bad
	}
	if req.Client.ClientID != "" && req.Client.ClientID != id {
		return oauth.InvalidRequest("client_id in the body does not match the Authorization header")
	}
	req.Client.ClientID, req.Client.BasicSecret, req.Client.Basic = id, sec, true
	return nil
}
