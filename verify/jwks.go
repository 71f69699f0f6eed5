package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted from a JWKS.
const minRSABits = 2048

// jwksCache holds the issuer's parsed public keys by kid.
//
// Readers never lock: the current keySet sits in an atomic pointer and is
// never modified after it is published. A fetch runs in its own goroutine,
// detached from any caller's context (a caller that gives up does not cancel
// it for the others), and every caller that needs it waits on the same
// fetchCall. Fetches of every kind share one limiter: no fetch starts less
// than cooldown after the previous one started, so a flood of tokens with
// random kids costs at most one request per cooldown.
type jwksCache struct {
	url      string
	client   *http.Client
	timeout  time.Duration
	maxBytes int64
	ttl      time.Duration
	cooldown time.Duration
	now      func() time.Time

	set          atomic.Pointer[keySet]
	nextFetch    atomic.Int64 // UnixNano before which no fetch may start
	lastFetchErr atomic.Bool  // the most recent completed fetch failed

	mu       sync.Mutex
	inflight *fetchCall
	lastErr  error // error of the most recent failed fetch, under mu
}

type keySet struct {
	keys    map[string]*publicKey
	fetched time.Time
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// lookup returns the key for kid, fetching the JWKS when there is none yet,
// when kid is unknown, or when the keys are older than the TTL. Fetches obey
// the cooldown; a caller waits for an in-flight fetch (or until ctx is done).
func (c *jwksCache) lookup(ctx context.Context, kid string) (*publicKey, error) {
	now := c.now()
	ks := c.set.Load()
	if ks != nil {
		if k := ks.keys[kid]; k != nil {
			age := now.Sub(ks.fetched)
			switch {
			case age < c.ttl*4/5:
				return k, nil
			case age < c.ttl || c.lastFetchErr.Load():
				// Refresh in the background; serve the cached key meanwhile
				// (also when the endpoint is down: stale keys beat none).
				c.start(now)
				return k, nil
			}
			// Past the TTL after a quiet period: wait for fresh keys so a
			// key the issuer revoked stops verifying.
		}
	}
	if call := c.start(now); call != nil {
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("verify: waiting for JWKS: %w", ctx.Err())
		}
	}
	ks = c.set.Load()
	if ks == nil {
		c.mu.Lock()
		err := c.lastErr
		c.mu.Unlock()
		if err == nil {
			return nil, ErrKeysUnavailable
		}
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	if k := ks.keys[kid]; k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

// start returns the in-flight fetch, or starts one if the cooldown allows it,
// or returns nil.
func (c *jwksCache) start(now time.Time) *fetchCall {
	if now.UnixNano() < c.nextFetch.Load() {
		c.mu.Lock()
		call := c.inflight
		c.mu.Unlock()
		return call
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight != nil {
		return c.inflight
	}
	if now.UnixNano() < c.nextFetch.Load() {
		return nil
	}
	c.nextFetch.Store(now.Add(c.cooldown).UnixNano())
	call := &fetchCall{done: make(chan struct{})}
	c.inflight = call
	go c.run(call)
	return call
}

func (c *jwksCache) run(call *fetchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	keys, err := c.fetch(ctx)
	if err == nil {
		c.set.Store(&keySet{keys: keys, fetched: c.now()})
	}
	c.lastFetchErr.Store(err != nil)
	c.mu.Lock()
	if err != nil {
		c.lastErr = err
	}
	c.inflight = nil
	c.mu.Unlock()
	call.err = err
	close(call.done)
}

// fetch downloads and parses the JWKS. A response with no usable key is an
// error, so a broken deployment never replaces good cached keys with nothing.
func (c *jwksCache) fetch(ctx context.Context) (map[string]*publicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("verify: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("verify: fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("verify: fetching JWKS %s: HTTP %d", c.url, resp.StatusCode)
	}
	if resp.ContentLength > c.maxBytes {
		return nil, fmt.Errorf("verify: JWKS %s is %d bytes, over the %d-byte limit", c.url, resp.ContentLength, c.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("verify: reading JWKS %s: %w", c.url, err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, fmt.Errorf("verify: JWKS %s is over the %d-byte limit", c.url, c.maxBytes)
	}
	return parseJWKS(body)
}

// parseJWKS keeps the usable signature keys of a JWKS by kid. Keys are parsed
// one by one so that one key of an unknown type does not hide the others.
// Skipped: keys without kid, symmetric ("oct") keys, keys whose use is not
// "sig", RSA keys under 2048 bits, and later keys repeating a kid.
func parseJWKS(body []byte) (map[string]*publicKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("verify: JWKS is not valid JSON: %w", err)
	}
	keys := make(map[string]*publicKey, len(doc.Keys))
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		if jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") || keys[jwk.KeyID] != nil {
			continue
		}
		if !jwk.IsPublic() {
			jwk = jwk.Public() // a private key published by mistake: use its public half
		}
		if !jwk.Valid() {
			continue
		}
		switch k := jwk.Key.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < minRSABits {
				continue
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default: // oct keys, encryption-only key types
			continue
		}
		keys[jwk.KeyID] = &publicKey{key: jwk.Key, alg: jwk.Algorithm}
	}
	if len(keys) == 0 {
		return nil, errors.New("verify: JWKS has no usable signing key")
	}
	return keys, nil
}
