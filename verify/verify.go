package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
)

// Defaults applied by [New] to zero fields of [Config].
const (
	DefaultLeeway          = 5 * time.Second
	DefaultCacheTTL        = 10 * time.Minute
	DefaultRefreshCooldown = 30 * time.Second
	DefaultHTTPTimeout     = 5 * time.Second
	DefaultMaxJWKSBytes    = 1 << 20

	// MaxLeeway is the largest Config.Leeway that New accepts.
	MaxLeeway = time.Minute
)

// maxTokenBytes bounds the raw token: larger strings are refused before any
// decoding, so a flood of huge headers costs nothing.
const maxTokenBytes = 32 << 10

// Config configures a [Verifier]. Zero values of optional fields select the
// documented defaults.
type Config struct {
	// Issuer is the exact expected iss claim, e.g. "https://auth.example.com/"
	// (Auth0 and credo issuers end in a slash). Required.
	Issuer string
	// Audience lists the accepted audiences: a token's aud (a string or an
	// array) must contain at least one of them. Required.
	Audience []string
	// Algorithms is the allow-list of JWS algorithms, e.g. []string{"RS256"}.
	// Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA, HS256, HS384, HS512. "none" is always refused. Required.
	Algorithms []string
	// JWKSURL is where the issuer's public keys are published. Default:
	// Issuer + ".well-known/jwks.json" (a slash is inserted if Issuer lacks
	// one). Only used when an asymmetric algorithm is allowed.
	JWKSURL string
	// HMACSecret is the only key HS256/HS384/HS512 tokens verify with; it
	// must be at least as long as the hash output (32 bytes for HS256).
	// Required when an HS algorithm is allowed.
	HMACSecret []byte
	// Leeway is the allowed clock skew for exp, nbf and iat. Zero means
	// DefaultLeeway (5 s, as express-oauth2-jwt-bearer); at most MaxLeeway.
	Leeway time.Duration
	// RequireTyp, when set, requires the JWS header typ to match it,
	// case-insensitively and ignoring an "application/" prefix on either
	// side: "at+jwt" accepts "at+jwt" and "application/at+jwt" (RFC 9068 §4,
	// RFC 7515 §4.1.9).
	RequireTyp string
	// RequireOrganization requires an org_id claim: only tokens issued for
	// an organization (Auth0 Organizations for M2M) are accepted.
	RequireOrganization bool
	// Organizations, when not empty, is the allow-list of organization ids
	// (org_…): a token must carry an org_id that is one of them. A token
	// without org_id is refused too, so an API that partitions data by
	// organization cannot be reached without one.
	Organizations []string
	// CacheTTL is how long fetched keys count as fresh. A refresh starts in
	// the background once 80% of it has passed; a token verified after it has
	// fully passed waits for a refetch (unless the last fetch failed, in which
	// case the cached keys keep serving). Zero means DefaultCacheTTL (10 min).
	CacheTTL time.Duration
	// RefreshCooldown is the minimum time between two JWKS fetches of any
	// kind, including fetches caused by unknown kids. Zero means
	// DefaultRefreshCooldown (30 s).
	RefreshCooldown time.Duration
	// HTTPClient fetches the JWKS. Default: a client with a 5 s timeout. Each
	// fetch is also bounded by the client's Timeout, or 5 s if it has none.
	HTTPClient *http.Client
	// MaxJWKSBytes bounds the JWKS response body; larger responses are
	// refused. Zero means DefaultMaxJWKSBytes (1 MiB).
	MaxJWKSBytes int64
	// Now is the clock used for claim checks and cache ages. Default time.Now.
	Now func() time.Time
	// RevocationListURL, when set, turns on revocation checks (an opt-in
	// credo extension; Auth0 cannot revoke access tokens): the verifier
	// polls this signed list (credo: Issuer + ".well-known/revocations.jwt"),
	// verified with the issuer's JWKS keys, and refuses listed tokens with
	// ErrRevoked, with no call per request. Until a list has been fetched,
	// and once the last one has expired (10 minutes after credo signed it)
	// without a refresh, tokens are refused with ErrRevocationsUnavailable.
	// Needs an asymmetric algorithm.
	RevocationListURL string
	// RevocationListInterval is how often the list is refreshed (in the
	// background). Zero means DefaultRevocationInterval (30 s).
	RevocationListInterval time.Duration
}

// Verifier verifies access tokens. It is safe for concurrent use. The zero
// value refuses every token with [ErrNotConfigured]; use [New].
//
// Keys are fetched lazily: New performs no I/O, and the first token with an
// asymmetric algorithm triggers the first JWKS fetch. This lets an API start
// before its issuer does.
type Verifier struct {
	issuer     string
	audiences  []string
	algs       []jose.SignatureAlgorithm
	hmacSecret []byte
	leeway     time.Duration
	requireTyp string
	requireOrg bool
	orgs       map[string]bool // nil: any organization
	now        func() time.Time
	keys       *jwksCache   // nil when only HMAC algorithms are allowed
	revoked    *revocations // nil unless Config.RevocationListURL is set
	configured bool
}

// hmacAlgs maps each HMAC algorithm to its minimum key length in bytes (RFC 7518 §3.2).
var hmacAlgs = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

var asymmetricAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// New validates cfg, applies defaults and returns a Verifier. It performs no
// network I/O.
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("verify: Config.Issuer is required")
	}
	if len(cfg.Audience) == 0 {
		return nil, errors.New("verify: Config.Audience is required")
	}
	for _, a := range cfg.Audience {
		if a == "" {
			return nil, errors.New("verify: Config.Audience contains an empty string")
		}
	}
	if len(cfg.Algorithms) == 0 {
		return nil, errors.New("verify: Config.Algorithms is required (an allow-list such as RS256)")
	}
	v := &Verifier{
		issuer:     cfg.Issuer,
		audiences:  append([]string(nil), cfg.Audience...),
		requireTyp: normalizeTyp(cfg.RequireTyp),
		requireOrg: cfg.RequireOrganization || len(cfg.Organizations) > 0,
		leeway:     cfg.Leeway,
		now:        cfg.Now,
		configured: true,
	}
	for _, o := range cfg.Organizations {
		if o == "" {
			return nil, errors.New("verify: Config.Organizations contains an empty string")
		}
		if v.orgs == nil {
			v.orgs = make(map[string]bool, len(cfg.Organizations))
		}
		v.orgs[o] = true
	}
	needJWKS := false
	for _, a := range cfg.Algorithms {
		switch {
		case strings.EqualFold(a, "none"):
			return nil, errors.New(`verify: algorithm "none" is never allowed`)
		case asymmetricAlgs[a]:
			needJWKS = true
		case hmacAlgs[a] > 0:
			if len(cfg.HMACSecret) < hmacAlgs[a] {
				return nil, fmt.Errorf("verify: %s requires Config.HMACSecret of at least %d bytes", a, hmacAlgs[a])
			}
		default:
			return nil, fmt.Errorf("verify: unsupported algorithm %q", a)
		}
		v.algs = append(v.algs, jose.SignatureAlgorithm(a))
	}
	if len(cfg.HMACSecret) > 0 {
		v.hmacSecret = append([]byte(nil), cfg.HMACSecret...)
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0 || v.leeway > MaxLeeway:
		return nil, fmt.Errorf("verify: Config.Leeway must be between 0 and %s", MaxLeeway)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if !needJWKS {
		if cfg.RevocationListURL != "" {
			return nil, errors.New("verify: Config.RevocationListURL needs an asymmetric algorithm (the list is signed with the issuer's JWKS keys)")
		}
		return v, nil
	}

	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		jwksURL = strings.TrimSuffix(cfg.Issuer, "/") + "/.well-known/jwks.json"
	}
	u, err := url.Parse(jwksURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("verify: JWKS URL %q is not an absolute http(s) URL", jwksURL)
	}
	c := &jwksCache{
		url:      jwksURL,
		ttl:      cfg.CacheTTL,
		cooldown: cfg.RefreshCooldown,
		client:   cfg.HTTPClient,
		maxBytes: cfg.MaxJWKSBytes,
		now:      v.now,
	}
	switch {
	case c.ttl == 0:
		c.ttl = DefaultCacheTTL
	case c.ttl < 0:
		return nil, errors.New("verify: Config.CacheTTL must not be negative")
	}
	switch {
	case c.cooldown == 0:
		c.cooldown = DefaultRefreshCooldown
	case c.cooldown < 0:
		return nil, errors.New("verify: Config.RefreshCooldown must not be negative")
	}
	switch {
	case c.maxBytes == 0:
		c.maxBytes = DefaultMaxJWKSBytes
	case c.maxBytes < 0:
		return nil, errors.New("verify: Config.MaxJWKSBytes must not be negative")
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	c.timeout = c.client.Timeout
	if c.timeout <= 0 {
		c.timeout = DefaultHTTPTimeout
	}
	v.keys = c
	if v.revoked, err = newRevocations(cfg, c, v.now); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify checks rawToken and returns its claims. It verifies, in order: the
// compact JWS form and the header alg against the allow-list; typ when
// Config.RequireTyp is set; the signature, with Config.HMACSecret for HS
// algorithms or else with the JWKS key named by kid, whose kty (and alg, when
// the key declares one) must fit the header alg; then iss (exact), aud
// (contains), exp (required), nbf and iat (not in the future), the time
// checks allowing Config.Leeway; then org_id, when Config.RequireOrganization
// or Config.Organizations asks for one.
//
// Errors that mean the token is bad wrap [ErrInvalidToken] and one of the
// specific sentinels (ErrExpired, ErrInvalidAudience, …). A verifier that
// cannot obtain keys returns [ErrKeysUnavailable]; ctx only bounds how long
// the call waits for a JWKS fetch.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (*Claims, error) {
	if v == nil || !v.configured {
		return nil, ErrNotConfigured
	}
	if len(rawToken) > maxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxTokenBytes)
	}
	jws, err := jose.ParseSignedCompact(rawToken, v.algs)
	if err != nil {
		return nil, v.parseError(rawToken, err)
	}
	h := &jws.Signatures[0].Header
	alg := h.Algorithm
	if v.requireTyp != "" {
		typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
		if normalizeTyp(typ) != v.requireTyp {
			return nil, fmt.Errorf("%w: typ %q, want %q", ErrInvalidType, typ, v.requireTyp)
		}
	}

	var key any
	if hmacAlgs[alg] > 0 {
		if len(v.hmacSecret) == 0 { // unreachable: New refuses HS without a secret
			return nil, fmt.Errorf("%w: %s without an HMAC secret", ErrAlgorithm, alg)
		}
		key = v.hmacSecret
	} else {
		if v.keys == nil { // unreachable: New builds the cache for any asymmetric alg
			return nil, fmt.Errorf("%w: %s", ErrAlgorithm, alg)
		}
		if h.KeyID == "" {
			return nil, fmt.Errorf("%w: token has no kid", ErrUnknownKey)
		}
		k, err := v.keys.lookup(ctx, h.KeyID)
		if err != nil {
			return nil, err
		}
		if !k.fits(alg) {
			return nil, fmt.Errorf("%w: %s token, key %q is %s", ErrAlgorithm, alg, h.KeyID, k.describe())
		}
		key = k.key
	}

	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	var m map[string]any
	if err := josejson.Unmarshal(payload, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrMalformed)
	}
	c, err := claimsFrom(m)
	if err != nil {
		return nil, err
	}
	if err := v.validate(c); err != nil {
		return nil, err
	}
	if v.revoked != nil {
		if err := v.revoked.check(ctx, rawToken, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseError classifies a go-jose parse failure: a well-formed header whose
// alg is outside the allow-list is ErrAlgorithm, anything else ErrMalformed.
// It runs only on the error path.
func (v *Verifier) parseError(raw string, err error) error {
	seg, _, ok := strings.Cut(raw, ".")
	if ok {
		if hb, derr := base64.RawURLEncoding.DecodeString(seg); derr == nil {
			var hdr struct {
				Alg string `json:"alg"`
			}
			if josejson.Unmarshal(hb, &hdr) == nil && hdr.Alg != "" && !v.allows(hdr.Alg) {
				return fmt.Errorf("%w: %q", ErrAlgorithm, hdr.Alg)
			}
		}
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

func (v *Verifier) allows(alg string) bool {
	for _, a := range v.algs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

func (v *Verifier) validate(c *Claims) error {
	if c.Issuer != v.issuer {
		return fmt.Errorf("%w: %q", ErrInvalidIssuer, c.Issuer)
	}
	if !v.audienceOK(c.Audience) {
		return fmt.Errorf("%w: %q", ErrInvalidAudience, c.Audience)
	}
	now := v.now()
	if c.ExpiresAt.IsZero() {
		return ErrMissingExpiry
	}
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return fmt.Errorf("%w: at %s", ErrExpired, c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return fmt.Errorf("%w: until %s", ErrNotYetValid, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.IssuedAt.IsZero() && now.Add(v.leeway).Before(c.IssuedAt) {
		return fmt.Errorf("%w: at %s", ErrIssuedInFuture, c.IssuedAt.UTC().Format(time.RFC3339))
	}
	if v.requireOrg && c.OrgID == "" {
		return fmt.Errorf("%w: the token has no org_id", ErrInvalidOrganization)
	}
	if v.orgs != nil && !v.orgs[c.OrgID] {
		return fmt.Errorf("%w: %q", ErrInvalidOrganization, c.OrgID)
	}
	return nil
}

func (v *Verifier) audienceOK(aud []string) bool {
	for _, a := range aud {
		for _, want := range v.audiences {
			if a == want {
				return true
			}
		}
	}
	return false
}

// normalizeTyp lowercases a typ value and removes an "application/" prefix,
// the comparison RFC 7515 §4.1.9 recommends.
func normalizeTyp(typ string) string {
	typ = strings.ToLower(typ)
	return strings.TrimPrefix(typ, "application/")
}

// publicKey is one parsed JWKS key, kept by kid.
type publicKey struct {
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK's alg, "" when it declares none
}

// fits reports whether the key may verify a token signed with alg: its type
// and curve must fit, and a declared alg must be equal.
func (k *publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return alg[0] == 'R' || alg[0] == 'P' // RS*, PS*
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

func (k *publicKey) describe() string {
	kind := "unknown"
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		kind = "RSA"
	case *ecdsa.PublicKey:
		kind = "EC " + key.Curve.Params().Name
	case ed25519.PublicKey:
		kind = "OKP Ed25519"
	}
	if k.alg != "" {
		kind += " alg " + k.alg
	}
	return kind
}

// numericDate converts a JSON NumericDate (RFC 7519 §2) to a time. Values
// outside [0, year 9999] are refused rather than wrapped around.
func numericDate(v any, name string) (time.Time, error) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > 253402300799 {
		return time.Time{}, fmt.Errorf("%w: %s is not a valid NumericDate", ErrMalformed, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
