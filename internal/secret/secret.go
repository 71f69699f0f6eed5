package secret

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// MinStrongLength is the length from which a secret is treated as
// high-entropy and hashed with SHA-256 rather than argon2id.
const MinStrongLength = 32

// MaxLength bounds a presented or imported secret.
const MaxLength = 512

var b64 = base64.RawURLEncoding

// Generate returns a new 256-bit random secret, base64url-encoded (43 characters).
func Generate() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return b64.EncodeToString(b[:])
}

// Hash hashes a secret for storage: SHA-256 for secrets of MinStrongLength or
// more characters, argon2id for shorter ones.
func Hash(secret string) (string, error) {
	if secret == "" {
		return "", errors.New("secret: empty secret")
	}
	if len(secret) > MaxLength {
		return "", fmt.Errorf("secret: longer than %d characters", MaxLength)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if len(secret) >= MinStrongLength {
		return "$sha256$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(sha(salt, secret)), nil
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

func sha(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// Verifier checks presented secrets against stored hashes. Its zero value is
// not usable; create one with NewVerifier. It is safe for concurrent use.
type Verifier struct {
	cache *kdfCache
	// slots bounds the argon2id derivations running at once (each takes
	// argonMemory and most of a core for tens of milliseconds).
	slots chan struct{}
	// wait bounds how long Check waits for a slot.
	wait time.Duration
}

// NewVerifier returns a Verifier whose argon2id results are cached for ttl.
// At most half the CPUs (at least one) derive argon2id keys at once; a Check
// that waits longer than a second for one fails with ErrBusy.
func NewVerifier(ttl time.Duration, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		cache: &kdfCache{ttl: ttl, now: now, m: make(map[[32]byte]cacheEntry)},
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		wait:  time.Second,
	}
}

// ErrBusy is returned by Check when every argon2id slot stayed busy: the
// caller should answer "retry later", not "wrong secret".
var ErrBusy = errors.New("secret: too many low-entropy secrets being verified; retry later")

// Dummy hashes, verified against when nothing real can match, so that the
// cost of a check does not tell whether the client exists.
var (
	dummySHA = func() string {
		h, _ := Hash(strings.Repeat("x", MinStrongLength))
		return h
	}()
	dummyArgon = func() string {
		h, _ := Hash("x")
		return h
	}()
)

// Check reports whether presented matches one of hashes (the client's
// current secrets; none for an unknown client). Its cost depends only on
// the length of presented, never on the hashes, so that it tells nothing
// about whether the client exists or how its secret is stored: a secret
// shorter than MinStrongLength can only match an argon2id hash and costs one
// argon2id derivation (or a cached result), a longer one can only match a
// SHA-256 hash and costs one SHA-256 per such hash (at least one); an
// empty one matches nothing and costs nothing. The
// argon2id derivations wait for one of the Verifier's bounded slots; when
// none frees up in time Check returns ErrBusy, and the hot path of
// high-entropy secrets never waits.
func (v *Verifier) Check(ctx context.Context, hashes []string, presented string) (bool, error) {
	if presented == "" {
		return false, nil // no secret is empty: nothing to compute, for any client
	}
	if len(presented) > MaxLength {
		presented = "\x00"
	}
	strong := len(presented) >= MinStrongLength
	ok, tried := false, false
	for _, h := range hashes {
		switch {
		case strong && strings.HasPrefix(h, "$sha256$"):
			tried = true
			if v.Verify(h, presented) {
				ok = true
			}
		case !strong && strings.HasPrefix(h, "$argon2id$"):
			tried = true
			match, err := v.argon(ctx, h, presented)
			if err != nil {
				return false, err
			}
			ok = ok || match
		}
	}
	if tried {
		return ok, nil
	}
	if strong {
		v.Verify(dummySHA, presented)
		return false, nil
	}
	_, err := v.argon(ctx, dummyArgon, presented)
	return false, err
}

// argon verifies an argon2id hash, from the cache or in one of the slots.
func (v *Verifier) argon(ctx context.Context, stored, presented string) (bool, error) {
	key := argonKey(stored, presented)
	if ok, hit := v.cache.get(key); hit {
		return ok, nil
	}
	t := time.NewTimer(v.wait)
	defer t.Stop()
	select {
	case v.slots <- struct{}{}:
	case <-t.C:
		return false, ErrBusy
	case <-ctx.Done():
		return false, ErrBusy
	}
	defer func() { <-v.slots }()
	if ok, hit := v.cache.get(key); hit { // another request derived it meanwhile
		return ok, nil
	}
	ok := verifyArgon(stored, presented)
	v.cache.put(key, ok)
	return ok, nil
}

// Dummy performs a verification that always fails and costs the same as a
// real SHA-256 check.
func (v *Verifier) Dummy(presented string) { v.Verify(dummySHA, presented) }

// Verify reports whether presented matches the stored hash, in constant time
// with respect to the secret's content.
func (v *Verifier) Verify(stored, presented string) bool {
	if len(presented) > MaxLength || presented == "" {
		presented = "\x00"
	}
	switch {
	case strings.HasPrefix(stored, "$sha256$"):
		salt, digest, ok := splitSHA(stored)
		if !ok {
			return false
		}
		return subtle.ConstantTimeCompare(sha(salt, presented), digest) == 1
	case strings.HasPrefix(stored, "$argon2id$"):
		return v.verifyArgon(stored, presented)
	}
	return false
}

func splitSHA(stored string) (salt, digest []byte, ok bool) {
	rest := stored[len("$sha256$"):]
	i := strings.IndexByte(rest, '$')
	if i < 0 {
		return nil, nil, false
	}
	var err1, err2 error
	salt, err1 = b64.DecodeString(rest[:i])
	digest, err2 = b64.DecodeString(rest[i+1:])
	return salt, digest, err1 == nil && err2 == nil && len(digest) == sha256.Size
}

func (v *Verifier) verifyArgon(stored, presented string) bool {
	key := argonKey(stored, presented)
	if ok, hit := v.cache.get(key); hit {
		return ok
	}
	ok := verifyArgon(stored, presented)
	v.cache.put(key, ok)
	return ok
}

// argonKey is the cache key of (stored, presented): a digest, so that the
// cache holds no secret material.
func argonKey(stored, presented string) [32]byte {
	h := sha256.New()
	h.Write([]byte(stored))
	h.Write([]byte{0})
	h.Write([]byte(presented))
	var key [32]byte
	h.Sum(key[:0])
	return key
}

func verifyArgon(stored, presented string) bool {
	// $argon2id$v=19$m=..,t=..,p=..$salt$key
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	argonDerivations.Add(1)
	got := argon2.IDKey([]byte(presented), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// argonDerivations counts argon2id derivations (for tests).
var argonDerivations atomic.Int64

// kdfCache remembers argon2id results keyed by SHA-256(stored hash, presented
// secret); it holds no secret material. Bounded: when full it is cleared.
type kdfCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[[32]byte]cacheEntry
}

type cacheEntry struct {
	ok      bool
	expires time.Time
}

const kdfCacheMax = 10000

func (c *kdfCache) get(k [32]byte) (ok, hit bool) {
	if c.ttl <= 0 {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.m[k]
	if !found || c.now().After(e.expires) {
		return false, false
	}
	return e.ok, true
}

func (c *kdfCache) put(k [32]byte, ok bool) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= kdfCacheMax {
		clear(c.m)
	}
	c.m[k] = cacheEntry{ok: ok, expires: c.now().Add(c.ttl)}
}
