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
	// NotBefore revokes the client's tokens issued before it (zero: none).
	NotBefore time.Time
	// DefaultOrganization is the id of the organization a client-credentials
	// request without organization gets when its grant requires one ("":
	// none, or a default_organization whose flows lack client_credentials).
	DefaultOrganization string
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
	// hsKey is the HS256 secret, for verifying (introspection, revocation).
	hsKey []byte
}

// HMACKey is the API's HS256 secret (nil unless it signs with HS256), for
// verifying its tokens in process; it never leaves the process.
func (a *API) HMACKey() []byte { return a.hsKey }

// Grant is a client-subject grant as the token path sees it.
type Grant struct {
	// Scopes are the scopes a token gets: the grant's list, or every scope of
	// the API when the grant allows all scopes.
	Scopes []string
	// ID is the grant's id, by which organizations are associated with it.
	ID string
	// OrganizationUsage is deny, allow or require (organization_usage).
	OrganizationUsage string
	// AllowAnyOrganization lets every organization use the grant.
	AllowAnyOrganization bool
	// all is allow_all_scopes: Scopes follow the API's.
	all bool
}

// Organization usages of a grant (Auth0's organization_usage).
const (
	OrgUsageDeny    = "deny"
	OrgUsageAllow   = "allow"
	OrgUsageRequire = "require"
)

// Organization is an organization as the token path and its Actions see it.
type Organization struct {
	ID          string
	Name        string
	DisplayName string
	Metadata    map[string]string // nil when empty
	// grants are the ids of the grants associated with it, as last read.
	grants []string
}

type orgGrantKey struct{ org, grant string }

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
	revoked  map[string]store.RevokedToken // by jti

	orgs      map[string]*Organization // by id
	orgNames  map[string]*Organization // by name
	orgGrants map[orgGrantKey]struct{} // (organization id, grant id) associations
}

// Organization returns an organization by id or, failing that, by name
// (a name may look like an id; the id wins).
func (s *Snapshot) Organization(idOrName string) (*Organization, bool) {
	if o, ok := s.orgs[idOrName]; ok {
		return o, true
	}
	o, ok := s.orgNames[idOrName]
	return o, ok
}

// OrganizationByID returns an organization by id only.
func (s *Snapshot) OrganizationByID(id string) (*Organization, bool) {
	o, ok := s.orgs[id]
	return o, ok
}

// OrganizationAllows reports whether grant g may be used with organization
// o: the grant allows any organization, or it is associated with o. (It
// does not look at the grant's organization_usage.)
func (s *Snapshot) OrganizationAllows(o *Organization, g *Grant) bool {
	if g.AllowAnyOrganization {
		return true
	}
	_, ok := s.orgGrants[orgGrantKey{o.ID, g.ID}]
	return ok
}

// EachOrganization calls fn for every organization.
func (s *Snapshot) EachOrganization(fn func(*Organization)) {
	for _, o := range s.orgs {
		fn(o)
	}
}

// TokenRevoked reports whether a token credo issued to clientID with jti
// at iat is revoked: by its jti (RFC 7009), or because the client's tokens
// issued before its NotBefore were revoked. A token of a client that no
// longer exists counts as revoked.
func (s *Snapshot) TokenRevoked(clientID, jti string, iat time.Time) bool {
	if _, ok := s.revoked[jti]; ok && jti != "" {
		return true
	}
	c, ok := s.Client(clientID)
	if !ok {
		return true
	}
	return !c.NotBefore.IsZero() && iat.Before(c.NotBefore)
}

// JTIRevoked reports whether the token id (a jti, or verify.TokenID's hash)
// is revoked one by one.
func (s *Snapshot) JTIRevoked(id string) bool {
	if len(s.revoked) == 0 {
		return false
	}
	_, ok := s.revoked[id]
	return ok
}

// RevokedCount reports how many tokens of clientID that have not expired at
// now are revoked one by one.
func (s *Snapshot) RevokedCount(clientID string, now time.Time) int {
	n := 0
	for _, t := range s.revoked {
		if t.ClientID == clientID && t.ExpiresAt.After(now) {
			n++
		}
	}
	return n
}

// HasRevokedTokens reports whether any token is revoked one by one.
func (s *Snapshot) HasRevokedTokens() bool { return len(s.revoked) > 0 }

// Revocations are the tenant's revocation state: revoked jtis with their
// tokens' expiry, and each client's not-before.
type Revocations struct {
	JTIs    map[string]time.Time
	Clients map[string]time.Time
}

// Revocations returns the revocation state, without the revocations of
// tokens expired at now.
func (s *Snapshot) Revocations(now time.Time) Revocations {
	r := Revocations{JTIs: map[string]time.Time{}, Clients: map[string]time.Time{}}
	for jti, t := range s.revoked {
		if t.ExpiresAt.After(now) {
			r.JTIs[jti] = t.ExpiresAt
		}
	}
	for i := range s.clients {
		if c := &s.clients[i]; !c.NotBefore.IsZero() {
			r.Clients[c.ClientID] = c.NotBefore
		}
	}
	return r
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
		Version:   d.Version,
		Settings:  d.Settings,
		Keys:      ks,
		clients:   make([]Client, 0, len(d.Clients)),
		clientIx:  make(map[string]int32, len(d.Clients)),
		apis:      make(map[string]*API, len(d.ResourceServers)),
		grantIx:   make(map[grantKey]int32, len(d.Grants)),
		orgs:      make(map[string]*Organization, len(d.Organizations)),
		orgNames:  make(map[string]*Organization, len(d.Organizations)),
		orgGrants: make(map[orgGrantKey]struct{}, len(d.OrganizationGrants)),
		revoked:   revokedMap(d.Revoked),
	}
	in := interner{strs: map[string]string{}, lists: map[string][]string{}}
	for i := range d.Organizations {
		o := newOrganization(&d.Organizations[i])
		s.orgs[o.ID], s.orgNames[o.Name] = o, o
	}
	for _, a := range d.OrganizationGrants {
		if o, ok := s.orgs[a.OrganizationID]; ok {
			o.grants = append(o.grants, a.GrantID)
			s.orgGrants[orgGrantKey{o.ID, a.GrantID}] = struct{}{}
		}
	}
	for i := range d.Clients {
		c := &d.Clients[i]
		s.clientIx[c.ClientID] = int32(len(s.clients))
		s.clients = append(s.clients, compactClient(c, &in))
	}
	for i := range d.ResourceServers {
		a, err := newAPI(d.ResourceServers[i], mk)
		if err != nil {
			return nil, err
		}
		s.apis[a.Identifier] = a
	}
	s.algs = algorithms(s.apis)
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

func revokedMap(list []store.RevokedToken) map[string]store.RevokedToken {
	m := make(map[string]store.RevokedToken, len(list))
	for _, t := range list {
		m[t.JTI] = t
	}
	return m
}

// newAPI is the token path's view of rs, with its HS256 signers.
func newAPI(rs store.ResourceServer, mk *keys.MasterKey) (*API, error) {
	a := &API{ResourceServer: rs}
	for _, sc := range a.Scopes {
		a.AllScope = append(a.AllScope, sc.Value)
	}
	if a.SigningAlg != keys.HS256 {
		return a, nil
	}
	secret, err := mk.OpenString(a.SigningSecret, "api-signing-secret:"+a.ID)
	if err != nil {
		return nil, fmt.Errorf("API %s signing secret: %w", a.Identifier, err)
	}
	a.hsKey = []byte(secret)
	a.hmac = make(map[string]*keys.Signer, 2)
	for _, typ := range []string{keys.TypJWT, keys.TypAtJWT} {
		sg, err := keys.HMACSigner([]byte(secret), typ)
		if err != nil {
			return nil, fmt.Errorf("API %s: %w", a.Identifier, err)
		}
		a.hmac[typ] = sg
	}
	return a, nil
}

// algorithms lists the signing algorithms of a tenant with these APIs.
func algorithms(apis map[string]*API) []string {
	algs := []string{keys.RS256, keys.PS256, keys.ES256, keys.EdDSA}
	for _, a := range apis {
		if a.SigningAlg == keys.HS256 {
			return append(algs, keys.HS256)
		}
	}
	return algs
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
	usage := g.OrganizationUsage
	if usage == "" {
		usage = OrgUsageDeny
	}
	s.grantIx[k] = int32(len(s.grants))
	s.grants = append(s.grants, Grant{Scopes: scopes, ID: g.ID, OrganizationUsage: in.str(usage),
		AllowAnyOrganization: g.AllowAnyOrganization, all: g.AllowAllScopes})
}

// newOrganization is the token path's view of o.
func newOrganization(o *store.Organization) *Organization {
	out := &Organization{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName}
	if len(o.Metadata) > 0 {
		out.Metadata = o.Metadata
	}
	return out
}

// orgState is one organization's stored record (nil: deleted) and the ids
// of its associated grants.
type orgState struct {
	org    *store.Organization
	grants []string
}

// withOrganizations replaces, adds or deletes each organization in states,
// with its associations, in n, a copy made by patched. (Associations of a
// deleted grant stay in the index, unreachable: grant ids are never reused,
// and the organization's next patch or the next full build drops them.)
func (n *Snapshot) withOrganizations(states map[string]orgState) {
	n.orgs, n.orgNames, n.orgGrants = maps.Clone(n.orgs), maps.Clone(n.orgNames), maps.Clone(n.orgGrants)
	for id := range states {
		if old, ok := n.orgs[id]; ok {
			for _, g := range old.grants {
				delete(n.orgGrants, orgGrantKey{id, g})
			}
			delete(n.orgs, id)
			if n.orgNames[old.Name] == old {
				delete(n.orgNames, old.Name)
			}
		}
	}
	for id, st := range states {
		if st.org == nil {
			continue
		}
		o := newOrganization(st.org)
		o.grants = st.grants
		n.orgs[id], n.orgNames[o.Name] = o, o
		for _, g := range st.grants {
			n.orgGrants[orgGrantKey{id, g}] = struct{}{}
		}
	}
}

// clientState is one client's stored record (nil: deleted) and grants.
type clientState struct {
	client *store.Client
	grants []store.ClientGrant
}

// patched returns a shallow copy of s at version v, to be patched: the
// with* methods copy what they change, so that s stays valid for the
// requests still reading it.
func (s *Snapshot) patched(v int64) *Snapshot {
	n := *s
	n.Version = v
	n.grants = slices.Clip(s.grants) // appends never write into s's array
	return &n
}

// withClients replaces, adds or deletes each client in states (and its
// grants) in n, a copy made by patched.
func (n *Snapshot) withClients(states map[string]clientState) {
	n.clientIx = maps.Clone(n.clientIx)
	n.clients = slices.Clone(n.clients)
	n.grantIx = maps.Clone(n.grantIx)
	in := interner{strs: map[string]string{}, lists: map[string][]string{}}
	for id, st := range states {
		i, had := n.clientIx[id]
		switch {
		case st.client != nil && had:
			n.clients[i] = compactClient(st.client, &in)
		case st.client != nil:
			n.clientIx[id] = int32(len(n.clients))
			n.clients = append(n.clients, compactClient(st.client, &in))
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
		// The client's previous grants leave the index (their slots in
		// grants stay unused until the next full build); its current ones
		// are added.
		for aud := range n.apis {
			delete(n.grantIx, grantKey{id, aud})
		}
	}
	for _, st := range states {
		if st.client != nil {
			for i := range st.grants {
				n.addGrant(&st.grants[i], &in)
			}
		}
	}
	n.pruneGrants()
}

// withAPI puts api (nil: deleted) in place of the API with id in n, a copy
// made by patched. A deleted API's grants leave the index; grants that
// allow all scopes follow the API's new scopes. It reports false when the
// identifier changed (then rebuild: grants moved with it).
func (n *Snapshot) withAPI(id string, api *API) bool {
	var old *API
	for _, a := range n.apis {
		if a.ID == id {
			old = a
			break
		}
	}
	if old != nil && api != nil && old.Identifier != api.Identifier {
		return false
	}
	if old == nil && api == nil {
		return true
	}
	n.apis, n.grantIx = maps.Clone(n.apis), maps.Clone(n.grantIx)
	if api == nil {
		delete(n.apis, old.Identifier)
		for k := range n.grantIx {
			if k.audience == old.Identifier {
				delete(n.grantIx, k)
			}
		}
	} else {
		n.apis[api.Identifier] = api
		for k, i := range n.grantIx {
			if k.audience == api.Identifier && n.grants[i].all {
				g := n.grants[i]
				g.Scopes = api.AllScope
				n.grantIx[k] = int32(len(n.grants))
				n.grants = append(n.grants, g)
			}
		}
	}
	n.algs = algorithms(n.apis)
	n.pruneGrants()
	return true
}

// pruneGrants drops the slots that patches left behind once they outnumber
// the live ones, so that a long run of writes without a rebuild does not
// grow the slice (and the copy each patch makes of it).
func (n *Snapshot) pruneGrants() {
	if len(n.grants) <= 2*len(n.grantIx)+1024 {
		return
	}
	live := make([]Grant, 0, len(n.grantIx))
	for k, i := range n.grantIx {
		n.grantIx[k] = int32(len(live))
		live = append(live, n.grants[i])
	}
	n.grants = live
}

// compactClient keeps what the token path needs of c.
func compactClient(c *store.Client, in *interner) Client {
	out := Client{
		ClientID:                c.ClientID,
		Name:                    c.Name,
		TokenEndpointAuthMethod: in.str(c.TokenEndpointAuthMethod),
		GrantTypes:              in.list(c.GrantTypes),
		TokenLifetime:           c.TokenLifetime,
		NotBefore:               c.TokensNotBefore,
	}
	if d := c.DefaultOrganization; d != nil && slices.Contains(d.Flows, oauth.GrantClientCredentials) {
		out.DefaultOrganization = d.OrganizationID
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

// Holder keeps the current Snapshot and brings it up to date when the
// store changes: after every write this process commits (store.OnCommit),
// and when Watch sees the version moved (writes of other processes).
type Holder struct {
	store   store.Store
	master  *keys.MasterKey
	compile Compiler
	log     *slog.Logger

	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex // serialises rebuilds

	stop func() // unregisters committed from the store
	// deferring (the depth of Deferred calls) and dirty implement Deferred.
	deferring atomic.Int32
	dirty     atomic.Bool

	// Counters for metrics (see Stats).
	rebuilds, patches, storeErrors atomic.Int64

	healthMu  sync.Mutex
	lastErr   error
	lastErrAt time.Time
	lastOK    time.Time
	now       func() time.Time
}

// NewHolder loads the first snapshot and registers with st to refresh it
// after each write this process commits.
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
	h.stop = st.OnCommit(h.committed)
	return h, nil
}

// Close stops refreshing the snapshot after this process's writes (Watch
// stops with its context).
func (h *Holder) Close() { h.stop() }

// committed brings the snapshot up to date after a write, so that the very
// next token request sees it. A failure is logged, not returned: the write
// itself succeeded and Watch will catch up.
func (h *Holder) committed(ctx context.Context) {
	if h.deferring.Load() > 0 {
		h.dirty.Store(true)
		return
	}
	if err := h.Refresh(ctx, false); err != nil {
		h.log.Warn("snapshot refresh after write failed", "err", err)
	}
}

// Deferred runs fn, a series of writes, with the snapshot update after each
// write held back, and brings it up to date once at the end: start-up (demo
// tenant, bootstrap admin, seed) would otherwise pay an update per write.
// Fresh, inside fn, still sees every write before it.
func (h *Holder) Deferred(ctx context.Context, fn func() error) error {
	h.deferring.Add(1)
	err := fn()
	if h.deferring.Add(-1) == 0 && h.dirty.Swap(false) {
		if rerr := h.Refresh(ctx, false); rerr != nil {
			h.log.Warn("snapshot refresh after writes failed", "err", rerr)
		}
	}
	return err
}

// Fresh returns the current snapshot, first applying the writes held back
// by Deferred.
func (h *Holder) Fresh(ctx context.Context) *Snapshot {
	if h.dirty.Swap(false) {
		if err := h.Refresh(ctx, false); err != nil {
			h.log.Warn("snapshot refresh failed", "err", err)
		}
	}
	return h.Current()
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
	if prev != nil && !force {
		if s := h.patch(ctx, prev); s != nil {
			h.patches.Add(1)
			h.cur.Store(s)
			h.setHealth(nil)
			h.log.Debug("snapshot patched", "version", s.Version, "took", time.Since(start))
			return nil
		}
	}
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
	h.rebuilds.Add(1)
	h.cur.Store(s)
	h.setHealth(nil)
	c, a, g := s.Counts()
	h.log.Debug("snapshot rebuilt", "version", s.Version, "clients", c, "apis", a, "grants", g, "took", time.Since(start))
	return nil
}

// Bounds on a patch: past them, one full rebuild is cheaper than reading
// the changed values one by one.
const (
	maxPatchClients = 256
	maxPatchAPIs    = 64
	maxPatchOrgs    = 256
)

// pending is what the writes since a snapshot changed.
type pending struct {
	clients  map[string]bool // client ids (record or grants)
	apis     map[string]bool // resource server ids
	orgs     map[string]bool // organization ids (record or associations)
	keys     bool
	settings bool
	scripts  bool // actions, bindings or hooks
	revoked  bool
}

// pendingSince reads the change log since prev; ok is false when it cannot
// say what changed (it does not reach back, a write without a kind, a grant
// moved between clients, or too many values).
func (h *Holder) pendingSince(ctx context.Context, prev *Snapshot) (cur int64, p pending, ok bool) {
	cur, changes, err := h.store.ChangesSince(ctx, prev.Version)
	if err != nil || cur <= prev.Version || int64(len(changes)) != cur-prev.Version {
		return 0, p, false
	}
	p = pending{clients: map[string]bool{}, apis: map[string]bool{}, orgs: map[string]bool{}}
	for i, c := range changes {
		if c.Version != prev.Version+int64(i)+1 {
			return 0, p, false
		}
		switch c.Kind {
		case store.ChangeClient, store.ChangeClientGrant:
			if c.ClientID == "" {
				return 0, p, false
			}
			p.clients[c.ClientID] = true
		case store.ChangeResourceServer:
			if c.ID == "" {
				return 0, p, false
			}
			p.apis[c.ID] = true
		case store.ChangeOrganization:
			if c.ID == "" {
				return 0, p, false
			}
			p.orgs[c.ID] = true
		case store.ChangeSigningKeys:
			p.keys = true
		case store.ChangeSettings:
			p.settings = true
		case store.ChangeAction, store.ChangeBindings, store.ChangeHook:
			p.scripts = true
		case store.ChangeRevocation:
			p.revoked = true
		case store.ChangeTenant, store.ChangeLogStream: // not part of the snapshot
		default:
			return 0, p, false
		}
		if len(p.clients) > maxPatchClients || len(p.apis) > maxPatchAPIs || len(p.orgs) > maxPatchOrgs {
			return 0, p, false
		}
	}
	return cur, p, true
}

// patch brings prev up to date from the store's change log: it re-reads
// only what the writes since prev changed (clients and their grants, APIs,
// signing keys, settings, the bound scripts) and patches them into a copy
// of prev, which takes milliseconds at 100,000 clients where a full
// rebuild takes over a second. It returns nil when it cannot (see
// pendingSince, a read failed, or a write came in between its reads).
func (h *Holder) patch(ctx context.Context, prev *Snapshot) *Snapshot {
	cur, p, ok := h.pendingSince(ctx, prev)
	if !ok {
		return nil
	}
	states := map[string]clientState{}
	for id := range p.clients {
		var st clientState
		c, err := h.store.GetClient(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil
		default:
			st.client = &c
			st.grants, err = store.All(ctx, func(ctx context.Context, pg store.Page) ([]store.ClientGrant, int, error) {
				return h.store.ListClientGrants(ctx, store.GrantFilter{ClientID: id, Page: pg})
			})
			if err != nil {
				return nil
			}
		}
		states[id] = st
	}
	apis := map[string]*API{}
	for id := range p.apis {
		rs, err := h.store.GetResourceServer(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			apis[id] = nil
		case err != nil || rs.ID != id: // an identifier that names another API's id
			return nil
		default:
			if apis[id], err = newAPI(rs, h.master); err != nil {
				return nil
			}
		}
	}
	orgs := map[string]orgState{}
	for id := range p.orgs {
		var st orgState
		o, err := h.store.GetOrganization(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil
		default:
			st.org = &o
			grants, err := store.All(ctx, func(ctx context.Context, pg store.Page) ([]store.ClientGrant, int, error) {
				return h.store.ListOrganizationGrants(ctx, id, store.OrganizationGrantFilter{Page: pg})
			})
			if errors.Is(err, store.ErrNotFound) { // deleted between the reads
				st.org = nil
			} else if err != nil {
				return nil
			}
			for _, g := range grants {
				st.grants = append(st.grants, g.ID)
			}
		}
		orgs[id] = st
	}
	n := prev.patched(cur)
	if p.keys {
		list, err := h.store.ListSigningKeys(ctx)
		if err != nil {
			return nil
		}
		if n.Keys, err = keys.NewSet(list, h.master); err != nil {
			return nil
		}
	}
	if p.settings {
		st, err := h.store.Settings(ctx)
		if err != nil {
			return nil
		}
		n.Settings = st
	}
	if p.revoked {
		list, err := h.store.RevokedTokens(ctx)
		if err != nil {
			return nil
		}
		n.revoked = revokedMap(list)
	}
	if p.scripts && h.compile != nil {
		d, err := h.scripts(ctx)
		if err != nil {
			return nil
		}
		if n.Extensions, err = h.compile(d, prev.Extensions); err != nil {
			return nil
		}
	}
	// The reads above were separate transactions: use them only if no
	// write came between.
	if v, err := h.store.Version(ctx); err != nil || v != cur {
		return nil
	}
	for id, api := range apis {
		if !n.withAPI(id, api) {
			return nil
		}
	}
	if len(states) > 0 {
		n.withClients(states)
	}
	if len(orgs) > 0 {
		n.withOrganizations(orgs)
	}
	return n
}

// scripts reads what the Compiler needs: the enabled hooks and the actions
// bound to the credentials-exchange trigger, in binding order (the only
// trigger of the token path).
func (h *Holder) scripts(ctx context.Context) (*store.Data, error) {
	d := &store.Data{Bindings: map[string][]string{}}
	var err error
	if d.Hooks, err = store.All(ctx, h.store.ListHooks); err != nil {
		return nil, err
	}
	ids, err := h.store.Bindings(ctx, TriggerCredentialsExchange)
	if err != nil {
		return nil, err
	}
	d.Bindings[TriggerCredentialsExchange] = ids
	for _, id := range ids {
		a, err := h.store.GetAction(ctx, id)
		if err != nil {
			return nil, err
		}
		d.Actions = append(d.Actions, a)
	}
	return d, nil
}

func (h *Holder) setHealth(err error) {
	if err != nil {
		h.storeErrors.Add(1)
	}
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

// HolderStats count what a Holder did since it started.
type HolderStats struct {
	// Rebuilds are full snapshot builds (Load), Patches updates from the
	// change log.
	Rebuilds, Patches int64
	// StoreErrors are failed store reads while refreshing.
	StoreErrors int64
}

// Stats returns the Holder's counters.
func (h *Holder) Stats() HolderStats {
	return HolderStats{Rebuilds: h.rebuilds.Load(), Patches: h.patches.Load(), StoreErrors: h.storeErrors.Load()}
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
