package hook

import (
	"sync"
	"time"
)

// Limits of api.cache, from Auth0's Actions limitations.
const (
	cacheMaxEntries  = 20
	cacheMaxKey      = 64   // bytes
	cacheMaxValue    = 4096 // bytes
	cacheMaxTotal    = 8192 // bytes of keys and values together
	cacheDefaultTTL  = 15 * time.Minute
	cacheMaxLifetime = 24 * time.Hour
	// cacheSweepAt is the number of per-script caches above which creating
	// another first drops the caches that hold no live entry.
	cacheSweepAt = 1024
)

// Codes of {type: "error", code} results of api.cache.set and delete.
// Auth0 documents the shape but not the codes.
const (
	cacheInvalidKey     = "INVALID_KEY"
	cacheInvalidValue   = "INVALID_VALUE"
	cacheInvalidOptions = "INVALID_OPTIONS"
)

// cacheStore holds one actionCache per Script.ID.
type cacheStore struct {
	mu     sync.Mutex
	caches map[string]*actionCache
}

func (s *cacheStore) get(id string, now time.Time) *actionCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.caches[id]; c != nil {
		return c
	}
	if s.caches == nil {
		s.caches = make(map[string]*actionCache)
	}
	if len(s.caches) >= cacheSweepAt {
		for k, c := range s.caches {
			if c.purge(now) == 0 {
				delete(s.caches, k)
			}
		}
	}
	c := &actionCache{entries: make(map[string]cacheEntry)}
	s.caches[id] = c
	return c
}

// actionCache is the bounded cache of one script.
type actionCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	size    int // bytes of keys and values
}

type cacheEntry struct {
	value   string
	expires time.Time
}

func (c *actionCache) lookup(key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return cacheEntry{}, false
	}
	if !now.Before(e.expires) {
		c.drop(key, e)
		return cacheEntry{}, false
	}
	return e, true
}

// store sets key to value until expires, evicting expired entries and then
// the entries closest to expiry until the limits hold. The caller has
// checked the sizes of key and value.
func (c *actionCache) store(key, value string, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.drop(key, old)
	}
	c.purgeLocked(now)
	need := len(key) + len(value)
	for len(c.entries) >= cacheMaxEntries || c.size+need > cacheMaxTotal {
		var victim string
		var first time.Time
		for k, e := range c.entries {
			if first.IsZero() || e.expires.Before(first) || (e.expires.Equal(first) && k < victim) {
				victim, first = k, e.expires
			}
		}
		c.drop(victim, c.entries[victim])
	}
	c.entries[key] = cacheEntry{value: value, expires: expires}
	c.size += need
}

func (c *actionCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.drop(key, e)
	}
}

// purge drops expired entries and returns how many remain.
func (c *actionCache) purge(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purgeLocked(now)
	return len(c.entries)
}

func (c *actionCache) purgeLocked(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			c.drop(k, e)
		}
	}
}

func (c *actionCache) drop(key string, e cacheEntry) {
	delete(c.entries, key)
	c.size -= len(key) + len(e.value)
}

// cacheExpiry computes the expiry of a set from its options: ttl and
// expires_at in milliseconds, the earlier winning when both are given, the
// default lifetime when neither is, and at most cacheMaxLifetime from now.
// ok is false when an option is not a positive finite number or the expiry
// is not in the future.
func cacheExpiry(now time.Time, ttl, expiresAt *float64) (time.Time, bool) {
	expires := now.Add(cacheDefaultTTL)
	if ttl != nil || expiresAt != nil {
		expires = now.Add(cacheMaxLifetime)
	}
	if ttl != nil {
		ms := *ttl
		if !(ms > 0) || ms > 1e15 {
			return time.Time{}, false
		}
		if t := now.Add(time.Duration(ms * float64(time.Millisecond))); t.Before(expires) {
			expires = t
		}
	}
	if expiresAt != nil {
		ms := *expiresAt
		if !(ms > 0) || ms > 1e15 {
			return time.Time{}, false
		}
		if t := time.UnixMilli(int64(ms)); t.Before(expires) {
			expires = t
		}
	}
	if latest := now.Add(cacheMaxLifetime); expires.After(latest) {
		expires = latest
	}
	if !expires.After(now) {
		return time.Time{}, false
	}
	return expires, true
}
