package hook

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const fuzzTimeout = 100 * time.Millisecond

var fuzzSeeds = []string{
	trivial,
	`exports.onExecuteCredentialsExchange = async (event, api) => {
		if (event.client.metadata.tier === 'free') api.access.deny('invalid_request', 'free');
		api.transaction.addTargetScope('x');
		const hit = api.cache.get('k') || api.cache.set('k', JSON.stringify(event.request));
		console.log(hit, event.secrets.API_KEY);
		await new Promise((r) => setTimeout(r, 1));
	};`,
	`module.exports = function (client, scope, audience, context, cb) {
		var at = { scope: scope };
		at['https://x/' + client.id] = context.body;
		cb(null, at);
	};`,
	`module.exports = function (c, s, a, ctx, cb) { cb(new InvalidScopeError('no')); };`,
	`exports.onExecuteCredentialsExchange = async () => { while (true) {} };`,
	`exports.onExecuteCredentialsExchange = async () => { let a = []; for (;;) a.push([a]); };`,
	`exports.onExecuteCredentialsExchange = async (e, api) => { api.accessToken.setCustomClaim('iss', 1); };`,
	`exports.onExecuteCredentialsExchange = () => new Promise(() => {});`,
	`}); globalThis.x = 1; (function () {`,
	`'use strict'; exports.onExecuteCredentialsExchange = async (e, a) => { undeclared = 1; };`,
	`exports.onExecuteCredentialsExchange = async (e, a) => { JSON.stringify(e); [...'x'.repeat(1e3)].sort().join(); };`,
	"`${",
	"/*",
	"\x00\xff",
}

// checkRun compiles and runs code, failing t if anything escapes the
// contract: a panic, an error of another type, or a Run over the bound.
func checkRun(t *testing.T, rt *Runtime, code string, kind Kind) {
	p, err := Compile(Script{ID: "fuzz", Name: "fuzz", Kind: kind, Code: code})
	if err != nil {
		if !errors.As(err, new(*CompileError)) {
			t.Fatalf("Compile returned %T: %v", err, err)
		}
		return
	}
	start := time.Now()
	_, err = rt.Run(t.Context(), []*Program{p}, testEvent())
	if d := time.Since(start); d > fuzzTimeout+stuckGrace+5*time.Second {
		t.Fatalf("Run took %v for %q", d, code)
	}
	var d *Denial
	switch {
	case err == nil, errors.As(err, new(*ExecError)):
	case errors.As(err, &d):
		if d.Code != CodeInvalidScope && d.Code != CodeInvalidRequest && d.Code != CodeServerError {
			t.Fatalf("denial with code %q", d.Code)
		}
	default:
		t.Fatalf("Run returned %T: %v", err, err)
	}
}

func FuzzRun(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	rt := New(Options{Timeout: fuzzTimeout})
	f.Fuzz(func(t *testing.T, code string, asHook bool) {
		kind := KindAction
		if asHook {
			kind = KindHook
		}
		checkRun(t, rt, code, kind)
	})
}

// TestGarbledScripts runs deterministic mutations of the fuzz seeds: cut,
// duplicated and swapped fragments of real scripts exercise the parser,
// the compiler and the runtime far more than the seeds alone.
func TestGarbledScripts(t *testing.T) {
	rt := New(Options{Timeout: fuzzTimeout})
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := []string{"{", "}", "(", ")", ";", "await ", "async ", "=>", "api.", "event.", "cb(", "null", "'",
		"`", "[", "]", ",", "new Promise(", "setTimeout(", "throw ", "return ", "\n", "0x", "1e309", "..."}
	for i := range 300 {
		code := []byte(fuzzSeeds[rng.IntN(len(fuzzSeeds))])
		for range 1 + rng.IntN(4) {
			if len(code) == 0 {
				break
			}
			at := rng.IntN(len(code))
			switch rng.IntN(4) {
			case 0: // cut a fragment
				end := min(len(code), at+1+rng.IntN(20))
				code = append(code[:at], code[end:]...)
			case 1: // insert a token
				code = append(code[:at], append([]byte(tokens[rng.IntN(len(tokens))]), code[at:]...)...)
			case 2: // duplicate a fragment
				end := min(len(code), at+1+rng.IntN(30))
				frag := append([]byte(nil), code[at:end]...)
				code = append(code[:end], append(frag, code[end:]...)...)
			case 3: // flip a byte
				code[at] ^= byte(1 << rng.IntN(7))
			}
		}
		kind := KindAction
		if strings.Contains(string(code), "module.exports = function") || i%7 == 0 {
			kind = KindHook
		}
		checkRun(t, rt, string(code), kind)
	}
}
