package token

import (
	"strings"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/oauth"
)

// ReuseCache returns the same still-valid token for repeated requests for
// the same token (see reuseKey), for clients that do not cache tokens
// themselves. A token is reused while more than MinRemaining of its lifetime
// is left; entries are dropped when the tenant version changes (a rotated
// key or a changed grant never serves an old token). Off by default.
type ReuseCache struct {
	// MinRemaining is the fraction of the lifetime (0..1) that must remain
	// for a cached token to be returned, e.g. 0.5.
	MinRemaining float64
	// Max bounds the number of entries; when full the cache is cleared.
	Max int

	mu      sync.Mutex
	version int64
	m       map[string]reuseEntry
}

type reuseEntry struct {
	tok    oauth.Token
	issued time.Time
}

// reuseKey is derived from everything in an exchange that changes the
// token: the grant type, the client, the audience, the organization (the
// one decided, by id: named by id, by name or the client's default, it is
// the same token) and the scopes. (What the tenant decides, such as lifetimes, algorithms and
// keys, moves the snapshot version, which empties the cache.) A step that
// adds something to the token (an organization, a key binding) adds it here.
func reuseKey(ex *Exchange) string {
	return ex.GrantType.Name() + "\x00" + ex.Client.ClientID + "\x00" + ex.API.Identifier + "\x00" +
		ex.orgID() + "\x00" + strings.Join(ex.Scopes, " ")
}

// Get returns a cached token with its expires_in reduced to the time left.
func (c *ReuseCache) Get(version int64, key string, now time.Time) (oauth.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return oauth.Token{}, false
	}
	e, ok := c.m[key]
	if !ok {
		return oauth.Token{}, false
	}
	left := e.tok.ExpiresIn - int64(now.Sub(e.issued)/time.Second)
	if float64(left) <= c.MinRemaining*float64(e.tok.ExpiresIn) {
		return oauth.Token{}, false
	}
	t := e.tok
	t.ExpiresIn = left
	return t, true
}

// Put stores a freshly issued token.
func (c *ReuseCache) Put(version int64, key string, issued time.Time, t oauth.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.version != version || (c.Max > 0 && len(c.m) >= c.Max) {
		c.m = make(map[string]reuseEntry)
		c.version = version
	}
	c.m[key] = reuseEntry{tok: t, issued: issued}
}

// orgID is the id of the exchange's organization, or "".
func (ex *Exchange) orgID() string {
	if ex.Organization == nil {
		return ""
	}
	return ex.Organization.ID
}
