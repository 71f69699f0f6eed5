package hook

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRunTrivialAction measures the cost the token endpoint pays for
// one Action that sets one claim.
func BenchmarkRunTrivialAction(b *testing.B) {
	progs := []*Program{action(b, trivial)}
	benchRun(b, progs)
}

// BenchmarkRunTrivialActionParallel is the same under concurrency.
func BenchmarkRunTrivialActionParallel(b *testing.B) {
	rt := New(Options{})
	progs := []*Program{action(b, trivial)}
	ev := testEvent()
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rt.Run(ctx, progs, ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRunHook measures the Hook starter code with one namespaced
// claim.
func BenchmarkRunHook(b *testing.B) {
	progs := []*Program{hook(b, `module.exports = function (client, scope, audience, context, cb) {
		var access_token = {};
		access_token.scope = scope;
		access_token['https://x/y'] = 1;
		cb(null, access_token);
	};`)}
	benchRun(b, progs)
}

// BenchmarkRunTypicalAction reads the event, uses the cache and sets a
// few claims.
func BenchmarkRunTypicalAction(b *testing.B) {
	progs := []*Program{action(b, `exports.onExecuteCredentialsExchange = async (event, api) => {
		if (event.client.metadata.tier === 'free') {
			return api.access.deny('invalid_request', 'free tier');
		}
		let plan = api.cache.get('plan:' + event.client.client_id);
		if (!plan) {
			api.cache.set('plan:' + event.client.client_id, event.client.metadata.plan, { ttl: 60000 });
			plan = { value: event.client.metadata.plan };
		}
		api.accessToken.setCustomClaim('https://acme.test/plan', plan.value);
		api.accessToken.setCustomClaim('https://acme.test/scopes', event.accessToken.scope.map((s) => s.split(':')[0]));
	};`)}
	benchRun(b, progs)
}

// BenchmarkCompile measures compiling without the cache (compileCode) a
// trivial action, a realistic generated 98 kB action, and 98 kB of the code
// goja compiles slowest within maxNesting; and Compile of a cached 98 kB
// action, which is what validation at deploy, a snapshot rebuild or a bind
// pay after the first compilation.
func BenchmarkCompile(b *testing.B) {
	large := largeAction(98 << 10)
	chain := "x = 1" + strings.Repeat("+1", maxNesting-10) + ";\n"
	for _, bc := range []struct{ name, code string }{
		{"trivial", trivial},
		{"realistic-98kB", large},
		{"deepest-chains-98kB", strings.Repeat(chain, (98<<10)/len(chain)) + trivial},
		{"deepest-blocks-98kB", strings.Repeat(strings.Repeat("{", maxNesting-10)+strings.Repeat("}", maxNesting-10)+"\n", (98<<10)/(2*maxNesting)) + trivial},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compileCode(KindAction, bc.code); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("cached-98kB", func(b *testing.B) {
		s := Script{ID: "b", Name: "b", Code: large}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Compile(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// largeAction generates a realistic action of about size bytes: a table
// of tiers with regular expressions, then many helper functions with
// string literals, regular expressions, loops, template literals and
// object literals, and a handler calling one of them.
func largeAction(size int) string {
	var b strings.Builder
	b.WriteString("'use strict';\nconst TIERS = {\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  tier%d: { name: 'Tier %d', rate: %d, flags: ['a%d', 'b%d'], pattern: /^tier-%d-[a-z]+$/i },\n", i, i, i*10, i, i, i)
	}
	b.WriteString("};\n")
	for i := 0; b.Len() < size-300; i++ {
		fmt.Fprintf(&b, `
function helper%d(event, input) {
  const re = /^(?:[a-z0-9._%%+-]+)@example%d\.com$/i;
  const parts = String(input || '').split(':');
  let out = [];
  for (let j = 0; j < parts.length; j++) {
    if (re.test(parts[j]) || parts[j].startsWith('svc-%d')) {
      out.push({ index: j, value: parts[j].toUpperCase(), note: "helper %d matched " + parts[j] });
    } else if (parts[j].length > %d) {
      out.push(parts[j].slice(0, %d).replace(/[^a-z]/g, '_'));
    }
  }
  const cfg = TIERS['tier' + (%d %% 40)];
  return { id: 'h%d', cfg: cfg && cfg.name, out, message: `+"`helper ${%d} saw ${out.length} parts`"+` };
}
`, i, i, i, i, i%13+1, i%7+2, i, i, i)
	}
	b.WriteString(`
exports.onExecuteCredentialsExchange = async (event, api) => {
  const r = helper0(event, event.client.name);
  api.accessToken.setCustomClaim('https://x/y', r.id);
};
`)
	return b.String()
}

// benchRun runs progs on a new runtime with the test event, once per
// iteration.
func benchRun(b *testing.B, progs []*Program) {
	rt := New(Options{})
	ev := testEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Run(ctx, progs, ev); err != nil {
			b.Fatal(err)
		}
	}
}
