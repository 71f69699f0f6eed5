// go-jwt-middleware v2's jwks and validator packages import
// gopkg.in/go-jose/go-jose.v2, which go.mod requires for this test only.

package compat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
)

// scopeClaims is the custom-claims type of Auth0's Go API quickstart.
type scopeClaims struct {
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
	Gty      string `json:"gty"`
	Azp      string `json:"azp"`
}

func (c *scopeClaims) Validate(context.Context) error { return nil }

func (c *scopeClaims) HasScope(s string) bool { return slices.Contains(strings.Fields(c.Scope), s) }

// TestGoJWTMiddleware verifies credo tokens of every algorithm and dialect
// with github.com/auth0/go-jwt-middleware/v2, as an API written from Auth0's
// Go quickstart does: validator.New with the caching JWKS provider (OIDC
// discovery from the issuer), jwtmiddleware.New(...).CheckJWT around the
// handler, and a scope check on the custom claims.
func TestGoJWTMiddleware(t *testing.T) {
	fx := newFixture(t)
	srv := startCredo(t, fx)
	issuerURL, err := url.Parse(srv.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	provider := jwks.NewCachingProvider(issuerURL, 5*time.Minute)

	for _, a := range fx.APIs {
		t.Run(a.Alg+"/"+a.Dialect, func(t *testing.T) {
			keyFunc := provider.KeyFunc
			if a.Alg == "HS256" {
				keyFunc = func(context.Context) (any, error) { return []byte(fx.HSSecret), nil }
			}
			v, err := validator.New(keyFunc, validator.SignatureAlgorithm(a.Alg), srv.Issuer, []string{a.Identifier},
				validator.WithCustomClaims(func() validator.CustomClaims { return &scopeClaims{} }),
				validator.WithAllowedClockSkew(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			api := httptest.NewServer(jwtmiddleware.New(v.ValidateToken).CheckJWT(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				claims := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
				custom := claims.CustomClaims.(*scopeClaims)
				if !custom.HasScope("read:x") {
					w.WriteHeader(http.StatusForbidden)
					json.NewEncoder(w).Encode(map[string]string{"error": "insufficient_scope"})
					return
				}
				json.NewEncoder(w).Encode(map[string]any{"sub": claims.RegisteredClaims.Subject, "client_id": custom.ClientID, "azp": custom.Azp, "gty": custom.Gty})
			})))
			defer api.Close()

			good := srv.mustToken(t, fx.Client, a.Identifier)
			status, body := getWithToken(t, api.URL, good)
			if status != http.StatusOK {
				t.Fatalf("valid %s token: status %d, body %v", a.Alg, status, body)
			}
			if body["sub"] != fx.Client.ID+"@clients" {
				t.Errorf("sub %v, want %s@clients", body["sub"], fx.Client.ID)
			}
			if a.Dialect == "rfc9068_profile" {
				if body["client_id"] != fx.Client.ID || body["gty"] != "" {
					t.Errorf("RFC 9068 token: client_id %v gty %v, want %s and none", body["client_id"], body["gty"], fx.Client.ID)
				}
			} else if body["azp"] != fx.Client.ID || body["gty"] != "client-credentials" {
				t.Errorf("Auth0 token: azp %v gty %v, want %s and client-credentials", body["azp"], body["gty"], fx.Client.ID)
			}

			rejected := []struct {
				name, token string
				want        int
			}{
				{"tampered payload", tamperJWT(t, good), http.StatusUnauthorized},
				{"tampered signature", flipSignature(good), http.StatusUnauthorized},
				{"no token", "", http.StatusBadRequest}, // go-jwt-middleware's answer to a missing token
				{"another API's token", srv.mustToken(t, fx.Client, otherAPI(fx, a).Identifier), http.StatusUnauthorized},
			}
			if a.Alg == "RS256" {
				rejected = append(rejected, struct {
					name, token string
					want        int
				}{"token without read:x", srv.mustToken(t, fx.Limited, a.Identifier), http.StatusForbidden})
			}
			for _, rc := range rejected {
				status, body := getWithToken(t, api.URL, rc.token)
				if status != rc.want {
					t.Errorf("%s: status %d, want %d (body %v)", rc.name, status, rc.want, body)
				}
			}
		})
	}
}

// otherAPI is an API signed with the same algorithm but another dialect,
// so that only the audience check can reject its tokens.
func otherAPI(fx *fixture, a apiSpec) apiSpec {
	for _, b := range fx.APIs {
		if b.Alg == a.Alg && b.Identifier != a.Identifier {
			return b
		}
	}
	panic("no other API for " + a.Alg)
}

func getWithToken(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}
