package verify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/credo-dev/credo/verify"
)

func mustVerify(t *testing.T, v *verify.Verifier, token string) {
	t.Helper()
	if _, err := v.Verify(t.Context(), token); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func wantFetches(t *testing.T, srv *jwksServer, n int32) {
	t.Helper()
	if got := srv.fetches.Load(); got != n {
		t.Fatalf("JWKS fetched %d times, want %d", got, n)
	}
}

// settle waits until no JWKS fetch is in flight. Within the cooldown, a token
// with an unknown kid joins the in-flight fetch, if any, and never starts one.
func settle(t *testing.T, v *verify.Verifier) {
	t.Helper()
	unknown := signRaw(t, jose.RS256, testKeys()["rsa1"].priv, "settle", claims("x"), signOpts{})
	if _, err := v.Verify(t.Context(), unknown); !errors.Is(err, verify.ErrUnknownKey) {
		t.Fatalf("settle: err = %v, want ErrUnknownKey", err)
	}
}

// waitFetches waits for a background fetch to reach the server and finish.
func waitFetches(t *testing.T, srv *jwksServer, n int32) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for srv.fetches.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("JWKS fetched %d times, want %d", srv.fetches.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJWKSFetchedLazilyFromIssuer(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	v := newVerifier(t, srv, newClock()) // JWKSURL defaults from the issuer
	wantFetches(t, srv, 0)
	mustVerify(t, v, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	wantFetches(t, srv, 1)
	// An issuer without a trailing slash gets one inserted.
	v2 := newVerifier(t, srv, newClock(), func(c *verify.Config) { c.Issuer = srv.URL })
	mustVerify(t, v2, signWith(t, "rsa1", with(claims(""), "iss", srv.URL), signOpts{}))
	wantFetches(t, srv, 2)
}

func TestJWKSRotationRefetchesUnknownKid(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	clk := newClock()
	v := newVerifier(t, srv, clk)
	mustVerify(t, v, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	wantFetches(t, srv, 1)

	// The issuer publishes a new key and starts signing with it.
	srv.publish("rsa1", "rsa2")
	token2 := signWith(t, "rsa2", claims(srv.issuer()), signOpts{})

	// Within the cooldown the unknown kid does not cause a fetch.
	clk.Advance(10 * time.Second)
	if _, err := v.Verify(t.Context(), token2); !errors.Is(err, verify.ErrUnknownKey) {
		t.Fatalf("within cooldown: err = %v, want ErrUnknownKey", err)
	}
	wantFetches(t, srv, 1)

	// After it, one refetch finds the new key.
	clk.Advance(verify.DefaultRefreshCooldown)
	mustVerify(t, v, token2)
	wantFetches(t, srv, 2)
	mustVerify(t, v, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	wantFetches(t, srv, 2)
}

func TestJWKSUnknownKidFloodIsBounded(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	clk := newClock()
	v := newVerifier(t, srv, clk)
	priv := testKeys()["rsa1"].priv
	// One token per random kid, signed before the flood so that signing
	// does not dominate the test.
	tokens := make([]string, 64)
	for i := range tokens {
		tokens[i] = signRaw(t, jose.RS256, priv, fmt.Sprintf("random-%d", i), claims(srv.issuer()), signOpts{})
	}
	flood := func() {
		var wg sync.WaitGroup
		for _, tok := range tokens {
			for range 4 {
				wg.Go(func() {
					if _, err := v.Verify(context.Background(), tok); !errors.Is(err, verify.ErrUnknownKey) {
						t.Errorf("err = %v, want ErrUnknownKey", err)
					}
				})
			}
		}
		wg.Wait()
	}

	flood() // the first fetch is shared by every waiting caller
	wantFetches(t, srv, 1)
	clk.Advance(verify.DefaultRefreshCooldown - time.Second)
	flood()
	wantFetches(t, srv, 1)
	clk.Advance(time.Second)
	flood()
	wantFetches(t, srv, 2)
	mustVerify(t, v, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	wantFetches(t, srv, 2)
}

func TestJWKSDownKeepsCachedKeys(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	clk := newClock()
	v := newVerifier(t, srv, clk)
	token := signWith(t, "rsa1", with(claims(srv.issuer()), "exp", t0.Add(24*time.Hour).Unix()), signOpts{})
	mustVerify(t, v, token)

	srv.setBody(http.StatusInternalServerError, []byte("down"))
	// Past the TTL the verifier refetches, the fetch fails, the cached key
	// keeps working.
	clk.Advance(verify.DefaultCacheTTL + time.Second)
	mustVerify(t, v, token)
	wantFetches(t, srv, 2)
	// While the endpoint stays down, retries are background and rate limited.
	mustVerify(t, v, token)
	wantFetches(t, srv, 2)
	clk.Advance(verify.DefaultRefreshCooldown)
	mustVerify(t, v, token)
	waitFetches(t, srv, 3)
	settle(t, v)

	// An endpoint that hangs does not hold up verification either: after a
	// failed fetch, refreshes happen in the background.
	release := srv.hang(t)
	clk.Advance(verify.DefaultRefreshCooldown)
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), token)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Verify waited for a hanging JWKS endpoint although cached keys were usable")
	}
	waitFetches(t, srv, 4)
	release()

	// A closed endpoint (connection refused) behaves the same.
	srv.Close()
	clk.Advance(verify.DefaultRefreshCooldown)
	mustVerify(t, v, token)
	clk.Advance(verify.DefaultRefreshCooldown)
	mustVerify(t, v, token)
}

func TestJWKSRevokedKeyStopsVerifyingAfterTTL(t *testing.T) {
	srv := newJWKSServer(t, "rsa1", "rsa2")
	clk := newClock()
	v := newVerifier(t, srv, clk)
	exp := t0.Add(24 * time.Hour).Unix()
	old := signWith(t, "rsa1", with(claims(srv.issuer()), "exp", exp), signOpts{})
	mustVerify(t, v, old)

	srv.publish("rsa2") // rsa1 revoked
	clk.Advance(verify.DefaultCacheTTL)
	if _, err := v.Verify(t.Context(), old); !errors.Is(err, verify.ErrUnknownKey) {
		t.Fatalf("revoked key: err = %v, want ErrUnknownKey", err)
	}
	wantFetches(t, srv, 2)
	mustVerify(t, v, signWith(t, "rsa2", with(claims(srv.issuer()), "exp", exp), signOpts{}))
}

func TestJWKSBackgroundRefreshBeforeExpiry(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	clk := newClock()
	v := newVerifier(t, srv, clk)
	token := signWith(t, "rsa1", with(claims(srv.issuer()), "exp", t0.Add(time.Hour).Unix()), signOpts{})
	mustVerify(t, v, token)

	clk.Advance(verify.DefaultCacheTTL * 7 / 10)
	mustVerify(t, v, token)
	wantFetches(t, srv, 1) // still fresh

	// At 80% of the TTL the verifier answers from the cache and refreshes
	// behind the caller's back; the caller does not wait for the fetch.
	clk.Advance(verify.DefaultCacheTTL / 10)
	release := srv.hang(t)
	mustVerify(t, v, token)
	release()
	settle(t, v) // the background refresh has completed
	wantFetches(t, srv, 2)

	// The refreshed set restarts the TTL.
	clk.Advance(verify.DefaultCacheTTL * 7 / 10)
	mustVerify(t, v, token)
	wantFetches(t, srv, 2)
	clk.Advance(verify.DefaultCacheTTL / 10)
	mustVerify(t, v, token)
	waitFetches(t, srv, 3)
}

func TestJWKSFirstFetchFails(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	srv.setBody(http.StatusServiceUnavailable, nil)
	clk := newClock()
	v := newVerifier(t, srv, clk)
	token := signWith(t, "rsa1", claims(srv.issuer()), signOpts{})

	_, err := v.Verify(t.Context(), token)
	if !errors.Is(err, verify.ErrKeysUnavailable) || errors.Is(err, verify.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrKeysUnavailable only", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("err = %v, want the fetch failure in the message", err)
	}
	// HMAC tokens need no keys and still verify.
	if _, err := v.Verify(t.Context(), signRaw(t, jose.HS256, hmacSecret, "", claims(srv.issuer()), signOpts{})); err != nil {
		t.Errorf("HS256 while the JWKS is down: %v", err)
	}
	srv.publish("rsa1")
	if _, err := v.Verify(t.Context(), token); !errors.Is(err, verify.ErrKeysUnavailable) {
		t.Fatalf("within cooldown: err = %v, want ErrKeysUnavailable", err)
	}
	wantFetches(t, srv, 1)
	clk.Advance(verify.DefaultRefreshCooldown)
	mustVerify(t, v, token)
	wantFetches(t, srv, 2)
}

func TestJWKSResponsesRefused(t *testing.T) {
	big := `{"keys":[{"kty":"oct","kid":"pad","k":"` + strings.Repeat("A", 2048) + `"}]}`
	tests := []struct {
		name    string
		body    string
		chunked bool
		wantMsg string
	}{
		{name: "oversized with Content-Length", body: big, wantMsg: "over the 1024-byte limit"},
		{name: "oversized chunked", body: big, chunked: true, wantMsg: "over the 1024-byte limit"},
		{name: "not JSON", body: "<html>", wantMsg: "not valid JSON"},
		{name: "no keys", body: `{"keys":[]}`, wantMsg: "no usable signing key"},
		{name: "only a symmetric key", body: `{"keys":[{"kty":"oct","kid":"rsa1","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`, wantMsg: "no usable signing key"},
		{name: "keys without kid", body: `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`, wantMsg: "no usable signing key"},
		{name: "encryption key", body: `{"keys":[{"kty":"OKP","kid":"e","use":"enc","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`, wantMsg: "no usable signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.chunked {
					w.(http.Flusher).Flush()
				}
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			v, err := verify.New(verify.Config{
				Issuer: srv.URL + "/", Audience: []string{testAudience}, Algorithms: []string{"RS256", "EdDSA"},
				JWKSURL: srv.URL + "/jwks", MaxJWKSBytes: 1024, Now: newClock().Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), signWith(t, "rsa1", claims(srv.URL+"/"), signOpts{}))
			if !errors.Is(err, verify.ErrKeysUnavailable) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want ErrKeysUnavailable with %q", err, tt.wantMsg)
			}
		})
	}
}

func TestJWKSSkipsBadKeysKeepsGoodOnes(t *testing.T) {
	srv := newJWKSServer(t)
	good := must(jsonMarshal(jose.JSONWebKey{Key: testKeys()["rsa1"].pub, KeyID: "rsa1", Algorithm: "RS256", Use: "sig"}))
	srv.setBody(http.StatusOK, []byte(`{"keys":[{"kty":"XYZ","kid":"x"},{"kty":"oct","kid":"o","k":"c2VjcmV0"},`+string(good)+`]}`))
	v := newVerifier(t, srv, newClock())
	mustVerify(t, v, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
}

func TestJWKSWaitRespectsContext(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	srv.hang(t)
	v := newVerifier(t, srv, newClock())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := v.Verify(ctx, signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestJWKSFetchTimeout(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	srv.hang(t)
	v := newVerifier(t, srv, newClock(), func(c *verify.Config) {
		c.HTTPClient = &http.Client{Timeout: 20 * time.Millisecond}
	})
	_, err := v.Verify(t.Context(), signWith(t, "rsa1", claims(srv.issuer()), signOpts{}))
	if !errors.Is(err, verify.ErrKeysUnavailable) {
		t.Fatalf("err = %v, want ErrKeysUnavailable", err)
	}
}
