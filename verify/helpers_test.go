package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testAudience = "https://api.example.com"
	testClientID = "CS2MNgcX1VZFCJaEzfKw2VPAAS0gzhqP"
)

// t0 is the fixed "now" of every test clock.
var t0 = time.Unix(1_800_000_000, 0)

// testKey is a signing key together with what the JWKS publishes about it.
type testKey struct {
	kid  string
	alg  jose.SignatureAlgorithm // signing algorithm
	jwk  string                  // alg published in the JWKS ("" = none)
	priv any
	pub  any
}

var (
	keysOnce sync.Once
	keys     map[string]testKey
)

// testKeys generates the test keys once per process (RSA generation is slow).
func testKeys() map[string]testKey {
	keysOnce.Do(func() {
		rsa1 := must(rsa.GenerateKey(rand.Reader, 2048))
		rsa2 := must(rsa.GenerateKey(rand.Reader, 2048))
		ps := must(rsa.GenerateKey(rand.Reader, 2048))
		small := must(rsa.GenerateKey(rand.Reader, 1024))
		ec := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		keys = map[string]testKey{
			"rsa1":  {"rsa1", jose.RS256, "RS256", rsa1, &rsa1.PublicKey},
			"rsa2":  {"rsa2", jose.RS256, "RS256", rsa2, &rsa2.PublicKey},
			"ps1":   {"ps1", jose.PS256, "PS256", ps, &ps.PublicKey},
			"small": {"small", jose.RS256, "RS256", small, &small.PublicKey},
			"ec1":   {"ec1", jose.ES256, "ES256", ec, &ec.PublicKey},
			"ed1":   {"ed1", jose.EdDSA, "", edPriv, edPub}, // no alg: kty decides
		}
	})
	return keys
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// clock is an injectable, concurrency-safe test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwksServer is a fake issuer JWKS endpoint that counts fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32

	mu     sync.Mutex
	body   []byte
	status int
	block  chan struct{} // when set, requests wait on it
}

func newJWKSServer(t testing.TB, kids ...string) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.publish(kids...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		s.fetches.Add(1)
		s.mu.Lock()
		body, status, block := s.body, s.status, s.block
		s.mu.Unlock()
		if block != nil {
			<-block
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// hang makes requests wait until release is called (or the test ends, so a
// failing test cannot leave a handler blocked and the server unclosable).
func (s *jwksServer) hang(t testing.TB) (release func()) {
	block := make(chan struct{})
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(block)
			s.mu.Lock()
			s.block = nil
			s.mu.Unlock()
		})
	}
	s.mu.Lock()
	s.block = block
	s.mu.Unlock()
	t.Cleanup(release)
	return release
}

// publish replaces the served key set with the public keys named by kids.
func (s *jwksServer) publish(kids ...string) {
	var set jose.JSONWebKeySet
	for _, kid := range kids {
		k := testKeys()[kid]
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.pub, KeyID: kid, Algorithm: k.jwk, Use: "sig"})
	}
	s.setBody(http.StatusOK, must(json.Marshal(set)))
}

func (s *jwksServer) setBody(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// issuer is the server's issuer URL, with Auth0's trailing slash.
func (s *jwksServer) issuer() string { return s.URL + "/" }

// claims returns a valid Auth0-profile claims set issued at t0.
func claims(iss string) map[string]any {
	return map[string]any{
		"iss":                      iss,
		"sub":                      testClientID + "@clients",
		"aud":                      testAudience,
		"iat":                      t0.Unix(),
		"exp":                      t0.Add(time.Hour).Unix(),
		"scope":                    "read:timesheets write:timesheets",
		"gty":                      "client-credentials",
		"azp":                      testClientID,
		"org_id":                   "org_vIK75NKFvaozQsFy",
		"https://example.com/role": "billing",
	}
}

// with returns a copy of m with the given changes; a nil value deletes.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

type signOpts struct {
	typ   string
	noKid bool
}

// signWith signs payload (a []byte or a value to marshal) with the named key.
func signWith(t testing.TB, kid string, payload any, o signOpts) string {
	t.Helper()
	k := testKeys()[kid]
	return signRaw(t, k.alg, k.priv, kid, payload, o)
}

func signRaw(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, payload any, o signOpts) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if o.typ != "" {
		opts = opts.WithType(jose.ContentType(o.typ))
	}
	if kid != "" && !o.noKid {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := payload.([]byte)
	if !ok {
		if b, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	jws, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
