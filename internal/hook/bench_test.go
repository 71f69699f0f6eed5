package hook

import (
	"testing"
)

// BenchmarkRunTrivialAction measures the cost the token endpoint pays for
// one Action that sets one claim.
func BenchmarkRunTrivialAction(b *testing.B) {
	rt := New(Options{})
	progs := []*Program{action(b, trivial)}
	ev := testEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Run(ctx, progs, ev); err != nil {
			b.Fatal(err)
		}
	}
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
	rt := New(Options{})
	progs := []*Program{hook(b, `module.exports = function (client, scope, audience, context, cb) {
		var access_token = {};
		access_token.scope = scope;
		access_token['https://x/y'] = 1;
		cb(null, access_token);
	};`)}
	ev := testEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Run(ctx, progs, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunTypicalAction reads the event, uses the cache and sets a
// few claims.
func BenchmarkRunTypicalAction(b *testing.B) {
	rt := New(Options{})
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
	ev := testEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Run(ctx, progs, ev); err != nil {
			b.Fatal(err)
		}
	}
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
