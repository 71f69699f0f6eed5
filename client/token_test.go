package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

var t0 = time.Unix(1_800_000_000, 0)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fakeResp struct {
	status int
	body   string
	header map[string]string
}

// tokenServer is a fake token endpoint that answers from a queue (the last
// answer repeats) and records requests.
type tokenServer struct {
	*httptest.Server
	hits atomic.Int32
	hit  chan struct{} // receives one value per request, if anyone listens

	mu    sync.Mutex
	queue []fakeResp
	reqs  []*http.Request
	forms []url.Values
	gate  chan struct{}
}

func okToken(n, expiresIn int) fakeResp {
	return fakeResp{status: 200, body: fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d,"scope":"read:clients"}`, n, expiresIn)}
}

func newTokenServer(t *testing.T, queue ...fakeResp) *tokenServer {
	t.Helper()
	s := &tokenServer{queue: queue, hit: make(chan struct{}, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := s.hits.Add(1)
		s.hit <- struct{}{}
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.forms = append(s.forms, r.PostForm)
		resp := s.queue[min(int(n)-1, len(s.queue)-1)]
		gate := s.gate
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		_, _ = w.Write([]byte(resp.body))
	}))
	t.Cleanup(s.Close)
	return s
}

// hold makes requests wait until release is called or the test ends (so a
// failing test cannot leave a handler blocked and the server unclosable).
func (s *tokenServer) hold(t *testing.T) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	t.Cleanup(release)
	return release
}

func (s *tokenServer) lastForm() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forms[len(s.forms)-1]
}

func (s *tokenServer) lastReq() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[len(s.reqs)-1]
}

// newTS returns a token source on srv with a test clock, recorded sleeps and
// no jitter unless a test sets one.
func newTS(t *testing.T, srv *tokenServer, mod ...func(*ClientCredentials)) (*tokenSource, *clock, *[]time.Duration) {
	t.Helper()
	clk := &clock{now: t0}
	cfg := ClientCredentials{
		TokenURL:     srv.URL + "/oauth/token",
		ClientID:     "reporting-job",
		ClientSecret: "s3cret",
		Audience:     "https://api.example.com",
		Now:          clk.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	ts := TokenSource(t.Context(), cfg).(*tokenSource)
	var sleeps []time.Duration
	var mu sync.Mutex
	ts.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		sleeps = append(sleeps, d)
		mu.Unlock()
		return ctx.Err()
	}
	ts.jitter = func(int64) int64 { return 0 }
	return ts, clk, &sleeps
}

func mustToken(t *testing.T, ts oauth2.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestTokenRequestPost(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 86400))
	ts, _, _ := newTS(t, srv, func(c *ClientCredentials) {
		c.Scope = []string{"read:clients", "update:clients"}
		c.Organization = "org_123"
	})
	tok := mustToken(t, ts)

	want := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {"reporting-job"},
		"client_secret": {"s3cret"},
		"audience":      {"https://api.example.com"},
		"scope":         {"read:clients update:clients"},
		"organization":  {"org_123"},
	}
	if got := srv.lastForm(); got.Encode() != want.Encode() {
		t.Errorf("form\n got %s\nwant %s", got.Encode(), want.Encode())
	}
	r := srv.lastReq()
	if h := r.Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization %q with client_secret_post", h)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if tok.AccessToken != "tok-1" || tok.Type() != "Bearer" || !tok.Expiry.Equal(t0.Add(86400*time.Second)) || tok.ExpiresIn != 86400 {
		t.Errorf("token %+v", tok)
	}
	if s := tok.Extra("scope"); s != "read:clients" {
		t.Errorf("Extra(scope) = %v", s)
	}
}

func TestTokenRequestBasic(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 86400))
	const id, secret = "id:with colon", "s+cr/t%&="
	ts, _, _ := newTS(t, srv, func(c *ClientCredentials) {
		c.AuthStyle, c.ClientID, c.ClientSecret = AuthStyleBasic, id, secret
	})
	mustToken(t, ts)

	r := srv.lastReq()
	wantHeader := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	if got := r.Header.Get("Authorization"); got != wantHeader {
		t.Errorf("Authorization %q, want %q", got, wantHeader)
	}
	u, p, _ := r.BasicAuth()
	if u, _ = url.QueryUnescape(u); u != id {
		t.Errorf("user %q", u)
	}
	if p, _ = url.QueryUnescape(p); p != secret {
		t.Errorf("password %q", p)
	}
	form := srv.lastForm()
	if form.Has("client_secret") || form.Has("client_id") {
		t.Errorf("credentials in the body with Basic: %v", form)
	}
	if form.Get("grant_type") != "client_credentials" || form.Get("audience") != "https://api.example.com" {
		t.Errorf("form %v", form)
	}
}

func TestTokenURLFromIssuer(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 60))
	for _, iss := range []string{srv.URL, srv.URL + "/"} {
		ts, _, _ := newTS(t, srv, func(c *ClientCredentials) { c.TokenURL, c.Issuer = "", iss })
		mustToken(t, ts) // the server answers only POST /oauth/token
	}
}

func TestTokenSourceConfigErrors(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 60))
	tests := map[string]func(*ClientCredentials){
		"no URL":             func(c *ClientCredentials) { c.TokenURL = "" },
		"relative URL":       func(c *ClientCredentials) { c.TokenURL = "/oauth/token" },
		"no client id":       func(c *ClientCredentials) { c.ClientID = "" },
		"unknown auth style": func(c *ClientCredentials) { c.AuthStyle = "private_key_jwt" },
		"negative refresh":   func(c *ClientCredentials) { c.RefreshBefore = -time.Second },
		"negative attempts":  func(c *ClientCredentials) { c.MaxAttempts = -1 },
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			ts, _, _ := newTS(t, srv, mod)
			if tok, err := ts.Token(); err == nil {
				t.Fatalf("Token = %v, want a config error", tok)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d requests with a bad config", n)
	}
}

func TestTokenCachedUntilRefreshTime(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int
		before    time.Duration
		maxJitter bool
		refreshAt time.Duration // after t0
	}{
		{name: "default 10%", expiresIn: 3600, refreshAt: 3240 * time.Second},
		{name: "default 10% with full jitter", expiresIn: 3600, maxJitter: true, refreshAt: 3150 * time.Second},
		{name: "default floor 30s", expiresIn: 120, refreshAt: 90 * time.Second},
		{name: "floor capped at half the lifetime", expiresIn: 40, refreshAt: 20 * time.Second},
		{name: "explicit", expiresIn: 86400, before: 5 * time.Minute, maxJitter: true, refreshAt: (86400 - 375) * time.Second},
		{name: "explicit capped at half", expiresIn: 20, before: time.Hour, refreshAt: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTokenServer(t, okToken(1, tt.expiresIn), okToken(2, tt.expiresIn))
			ts, clk, _ := newTS(t, srv, func(c *ClientCredentials) { c.RefreshBefore = tt.before })
			if tt.maxJitter {
				ts.jitter = func(n int64) int64 { return n - 1 }
			}
			mustToken(t, ts)
			clk.Advance(tt.refreshAt - time.Millisecond)
			if tok := mustToken(t, ts); tok.AccessToken != "tok-1" || srv.hits.Load() != 1 {
				t.Fatalf("before refresh time: %s after %d requests", tok.AccessToken, srv.hits.Load())
			}
			clk.Advance(time.Millisecond)
			if tok := mustToken(t, ts); tok.AccessToken != "tok-2" || srv.hits.Load() != 2 {
				t.Fatalf("at refresh time: %s after %d requests", tok.AccessToken, srv.hits.Load())
			}
			if tok := mustToken(t, ts); tok.AccessToken != "tok-2" || srv.hits.Load() != 2 {
				t.Fatalf("after refresh: %s after %d requests", tok.AccessToken, srv.hits.Load())
			}
		})
	}
}

func TestTokenJitterSpreadsRefreshes(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 3600))
	seen := map[time.Time]bool{}
	for range 20 {
		ts, _, _ := newTS(t, srv)
		ts.jitter = TokenSource(t.Context(), ClientCredentials{}).(*tokenSource).jitter // the real one
		mustToken(t, ts)
		ts.mu.Lock()
		at := ts.refreshAt
		ts.mu.Unlock()
		if at.Before(t0.Add(3150*time.Second)) || at.After(t0.Add(3240*time.Second)) {
			t.Fatalf("refresh at %v, outside [3150s, 3240s]", at.Sub(t0))
		}
		seen[at] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 sources picked the same refresh time: no jitter")
	}
}

func TestTokenSingleFlight(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 3600))
	release := srv.hold(t)
	ts, _, _ := newTS(t, srv)

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if tok := mustToken(t, ts); tok.AccessToken != "tok-1" {
				t.Errorf("got %s", tok.AccessToken)
			}
		})
	}
	<-srv.hit
	time.Sleep(20 * time.Millisecond) // let the other callers pile up behind the request
	release()
	wg.Wait()
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d token requests for 50 concurrent callers, want 1", n)
	}
}

func TestTokenRefreshDoesNotBlockOtherCallers(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 3600), okToken(2, 3600))
	ts, clk, _ := newTS(t, srv)
	mustToken(t, ts)
	<-srv.hit
	clk.Advance(3300 * time.Second) // in the refresh window, still valid

	release := srv.hold(t)
	done := make(chan *oauth2.Token, 1)
	go func() {
		tok, _ := ts.Token()
		done <- tok
	}()
	<-srv.hit // the refresh is in flight
	other := make(chan *oauth2.Token, 1)
	go func() {
		tok, _ := ts.Token()
		other <- tok
	}()
	select {
	case tok := <-other:
		if tok == nil || tok.AccessToken != "tok-1" {
			t.Fatalf("concurrent caller got %v, want the cached tok-1", tok)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a concurrent caller waited for the refresh although the cached token was valid")
	}
	release()
	if tok := <-done; tok == nil || tok.AccessToken != "tok-2" {
		t.Fatalf("refreshing caller got %v", tok)
	}
	if tok := mustToken(t, ts); tok.AccessToken != "tok-2" {
		t.Fatalf("after refresh: %s", tok.AccessToken)
	}
}

func TestTokenRefreshFailureKeepsValidToken(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 3600), fakeResp{status: 500, body: `{"error":"server_error"}`})
	ts, clk, _ := newTS(t, srv, func(c *ClientCredentials) { c.MaxAttempts = 1 })
	mustToken(t, ts)

	clk.Advance(3300 * time.Second)
	if tok := mustToken(t, ts); tok.AccessToken != "tok-1" {
		t.Fatalf("got %s", tok.AccessToken)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
	// The next attempt waits half the remaining lifetime (150 s).
	clk.Advance(149 * time.Second)
	mustToken(t, ts)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("retried after 149 s: %d requests", n)
	}
	clk.Advance(time.Second)
	mustToken(t, ts)
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	// Once the token has expired, the failure reaches the caller.
	clk.Advance(150 * time.Second)
	_, err := ts.Token()
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != 500 || te.Code != "server_error" {
		t.Fatalf("err = %v, want the server's 500", err)
	}
}

func TestTokenErrorsAndRetries(t *testing.T) {
	r429 := func(retryAfter string) fakeResp {
		return fakeResp{status: 429, body: `{"error":"too_many_requests","error_description":"Rate limit exceeded"}`,
			header: map[string]string{"Retry-After": retryAfter}}
	}
	tests := []struct {
		name     string
		queue    []fakeResp
		attempts int
		wantHits int32
		sleeps   []time.Duration
		wantErr  *TokenError // nil: success, unless otherErr
		otherErr bool
	}{
		{name: "429 with Retry-After seconds", queue: []fakeResp{r429("2"), okToken(1, 60)}, wantHits: 2, sleeps: []time.Duration{2 * time.Second}},
		{
			name:     "503 with Retry-After date",
			queue:    []fakeResp{{status: 503, body: "busy", header: map[string]string{"Retry-After": t0.Add(3 * time.Second).UTC().Format(http.TimeFormat)}}, okToken(1, 60)},
			wantHits: 2, sleeps: []time.Duration{3 * time.Second},
		},
		{name: "502 backoff", queue: []fakeResp{{status: 502}, okToken(1, 60)}, wantHits: 2, sleeps: []time.Duration{125 * time.Millisecond}},
		{
			name: "500 until attempts run out", queue: []fakeResp{{status: 500, body: `{"error":"server_error","error_description":"boom"}`}},
			wantHits: 3, sleeps: []time.Duration{125 * time.Millisecond, 250 * time.Millisecond},
			wantErr: &TokenError{StatusCode: 500, Code: "server_error", Description: "boom"},
		},
		{
			name: "MaxAttempts 1", queue: []fakeResp{{status: 503, body: "<html>down</html>"}}, attempts: 1, wantHits: 1,
			wantErr: &TokenError{StatusCode: 503, Description: "<html>down</html>"},
		},
		{
			name: "Retry-After beyond the limit", queue: []fakeResp{r429("120")}, wantHits: 1,
			wantErr: &TokenError{StatusCode: 429, Code: "too_many_requests", Description: "Rate limit exceeded", RetryAfter: 2 * time.Minute},
		},
		{
			name: "invalid_client is not retried", queue: []fakeResp{{status: 401, body: `{"error":"invalid_client","error_description":"Client authentication failed"}`}}, wantHits: 1,
			wantErr: &TokenError{StatusCode: 401, Code: "invalid_client", Description: "Client authentication failed"},
		},
		{
			name:  "Auth0 access_denied",
			queue: []fakeResp{{status: 403, body: `{"error":"access_denied","error_description":"Client is not authorized to access \"https://api.example.com\"."}`}}, wantHits: 1,
			wantErr: &TokenError{StatusCode: 403, Code: "access_denied", Description: `Client is not authorized to access "https://api.example.com".`},
		},
		{
			name: "code/description shape", queue: []fakeResp{{status: 400, body: `{"code":"invalid_request","description":"bad"}`}}, wantHits: 1,
			wantErr: &TokenError{StatusCode: 400, Code: "invalid_request", Description: "bad"},
		},
		{name: "200 that is not JSON", queue: []fakeResp{{status: 200, body: "<html>"}}, wantHits: 1, otherErr: true},
		{name: "200 without access_token", queue: []fakeResp{{status: 200, body: `{"token_type":"Bearer"}`}}, wantHits: 1, otherErr: true},
		{name: "200 with a bad expires_in", queue: []fakeResp{{status: 200, body: `{"access_token":"x","expires_in":"soon"}`}}, wantHits: 1, otherErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTokenServer(t, tt.queue...)
			ts, _, sleeps := newTS(t, srv, func(c *ClientCredentials) { c.MaxAttempts = tt.attempts })
			tok, err := ts.Token()
			if n := srv.hits.Load(); n != tt.wantHits {
				t.Errorf("%d requests, want %d", n, tt.wantHits)
			}
			if fmt.Sprint(*sleeps) != fmt.Sprint(tt.sleeps) {
				t.Errorf("slept %v, want %v", *sleeps, tt.sleeps)
			}
			switch {
			case tt.otherErr:
				var te *TokenError
				if err == nil || errors.As(err, &te) {
					t.Fatalf("err = %v, want a non-TokenError", err)
				}
			case tt.wantErr != nil:
				var te *TokenError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a *TokenError", err)
				}
				if *te != *tt.wantErr {
					t.Fatalf("err = %#v\nwant %#v", te, tt.wantErr)
				}
			default:
				if err != nil || tok.AccessToken != "tok-1" {
					t.Fatalf("Token = %v, %v", tok, err)
				}
			}
		})
	}
}

func TestTokenConnectionFailureIsRetried(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 60))
	ts, _, sleeps := newTS(t, srv)
	srv.Close()
	_, err := ts.Token()
	var te *TokenError
	if err == nil || errors.As(err, &te) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if len(*sleeps) != DefaultMaxAttempts-1 {
		t.Errorf("slept %v, want %d retries", *sleeps, DefaultMaxAttempts-1)
	}
}

func TestTokenRetryWaitHonorsContext(t *testing.T) {
	srv := newTokenServer(t, fakeResp{status: 503, header: map[string]string{"Retry-After": "10"}})
	ctx, cancel := context.WithCancel(t.Context())
	ts := TokenSource(ctx, ClientCredentials{TokenURL: srv.URL + "/oauth/token", ClientID: "id"})
	go func() {
		<-srv.hit
		cancel()
	}()
	start := time.Now()
	_, err := ts.Token()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Token took %v: the 10 s Retry-After wait ignored the context", d)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests after cancel", n)
	}
}

func TestTokenWithoutExpiresInIsNotCached(t *testing.T) {
	srv := newTokenServer(t, fakeResp{status: 200, body: `{"access_token":"forever","token_type":"Bearer"}`})
	ts, _, _ := newTS(t, srv)
	for range 2 {
		if tok := mustToken(t, ts); !tok.Expiry.IsZero() {
			t.Fatalf("Expiry %v", tok.Expiry)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (no expires_in, nothing to cache)", n)
	}
}

func TestTokenExpiresInAsString(t *testing.T) {
	srv := newTokenServer(t, fakeResp{status: 200, body: `{"access_token":"x","expires_in":"3600"}`})
	ts, _, _ := newTS(t, srv)
	if tok := mustToken(t, ts); !tok.Expiry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Expiry %v", tok.Expiry)
	}
}

func TestTokenHTTPClientFromContext(t *testing.T) {
	srv := newTokenServer(t, okToken(1, 60))
	var used atomic.Bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
	ts := TokenSource(ctx, ClientCredentials{TokenURL: srv.URL + "/oauth/token", ClientID: "id"})
	mustToken(t, ts)
	if !used.Load() {
		t.Fatal("the context's HTTP client was not used")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfterParsing(t *testing.T) {
	tests := map[string]time.Duration{
		"":   0,
		"0":  0,
		"-5": 0,
		"7":  7 * time.Second,
		t0.Add(90 * time.Second).UTC().Format(http.TimeFormat):  90 * time.Second,
		t0.Add(-90 * time.Second).UTC().Format(http.TimeFormat): 0,
		"soon": 0,
	}
	for in, want := range tests {
		if got := retryAfter(in, t0); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestTokenErrorMessage(t *testing.T) {
	e := &TokenError{StatusCode: 401, Code: "invalid_client", Description: "Client authentication failed"}
	if got, want := e.Error(), "client: token endpoint: HTTP 401: invalid_client: Client authentication failed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !strings.Contains((&TokenError{StatusCode: 502}).Error(), "502") {
		t.Error("status missing from message")
	}
}
