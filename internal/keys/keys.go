package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"time"

	"github.com/credo-dev/credo/store"
	jose "github.com/go-jose/go-jose/v4"
)

// Key types: one lifecycle (current/next/previous) per type.
const (
	TypeRSA = "RSA"
	TypeEC  = "EC"
	TypeOKP = "OKP"
)

// AllTypes lists every asymmetric key type credo maintains.
var AllTypes = []string{TypeRSA, TypeEC, TypeOKP}

// Algorithms credo signs with. HS256 uses the API's own secret.
const (
	RS256 = "RS256"
	PS256 = "PS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
	HS256 = "HS256"
)

// SupportedAlgorithms lists every signing_alg an API may choose.
var SupportedAlgorithms = []string{RS256, PS256, ES256, EdDSA, HS256}

// TypeFor returns the key type that signs with alg ("" for HS256), and
// whether alg is supported at all.
func TypeFor(alg string) (string, bool) {
	switch alg {
	case RS256, PS256:
		return TypeRSA, true
	case ES256:
		return TypeEC, true
	case EdDSA:
		return TypeOKP, true
	case HS256:
		return "", true
	}
	return "", false
}

// ErrNoKey is returned by Revoke/Get for an unknown kid.
var ErrNoKey = errors.New("keys: no such key")

// ErrNotRevocable is returned when revoking a key that is not previous.
var ErrNotRevocable = errors.New("keys: only a previous key can be revoked")

// Generate creates a new key of keyType in state next, sealed with mk, with
// a self-signed certificate whose subject is commonName.
func Generate(keyType, commonName string, now time.Time, mk *MasterKey) (store.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch keyType {
	case TypeRSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case TypeEC:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case TypeOKP:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return store.SigningKey{}, fmt.Errorf("keys: unknown key type %q", keyType)
	}
	if err != nil {
		return store.SigningKey{}, err
	}
	jwk := jose.JSONWebKey{Key: priv.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return store.SigningKey{}, err
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.AddDate(10, 0, 0).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	sealed, err := mk.Seal(pkcs8, "signing-key:"+kid)
	if err != nil {
		return store.SigningKey{}, err
	}
	return store.SigningKey{KID: kid, KeyType: keyType, State: store.KeyNext, SealedPrivateKey: sealed, CertDER: der, CreatedAt: now.UTC()}, nil
}

// Lifecycle is the pure logic of key rotation over a key list. Gen creates a
// new next key of a type.
type Lifecycle struct {
	Now func() time.Time
	Gen func(keyType string) (store.SigningKey, error)
}

// Ensure returns the keys to create so that every type in types has a
// current and a next key (first start, or a type enabled later).
func (l Lifecycle) Ensure(keys []store.SigningKey, types []string) ([]store.SigningKey, error) {
	var out []store.SigningKey
	for _, kt := range types {
		cur, next := find(keys, kt, store.KeyCurrent), find(keys, kt, store.KeyNext)
		if cur < 0 {
			k, err := l.Gen(kt)
			if err != nil {
				return nil, err
			}
			k.State, k.CurrentSince = store.KeyCurrent, l.Now().UTC()
			out = append(out, k)
		}
		if next < 0 {
			k, err := l.Gen(kt)
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// Rotate promotes next to current and current to previous for keyType, and
// creates a new next key. It returns the changed and created keys.
func (l Lifecycle) Rotate(keys []store.SigningKey, keyType string) ([]store.SigningKey, error) {
	now := l.Now().UTC()
	var out []store.SigningKey
	if i := find(keys, keyType, store.KeyCurrent); i >= 0 {
		k := keys[i]
		k.State, k.CurrentUntil = store.KeyPrevious, now
		out = append(out, k)
	}
	if i := find(keys, keyType, store.KeyNext); i >= 0 {
		k := keys[i]
		k.State, k.CurrentSince = store.KeyCurrent, now
		out = append(out, k)
	} else {
		k, err := l.Gen(keyType)
		if err != nil {
			return nil, err
		}
		k.State, k.CurrentSince = store.KeyCurrent, now
		out = append(out, k)
	}
	k, err := l.Gen(keyType)
	if err != nil {
		return nil, err
	}
	return append(out, k), nil
}

// Revoke marks the previous key kid revoked.
func (l Lifecycle) Revoke(keys []store.SigningKey, kid string) (store.SigningKey, error) {
	for _, k := range keys {
		if k.KID != kid {
			continue
		}
		if k.State != store.KeyPrevious {
			return store.SigningKey{}, ErrNotRevocable
		}
		// A revoked key never signs again, so its private half is destroyed;
		// the certificate stays for audit.
		k.State, k.RevokedAt, k.SealedPrivateKey = store.KeyRevoked, l.Now().UTC(), nil
		return k, nil
	}
	return store.SigningKey{}, ErrNoKey
}

func find(keys []store.SigningKey, kt string, st store.KeyState) int {
	for i, k := range keys {
		if k.KeyType == kt && k.State == st {
			return i
		}
	}
	return -1
}

// Manager applies the lifecycle to a store, serialised by the store's key lock.
type Manager struct {
	Store      store.Store
	Master     *MasterKey
	CommonName string
	Now        func() time.Time
}

func (m *Manager) lifecycle() Lifecycle {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	return Lifecycle{Now: now, Gen: func(kt string) (store.SigningKey, error) {
		return Generate(kt, m.CommonName, now(), m.Master)
	}}
}

// Ensure creates missing current/next keys for every key type. Safe to call
// from many replicas at once: the store serialises it and the lifecycle sees
// the keys the first caller created.
func (m *Manager) Ensure(ctx context.Context) (created int, err error) {
	err = m.Store.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		out, err := m.lifecycle().Ensure(keys, AllTypes)
		created = len(out)
		return out, err
	})
	return created, err
}

// Rotate rotates the given key types (all when none given) and returns the
// new current keys.
func (m *Manager) Rotate(ctx context.Context, types ...string) ([]store.SigningKey, error) {
	if len(types) == 0 {
		types = AllTypes
	}
	var current []store.SigningKey
	err := m.Store.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		current = current[:0]
		var out []store.SigningKey
		for _, kt := range types {
			changed, err := m.lifecycle().Rotate(keys, kt)
			if err != nil {
				return nil, err
			}
			for _, k := range changed {
				if k.State == store.KeyCurrent {
					current = append(current, k)
				}
			}
			out = append(out, changed...)
		}
		return out, nil
	})
	return current, err
}

// MaxRevoked is how many revoked keys are kept for audit (as Auth0's
// Dashboard shows the last three); older ones are deleted on revoke.
const MaxRevoked = 3

// Revoke revokes a previous key and deletes revoked keys beyond MaxRevoked,
// oldest first.
func (m *Manager) Revoke(ctx context.Context, kid string) (store.SigningKey, error) {
	var revoked store.SigningKey
	var prune []string
	err := m.Store.UpdateSigningKeys(ctx, func(keys []store.SigningKey) ([]store.SigningKey, error) {
		k, err := m.lifecycle().Revoke(keys, kid)
		revoked = k
		prune = ExcessRevoked(append(slices.Clone(keys), k), MaxRevoked)
		return []store.SigningKey{k}, err
	})
	if err != nil {
		return revoked, err
	}
	for _, old := range prune {
		if err := m.Store.DeleteSigningKey(ctx, old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return revoked, fmt.Errorf("pruning revoked key %s: %w", old, err)
		}
	}
	return revoked, nil
}

// ExcessRevoked lists the kids of revoked keys beyond the newest keep
// (by RevokedAt). A key listed twice (old and new version) counts once,
// with its last state.
func ExcessRevoked(keys []store.SigningKey, keep int) []string {
	last := map[string]store.SigningKey{}
	for _, k := range keys {
		last[k.KID] = k
	}
	var revoked []store.SigningKey
	for _, k := range last {
		if k.State == store.KeyRevoked {
			revoked = append(revoked, k)
		}
	}
	if len(revoked) <= keep {
		return nil
	}
	sort.Slice(revoked, func(i, j int) bool {
		if !revoked[i].RevokedAt.Equal(revoked[j].RevokedAt) {
			return revoked[i].RevokedAt.After(revoked[j].RevokedAt)
		}
		return revoked[i].KID < revoked[j].KID
	})
	var out []string
	for _, k := range revoked[keep:] {
		out = append(out, k.KID)
	}
	return out
}

// DueForRotation reports which key types should rotate automatically: the
// current key has been current for period, and the next key has been
// published for at least publishLead (the JWKS cache lifetime), so that every
// verifier already knows it.
func DueForRotation(keys []store.SigningKey, period, publishLead time.Duration, now time.Time) []string {
	var due []string
	for _, kt := range AllTypes {
		c, n := find(keys, kt, store.KeyCurrent), find(keys, kt, store.KeyNext)
		if c < 0 || n < 0 {
			continue
		}
		if now.Sub(keys[c].CurrentSince) >= period && now.Sub(keys[n].CreatedAt) >= publishLead {
			due = append(due, kt)
		}
	}
	return due
}

// Info is the Auth0 signing-key object (/api/v2/keys/signing), plus the key
// type, algorithms and state credo adds.
//
// Auth0 has one key type (RSA), so its tenant has exactly one current, one
// next and at most one previous key, and tools look for "the current key"
// by current: true. credo keeps one lifecycle per key type (RSA, EC, OKP);
// the Auth0 booleans current, next and previous are therefore set on the
// RSA keys only (RSA signs RS256, the default algorithm, and the Management
// API's own tokens), and State tells every key's place in the lifecycle of
// its own type. revoked is set on every revoked key (ADR 0004, amendment
// of 2026-12-07).
type Info struct {
	KID          string   `json:"kid"`
	Cert         string   `json:"cert"`
	PKCS7        string   `json:"pkcs7"`
	Current      bool     `json:"current"`
	Next         bool     `json:"next"`
	Previous     bool     `json:"previous"`
	CurrentSince *string  `json:"current_since,omitempty"`
	CurrentUntil *string  `json:"current_until,omitempty"`
	Fingerprint  string   `json:"fingerprint"`
	Thumbprint   string   `json:"thumbprint"`
	Revoked      bool     `json:"revoked"`
	RevokedAt    *string  `json:"revoked_at,omitempty"`
	KeyType      string   `json:"kty"`
	Algorithms   []string `json:"algs"`
	// State is current, next, previous or revoked, within the key's type.
	State string `json:"state"`
}

// Describe builds the Management API view of a key.
func Describe(k store.SigningKey) Info {
	sha1sum := sha1.Sum(k.CertDER)
	fp := hex.EncodeToString(sha1sum[:])
	var colon []byte
	for i := 0; i < len(fp); i += 2 {
		if i > 0 {
			colon = append(colon, ':')
		}
		colon = append(colon, fp[i]-32*b2i(fp[i] >= 'a'), fp[i+1]-32*b2i(fp[i+1] >= 'a'))
	}
	ts := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339Nano)
		return &s
	}
	auth0 := k.KeyType == TypeRSA // the Auth0 booleans: see Info
	return Info{
		KID:          k.KID,
		Cert:         CertPEM(k),
		PKCS7:        PKCS7PEM(k),
		Current:      auth0 && k.State == store.KeyCurrent,
		Next:         auth0 && k.State == store.KeyNext,
		Previous:     auth0 && k.State == store.KeyPrevious,
		CurrentSince: ts(k.CurrentSince),
		CurrentUntil: ts(k.CurrentUntil),
		Fingerprint:  string(colon),
		Thumbprint:   fp,
		Revoked:      k.State == store.KeyRevoked,
		RevokedAt:    ts(k.RevokedAt),
		KeyType:      k.KeyType,
		Algorithms:   algsFor(k.KeyType),
		State:        string(k.State),
	}
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func algsFor(kt string) []string {
	switch kt {
	case TypeRSA:
		return []string{RS256, PS256}
	case TypeEC:
		return []string{ES256}
	case TypeOKP:
		return []string{EdDSA}
	}
	return nil
}

// CertPEM returns the key's certificate as PEM.
func CertPEM(k store.SigningKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.CertDER}))
}

// PKCS7PEM returns the certificate wrapped in a degenerate PKCS#7 SignedData
// (certs only), PEM-encoded, as Auth0's pkcs7 field carries.
func PKCS7PEM(k store.SigningKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: degeneratePKCS7(k.CertDER)}))
}

// KeyID is the JWK kid under which a key is published for alg. Every JWK
// carries one alg (verifiers such as jose and express-oauth2-jwt-bearer
// match kid and alg), so an RSA key, which signs both RS256 and PS256, is
// published twice: as kid for RS256 (Auth0's shape) and as kid + "-ps256".
func KeyID(kid, alg string) string {
	if alg == PS256 {
		return kid + "-ps256"
	}
	return kid
}

// Set is an immutable view of the tenant's keys for the token path: the
// prebuilt JWKS document and a go-jose signer per (algorithm, typ) for the
// current keys. Build it with NewSet whenever the keys change.
type Set struct {
	jwks    []byte
	signers map[signerKey]*Signer
	keys    []store.SigningKey
}

type signerKey struct{ alg, typ string }

// Types of JWT header typ credo sets (Auth0 profile and RFC 9068).
const (
	TypJWT   = "JWT"
	TypAtJWT = "at+jwt"
)

// NewSet opens the current keys and builds signers, and renders the JWKS
// (current, next and previous keys of every type).
func NewSet(all []store.SigningKey, mk *MasterKey) (*Set, error) {
	s := &Set{signers: make(map[signerKey]*Signer), keys: slices.Clone(all)}
	var pub []jose.JSONWebKey
	sorted := slices.Clone(all)
	order := map[store.KeyState]int{store.KeyCurrent: 0, store.KeyNext: 1, store.KeyPrevious: 2}
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].KeyType != sorted[j].KeyType {
			return sorted[i].KeyType > sorted[j].KeyType // RSA first, then OKP, EC
		}
		return order[sorted[i].State] < order[sorted[j].State]
	})
	for _, k := range sorted {
		if k.State == store.KeyRevoked {
			continue
		}
		cert, err := x509.ParseCertificate(k.CertDER)
		if err != nil {
			return nil, fmt.Errorf("key %s: certificate: %w", k.KID, err)
		}
		x5t := sha1.Sum(k.CertDER)
		x5t256 := sha256.Sum256(k.CertDER)
		for _, alg := range algsFor(k.KeyType) {
			pub = append(pub, jose.JSONWebKey{
				Key: cert.PublicKey, KeyID: KeyID(k.KID, alg), Algorithm: alg, Use: "sig",
				Certificates:                []*x509.Certificate{cert},
				CertificateThumbprintSHA1:   x5t[:],
				CertificateThumbprintSHA256: x5t256[:],
			})
		}
		if k.State != store.KeyCurrent {
			continue
		}
		pkcs8, err := mk.Open(k.SealedPrivateKey, "signing-key:"+k.KID)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.KID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(pkcs8)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.KID, err)
		}
		if rk, ok := priv.(*rsa.PrivateKey); ok {
			rk.Precompute()
		}
		for _, alg := range algsFor(k.KeyType) {
			for _, typ := range []string{TypJWT, TypAtJWT} {
				sg, err := NewSigner(alg, KeyID(k.KID, alg), typ, priv)
				if err != nil {
					return nil, fmt.Errorf("key %s: signer: %w", k.KID, err)
				}
				s.signers[signerKey{alg, typ}] = sg
			}
		}
	}
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: pub})
	if err != nil {
		return nil, err
	}
	s.jwks = doc
	return s, nil
}

// JWKS returns the JSON Web Key Set document. Do not modify it.
func (s *Set) JWKS() []byte { return s.jwks }

// Signer returns the signer for alg and typ, or nil when there is no current
// key for alg.
func (s *Set) Signer(alg, typ string) *Signer { return s.signers[signerKey{alg, typ}] }

// Keys returns the keys the set was built from (a copy).
func (s *Set) Keys() []store.SigningKey { return slices.Clone(s.keys) }

// HMACSigner builds the HS256 signer for an API's signing secret (no kid:
// the secret is never published).
func HMACSigner(secret []byte, typ string) (*Signer, error) {
	return NewSigner(HS256, "", typ, secret)
}
