package hook

import (
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

func BenchmarkCompile(b *testing.B) {
	s := Script{ID: "b", Name: "b", Code: trivial}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
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
