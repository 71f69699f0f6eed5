package oauth

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestClaimsAppendJSON(t *testing.T) {
	base := Claims{Issuer: "https://a/", Subject: "c@clients", Audience: "urn:x", IssuedAt: 10, Expiry: 20, Scope: "r w", GrantType: "client-credentials", ClientID: "c"}
	cases := []struct {
		name string
		c    func(Claims) Claims
		want string
	}{
		{"auth0", func(c Claims) Claims { return c },
			`{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"scope":"r w","gty":"client-credentials","azp":"c"}`},
		{"auth0 empty scope is kept", func(c Claims) Claims { c.Scope = ""; return c },
			`{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"scope":"","gty":"client-credentials","azp":"c"}`},
		{"rfc9068", func(c Claims) Claims { c.Profile, c.JTI = ProfileRFC9068, "j"; return c },
			`{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"scope":"r w","client_id":"c","jti":"j"}`},
		{"rfc9068 empty scope is left out", func(c Claims) Claims { c.Profile, c.JTI, c.Scope = ProfileRFC9068, "j", ""; return c },
			`{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"client_id":"c","jti":"j"}`},
		{"organization", func(c Claims) Claims { c.OrgID, c.OrgName = "org_1", "acme"; return c },
			`{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"scope":"r w","gty":"client-credentials","azp":"c","org_id":"org_1","org_name":"acme"}`},
		{"custom claims sorted, reserved and unencodable left out", func(c Claims) Claims {
			c.Custom = map[string]any{"z": 1.5, "https://x/tier": "gold", "sub": "admin", "bad": func() {}, "obj": map[string]any{"a": []any{true, nil}}}
			return c
		}, `{"iss":"https://a/","sub":"c@clients","aud":"urn:x","iat":10,"exp":20,"scope":"r w","gty":"client-credentials","azp":"c","https://x/tier":"gold","obj":{"a":[true,null]},"z":1.5}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c(base)
			got := string(c.AppendJSON(nil))
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			var a, b any
			if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal([]byte(tc.want), &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatal("not valid JSON")
			}
		})
	}
	if !IsReservedClaim("org_id") || IsReservedClaim("https://x/tier") {
		t.Fatal("IsReservedClaim")
	}
}
