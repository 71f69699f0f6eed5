package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxResponseBytes bounds a Management API response body.
const maxResponseBytes = 16 << 20

// Client calls the Management API v2 of credo (or Auth0). Its services group
// the endpoints by resource; all methods take a context and are safe for
// concurrent use.
type Client struct {
	// Clients manages applications: /api/v2/clients.
	Clients *ClientsService
	// Organizations manages organizations and their grants: /api/v2/organizations.
	Organizations *OrganizationsService
	// ResourceServers manages APIs: /api/v2/resource-servers.
	ResourceServers *ResourceServersService
	// ClientGrants manages which application may get tokens for which API:
	// /api/v2/client-grants.
	ClientGrants *ClientGrantsService
	// SigningKeys manages the tenant's token-signing keys: /api/v2/keys/signing.
	SigningKeys *SigningKeysService
	// Actions manages Actions, their deployment and their bindings to the
	// credentials-exchange trigger: /api/v2/actions.
	Actions *ActionsService
	// Hooks manages legacy hooks: /api/v2/hooks.
	Hooks *HooksService
	// Logs reads the tenant log: /api/v2/logs.
	Logs *LogsService
	// Settings reads and changes the tenant settings: /api/v2/tenants/settings.
	Settings *SettingsService

	base      string // ends in "/api/v2/"
	baseErr   error
	ts        oauth2.TokenSource
	http      *http.Client
	userAgent string
}

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient sets the HTTP client for API calls. The default has a 30 s
// timeout. Authentication is added by Client itself, so hc should be a plain
// client, not one from oauth2.NewClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of API calls.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a Management API client for the server at baseURL, e.g.
// "https://auth.example.com/" (the issuer); "/api/v2/" is appended unless
// baseURL already ends with it. Each request carries a bearer token from ts,
// typically a [TokenSource] for the audience baseURL + "api/v2/". An invalid
// baseURL is reported by every call.
func New(baseURL string, ts oauth2.TokenSource, opts ...Option) *Client {
	c := &Client{
		ts:        ts,
		http:      &http.Client{Timeout: 30 * time.Second},
		userAgent: "credo-go-client",
	}
	base := strings.TrimSuffix(baseURL, "/")
	base = strings.TrimSuffix(base, "/api/v2")
	c.base = base + "/api/v2/"
	if u, err := url.Parse(c.base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.baseErr = fmt.Errorf("client: base URL %q is not an absolute http(s) URL", baseURL)
	}
	if ts == nil {
		c.baseErr = errors.New("client: New needs a token source")
	}
	for _, o := range opts {
		o(c)
	}
	c.Clients = &ClientsService{c}
	c.ResourceServers = &ResourceServersService{c}
	c.ClientGrants = &ClientGrantsService{c}
	c.Organizations = &OrganizationsService{c}
	c.SigningKeys = &SigningKeysService{c}
	c.Actions = &ActionsService{c}
	c.Hooks = &HooksService{c}
	c.Logs = &LogsService{c}
	c.Settings = &SettingsService{c}
	return c
}

// APIError is an unsuccessful Management API response in Auth0's shape:
//
//	{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:clients","errorCode":"insufficient_scope"}
//
// StatusCode is always the HTTP status of the response.
type APIError struct {
	StatusCode int    `json:"statusCode"`
	Err        string `json:"error"`     // the status text, e.g. "Not Found"
	Message    string `json:"message"`   // human-readable detail
	ErrorCode  string `json:"errorCode"` // machine-readable code, when given
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: Management API: %d", e.StatusCode)
	if e.Err != "" {
		b.WriteString(" " + e.Err)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.ErrorCode != "" {
		b.WriteString(" (" + e.ErrorCode + ")")
	}
	return b.String()
}

// ListOptions selects a page of a list (Auth0's offset pagination).
type ListOptions struct {
	// Page is the zero-based page index.
	Page int
	// PerPage is the page size; zero leaves it to the server.
	PerPage int
	// IncludeTotals asks for the start/limit/total envelope.
	IncludeTotals bool
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if o.IncludeTotals {
		q.Set("include_totals", "true")
	}
	return q
}

// Totals is the pagination envelope Auth0 returns with include_totals=true.
// Its fields are zero when the server answered with a bare array.
type Totals struct {
	Start  int `json:"start"`
	Limit  int `json:"limit"`
	Length int `json:"length"`
	Total  int `json:"total"`
}

// path joins escaped path segments under /api/v2/. Each segment is escaped
// with url.PathEscape, so identifiers that are URLs (with "/" and ":") stay
// one segment; "." and ".." are escaped too, so they cannot act as dot-segments.
func path(segments ...string) string {
	esc := make([]string, len(segments))
	for i, s := range segments {
		switch s {
		case ".", "..":
			esc[i] = strings.Repeat("%2E", len(s))
		default:
			esc[i] = url.PathEscape(s)
		}
	}
	return strings.Join(esc, "/")
}

// do sends one request. in, when non-nil, is sent as JSON; out, when non-nil,
// receives the decoded response body.
func (c *Client) do(ctx context.Context, method, p string, q url.Values, in, out any) error {
	body, err := c.send(ctx, method, p, q, in)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("client: decoding %s %s response: %w", method, p, err)
	}
	return nil
}

// list decodes a list response that is either a bare array (into items) or
// an envelope with totals (into env, which contains items).
func (c *Client) list(ctx context.Context, p string, q url.Values, env, items any) error {
	body, err := c.send(ctx, http.MethodGet, p, q, nil)
	if err != nil {
		return err
	}
	dst := env
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '[' {
		dst = items
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return fmt.Errorf("client: decoding GET %s response: %w", p, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, p string, q url.Values, in any) ([]byte, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	u := c.base + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rb io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("client: encoding %s %s: %w", method, p, err)
		}
		rb = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rb)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, p, err)
	}
	tok, err := c.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("client: getting an access token: %w", err)
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, p, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("client: reading %s %s response: %w", method, p, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return body, nil
	}
	return nil, decodeAPIError(resp.StatusCode, body)
}

func decodeAPIError(status int, body []byte) *APIError {
	var e APIError
	if err := json.Unmarshal(body, &e); err != nil || (e.Err == "" && e.Message == "") {
		e = APIError{Message: snippet(body)}
	}
	e.StatusCode = status // the HTTP status is authoritative

	if e.Err == "" {
		e.Err = http.StatusText(status)
	}
	return &e
}
