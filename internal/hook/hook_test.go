package hook

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestActions runs the credentials-exchange examples from Auth0's docs and
// the rest of the api object.
func TestActions(t *testing.T) {
	free := testEvent()
	free.Client.Metadata = map[string]string{"tier": "free"}

	for _, tc := range []struct {
		name   string
		code   string
		ev     *Event
		want   Result
		denial *Denial
	}{{
		name: "docs: add the request IP as a namespaced claim",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim("https://my-api.exampleco.com/request-ip", event.request.ip);
		};`,
		want: Result{CustomClaims: map[string]any{"https://my-api.exampleco.com/request-ip": "203.0.113.7"}},
	}, {
		// credo has no GeoIP data: event.request.geoip is an empty object,
		// so the docs' access-control example lets the request through.
		name: "docs: deny by continent (no GeoIP data)",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			if (event.request.geoip.continentCode === "NA") {
				api.access.deny('invalid_request', "Access from North America is not allowed.");
			}
		};`,
	}, {
		name: "deny a client by metadata",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			if (event.client.metadata.tier === 'free') {
				api.access.deny('invalid_request', 'Free-tier clients cannot call this API.');
			}
		};`,
		ev:     &free,
		denial: &Denial{Code: "invalid_request", Reason: "Free-tier clients cannot call this API.", Script: "test-action"},
	}, {
		name: "metadata check lets other tiers through",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			if (event.client.metadata.tier === 'free') {
				api.access.deny('invalid_request', 'Free-tier clients cannot call this API.');
			}
			api.accessToken.setCustomClaim('https://acme.test/tier', event.client.metadata.tier);
		};`,
		want: Result{CustomClaims: map[string]any{"https://acme.test/tier": "gold"}},
	}, {
		name: "deny with invalid_scope and no reason",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.access.deny('invalid_scope');
		};`,
		denial: &Denial{Code: "invalid_scope", Script: "test-action"},
	}, {
		name: "deny returns api, and the action may go on",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.access.deny('server_error', 'down for maintenance').accessToken.setCustomClaim('https://x/after', 1);
			throw new Error('a failure after the denial');
		};`,
		denial: &Denial{Code: "server_error", Reason: "down for maintenance", Script: "test-action"},
	}, {
		name: "the first denial wins",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.access.deny('invalid_scope', 'first');
			api.access.deny('invalid_request', 'second');
		};`,
		denial: &Denial{Code: "invalid_scope", Reason: "first", Script: "test-action"},
	}, {
		name: "claims of every JSON type; plain names are allowed",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken
				.setCustomClaim('https://acme.test/obj', { roles: ['a', 'b'], n: 1.5, ok: true, none: null, skip: undefined })
				.accessToken.setCustomClaim('https://acme.test/nan', NaN)
				.accessToken.setCustomClaim('tenant_tier', 'gold')
				.accessToken.setCustomClaim('https://acme.test/date', new Date(0));
		};`,
		want: Result{CustomClaims: map[string]any{
			"https://acme.test/obj":  map[string]any{"roles": []any{"a", "b"}, "n": 1.5, "ok": true, "none": nil},
			"https://acme.test/nan":  nil,
			"tenant_tier":            "gold",
			"https://acme.test/date": "1970-01-01T00:00:00.000Z",
		}},
	}, {
		name: "values JSON.stringify leaves out set no claim, as in the README example for a client without metadata",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim("https://example.com/tier", event.client.metadata.tier);
			api.accessToken
				.setCustomClaim('https://x/fn', () => 1)
				.accessToken.setCustomClaim('https://x/sym', Symbol('s'))
				.accessToken.setCustomClaim('https://x/tojson', { toJSON() { return undefined; } })
				.accessToken.setCustomClaim('https://x/nested', { u: undefined, f() {}, s: Symbol('s'), a: [undefined, () => 1, Symbol('t'), 1] });
		};`,
		ev:   &Event{Client: Client{ID: "cli_bare", Name: "bare"}},
		want: Result{CustomClaims: map[string]any{"https://x/nested": map[string]any{"a": []any{nil, nil, nil, 1.0}}}},
	}, {
		name: "only values JSON leaves out: no claims at all",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim("https://example.com/tier", event.client.metadata.tier);
		};`,
		ev:   &Event{},
		want: Result{},
	}, {
		name: "undefined removes a claim set earlier",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim('https://x/a', 1).accessToken.setCustomClaim('https://x/b', 2);
			api.accessToken.setCustomClaim('https://x/a', undefined);
		};`,
		want: Result{CustomClaims: map[string]any{"https://x/b": 2.0}},
	}, {
		name: "a later claim of the same name wins",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim('https://x/a', 1);
			api.accessToken.setCustomClaim('https://x/a', 2);
		};`,
		want: Result{CustomClaims: map[string]any{"https://x/a": 2.0}},
	}, {
		name: "secrets",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim('https://acme.test/key', event.secrets.API_KEY);
		};`,
		want: Result{CustomClaims: map[string]any{"https://acme.test/key": "s3cr3t"}},
	}, {
		name: "add and remove target scopes",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.transaction.addTargetScope('read:reports');
			api.transaction.addTargetScope('read:reports');
			api.transaction.removeTargetScope('write:invoices');
		};`,
		want: Result{Scope: []string{"read:invoices", "read:reports"}},
	}, {
		name: "set target scopes",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.transaction.setTargetScopes(['b', 'a', 'b']);
		};`,
		want: Result{Scope: []string{"b", "a"}},
	}, {
		name: "clear target scopes",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.transaction.clearTargetScopes();
		};`,
		want: Result{Scope: []string{}},
	}, {
		name: "the event shows the target scopes as they were when the action started",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.transaction.addTargetScope('x');
			api.accessToken.setCustomClaim('https://x/seen', event.transaction.target_scopes.concat(event.accessToken.scope));
		};`,
		want: Result{
			CustomClaims: map[string]any{"https://x/seen": []any{"read:invoices", "write:invoices", "read:invoices", "write:invoices"}},
			Scope:        []string{"read:invoices", "write:invoices", "x"},
		},
	}, {
		name: "module.exports and a synchronous handler",
		code: `module.exports = { onExecuteCredentialsExchange(event, api) {
			api.accessToken.setCustomClaim('https://x/sync', true);
		} };`,
		want: Result{CustomClaims: map[string]any{"https://x/sync": true}},
	}, {
		name: "await timers",
		code: `const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
		exports.onExecuteCredentialsExchange = async (event, api) => {
			let ticks = 0;
			const id = setInterval(() => { ticks++; }, 1);
			await sleep(5);
			clearInterval(id);
			const cancelled = setTimeout(() => { throw new Error('cleared timers do not run'); }, 1);
			clearTimeout(cancelled);
			await new Promise((resolve) => setImmediate(resolve, 'x'));
			await new Promise((resolve) => queueMicrotask(resolve));
			api.accessToken.setCustomClaim('https://x/ticked', ticks > 0);
		};`,
		want: Result{CustomClaims: map[string]any{"https://x/ticked": true}},
	}, {
		name: "a handled rejection is fine",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			try { await Promise.reject(new Error('x')); } catch (e) { api.accessToken.setCustomClaim('https://x/caught', e.message); }
			Promise.reject(new Error('y')).catch(() => {});
		};`,
		want: Result{CustomClaims: map[string]any{"https://x/caught": "x"}},
	}, {
		name: "the cache starts empty",
		code: `exports.onExecuteCredentialsExchange = async (event, api) => {
			api.accessToken.setCustomClaim('https://x/hit', api.cache.get('k') === undefined);
		};`,
		want: Result{CustomClaims: map[string]any{"https://x/hit": true}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			runCase(t, action(t, tc.code), tc.ev, tc.denial, tc.want)
		})
	}
}

// TestActionMisuse checks the api misuses that fail the execution even
// when the script catches what is thrown.
func TestActionMisuse(t *testing.T) {
	cases := map[string]string{
		"unknown denial code":          `api.access.deny('access_denied', 'no');`,
		"denial code not given":        `api.access.deny();`,
		"claim name not string":        `api.accessToken.setCustomClaim(42, 1);`,
		"empty claim name":             `api.accessToken.setCustomClaim('', 1);`,
		"claim value cyclic":           `const o = {}; o.o = o; api.accessToken.setCustomClaim('https://x/c', o);`,
		"claim value cyclic array":     `const a = [1]; a.push({ a }); api.accessToken.setCustomClaim('https://x/c', a);`,
		"claim value throws in toJSON": `api.accessToken.setCustomClaim('https://x/t', { toJSON() { throw new Error('no'); } });`,
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "azp", "gty", "scope",
		"client_id", "org_id", "org_name", "permissions", "cnf"} {
		cases["reserved claim "+name] = `api.accessToken.setCustomClaim('` + name + `', 'x');`
	}
	rt := New(Options{})
	for name, stmt := range cases {
		t.Run(name, func(t *testing.T) {
			p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
				try { `+stmt+` } catch (e) {}
				api.accessToken.setCustomClaim('https://x/reached', true);
			};`)
			_, err := rt.Run(t.Context(), []*Program{p}, testEvent())
			var ee *ExecError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExecError", err)
			}
			if ee.Script != "test-action" || ee.ScriptID != p.ID() || !strings.Contains(ee.Reason, "api.") {
				t.Fatalf("err = %#v", ee)
			}
		})
	}
}

func TestActionArgumentErrorsAreCatchable(t *testing.T) {
	p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		const thrown = [];
		for (const f of [
			() => api.transaction.addTargetScope(1),
			() => api.transaction.removeTargetScope({}),
			() => api.transaction.setTargetScopes('a b'),
			() => api.transaction.setTargetScopes(['a', 1]),
		]) {
			try { f(); } catch (e) { thrown.push(e.name); }
		}
		api.accessToken.setCustomClaim('https://x/thrown', thrown);
	};`)
	res, err := New(Options{}).Run(t.Context(), []*Program{p}, testEvent())
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"TypeError", "TypeError", "TypeError", "TypeError"}
	if got := res.CustomClaims["https://x/thrown"]; !reflect.DeepEqual(got, want) || res.Scope != nil {
		t.Fatalf("result = %#v", res)
	}
}

// TestEventShape pins the event object of Actions.
func TestEventShape(t *testing.T) {
	p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		api.accessToken.setCustomClaim('https://x/event', event);
		api.accessToken.setCustomClaim('https://x/keys', Object.keys(event));
		api.accessToken.setCustomClaim('https://x/has-org', 'organization' in event);
	};`)
	prev := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		api.accessToken.setCustomClaim('https://x/prev', { n: 1 });
	};`)
	ev := testEvent()
	res, err := New(Options{}).Run(t.Context(), []*Program{prev, p}, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"client": map[string]any{"client_id": "cli_123", "name": "billing-worker",
			"metadata": map[string]any{"tier": "gold", "plan": "full"}},
		"resource_server": map[string]any{"identifier": "https://api.acme.test/"},
		"accessToken": map[string]any{
			"scope":        []any{"read:invoices", "write:invoices"},
			"customClaims": map[string]any{"https://x/prev": map[string]any{"n": 1.0}},
		},
		"request": map[string]any{"ip": "203.0.113.7", "hostname": "auth.acme.test", "method": "POST",
			"user_agent": "go-auth0/1.0", "geoip": map[string]any{},
			"body": map[string]any{"grant_type": "client_credentials", "audience": "https://api.acme.test/"}},
		"transaction": map[string]any{"requested_scopes": []any{"read:invoices", "write:invoices"},
			"target_scopes": []any{"read:invoices", "write:invoices"}},
		"tenant":  map[string]any{"id": "acme"},
		"secrets": map[string]any{"API_KEY": "s3cr3t"},
	}
	if got := res.CustomClaims["https://x/event"]; !reflect.DeepEqual(got, want) {
		t.Errorf("event = %#v\nwant %#v", got, want)
	}
	wantKeys := []any{"client", "resource_server", "accessToken", "request", "transaction", "tenant", "secrets"}
	if got := res.CustomClaims["https://x/keys"]; !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("keys = %#v", got)
	}
	if res.CustomClaims["https://x/has-org"] != false {
		t.Errorf("organization present without one")
	}

	ev.Organization = &Organization{ID: "org_1", Name: "acme-eu", DisplayName: "ACME EU", Metadata: map[string]string{"region": "eu"}}
	res, err = New(Options{}).Run(t.Context(), []*Program{p}, ev)
	if err != nil {
		t.Fatal(err)
	}
	org := res.CustomClaims["https://x/event"].(map[string]any)["organization"]
	wantOrg := map[string]any{"id": "org_1", "name": "acme-eu", "display_name": "ACME EU", "metadata": map[string]any{"region": "eu"}}
	if !reflect.DeepEqual(org, wantOrg) {
		t.Errorf("organization = %#v", org)
	}
}

// TestEventIsAPlainObject checks that the lazily built event behaves like
// an ordinary object.
func TestEventIsAPlainObject(t *testing.T) {
	p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		const same = event.client === event.client;
		event.client.name = 'changed';
		event.extra = 1;
		delete event.secrets;
		const copy = { ...event };
		delete event.tenant;
		event.tenant = 'again';
		api.accessToken.setCustomClaim('https://x/r', [same, event.client.name, event.extra, 'secrets' in event,
			Object.keys(copy).length, typeof event.hasOwnProperty, event.nope === undefined, Object.keys(event)]);
	};`)
	res, err := New(Options{}).Run(t.Context(), []*Program{p}, testEvent())
	if err != nil {
		t.Fatal(err)
	}
	want := []any{true, "changed", 1.0, false, 7.0, "function", true,
		[]any{"client", "resource_server", "accessToken", "request", "transaction", "tenant", "extra"}}
	if got := res.CustomClaims["https://x/r"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

// TestHooks runs the Client Credentials Exchange Hook examples from
// Auth0's docs.
func TestHooks(t *testing.T) {
	noScope := testEvent()
	noScope.Scope = nil
	for _, tc := range []struct {
		name   string
		code   string
		ev     *Event
		want   Result
		denial *Denial
	}{{
		name: "docs: starter code keeps the granted scopes",
		code: `module.exports = function(client, scope, audience, context, cb) {
			var access_token = {};
			access_token.scope = scope; // do not remove this line
			cb(null, access_token);
		};`,
		want: Result{Scope: []string{"read:invoices", "write:invoices"}},
	}, {
		name: "docs: add an additional scope",
		code: `module.exports = function(client, scope, audience, context, cb) {
			var access_token = {};
			access_token.scope = scope;
			access_token.scope.push('read:resource');
			cb(null, access_token);
		};`,
		want: Result{Scope: []string{"read:invoices", "write:invoices", "read:resource"}},
	}, {
		name: "docs: add a claim (without the scope line, scopes are reset)",
		code: `module.exports = function(client, scope, audience, context, cb) {
			var access_token = {};
			access_token['https://example.com/foo'] = 'bar';
			cb(null, access_token);
		};`,
		want: Result{CustomClaims: map[string]any{"https://example.com/foo": "bar"}, Scope: []string{}},
	}, {
		name: "only namespaced properties become claims",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(null, { scope: scope, foo: 1, sub: 'x', 'http://a.test/x': [1], 'https://a.test/y': { z: true } });
		};`,
		want: Result{
			CustomClaims: map[string]any{"http://a.test/x": []any{1.0}, "https://a.test/y": map[string]any{"z": true}},
			Scope:        []string{"read:invoices", "write:invoices"},
		},
	}, {
		name: "a space-separated scope string",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(null, { scope: 'a  b' });
		};`,
		want: Result{Scope: []string{"a", "b"}},
	}, {
		name: "docs: InvalidScopeError",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(new InvalidScopeError("Scope is not permitted."));
		};`,
		denial: &Denial{Code: "invalid_scope", Reason: "Scope is not permitted.", Script: "test-hook"},
	}, {
		name: "docs: InvalidRequestError",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(new InvalidRequestError("Bad request."));
		};`,
		denial: &Denial{Code: "invalid_request", Reason: "Bad request.", Script: "test-hook"},
	}, {
		name: "docs: ServerError",
		code: `module.exports = function(client, scope, audience, context, cb) {
			return cb(new ServerError("Error calling remote system: timeout"));
		};`,
		denial: &Denial{Code: "server_error", Reason: "Error calling remote system: timeout", Script: "test-hook"},
	}, {
		name: "docs: a plain Error is a server_error",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(new Error("Unknown error occurred."));
		};`,
		denial: &Denial{Code: "server_error", Reason: "Unknown error occurred.", Script: "test-hook"},
	}, {
		name:   "an error string is a server_error",
		code:   `module.exports = function(client, scope, audience, context, cb) { cb('nope'); };`,
		denial: &Denial{Code: "server_error", Reason: "nope", Script: "test-hook"},
	}, {
		name: "cb from a promise",
		code: `module.exports = async function(client, scope, audience, context, cb) {
			const extra = await Promise.resolve('read:async');
			Promise.resolve().then(() => cb(null, { scope: scope.concat(extra) }));
		};`,
		want: Result{Scope: []string{"read:invoices", "write:invoices", "read:async"}},
	}, {
		name: "cb from a timer",
		code: `module.exports = function(client, scope, audience, context, cb) {
			setTimeout(cb, 2, null, { scope: ['late'] });
		};`,
		want: Result{Scope: []string{"late"}},
	}, {
		name: "only the first cb counts, and a throw after it is ignored",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(null, { scope: ['first'] });
			cb(new Error('second'));
			throw new Error('after');
		};`,
		want: Result{Scope: []string{"first"}},
	}, {
		name: "client, audience, secrets and body",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(null, { scope: scope, 'https://x/args': [client.name, client.id, client.tenant, client.metadata.plan,
				audience, context.webtask.secrets.API_KEY, context.body.grant_type] });
		};`,
		want: Result{
			CustomClaims: map[string]any{"https://x/args": []any{"billing-worker", "cli_123", "acme", "full",
				"https://api.acme.test/", "s3cr3t", "client_credentials"}},
			Scope: []string{"read:invoices", "write:invoices"},
		},
	}, {
		name: "scope is undefined when nothing is granted",
		code: `module.exports = function(client, scope, audience, context, cb) {
			cb(null, { scope: [typeof scope] });
		};`,
		ev:   &noScope,
		want: Result{Scope: []string{"undefined"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			runCase(t, hook(t, tc.code), tc.ev, tc.denial, tc.want)
		})
	}
}

func TestHookFailures(t *testing.T) {
	rt := New(Options{Timeout: 300 * time.Millisecond})
	for name, code := range map[string]string{
		"not a function":      `module.exports = { notAHook: true };`,
		"throws":              `module.exports = function () { throw new Error('boom'); };`,
		"rejects":             `module.exports = async function () { throw new Error('boom'); };`,
		"token not an object": `module.exports = function (c, s, a, ctx, cb) { cb(null, 'token'); };`,
		"bad scope":           `module.exports = function (c, s, a, ctx, cb) { cb(null, { scope: [1] }); };`,
		"never calls cb":      `module.exports = function (client, scope, audience, context, cb) {};`,
		"never calls cb, waits": `module.exports = function (client, scope, audience, context, cb) {
			setTimeout(() => {}, 10);
		};`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := rt.Run(t.Context(), []*Program{hook(t, code)}, testEvent())
			var ee *ExecError
			if !errors.As(err, &ee) || ee.Script != "test-hook" {
				t.Fatalf("err = %#v, want an *ExecError", err)
			}
			if d := time.Since(start); d > 300*time.Millisecond+5*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

// TestChain runs actions and a hook in order.
func TestChain(t *testing.T) {
	first := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		api.accessToken.setCustomClaim('https://x/first', 1).accessToken.setCustomClaim('https://x/shared', 'first');
		api.transaction.addTargetScope('read:reports');
	};`)
	second := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		api.accessToken.setCustomClaim('https://x/shared', 'second');
		api.accessToken.setCustomClaim('https://x/saw', [event.accessToken.customClaims['https://x/first'], event.transaction.target_scopes]);
	};`)
	legacy := hook(t, `module.exports = function (client, scope, audience, context, cb) {
		cb(null, { scope: scope.filter(s => s !== 'write:invoices'), 'https://x/hook': scope.length });
	};`)
	rt := New(Options{})
	res, err := rt.Run(t.Context(), []*Program{first, second, legacy}, testEvent())
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		CustomClaims: map[string]any{
			"https://x/first":  1.0,
			"https://x/shared": "second",
			"https://x/saw":    []any{1.0, []any{"read:invoices", "write:invoices", "read:reports"}},
			"https://x/hook":   3.0,
		},
		Scope: []string{"read:invoices", "read:reports"},
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("result = %#v\nwant %#v", res, want)
	}

	deny := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'no'); };`)
	boom := action(t, `exports.onExecuteCredentialsExchange = async () => { throw new Error('must not run'); };`)
	if _, err := rt.Run(t.Context(), []*Program{first, deny, boom}, testEvent()); !errors.As(err, new(*Denial)) {
		t.Fatalf("err = %v, want the denial; the chain must stop there", err)
	}
	var ee *ExecError
	if _, err := rt.Run(t.Context(), []*Program{first, boom, deny}, testEvent()); !errors.As(err, &ee) || ee.ScriptID != boom.ID() {
		t.Fatalf("err = %v, want the failure of the second action", err)
	}
	if res, err := rt.Run(t.Context(), nil, testEvent()); err != nil || !reflect.DeepEqual(res, Result{}) {
		t.Fatalf("empty chain: %#v, %v", res, err)
	}
}

func TestConsole(t *testing.T) {
	rec := &logRecorder{}
	rt := New(Options{Logger: slog.New(rec)})
	p := action(t, `exports.onExecuteCredentialsExchange = async (event, api) => {
		console.log('hello', event.client.name, { a: [1] }, 2);
		console.warn('%s has %d items', 'cart', 3);
		console.error(new Error('bad'));
		console.info('x'.repeat(300));
		for (let i = 0; i < 150; i++) console.debug('line', i);
	};`)
	if _, err := rt.Run(t.Context(), []*Program{p}, testEvent()); err != nil {
		t.Fatal(err)
	}
	recs := rec.all()
	if len(recs) != maxLogLines+1 {
		t.Fatalf("%d records, want %d", len(recs), maxLogLines+1)
	}
	for i, want := range []struct {
		level slog.Level
		msg   string
	}{
		{slog.LevelInfo, `hello billing-worker {"a":[1]} 2`},
		{slog.LevelWarn, `cart has 3 items`},
		{slog.LevelError, "Error: bad"},
		{slog.LevelInfo, strings.Repeat("x", 256)},
		{slog.LevelDebug, "line 0"},
	} {
		r := recs[i]
		if r.Level != want.level || !strings.HasPrefix(r.Message, want.msg) {
			t.Errorf("record %d = %v %q, want %v %q", i, r.Level, r.Message, want.level, want.msg)
		}
		if attr(r, "script") != "test-action" || attr(r, "script_id") != p.ID() {
			t.Errorf("record %d lacks the script: %v", i, r)
		}
	}
	if len(recs[3].Message) != 256 {
		t.Errorf("long line kept %d characters", len(recs[3].Message))
	}
	if last := recs[len(recs)-1]; last.Level != slog.LevelWarn || !strings.Contains(last.Message, "dropped") {
		t.Errorf("last record = %v", last)
	}
}

func TestCompile(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		kind       Kind
		line, col  int
		reason     string
	}{
		{name: "syntax error on line 1", code: "exports.x = ;", line: 1, col: 13, reason: "Unexpected token"},
		{name: "syntax error later", code: "exports.onExecuteCredentialsExchange = async () => {\n  let x = 1;\n  x +* 2;\n};", line: 3, col: 6, reason: "Unexpected token"},
		{name: "closing the wrapper", code: "}); (function () {", line: 1, reason: "closing the module"},
		{name: "closing the wrapper in an expression", code: "}, function () {", line: 1, reason: "closing the module"},
		{name: "BigInt literal", code: "const big = 2n ** 64n;", line: 1, col: 13, reason: "BigInt"},
		{name: "duplicate declaration", code: "let a; let a;", line: 1, reason: "already been declared"},
		{name: "too large", code: strings.Repeat(" ", MaxCodeSize+1), reason: "more than"},
		{name: "unknown kind", code: "", kind: 7, reason: "unknown kind"},
		// 13 s to compile before the limit (see maxNesting).
		{name: "a binary chain nested too deep", code: "\nx = 1" + strings.Repeat("+1", 1200) + ";", line: 2, col: 5,
			reason: "nests more than 1000 levels deep"},
		{name: "blocks nested too deep", code: strings.Repeat("{", 1100) + strings.Repeat("}", 1100), line: 1,
			reason: "nests more than 1000 levels deep"},
		{name: "functions nested too deep", code: "const f = " + strings.Repeat("() => ", 1100) + "1;", line: 1,
			reason: "nests more than 1000 levels deep"},
		{name: "with", code: "with ({}) { x = 1; }", line: 1, col: 1, reason: "with statements are not supported"},
		{name: "object rest in a parameter", code: "function f(a, {b, ...r}) {}", line: 1, col: 15, reason: "object rest"},
		{name: "object rest in an arrow parameter", code: "const f = ({...r}) => r;", line: 1, col: 12, reason: "object rest"},
		{name: "object rest with a default parameter", code: "function f({...r} = {}) {}", line: 1, reason: "object rest"},
		{name: "object rest in a loop", code: "for (const {...r} of []) {}", line: 1, reason: "object rest"},
		{name: "object rest in a loop assignment", code: "let r; for ({...r} of []) {}", line: 1, reason: "object rest"},
		{name: "object rest in catch", code: "try {} catch ({...r}) {}", line: 1, reason: "object rest"},
		{name: "nested object rest", code: "const {a: {...r}} = {a: {}};", line: 1, col: 11, reason: "object rest"},
		{name: "object rest in an array pattern", code: "const [{...r}] = [{}];", line: 1, reason: "object rest"},
		{name: "nested object rest in an assignment", code: "let r; ({a: {...r}} = {a: {}});", line: 1, reason: "object rest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(Script{ID: "c", Name: "broken", Kind: tc.kind, Code: tc.code})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CompileError", err)
			}
			if ce.Script != "broken" || !strings.Contains(ce.Reason, tc.reason) || ce.Line != tc.line || (tc.col != 0 && ce.Column != tc.col) {
				t.Fatalf("err = %#v (%v)", ce, err)
			}
		})
	}
	p, err := Compile(Script{ID: "id-1", Name: "ok", Kind: KindHook, Code: "module.exports = function () {};"})
	if err != nil || p.ID() != "id-1" || p.Name() != "ok" || p.Kind() != KindHook {
		t.Fatalf("Compile = %v, %v", p, err)
	}
	// Nesting well within the limit compiles.
	if _, err := Compile(Script{ID: "n", Code: "x = 1" + strings.Repeat("+1", 900) + ";" + strings.Repeat("{", 900) + strings.Repeat("}", 900)}); err != nil {
		t.Fatalf("nesting within the limit: %v", err)
	}
	// A source map comment must not make the parser read a file.
	if _, err := Compile(Script{ID: "m", Code: "//# sourceMappingURL=/etc/passwd\n"}); err != nil {
		t.Fatalf("source map comment: %v", err)
	}
}
