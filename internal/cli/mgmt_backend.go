package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credo-dev/credo/client"
	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// backend is what the management subcommands operate on: the tenant's
// service directly (--db), or a running server's Management API (--server).
// Both answer with the Management API's objects, so output is the same.
type backend interface {
	listClients(ctx context.Context) ([]mgmt.Client, error)
	getClient(ctx context.Context, id string) (mgmt.Client, error)
	createClient(ctx context.Context, b mgmt.ClientBody) (mgmt.Client, error)
	updateClient(ctx context.Context, id string, b mgmt.ClientBody) (mgmt.Client, error)
	deleteClient(ctx context.Context, id string) error
	rotateSecret(ctx context.Context, id string, grace time.Duration) (mgmt.Client, error)

	listAPIs(ctx context.Context) ([]mgmt.ResourceServer, error)
	getAPI(ctx context.Context, idOrIdentifier string) (mgmt.ResourceServer, error)
	createAPI(ctx context.Context, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error)
	updateAPI(ctx context.Context, idOrIdentifier string, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error)
	deleteAPI(ctx context.Context, idOrIdentifier string) error

	listGrants(ctx context.Context, clientID, audience string) ([]mgmt.ClientGrant, error)
	createGrant(ctx context.Context, b mgmt.GrantBody) (mgmt.ClientGrant, error)
	updateGrant(ctx context.Context, id string, p mgmt.GrantPatch) (mgmt.ClientGrant, error)
	deleteGrant(ctx context.Context, id string) error

	listKeys(ctx context.Context) ([]keys.Info, error)
	rotateKeys(ctx context.Context) (mgmt.SigningKeyRef, error)
	revokeKey(ctx context.Context, kid string) (mgmt.SigningKeyRef, error)

	Close() error
}

// mgmtOpts are the flags every management subcommand shares.
type mgmtOpts struct {
	cfg    config.Config
	server string
	output string
}

// mgmtFlags builds the flag set of a management subcommand: the serve flags
// that locate the tenant (--db, --issuer, …), --server and -o.
func mgmtFlags(io IO, name, synopsis string) (*flagSet, *mgmtOpts) {
	o := &mgmtOpts{cfg: config.Default()}
	o.cfg.LogLevel = "warn"
	fs := newFlagSet(io, name, synopsis+`

Works directly on the tenant database (--db, as credo serve) or, with --server,
through a running server's Management API with the admin credentials in
CREDO_CLIENT_ID and CREDO_CLIENT_SECRET (printed by credo serve on first start).`)
	serveFlags(fs, &o.cfg)
	fs.String(&o.server, "server", "", "URL of a running credo (e.g. http://127.0.0.1:8080/): use its Management API instead of --db")
	fs.String(&o.output, "output", "table", "output format: table or json")
	fs.FlagSet.StringVar(&o.output, "o", o.output, "shorthand for --output")
	return fs, o
}

// check validates the options after parsing.
func (o *mgmtOpts) check() error {
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o %q: want table or json", o.output)
	}
	return nil
}

// open returns the backend the options select.
func (o *mgmtOpts) open(ctx context.Context, io IO) (backend, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.server != "" {
		return openRemote(ctx, io, o.server)
	}
	a, err := o.openTenant(ctx, io)
	if err != nil {
		return nil, err
	}
	return &direct{a: a}, nil
}

// openTenant opens the tenant database like credo serve does. When no
// issuer was given, the issuer the database was served with is used (read
// from its Management API resource server), so that a CLI run never
// re-creates the system API under another issuer.
func (o *mgmtOpts) openTenant(ctx context.Context, io IO) (*app, error) {
	cfg := o.cfg
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	if cfg.Issuer == "" { // neither --issuer nor CREDO_ISSUER
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		if iss, err := servedIssuer(ctx, cfg); err != nil {
			return nil, err
		} else if iss != "" {
			cfg.Issuer = iss
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, newLogger(cfg, io.Stderr))
}

// servedIssuer returns the issuer of the database's system API ("" when
// the database has none yet).
func servedIssuer(ctx context.Context, cfg config.Config) (string, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer st.Close()
	rs, found, err := tenant.SystemAPI(ctx, st)
	if err != nil || !found {
		return "", err
	}
	return strings.TrimSuffix(rs.Identifier, "api/v2/"), nil
}

// direct works on the tenant through tenant.Service, like the Management
// API's handlers.
type direct struct{ a *app }

func (d *direct) Close() error { return d.a.Close() }

func notFound(what, id string, err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, keys.ErrNoKey) {
		var nf *tenant.NotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("%s %q does not exist", nf.What, nf.ID)
		}
		return fmt.Errorf("%s %q does not exist", what, id)
	}
	return err
}

func (d *direct) listClients(ctx context.Context) ([]mgmt.Client, error) {
	out := []mgmt.Client{}
	for off := 0; ; {
		list, total, err := d.a.store.ListClients(ctx, store.ClientFilter{Page: store.Page{Offset: off, Limit: 100}})
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			out = append(out, mgmt.ClientView(c, time.Now()))
		}
		off += len(list)
		if len(list) == 0 || off >= total {
			return out, nil
		}
	}
}

func (d *direct) getClient(ctx context.Context, id string) (mgmt.Client, error) {
	c, err := d.a.store.GetClient(ctx, id)
	if err != nil {
		return mgmt.Client{}, notFound("client", id, err)
	}
	return mgmt.ClientView(c, time.Now()), nil
}

func (d *direct) createClient(ctx context.Context, b mgmt.ClientBody) (mgmt.Client, error) {
	f, err := b.Fields()
	if err != nil {
		return mgmt.Client{}, err
	}
	c, plain, err := d.a.svc.CreateClient(ctx, f)
	if err != nil {
		return mgmt.Client{}, conflict("a client with this id", err)
	}
	v := mgmt.ClientView(c, time.Now())
	v.ClientSecret = plain
	return v, nil
}

func conflict(what string, err error) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%s already exists", what)
	}
	return err
}

func (d *direct) updateClient(ctx context.Context, id string, b mgmt.ClientBody) (mgmt.Client, error) {
	f, err := b.Fields()
	if err != nil {
		return mgmt.Client{}, err
	}
	c, err := d.a.svc.UpdateClient(ctx, id, f)
	if err != nil {
		return mgmt.Client{}, notFound("client", id, err)
	}
	return mgmt.ClientView(c, time.Now()), nil
}

func (d *direct) deleteClient(ctx context.Context, id string) error {
	return notFound("client", id, d.a.svc.DeleteClient(ctx, id))
}

func (d *direct) rotateSecret(ctx context.Context, id string, grace time.Duration) (mgmt.Client, error) {
	c, plain, err := d.a.svc.RotateSecret(ctx, id, grace)
	if err != nil {
		return mgmt.Client{}, notFound("client", id, err)
	}
	v := mgmt.ClientView(c, time.Now())
	v.ClientSecret = plain
	return v, nil
}

func (d *direct) listAPIs(ctx context.Context) ([]mgmt.ResourceServer, error) {
	out := []mgmt.ResourceServer{}
	for off := 0; ; {
		list, total, err := d.a.store.ListResourceServers(ctx, store.Page{Offset: off, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, rs := range list {
			out = append(out, mgmt.ResourceServerView(rs))
		}
		off += len(list)
		if len(list) == 0 || off >= total {
			return out, nil
		}
	}
}

func (d *direct) getAPI(ctx context.Context, id string) (mgmt.ResourceServer, error) {
	rs, err := d.a.store.GetResourceServer(ctx, id)
	if err != nil {
		return mgmt.ResourceServer{}, notFound("API", id, err)
	}
	return mgmt.ResourceServerView(rs), nil
}

func (d *direct) createAPI(ctx context.Context, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error) {
	f, err := b.Fields()
	if err != nil {
		return mgmt.ResourceServer{}, err
	}
	rs, err := d.a.svc.CreateResourceServer(ctx, f)
	if err != nil {
		return mgmt.ResourceServer{}, conflict("an API with this identifier", err)
	}
	return mgmt.ResourceServerView(rs), nil
}

func (d *direct) updateAPI(ctx context.Context, id string, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error) {
	f, err := b.Fields()
	if err != nil {
		return mgmt.ResourceServer{}, err
	}
	rs, err := d.a.svc.UpdateResourceServer(ctx, id, f)
	if err != nil {
		return mgmt.ResourceServer{}, notFound("API", id, err)
	}
	return mgmt.ResourceServerView(rs), nil
}

func (d *direct) deleteAPI(ctx context.Context, id string) error {
	return notFound("API", id, d.a.svc.DeleteResourceServer(ctx, id))
}

func (d *direct) listGrants(ctx context.Context, clientID, audience string) ([]mgmt.ClientGrant, error) {
	out := []mgmt.ClientGrant{}
	for off := 0; ; {
		list, total, err := d.a.store.ListClientGrants(ctx, store.GrantFilter{ClientID: clientID, Audience: audience, Page: store.Page{Offset: off, Limit: 100}})
		if err != nil {
			return nil, err
		}
		for _, g := range list {
			out = append(out, mgmt.ClientGrantView(g))
		}
		off += len(list)
		if len(list) == 0 || off >= total {
			return out, nil
		}
	}
}

func (d *direct) createGrant(ctx context.Context, b mgmt.GrantBody) (mgmt.ClientGrant, error) {
	f, err := b.Fields()
	if err != nil {
		return mgmt.ClientGrant{}, err
	}
	g, err := d.a.svc.CreateGrant(ctx, f)
	if err != nil {
		return mgmt.ClientGrant{}, conflict("a grant for this client and audience", notFound("", "", err))
	}
	return mgmt.ClientGrantView(g), nil
}

func (d *direct) updateGrant(ctx context.Context, id string, p mgmt.GrantPatch) (mgmt.ClientGrant, error) {
	g, err := d.a.svc.UpdateGrant(ctx, id, tenant.GrantFields{Scope: p.Scope, AllowAllScopes: p.AllowAllScopes})
	if err != nil {
		return mgmt.ClientGrant{}, notFound("grant", id, err)
	}
	return mgmt.ClientGrantView(g), nil
}

func (d *direct) deleteGrant(ctx context.Context, id string) error {
	return notFound("grant", id, d.a.svc.DeleteGrant(ctx, id))
}

func (d *direct) listKeys(ctx context.Context) ([]keys.Info, error) {
	list, err := d.a.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]keys.Info, len(list))
	for i, k := range list {
		out[i] = keys.Describe(k)
	}
	return out, nil
}

func (d *direct) rotateKeys(ctx context.Context) (mgmt.SigningKeyRef, error) {
	current, err := d.a.svc.RotateKeys(ctx)
	if err != nil {
		return mgmt.SigningKeyRef{}, err
	}
	for _, k := range current {
		if k.KeyType == keys.TypeRSA {
			return mgmt.SigningKeyRef{Cert: keys.CertPEM(k), KID: k.KID}, nil
		}
	}
	return mgmt.SigningKeyRef{}, errors.New("rotation produced no current RSA key")
}

func (d *direct) revokeKey(ctx context.Context, kid string) (mgmt.SigningKeyRef, error) {
	k, err := d.a.svc.RevokeKey(ctx, kid)
	if errors.Is(err, keys.ErrNotRevocable) {
		return mgmt.SigningKeyRef{}, fmt.Errorf("key %q is not the previous key: only the previous key can be revoked (rotate first)", kid)
	}
	if err != nil {
		return mgmt.SigningKeyRef{}, notFound("signing key", kid, err)
	}
	return mgmt.SigningKeyRef{Cert: keys.CertPEM(k), KID: k.KID}, nil
}

// remote calls a running server's Management API with the public client.
type remote struct {
	c *client.Client
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

// serverURL normalises --server to an absolute URL ending in "/".
func serverURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q: want an absolute http(s) URL such as http://127.0.0.1:8080/", s)
	}
	return strings.TrimSuffix(s, "/") + "/", nil
}

func openRemote(ctx context.Context, io IO, server string) (backend, error) {
	base, err := serverURL(server)
	if err != nil {
		return nil, err
	}
	id, _ := io.env("CREDO_CLIENT_ID")
	sec, _ := io.env("CREDO_CLIENT_SECRET")
	if id == "" || sec == "" {
		return nil, errors.New("--server needs the admin credentials in CREDO_CLIENT_ID and CREDO_CLIENT_SECRET")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	iss, err := discoverIssuer(ctx, hc, base)
	if err != nil {
		return nil, err
	}
	ts := client.TokenSource(ctx, client.ClientCredentials{
		TokenURL: base + "oauth/token", ClientID: id, ClientSecret: sec, Audience: iss + "api/v2/",
		HTTPClient: hc, MaxAttempts: 1,
	})
	return &remote{c: client.New(base, ts, client.WithHTTPClient(hc), client.WithUserAgent("credo-cli/"+Version))}, nil
}

func (r *remote) Close() error { return nil }

func timeStr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return mgmt.Time(*t)
}

func fromApplication(a *client.Application) mgmt.Client {
	c := mgmt.Client{
		ClientID: a.ClientID, Name: a.Name, Description: a.Description, AppType: a.AppType,
		GrantTypes: a.GrantTypes, TokenEndpointAuthMethod: a.TokenEndpointAuthMethod,
		ClientMetadata: a.ClientMetadata, OIDCConformant: true, Callbacks: []string{},
		ClientSecret: a.ClientSecret, TokenLifetime: a.TokenLifetime,
		PreviousSecretExpiresAt: timeStr(a.PreviousSecretExpiresAt),
		CreatedAt:               timeStr(a.CreatedAt), UpdatedAt: timeStr(a.UpdatedAt),
	}
	if c.GrantTypes == nil {
		c.GrantTypes = []string{}
	}
	if c.ClientMetadata == nil {
		c.ClientMetadata = map[string]string{}
	}
	if a.IsFirstParty != nil {
		c.IsFirstParty = *a.IsFirstParty
	}
	if a.OIDCConformant != nil {
		c.OIDCConformant = *a.OIDCConformant
	}
	if a.JWTConfiguration != nil {
		c.JWTConfiguration.Alg = a.JWTConfiguration.Alg
	}
	return c
}

func (r *remote) listClients(ctx context.Context) ([]mgmt.Client, error) {
	out := []mgmt.Client{}
	for page := 0; ; page++ {
		l, err := r.c.Clients.List(ctx, client.ListOptions{Page: page, PerPage: 100, IncludeTotals: true})
		if err != nil {
			return nil, err
		}
		for i := range l.Clients {
			out = append(out, fromApplication(&l.Clients[i]))
		}
		if len(l.Clients) == 0 || len(out) >= l.Total {
			return out, nil
		}
	}
}

func (r *remote) getClient(ctx context.Context, id string) (mgmt.Client, error) {
	a, err := r.c.Clients.Get(ctx, id)
	if err != nil {
		return mgmt.Client{}, err
	}
	return fromApplication(a), nil
}

func (r *remote) createClient(ctx context.Context, b mgmt.ClientBody) (mgmt.Client, error) {
	app := &client.Application{
		ClientID: deref(b.ClientID), ClientSecret: deref(b.ClientSecret), Name: deref(b.Name), Description: deref(b.Description),
		AppType: deref(b.AppType), IsFirstParty: b.IsFirstParty, TokenEndpointAuthMethod: deref(b.TokenEndpointAuthMethod),
		TokenLifetime: deref(b.TokenLifetime),
	}
	if b.GrantTypes != nil {
		app.GrantTypes = *b.GrantTypes
	}
	if b.ClientMetadata != nil {
		app.ClientMetadata = *b.ClientMetadata
	}
	if b.JWTConfiguration != nil && b.JWTConfiguration.Alg != nil {
		app.JWTConfiguration = &client.JWTConfiguration{Alg: *b.JWTConfiguration.Alg}
	}
	a, err := r.c.Clients.Create(ctx, app)
	if err != nil {
		return mgmt.Client{}, err
	}
	return fromApplication(a), nil
}

func (r *remote) updateClient(ctx context.Context, id string, b mgmt.ClientBody) (mgmt.Client, error) {
	u := client.ApplicationUpdate{
		Name: b.Name, Description: b.Description, AppType: b.AppType, IsFirstParty: b.IsFirstParty,
		TokenEndpointAuthMethod: b.TokenEndpointAuthMethod, TokenLifetime: b.TokenLifetime,
	}
	if b.GrantTypes != nil {
		u.GrantTypes = *b.GrantTypes
		if u.GrantTypes == nil {
			u.GrantTypes = []string{}
		}
	}
	if b.ClientMetadata != nil {
		u.ClientMetadata = *b.ClientMetadata
		if u.ClientMetadata == nil {
			u.ClientMetadata = map[string]string{}
		}
	}
	if b.JWTConfiguration != nil && b.JWTConfiguration.Alg != nil {
		u.JWTConfiguration = &client.JWTConfiguration{Alg: *b.JWTConfiguration.Alg}
	}
	a, err := r.c.Clients.Update(ctx, id, u)
	if err != nil {
		return mgmt.Client{}, err
	}
	return fromApplication(a), nil
}

func (r *remote) deleteClient(ctx context.Context, id string) error {
	return r.c.Clients.Delete(ctx, id)
}

func (r *remote) rotateSecret(ctx context.Context, id string, grace time.Duration) (mgmt.Client, error) {
	a, err := r.c.Clients.RotateSecret(ctx, id, grace)
	if err != nil {
		return mgmt.Client{}, err
	}
	return fromApplication(a), nil
}

func fromResourceServer(rs *client.ResourceServer) mgmt.ResourceServer {
	v := mgmt.ResourceServer{
		ID: rs.ID, Name: rs.Name, Identifier: rs.Identifier, IsSystem: rs.IsSystem, Scopes: []mgmt.Scope{},
		SigningAlg: rs.SigningAlg, TokenLifetime: rs.TokenLifetime, TokenDialect: rs.TokenDialect, SkipConsent: true,
		CreatedAt: timeStr(rs.CreatedAt), UpdatedAt: timeStr(rs.UpdatedAt),
	}
	for _, s := range rs.Scopes {
		v.Scopes = append(v.Scopes, mgmt.Scope{Value: s.Value, Description: s.Description})
	}
	return v
}

func toClientScopes(in *[]mgmt.Scope) []client.Scope {
	if in == nil {
		return nil
	}
	out := []client.Scope{}
	for _, s := range *in {
		out = append(out, client.Scope{Value: s.Value, Description: s.Description})
	}
	return out
}

func (r *remote) listAPIs(ctx context.Context) ([]mgmt.ResourceServer, error) {
	out := []mgmt.ResourceServer{}
	for page := 0; ; page++ {
		l, err := r.c.ResourceServers.List(ctx, client.ListOptions{Page: page, PerPage: 100, IncludeTotals: true})
		if err != nil {
			return nil, err
		}
		for i := range l.ResourceServers {
			out = append(out, fromResourceServer(&l.ResourceServers[i]))
		}
		if len(l.ResourceServers) == 0 || len(out) >= l.Total {
			return out, nil
		}
	}
}

func (r *remote) getAPI(ctx context.Context, id string) (mgmt.ResourceServer, error) {
	rs, err := r.c.ResourceServers.Get(ctx, id)
	if err != nil {
		return mgmt.ResourceServer{}, err
	}
	return fromResourceServer(rs), nil
}

func (r *remote) createAPI(ctx context.Context, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error) {
	rs, err := r.c.ResourceServers.Create(ctx, &client.ResourceServer{
		Name: deref(b.Name), Identifier: deref(b.Identifier), Scopes: toClientScopes(b.Scopes), SigningAlg: deref(b.SigningAlg),
		SigningSecret: deref(b.SigningSecret), TokenLifetime: deref(b.TokenLifetime), TokenDialect: deref(b.TokenDialect),
	})
	if err != nil {
		return mgmt.ResourceServer{}, err
	}
	return fromResourceServer(rs), nil
}

func (r *remote) updateAPI(ctx context.Context, id string, b mgmt.ResourceServerBody) (mgmt.ResourceServer, error) {
	rs, err := r.c.ResourceServers.Update(ctx, id, client.ResourceServerUpdate{
		Name: b.Name, Scopes: toClientScopes(b.Scopes), SigningAlg: b.SigningAlg, SigningSecret: b.SigningSecret,
		TokenLifetime: b.TokenLifetime, TokenDialect: b.TokenDialect,
	})
	if err != nil {
		return mgmt.ResourceServer{}, err
	}
	return fromResourceServer(rs), nil
}

func (r *remote) deleteAPI(ctx context.Context, id string) error {
	return r.c.ResourceServers.Delete(ctx, id)
}

func fromClientGrant(g *client.ClientGrant) mgmt.ClientGrant {
	v := mgmt.ClientGrant{
		ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: g.Scope, SubjectType: g.SubjectType,
		CreatedAt: timeStr(g.CreatedAt), UpdatedAt: timeStr(g.UpdatedAt),
	}
	if v.Scope == nil {
		v.Scope = []string{}
	}
	if g.AllowAllScopes != nil {
		v.AllowAllScopes = *g.AllowAllScopes
	}
	return v
}

func (r *remote) listGrants(ctx context.Context, clientID, audience string) ([]mgmt.ClientGrant, error) {
	out := []mgmt.ClientGrant{}
	opts := client.ClientGrantListOptions{ClientID: clientID, Audience: audience, Take: 100}
	for {
		l, err := r.c.ClientGrants.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.ClientGrants {
			out = append(out, fromClientGrant(&l.ClientGrants[i]))
		}
		if l.Next == "" {
			return out, nil
		}
		opts.From = l.Next
	}
}

func (r *remote) createGrant(ctx context.Context, b mgmt.GrantBody) (mgmt.ClientGrant, error) {
	g := &client.ClientGrant{ClientID: deref(b.ClientID), Audience: deref(b.Audience), AllowAllScopes: b.AllowAllScopes, SubjectType: deref(b.SubjectType)}
	if b.Scope != nil {
		g.Scope = *b.Scope
	}
	out, err := r.c.ClientGrants.Create(ctx, g)
	if err != nil {
		return mgmt.ClientGrant{}, err
	}
	return fromClientGrant(out), nil
}

func (r *remote) updateGrant(ctx context.Context, id string, p mgmt.GrantPatch) (mgmt.ClientGrant, error) {
	u := client.ClientGrantUpdate{AllowAllScopes: p.AllowAllScopes}
	if p.Scope != nil {
		u.Scope = *p.Scope
		if u.Scope == nil {
			u.Scope = []string{}
		}
	}
	g, err := r.c.ClientGrants.Update(ctx, id, u)
	if err != nil {
		return mgmt.ClientGrant{}, err
	}
	return fromClientGrant(g), nil
}

func (r *remote) deleteGrant(ctx context.Context, id string) error {
	return r.c.ClientGrants.Delete(ctx, id)
}

func (r *remote) listKeys(ctx context.Context) ([]keys.Info, error) {
	list, err := r.c.SigningKeys.List(ctx)
	if err != nil {
		return nil, err
	}
	ts := func(t *time.Time) *string {
		if t == nil {
			return nil
		}
		s := t.UTC().Format(time.RFC3339Nano)
		return &s
	}
	out := make([]keys.Info, len(list))
	for i, k := range list {
		out[i] = keys.Info{
			KID: k.KID, Cert: k.Cert, PKCS7: k.PKCS7, Current: k.Current, Next: k.Next, Previous: k.Previous,
			CurrentSince: ts(k.CurrentSince), CurrentUntil: ts(k.CurrentUntil), Fingerprint: k.Fingerprint,
			Thumbprint: k.Thumbprint, Revoked: k.Revoked, RevokedAt: ts(k.RevokedAt), KeyType: k.KeyType, Algorithms: k.Algorithms,
		}
	}
	return out, nil
}

func (r *remote) rotateKeys(ctx context.Context) (mgmt.SigningKeyRef, error) {
	k, err := r.c.SigningKeys.Rotate(ctx)
	if err != nil {
		return mgmt.SigningKeyRef{}, err
	}
	return mgmt.SigningKeyRef{Cert: k.Cert, KID: k.KID}, nil
}

func (r *remote) revokeKey(ctx context.Context, kid string) (mgmt.SigningKeyRef, error) {
	k, err := r.c.SigningKeys.Revoke(ctx, kid)
	if err != nil {
		return mgmt.SigningKeyRef{}, err
	}
	return mgmt.SigningKeyRef{Cert: k.Cert, KID: k.KID}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
