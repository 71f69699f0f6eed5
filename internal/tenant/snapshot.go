package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/store"
)

// Client is a client as the token path sees it: only the fields the token
// endpoint, the Actions event and the Management API's checks read. With
// 100,000 clients the snapshot is most of credo's live heap, and the live
// heap sets how often the GC runs, so equal strings and lists are shared
// between clients (see interner) and nothing else is kept.
type Client struct {
	ClientID                string
	Name                    string
	TokenEndpointAuthMethod string
	GrantTypes              []string
	Metadata                map[string]string // nil when empty
	TokenLifetime           int
	Secrets                 []Secret // the current secret first
}

// Secret is one hashed client secret and when it stops being accepted (zero:
// never).
type Secret struct {
	Hash      string
	ExpiresAt time.Time
}

// HasGrantType reports whether the client may use grant type gt.
func (c *Client) HasGrantType(gt string) bool { return slices.Contains(c.GrantTypes, gt) }

// API is a resource server as the token path sees it.
type API struct {
	store.ResourceServer
	AllScope []string
	// hmac holds HS256 signers by typ when SigningAlg is HS256.
	hmac map[string]*keys.Signer
}

// Grant is a client-subject grant as the token path sees it.
type Grant struct {
	// Scopes are the scopes a token gets: the grant's list, or every scope of
	// the API when the grant allows all scopes.
	Scopes []string
}

// Allows reports whether the grant includes scope s.
func (g *Grant) Allows(s string) bool { return slices.Contains(g.Scopes, s) }

// Snapshot is an immutable view of the tenant for the token path.
type Snapshot struct {
	Version  int64
	Settings store.Settings
	Keys     *keys.Set
	// Extensions holds whatever the Compiler produced for bound actions and
	// the enabled hook (see Holder.Compile); nil when none.
	Extensions any

	clients  []Client
	clientIx map[string]int32 // ClientID -> index in clients
	apis     map[string]*API
	grants   []Grant
	grantIx  map[grantKey]int32 // (client, audience) -> index in grants
	algs     []string
}

type grantKey struct{ client, audience string }

// Client returns a client by id.
func (s *Snapshot) Client(id string) (*Client, bool) {
	i, ok := s.clientIx[id]
	if !ok {
		return nil, false
	}
	return &s.clients[i], true
}

// API returns an API by identifier.
func (s *Snapshot) API(identifier string) (*API, bool) { a, ok := s.apis[identifier]; return a, ok }

// Grant returns the client-subject grant for (client, audience).
func (s *Snapshot) Grant(clientID, audience string) (*Grant, bool) {
	i, ok := s.grantIx[grantKey{clientID, audience}]
	if !ok {
		return nil, false
	}
	return &s.grants[i], true
}

// Counts reports the number of clients, APIs and grants (for logs).
func (s *Snapshot) Counts() (clients, apis, grants int) {
	return len(s.clients), len(s.apis), len(s.grantIx)
}

// Algorithms lists the signing algorithms enabled in this tenant, for
// discovery's id_token_signing_alg_values_supported.
func (s *Snapshot) Algorithms() []string { return s.algs }

// Signer returns the signer for an API and token typ.
func (s *Snapshot) Signer(api *API, typ string) *keys.Signer {
	if api.SigningAlg == keys.HS256 {
		return api.hmac[typ]
	}
	return s.Keys.Signer(api.SigningAlg, typ)
}

// Compiler turns the bound actions and enabled hooks into whatever the token
// pipeline runs (see internal/hook); it is called once per snapshot build, and
// may reuse results from the previous snapshot.
type Compiler func(d *store.Data, prev any) (any, error)

// build makes a Snapshot from store data.
func build(d *store.Data, mk *keys.MasterKey, compile Compiler, prev *Snapshot) (*Snapshot, error) {
	ks, err := keys.NewSet(d.Keys, mk)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Version:  d.Version,
		Settings: d.Settings,
		Keys:     ks,
		clients:  make([]Client, 0, len(d.Clients)),
		clientIx: make(map[string]int32, len(d.Clients)),
		apis:     make(map[string]*API, len(d.ResourceServers)),
		grantIx:  make(map[grantKey]int32, len(d.Grants)),
		algs:     []string{keys.RS256, keys.PS256, keys.ES256, keys.EdDSA},
	}
	in := interner{strs: map[string]string{}, lists: map[string][]string{}}
	for i := range d.Clients {
		c := &d.Clients[i]
		s.clientIx[c.ClientID] = int32(len(s.clients))
		s.clients = append(s.clients, compactClient(c, &in))
	}
	hs := false
	for i := range d.ResourceServers {
		a := &API{ResourceServer: d.ResourceServers[i]}
		for _, sc := range a.Scopes {
			a.AllScope = append(a.AllScope, sc.Value)
		}
		if a.SigningAlg == keys.HS256 {
			hs = true
			secret, err := mk.OpenString(a.SigningSecret, "api-signing-secret:"+a.ID)
			if err != nil {
				return nil, fmt.Errorf("API %s signing secret: %w", a.Identifier, err)
			}
			a.hmac = make(map[string]*keys.Signer, 2)
			for _, typ := range []string{keys.TypJWT, keys.TypAtJWT} {
				sg, err := keys.HMACSigner([]byte(secret), typ)
				if err != nil {
					return nil, fmt.Errorf("API %s: %w", a.Identifier, err)
				}
				a.hmac[typ] = sg
			}
		}
		s.apis[a.Identifier] = a
	}
	if hs {
		s.algs = append(s.algs, keys.HS256)
	}
	for i := range d.Grants {
		s.addGrant(&d.Grants[i], &in)
	}
	if compile != nil {
		var p any
		if prev != nil {
			p = prev.Extensions
		}
		ext, err := compile(d, p)
		if err != nil {
			return nil, err
		}
		s.Extensions = ext
	}
	return s, nil
}

// addGrant indexes a client-subject grant; other subjects are skipped. The
// key shares the client's and the API's strings rather than keeping the
// grant's own copies.
func (s *Snapshot) addGrant(g *store.ClientGrant, in *interner) {
	if g.SubjectType != "" && g.SubjectType != "client" {
		return
	}
	k := grantKey{g.ClientID, g.Audience}
	if ci, ok := s.clientIx[g.ClientID]; ok {
		k.client = s.clients[ci].ClientID
	}
	var scopes []string
	if a, ok := s.apis[g.Audience]; ok {
		k.audience = a.Identifier
		if g.AllowAllScopes {
			scopes = a.AllScope
		}
	}
	if !g.AllowAllScopes {
		scopes = in.list(g.Scope)
	}
	s.grantIx[k] = int32(len(s.grants))
	s.grants = append(s.grants, Grant{Scopes: scopes})
}

// withClient returns a copy of s at version v in which client id (nil c:
// deleted) and its grants are replaced. Everything else is shared with s,
// which stays valid for the requests still reading it.
func (s *Snapshot) withClient(v int64, id string, c *store.Client, grants []store.ClientGrant) *Snapshot {
	n := *s
	n.Version = v
	n.clientIx = maps.Clone(s.clientIx)
	n.clients = slices.Clone(s.clients)
	in := interner{strs: map[string]string{}, lists: map[string][]string{}}
	i, had := s.clientIx[id]
	switch {
	case c != nil && had:
		n.clients[i] = compactClient(c, &in)
	case c != nil:
		n.clientIx[id] = int32(len(n.clients))
		n.clients = append(n.clients, compactClient(c, &in))
	case had: // deleted: the last client takes its place
		last := int32(len(n.clients) - 1)
		if i != last {
			n.clients[i] = n.clients[last]
			n.clientIx[n.clients[i].ClientID] = i
		}
		n.clients[last] = Client{}
		n.clients = n.clients[:last]
		delete(n.clientIx, id)
	}
	// The client's previous grants leave the index (their slots in grants
	// stay unused until the next full rebuild); its current ones are added.
	n.grantIx = maps.Clone(s.grantIx)
	for aud := range s.apis {
		delete(n.grantIx, grantKey{id, aud})
	}
	n.grants = slices.Clip(s.grants)
	if c != nil {
		for i := range grants {
			n.addGrant(&grants[i], &in)
		}
	}
	return &n
}

// compactClient keeps what the token path needs of c.
func compactClient(c *store.Client, in *interner) Client {
	out := Client{
		ClientID:                c.ClientID,
		Name:                    c.Name,
		TokenEndpointAuthMethod: in.str(c.TokenEndpointAuthMethod),
		GrantTypes:              in.list(c.GrantTypes),
		TokenLifetime:           c.TokenLifetime,
	}
	if len(c.Metadata) > 0 {
		out.Metadata = c.Metadata
	}
	if len(c.Secrets) > 0 {
		out.Secrets = make([]Secret, len(c.Secrets))
		for i, sec := range c.Secrets {
			out.Secrets[i] = Secret{Hash: sec.Hash, ExpiresAt: sec.ExpiresAt}
		}
	}
	return out
}

// interner shares equal strings and string lists while a snapshot is built:
// most clients have the same grant types and auth method, and most grants of
// a tenant repeat a few scope lists.
type interner struct {
	strs  map[string]string
	lists map[string][]string
}

func (in *interner) str(v string) string {
	if w, ok := in.strs[v]; ok {
		return w
	}
	in.strs[v] = v
	return v
}

func (in *interner) list(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	k := strings.Join(l, "\x00")
	if w, ok := in.lists[k]; ok {
		return w
	}
	w := make([]string, len(l))
	for i, v := range l {
		w[i] = in.str(v)
	}
	in.lists[k] = w
	return w
}

// Holder keeps the current Snapshot and rebuilds it when the store changes.
type Holder struct {
	store   store.Store
	master  *keys.MasterKey
	compile Compiler
	log     *slog.Logger

	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex // serialises rebuilds

	healthMu  sync.Mutex
	lastErr   error
	lastErrAt time.Time
	lastOK    time.Time
	now       func() time.Time
}

// NewHolder loads the first snapshot.
func NewHolder(ctx context.Context, st store.Store, mk *keys.MasterKey, compile Compiler, log *slog.Logger, now func() time.Time) (*Holder, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Holder{store: st, master: mk, compile: compile, log: log, now: now}
	if err := h.Refresh(ctx, true); err != nil {
		return nil, err
	}
	return h, nil
}

// Current returns the current snapshot. It never blocks.
func (h *Holder) Current() *Snapshot { return h.cur.Load() }

// Refresh rebuilds the snapshot if the store version moved (or always when
// force is set).
func (h *Holder) Refresh(ctx context.Context, force bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refresh(ctx, force)
}

// refresh is Refresh with h.mu held.
func (h *Holder) refresh(ctx context.Context, force bool) error {
	prev := h.cur.Load()
	if !force && prev != nil {
		v, err := h.store.Version(ctx)
		if err != nil {
			h.setHealth(err)
			return err
		}
		if v == prev.Version {
			h.setHealth(nil)
			return nil
		}
	}
	start := time.Now()
	d, err := h.store.Load(ctx)
	if err != nil {
		h.setHealth(err)
		return fmt.Errorf("load tenant: %w", err)
	}
	s, err := build(d, h.master, h.compile, prev)
	if err != nil {
		h.setHealth(err)
		return fmt.Errorf("build snapshot: %w", err)
	}
	h.cur.Store(s)
	h.setHealth(nil)
	c, a, g := s.Counts()
	h.log.Debug("snapshot rebuilt", "version", s.Version, "clients", c, "apis", a, "grants", g, "took", time.Since(start))
	return nil
}

// RefreshClients brings the snapshot up to date after writes that changed
// only the clients ids or their grants. When those writes are the only ones
// since the current snapshot (the store version moved by exactly writes;
// every write moves it by one), each client and its grants are read again
// and patched into a copy of the snapshot: milliseconds at 100,000 clients,
// where a full rebuild takes over a second. Otherwise it falls back to
// Refresh.
func (h *Holder) RefreshClients(ctx context.Context, ids []string, writes int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	prev := h.cur.Load()
	s, err := h.patchClients(ctx, prev, ids, int64(writes))
	if err != nil || s == nil {
		return h.refresh(ctx, false)
	}
	if s != prev {
		h.cur.Store(s)
		h.log.Debug("snapshot patched", "version", s.Version, "clients", len(ids), "took", time.Since(start))
	}
	h.setHealth(nil)
	return nil
}

// patchClients returns prev patched with the clients' current state, prev
// itself when it is already current, or nil when other writes happened too.
func (h *Holder) patchClients(ctx context.Context, prev *Snapshot, ids []string, writes int64) (*Snapshot, error) {
	v, err := h.store.Version(ctx)
	switch {
	case err != nil:
		return nil, err
	case v == prev.Version:
		return prev, nil
	case v != prev.Version+writes:
		return nil, nil
	}
	type state struct {
		c      *store.Client
		grants []store.ClientGrant
	}
	states := make([]state, len(ids))
	for i, id := range ids {
		c, err := h.store.GetClient(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		states[i].c = &c
		for {
			page, _, err := h.store.ListClientGrants(ctx, store.GrantFilter{ClientID: id, Page: store.Page{Offset: len(states[i].grants), Limit: 100}})
			if err != nil {
				return nil, err
			}
			states[i].grants = append(states[i].grants, page...)
			if len(page) < 100 {
				break
			}
		}
	}
	// The reads above were separate transactions: use them only if no
	// write came between.
	if v2, err := h.store.Version(ctx); err != nil || v2 != v {
		return nil, err
	}
	s := prev
	for i, id := range ids {
		s = s.withClient(v, id, states[i].c, states[i].grants)
	}
	return s, nil
}

func (h *Holder) setHealth(err error) {
	h.healthMu.Lock()
	defer h.healthMu.Unlock()
	if err != nil {
		if h.lastErr == nil {
			h.log.Warn("cannot refresh the tenant snapshot; serving tokens from the last one", "err", err)
		}
		h.lastErr, h.lastErrAt = err, h.now()
		return
	}
	if h.lastErr != nil {
		h.log.Info("tenant snapshot refreshed again")
	}
	h.lastErr, h.lastOK = nil, h.now()
}

// Health reports the last store error (nil when the last check succeeded)
// and when the snapshot was last confirmed fresh.
func (h *Holder) Health() (lastOK time.Time, err error) {
	h.healthMu.Lock()
	defer h.healthMu.Unlock()
	return h.lastOK, h.lastErr
}

// Watch refreshes the snapshot whenever the store notifies a change and at
// least every poll interval, until ctx ends.
func (h *Holder) Watch(ctx context.Context, poll time.Duration) {
	var changes <-chan struct{}
	if n, ok := h.store.(store.Notifier); ok {
		changes = n.Changes(ctx)
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := h.Refresh(rctx, false); err != nil && ctx.Err() == nil {
			h.log.Debug("snapshot refresh failed", "err", err)
		}
		cancel()
	}
}

// grantedScopes computes the scopes to issue: all granted scopes, or, when
// the tenant honours subsets and the request names scopes, the requested ones
// (each must be granted).
func grantedScopes(g *Grant, requested []string, honorSubset bool) ([]string, *oauth.Error) {
	if !honorSubset || len(requested) == 0 {
		return g.Scopes, nil
	}
	out := make([]string, 0, len(requested))
	for _, r := range requested {
		if !g.Allows(r) {
			return nil, oauth.InvalidScope("The requested scope is not granted to the client: " + r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Scopes returns the scopes to issue for grant g and the request's scopes,
// honouring the tenant's HonorScopeSubset setting.
func (s *Snapshot) Scopes(g *Grant, requested []string) ([]string, *oauth.Error) {
	return grantedScopes(g, requested, s.Settings.HonorScopeSubset)
}

// EachAPI calls fn for every API.
func (s *Snapshot) EachAPI(fn func(*API)) {
	for _, a := range s.apis {
		fn(a)
	}
}

// EachClient calls fn for every client.
func (s *Snapshot) EachClient(fn func(*Client)) {
	for i := range s.clients {
		fn(&s.clients[i])
	}
}
