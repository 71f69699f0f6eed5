package verify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/credo-dev/credo/verify"
)

// TestVerifyOrganization: OrgID and OrgName come out of the claims; an
// allow-list accepts a token whose org_id is on it and refuses one outside
// it or without org_id; RequireOrganization accepts any org_id and refuses
// none.
func TestVerifyOrganization(t *testing.T) {
	srv := newJWKSServer(t, "rsa1")
	iss := srv.issuer()
	acme := with(claims(iss), "org_id", "org_acme", "org_name", "acme")
	globex := with(claims(iss), "org_id", "org_globex")
	none := with(claims(iss), "org_id", nil)
	tests := []struct {
		name    string
		require bool
		orgs    []string
		claims  map[string]any
		ok      bool
	}{
		{"no option, no org_id", false, nil, none, true},
		{"no option, an org_id", false, nil, globex, true},
		{"allow-list, listed", false, []string{"org_acme", "org_other"}, acme, true},
		{"allow-list, not listed", false, []string{"org_acme"}, globex, false},
		{"allow-list, no org_id", false, []string{"org_acme"}, none, false},
		{"allow-list, org_name of a listed id does not count", false, []string{"acme"}, acme, false},
		{"required, any org_id", true, nil, globex, true},
		{"required, none", true, nil, none, false},
		{"required and listed", true, []string{"org_acme"}, acme, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, srv, newClock(), func(c *verify.Config) { c.RequireOrganization, c.Organizations = tt.require, tt.orgs })
			c, err := v.Verify(t.Context(), signWith(t, "rsa1", tt.claims, signOpts{}))
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.ok:
				want, _ := tt.claims["org_id"].(string)
				wantName, _ := tt.claims["org_name"].(string)
				if c.OrgID != want || c.OrgName != wantName {
					t.Fatalf("OrgID %q OrgName %q, want %q %q", c.OrgID, c.OrgName, want, wantName)
				}
			case !errors.Is(err, verify.ErrInvalidOrganization) || !errors.Is(err, verify.ErrInvalidToken):
				t.Fatalf("err = %v, want ErrInvalidOrganization (an invalid token)", err)
			}
		})
	}
	if _, err := verify.New(verify.Config{Issuer: iss, Audience: []string{testAudience}, Algorithms: []string{"RS256"}, Organizations: []string{""}}); err == nil || !strings.Contains(err.Error(), "Organizations") {
		t.Fatalf("empty organization id: %v", err)
	}
}
