package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// AuthStyle is how the client authenticates to the token endpoint
// (RFC 6749 §2.3.1).
type AuthStyle string

// Client authentication styles. The zero value means AuthStylePost, Auth0's
// default for machine-to-machine applications.
const (
	// AuthStylePost sends client_id and client_secret in the form body
	// (client_secret_post).
	AuthStylePost AuthStyle = "client_secret_post"
	// AuthStyleBasic sends them in an HTTP Basic Authorization header, each
	// form-urlencoded first as RFC 6749 §2.3.1 requires (client_secret_basic).
	AuthStyleBasic AuthStyle = "client_secret_basic"
)

// Token-source defaults.
const (
	// DefaultMaxAttempts is the number of token requests TokenSource makes
	// for one token when the server answers 429 or 5xx or the connection fails.
	DefaultMaxAttempts = 3
	// MinRefreshBefore is the floor of the default refresh margin.
	MinRefreshBefore = 30 * time.Second
	// MaxRetryWait is the longest wait between attempts; a Retry-After beyond
	// it ends the retries and the error reports it in TokenError.RetryAfter.
	MaxRetryWait = 30 * time.Second
)

// ClientCredentials configures [TokenSource]: an OAuth 2.0 Client Credentials
// grant (RFC 6749 §4.4) in Auth0's form, which names the API by audience.
type ClientCredentials struct {
	// TokenURL is the token endpoint, e.g. "https://auth.example.com/oauth/token".
	TokenURL string
	// Issuer, used when TokenURL is empty, is the authorization server's
	// issuer (or Auth0 domain as a URL); the token endpoint is
	// Issuer + "oauth/token".
	Issuer string

	ClientID     string
	ClientSecret string
	// Audience is the API identifier the token is for (sent as audience).
	Audience string
	// Scope, when non-empty, is sent space-separated. Auth0 ignores it and
	// grants every scope of the client grant; credo can narrow to it.
	Scope []string
	// Organization, when set, is sent as organization (an org ID or name).
	Organization string
	// AuthStyle selects client_secret_post (the default) or client_secret_basic.
	AuthStyle AuthStyle

	// HTTPClient sends the token requests. Default: the *http.Client in the
	// context under oauth2.HTTPClient, else a client with a 30 s timeout.
	HTTPClient *http.Client
	// RefreshBefore is how long before expiry a cached token is replaced.
	// Default: 10% of the token's lifetime, at least MinRefreshBefore. It is
	// never more than half the lifetime, and each refresh time is moved
	// earlier by a random jitter of up to a quarter of it.
	RefreshBefore time.Duration
	// MaxAttempts bounds the requests per token. Zero means DefaultMaxAttempts;
	// 1 disables retries.
	MaxAttempts int
	// Now is the clock for expiry and refresh decisions. Default time.Now.
	Now func() time.Time
}

// TokenError is an unsuccessful answer from the token endpoint, carrying the
// OAuth error (RFC 6749 §5.2).
type TokenError struct {
	StatusCode  int    // HTTP status
	Code        string // "error", e.g. invalid_client, access_denied
	Description string // "error_description", or the start of a non-JSON body
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: token endpoint: HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

func (e *TokenError) retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// TokenSource returns an [oauth2.TokenSource] that gets tokens with the
// client credentials in cfg and caches them.
//
// A cached token is returned until its refresh time (see
// ClientCredentials.RefreshBefore). The first caller after that fetches a new
// one while concurrent callers keep getting the cached token; once the token
// has expired (or there is none), concurrent callers wait for one shared
// request. If a refresh fails while the cached token is still valid, the cached
// token is returned and the refresh is retried after half the remaining
// lifetime. Answers 429 and 5xx and connection failures are retried up to
// MaxAttempts, waiting for Retry-After (RFC 9110 §10.2.3) or an exponential
// backoff; other failures are returned as a [*TokenError].
//
// ctx is used for every token request for the life of the source; when it is
// done, Token fails.
//
// Returned tokens carry their real Expiry and, through Extra, the response's
// other fields (such as "scope"). Note that [oauth2.NewClient] wraps sources in
// its own cache that asks again only 10 s before expiry, so early refresh
// happens only if you use the source directly, e.g. in an [oauth2.Transport].
func TokenSource(ctx context.Context, cfg ClientCredentials) oauth2.TokenSource {
	ts := &tokenSource{ctx: ctx, cfg: cfg, now: cfg.Now, sleep: sleepCtx, jitter: rand.Int64N}
	ts.cfg.Scope = append([]string(nil), cfg.Scope...)
	if ts.now == nil {
		ts.now = time.Now
	}
	ts.tokenURL = cfg.TokenURL
	if ts.tokenURL == "" && cfg.Issuer != "" {
		ts.tokenURL = strings.TrimSuffix(cfg.Issuer, "/") + "/oauth/token"
	}
	switch {
	case ts.tokenURL == "":
		ts.cfgErr = errors.New("client: ClientCredentials needs TokenURL or Issuer")
	case cfg.ClientID == "":
		ts.cfgErr = errors.New("client: ClientCredentials.ClientID is required")
	case cfg.AuthStyle != "" && cfg.AuthStyle != AuthStylePost && cfg.AuthStyle != AuthStyleBasic:
		ts.cfgErr = fmt.Errorf("client: unknown AuthStyle %q", cfg.AuthStyle)
	case cfg.RefreshBefore < 0 || cfg.MaxAttempts < 0:
		ts.cfgErr = errors.New("client: RefreshBefore and MaxAttempts must not be negative")
	}
	if u, err := url.Parse(ts.tokenURL); ts.cfgErr == nil && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		ts.cfgErr = fmt.Errorf("client: token URL %q is not an absolute http(s) URL", ts.tokenURL)
	}
	ts.client = cfg.HTTPClient
	if ts.client == nil {
		if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
			ts.client = c
		} else {
			ts.client = &http.Client{Timeout: 30 * time.Second}
		}
	}
	ts.attempts = cfg.MaxAttempts
	if ts.attempts == 0 {
		ts.attempts = DefaultMaxAttempts
	}
	return ts
}

type tokenSource struct {
	ctx      context.Context
	cfg      ClientCredentials
	tokenURL string
	cfgErr   error
	client   *http.Client
	attempts int
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	jitter   func(n int64) int64 // uniform in [0, n)

	mu        sync.Mutex
	tok       *oauth2.Token // cached; nil when none or not cacheable
	refreshAt time.Time
	inflight  *tokenCall
}

type tokenCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// Token returns a valid token, from the cache when it is not due for refresh.
func (ts *tokenSource) Token() (*oauth2.Token, error) {
	if ts.cfgErr != nil {
		return nil, ts.cfgErr
	}
	now := ts.now()
	ts.mu.Lock()
	if ts.tok != nil && now.Before(ts.refreshAt) {
		tok := ts.tok
		ts.mu.Unlock()
		return copyToken(tok), nil
	}
	old := ts.tok
	valid := old != nil && now.Before(old.Expiry)
	if call := ts.inflight; call != nil {
		ts.mu.Unlock()
		if valid {
			return copyToken(old), nil // someone is refreshing; this one still works
		}
		<-call.done
		if call.err != nil {
			return nil, call.err
		}
		return copyToken(call.tok), nil
	}
	call := &tokenCall{done: make(chan struct{})}
	ts.inflight = call
	ts.mu.Unlock()

	tok, refreshAt, err := ts.fetch()

	ts.mu.Lock()
	ts.inflight = nil
	switch {
	case err == nil:
		if tok.Expiry.IsZero() {
			ts.tok = nil // no expires_in: not cacheable
		} else {
			ts.tok, ts.refreshAt = tok, refreshAt
		}
	case valid && ts.now().Before(old.Expiry):
		// Keep serving the still-valid token; try again halfway to expiry.
		now := ts.now()
		ts.refreshAt = now.Add(old.Expiry.Sub(now) / 2)
		tok, err = old, nil
	}
	call.tok, call.err = tok, err
	close(call.done)
	ts.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return copyToken(tok), nil
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

// fetch requests a token, retrying as documented on TokenSource, and returns
// it with its refresh time.
func (ts *tokenSource) fetch() (*oauth2.Token, time.Time, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		sent := ts.now()
		tok, err := ts.request()
		if err == nil {
			return tok, ts.refreshTime(sent, tok), nil
		}
		lastErr = err
		if cerr := ts.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// Done between the answer and the retry decision: report both.
			return nil, time.Time{}, fmt.Errorf("client: %w (last attempt: %w)", cerr, err)
		}
		wait, retry := ts.retryWait(err, attempt)
		if !retry || attempt >= ts.attempts {
			return nil, time.Time{}, lastErr
		}
		if err := ts.sleep(ts.ctx, wait); err != nil {
			return nil, time.Time{}, fmt.Errorf("client: waiting to retry (%v): %w", lastErr, err)
		}
	}
}

// retryWait decides whether err is worth retrying and after how long.
func (ts *tokenSource) retryWait(err error, attempt int) (time.Duration, bool) {
	if ts.ctx.Err() != nil {
		return 0, false
	}
	var te *TokenError
	if errors.As(err, &te) {
		if !te.retryable() {
			return 0, false
		}
		if te.RetryAfter > 0 {
			return te.RetryAfter, te.RetryAfter <= MaxRetryWait
		}
	} else {
		// Transport failures (*url.Error is a net.Error) and truncated bodies
		// are retried; a malformed success response is not.
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, false
		}
	}
	// Exponential backoff from 250 ms with "equal jitter": [d/2, d).
	d := 250 * time.Millisecond << (attempt - 1)
	d = d/2 + time.Duration(ts.jitter(int64(d/2)))
	return min(d, MaxRetryWait), true
}

// refreshTime is when a token fetched at sent should be replaced.
func (ts *tokenSource) refreshTime(sent time.Time, tok *oauth2.Token) time.Time {
	if tok.Expiry.IsZero() {
		return time.Time{}
	}
	lifetime := tok.Expiry.Sub(sent)
	before := ts.cfg.RefreshBefore
	if before == 0 {
		before = max(lifetime/10, MinRefreshBefore)
	}
	before = min(before, lifetime/2)
	if j := int64(before / 4); j > 0 {
		before += time.Duration(ts.jitter(j + 1))
	}
	return tok.Expiry.Add(-before)
}

// tokenResponse is RFC 6749 §5.1 plus the error members of §5.2 and the
// alternative {"code","description"} shape Auth0's SDKs also accept.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Error       string          `json:"error"`
	Description string          `json:"error_description"`
	Code        string          `json:"code"`
	AltDesc     string          `json:"description"`
}

// maxTokenResponse bounds the token endpoint's response body.
const maxTokenResponse = 1 << 20

// request makes one token request.
func (ts *tokenSource) request() (*oauth2.Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if ts.cfg.Audience != "" {
		form.Set("audience", ts.cfg.Audience)
	}
	if len(ts.cfg.Scope) > 0 {
		form.Set("scope", strings.Join(ts.cfg.Scope, " "))
	}
	if ts.cfg.Organization != "" {
		form.Set("organization", ts.cfg.Organization)
	}
	if ts.cfg.AuthStyle != AuthStyleBasic {
		form.Set("client_id", ts.cfg.ClientID)
		form.Set("client_secret", ts.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ts.ctx, http.MethodPost, ts.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("client: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ts.cfg.AuthStyle == AuthStyleBasic {
		cred := url.QueryEscape(ts.cfg.ClientID) + ":" + url.QueryEscape(ts.cfg.ClientSecret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, fmt.Errorf("client: reading token response: %w", err)
	}

	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		te := &TokenError{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), ts.now())}
		switch {
		case jsonErr == nil && tr.Error != "":
			te.Code, te.Description = tr.Error, tr.Description
		case jsonErr == nil && tr.Code != "":
			te.Code, te.Description = tr.Code, tr.AltDesc
		default:
			te.Description = snippet(body)
		}
		return nil, te
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("client: token response is not JSON: %w", jsonErr)
	}
	if tr.AccessToken == "" {
		return nil, errors.New("client: token response has no access_token")
	}
	expiresIn, err := parseExpiresIn(tr.ExpiresIn)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, ExpiresIn: expiresIn}
	if expiresIn > 0 {
		tok.Expiry = ts.now().Add(time.Duration(expiresIn) * time.Second)
	}
	return tok.WithExtra(raw), nil
}

// parseExpiresIn accepts a number or a numeric string (some servers quote it).
func parseExpiresIn(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n > 1<<31 {
		return 0, fmt.Errorf("client: token response has invalid expires_in %s", raw)
	}
	return int64(n), nil
}

// retryAfter parses Retry-After as delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// snippet is the start of a non-JSON error body, for error messages.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
