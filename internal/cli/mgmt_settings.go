package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "settings", summary: "tenant settings: show, set", run: runSettings})
}

func runSettings(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "settings", "Read and change the tenant settings (GET and PATCH /api/v2/tenants/settings).", []verb{
		{"show", "show the tenant settings", settingsShow},
		{"set", "change settings: KEY=VALUE …", settingsSet},
	}, args)
}

// honoured are the settings credo acts on, with what they do. The
// Management API stores and returns every other Auth0 setting without
// acting on it.
var honoured = map[string]string{
	"flags.honor_scope_subset":                      "issue only the requested scopes when a token request names some (RFC 6749 §3.3); false is Auth0's behaviour",
	"flags.auth0_compat_errors":                     "answer token errors with Auth0's legacy error strings",
	"default_audience":                              "the API a token request without an audience gets",
	"allow_organization_name_in_authentication_api": "add org_name to tokens issued for an organization",
}

// flatSettings lists the settings as KEY → JSON value, the flags one by one.
func flatSettings(all map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if m, ok := v.(map[string]any); ok && k == "flags" {
			for f, fv := range m {
				b, _ := json.Marshal(fv)
				out["flags."+f] = string(b)
			}
			continue
		}
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, _ := json.Marshal(v)
		out[k] = string(b)
	}
	return out
}

func showSettings(io IO, o *mgmtOpts, all map[string]any) error {
	return o.show(io, all, func(w writer) {
		flat := flatSettings(all)
		row(w, "KEY", "VALUE", "EFFECT")
		for _, k := range slices.Sorted(maps.Keys(flat)) {
			effect, ok := honoured[k]
			if !ok {
				effect = "stored and returned; credo does not act on it"
			}
			row(w, k, flat[k], effect)
		}
	})
}

func settingsShow(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "settings show", "settings show [flags]", `settings show -o json`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		all, err := c.api.Settings.GetAll(ctx)
		if err != nil {
			return err
		}
		return showSettings(io, o, all)
	})
}

// settingValue reads VALUE as JSON (true, 72, ["a"], {"k":1}, null, "x")
// and, when it is not JSON, as a string.
func settingValue(v string) any {
	var x any
	if err := json.Unmarshal([]byte(v), &x); err == nil {
		return x
	}
	return v
}

func settingsSet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "settings set", `settings set KEY=VALUE … [flags]

Changes the named settings. credo acts on flags.honor_scope_subset,
flags.auth0_compat_errors (the flags. prefix may be left out), default_audience
and allow_organization_name_in_authentication_api; it stores every other setting
of Auth0's tenant object as given. VALUE is JSON (true, 72, ["a","b"], {"k":1};
null removes a stored setting) or else a string; quote a string that reads as
JSON: friendly_name='"2026"'. An object setting is replaced whole. Token
requests follow the change at once.`, `settings set honor_scope_subset=true default_audience=https://api.example.com/invoices`)
	return withConn(ctx, io, fs, o, args, -1, "", func(c *conn, pos []string) error {
		if len(pos) == 0 {
			return fmt.Errorf("give at least one KEY=VALUE (e.g. honor_scope_subset=true)")
		}
		body := map[string]any{}
		flags := map[string]any{}
		for _, kv := range pos {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("%q: want KEY=VALUE", kv)
			}
			if _, known := honoured["flags."+k]; known {
				k = "flags." + k
			}
			switch name, ok := strings.CutPrefix(k, "flags."); {
			case ok && name != "" && !strings.Contains(name, "."):
				flags[name] = settingValue(v)
			case strings.Contains(k, "."):
				return fmt.Errorf("%q: only flags are set one by one (flags.NAME); give an object setting whole, e.g. %s='{…}'", k, strings.SplitN(k, ".", 2)[0])
			default:
				body[k] = settingValue(v)
			}
		}
		if len(flags) > 0 {
			body["flags"] = flags
		}
		all, err := c.api.Settings.Patch(ctx, body)
		if err != nil {
			return suggestSetting(ctx, c, body, err)
		}
		return showSettings(io, o, all)
	})
}

// suggestSetting adds the closest known setting to the server's refusal of
// an unknown one.
func suggestSetting(ctx context.Context, c *conn, body map[string]any, err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Additional properties not allowed") {
		return err
	}
	known := slices.Collect(maps.Keys(honoured))
	if all, gerr := c.api.Settings.GetAll(ctx); gerr == nil {
		known = append(known, slices.Collect(maps.Keys(flatSettings(all)))...)
	}
	var given []string
	for k, v := range body {
		if m, ok := v.(map[string]any); ok && k == "flags" {
			for f := range m {
				given = append(given, "flags."+f)
			}
			continue
		}
		given = append(given, k)
	}
	for _, g := range given {
		if slices.Contains(known, g) {
			continue
		}
		// A flag given without its prefix is compared without it too.
		bare := map[string]string{}
		for _, k := range known {
			bare[strings.TrimPrefix(k, "flags.")] = k
		}
		if s := closest(g, known); s != "" {
			return fmt.Errorf("%w; did you mean %s?", explain(err), s)
		}
		if s := closest(strings.TrimPrefix(g, "flags."), slices.Collect(maps.Keys(bare))); s != "" {
			return fmt.Errorf("%w; did you mean %s?", explain(err), bare[s])
		}
	}
	return err
}
