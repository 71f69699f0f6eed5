package hook

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestClaimLimits checks the bounds on a token's custom claims: each case
// runs a chain and either succeeds with the claims wanted or fails with
// ErrClaimLimit, uncatchably, naming the limit and the script.
func TestClaimLimits(t *testing.T) {
	act := func(body string) string {
		return "exports.onExecuteCredentialsExchange = async (event, api) => {\n" +
			"try {\n" + body + "\n} catch (e) {}\napi.accessToken.setCustomClaim('https://x/reached', true);\n};"
	}
	// A string claim whose "name":"value", takes n bytes of JSON.
	sized := func(name string, n int) string {
		return fmt.Sprintf("api.accessToken.setCustomClaim(%q, 'v'.repeat(%d));", name, n-len(name)-6)
	}
	for _, tc := range []struct {
		name   string
		chain  []string // Actions, or a Hook when it starts with module.exports
		reason string   // wanted in the reason; "" means success
		failed int      // index of the failing script
		claims int      // claims wanted on success
	}{
		{name: "100 claims", chain: []string{act(`for (let i = 0; i < 99; i++) api.accessToken.setCustomClaim('c' + i, i);`)},
			claims: 100},
		{name: "101 claims", chain: []string{act(`for (let i = 0; i < 101; i++) api.accessToken.setCustomClaim('c' + i, i);`)},
			reason: "more than 100 custom claims"},
		{name: "setting a claim again does not count twice",
			chain:  []string{act(`for (let i = 0; i < 500; i++) api.accessToken.setCustomClaim('c' + (i % 50), i);`)},
			claims: 51},
		{name: "a name of 256 bytes", chain: []string{act(`api.accessToken.setCustomClaim('n'.repeat(256), 1);`)}, claims: 2},
		{name: "a name of 257 bytes", chain: []string{act(`api.accessToken.setCustomClaim('n'.repeat(257), 1);`)},
			reason: "the claim name is 257 bytes, more than the 256 allowed"},
		{name: "exactly 16 KiB", chain: []string{`exports.onExecuteCredentialsExchange = async (event, api) => {` +
			sized("https://x/big", 16<<10) + `};`}, claims: 1},
		{name: "one byte more", chain: []string{act(sized("https://x/big", 16<<10+1))},
			reason: "the custom claims would take 16385 bytes of JSON, more than the 16384 allowed"},
		{name: "a value longer than guarded JSON.stringify allows", chain: []string{act(`api.accessToken.setCustomClaim('https://x/big', ['x'.repeat(2 ** 20 - 1)]);`)},
			reason: "the value's JSON is longer than 1048576 characters, more than the 16384 bytes allowed"},
		{name: "a string of 1 Mi characters", chain: []string{act(`api.accessToken.setCustomClaim('https://x/big', 'x'.repeat(2 ** 20));`)},
			reason: "the custom claims would take 1048595 bytes of JSON, more than the 16384 allowed"},
		{name: "JSON as the token endpoint encodes it counts", chain: []string{act(`api.accessToken.setCustomClaim('https://x/html', '<'.repeat(3000));`)},
			reason: "the custom claims would take 18020 bytes"},
		{name: "replacing a big claim frees its bytes", chain: []string{act(
			sized("https://x/a", 10<<10) + sized("https://x/a", 10<<10) + sized("https://x/b", 6<<10-100))}, claims: 3},
		{name: "removing a claim frees its bytes", chain: []string{act(
			sized("https://x/a", 10<<10) + `api.accessToken.setCustomClaim('https://x/a', undefined);` + sized("https://x/b", 10<<10))},
			claims: 2},
		{name: "the limits hold across the chain", chain: []string{act(sized("https://x/a", 10<<10)), act(sized("https://x/b", 10<<10))},
			reason: "more than the 16384 allowed", failed: 1},
		{name: "a later action removes an earlier claim", chain: []string{act(sized("https://x/a", 10<<10)),
			act(`api.accessToken.setCustomClaim('https://x/a', undefined);` + sized("https://x/b", 10<<10))}, claims: 2},
		{name: "a hook's claims count", chain: []string{act(sized("https://x/a", 10<<10)), `module.exports = function (client, scope, audience, context, cb) {
			cb(null, { scope, 'https://x/hook': 'h'.repeat(10 << 10) });
		};`}, reason: "more than the 16384 allowed", failed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var progs []*Program
			for _, code := range tc.chain {
				kind := KindAction
				if strings.HasPrefix(code, "module.exports") {
					kind = KindHook
				}
				progs = append(progs, program(t, kind, code))
			}
			res, err := New(Options{}).Run(t.Context(), progs, testEvent())
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.CustomClaims) != tc.claims {
					t.Fatalf("%d claims, want %d: %v", len(res.CustomClaims), tc.claims, reflect.ValueOf(res.CustomClaims).MapKeys())
				}
				return
			}
			var ee *ExecError
			if !errors.As(err, &ee) || !errors.Is(err, ErrClaimLimit) {
				t.Fatalf("err = %v, want an ExecError caused by ErrClaimLimit", err)
			}
			if ee.ScriptID != progs[tc.failed].ID() || !strings.Contains(ee.Reason, tc.reason) {
				t.Fatalf("err = %#v, want script %s and a reason with %q", ee, progs[tc.failed].ID(), tc.reason)
			}
		})
	}
}
