package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/mgmt"
)

// mgmtOpts are the flags every management subcommand shares.
type mgmtOpts struct {
	cfg    config.Config
	server string
	output string
}

// mgmtFlags builds the flag set of a management subcommand: the serve flags
// that locate the tenant (--db, --issuer, …), --server and -o.
func mgmtFlags(io IO, name, synopsis, example string) (*flagSet, *mgmtOpts) {
	o := &mgmtOpts{cfg: config.Default()}
	o.cfg.LogLevel = "warn"
	fs := newFlagSet(io, name, synopsis+`

Works on the tenant database (--db, as credo serve, through the Management API
mounted in this process, as a local administrator) or, with --server, through
a running server's Management API with the admin credentials in
CREDO_ADMIN_CLIENT_ID and CREDO_ADMIN_CLIENT_SECRET (printed by credo serve on
first start).

Example:
  credo `+example)
	serveFlags(fs, &o.cfg)
	fs.String(&o.server, "server", "", "URL of a running credo (e.g. http://127.0.0.1:8080/): use its Management API instead of --db")
	fs.String(&o.output, "output", "table", "output format: table or json")
	fs.alias("o", "output")
	return fs, o
}

// check validates the options after parsing.
func (o *mgmtOpts) check() error {
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o %q: want table or json", o.output)
	}
	return nil
}

// conn is a connection to a tenant's Management API and token endpoint:
// over the network (--server), or served in this process from the database
// (--db). Both speak HTTP through the public client package, so every
// command behaves, and fails, the same way on either.
type conn struct {
	api *client.Client
	// base is the URL the token endpoint and discovery live under.
	base string
	http *http.Client
	// admin is a token source for the Management API: the admin client
	// credentials (--server) or a local principal (--db).
	admin oauth2.TokenSource
	close func() error
}

func (c *conn) Close() error { return c.close() }

// open connects as the options say.
func (o *mgmtOpts) open(ctx context.Context, io IO) (*conn, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.server != "" {
		return openRemote(ctx, io, o.server)
	}
	return o.openLocal(ctx, io)
}

// openLocal opens the tenant database (it must exist: only serve and
// migrate create one) and serves credo's handler in process; Management
// API requests run as a local administrator, so that an operator with
// database access is never locked out.
func (o *mgmtOpts) openLocal(ctx context.Context, io IO) (*conn, error) {
	a, err := openExisting(ctx, o.cfg, io)
	if err != nil {
		return nil, err
	}
	h := a.handler(nil)
	hc := &http.Client{Transport: localTransport{h: h}, Timeout: 5 * time.Minute}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "local", TokenType: "Bearer"})
	return &conn{
		api:   client.New(a.cfg.Issuer, ts, client.WithHTTPClient(hc), client.WithUserAgent("credo-cli/"+Version)),
		base:  a.cfg.Issuer,
		http:  hc,
		admin: ts,
		close: a.Close,
	}, nil
}

// localTransport serves requests with the in-process handler, as the local
// administrator.
type localTransport struct{ h http.Handler }

func (t localTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(mgmt.WithPrincipal(r.Context(), mgmt.LocalAdmin("credo CLI")))
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// serverURL normalises --server to an absolute URL ending in "/".
func serverURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q: want an absolute http(s) URL such as http://127.0.0.1:8080/", s)
	}
	return strings.TrimSuffix(s, "/") + "/", nil
}

// discoverIssuer reads the server's issuer from its discovery document: the
// Management API audience is <issuer>api/v2/, which may differ from the URL
// the server is reached at.
func discoverIssuer(ctx context.Context, hc *http.Client, server string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+".well-known/openid-configuration", nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("--server %s: %w", server, err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("--server %s: discovery answered HTTP %d; is it a credo server?", server, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || doc.Issuer == "" {
		return "", fmt.Errorf("--server %s: no issuer in its discovery document", server)
	}
	return doc.Issuer, nil
}

// openRemote connects to a running server with the admin credentials.
func openRemote(ctx context.Context, io IO, server string) (*conn, error) {
	base, err := serverURL(server)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	c := &conn{base: base, http: hc, close: func() error { return nil }}
	id, _ := io.env("CREDO_ADMIN_CLIENT_ID")
	sec, _ := io.env("CREDO_ADMIN_CLIENT_SECRET")
	c.admin = noCredentials{}
	if id != "" && sec != "" {
		iss, err := discoverIssuer(ctx, hc, base)
		if err != nil {
			return nil, err
		}
		c.admin = client.TokenSource(ctx, client.ClientCredentials{
			TokenURL: base + "oauth/token", ClientID: id, ClientSecret: sec, Audience: iss + "api/v2/",
			HTTPClient: hc, MaxAttempts: 1,
		})
	}
	c.api = client.New(base, c.admin, client.WithHTTPClient(hc), client.WithUserAgent("credo-cli/"+Version))
	return c, nil
}

// explain turns what the client package returns into the one message the
// CLI prints for a failure, whichever way it is connected.
func explain(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) {
		msg := ae.Message
		if msg == "" {
			msg = ae.Err
		}
		code := ae.ErrorCode
		if code != "" {
			code = " " + code
		}
		return fmt.Errorf("%s (HTTP %d%s)", msg, ae.StatusCode, code)
	}
	var te *client.TokenError
	if errors.As(err, &te) {
		return fmt.Errorf("token endpoint: HTTP %d: %s: %s", te.StatusCode, te.Code, te.Description)
	}
	if errors.Is(err, errNoCredentials) {
		return errNoCredentials
	}
	return err
}

var errNoCredentials = errors.New("--server needs the admin credentials in CREDO_ADMIN_CLIENT_ID and CREDO_ADMIN_CLIENT_SECRET (printed by credo serve on first start)")

// noCredentials is the admin token source when none were given: every
// Management API call then fails saying what to set.
type noCredentials struct{}

func (noCredentials) Token() (*oauth2.Token, error) { return nil, errNoCredentials }
