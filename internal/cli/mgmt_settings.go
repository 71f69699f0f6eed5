package cli

import (
	"context"
	"fmt"
	"strconv"
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

// setting is one tenant setting the Management API accepts in a PATCH.
type setting struct {
	key, about string
	get        func(*client.TenantSettings) *bool
	set        func(*client.TenantFlags, bool)
}

// settings lists every setting PATCH /api/v2/tenants/settings accepts.
var settings = []setting{
	{"flags.honor_scope_subset", "issue only the requested scopes when a token request names some (RFC 6749 §3.3); false is Auth0's behaviour",
		func(s *client.TenantSettings) *bool { return s.Flags.HonorScopeSubset },
		func(f *client.TenantFlags, v bool) { f.HonorScopeSubset = &v }},
	{"flags.auth0_compat_errors", "answer token errors with Auth0's legacy error strings",
		func(s *client.TenantSettings) *bool { return s.Flags.Auth0CompatErrors },
		func(f *client.TenantFlags, v bool) { f.Auth0CompatErrors = &v }},
}

func settingKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}

func showSettings(io IO, o *mgmtOpts, s *client.TenantSettings) error {
	if s.Flags == nil {
		s.Flags = &client.TenantFlags{}
	}
	return o.show(io, s, func(w writer) {
		row(w, "KEY", "VALUE", "MEANING")
		for _, st := range settings {
			v := "false"
			if p := st.get(s); p != nil {
				v = strconv.FormatBool(*p)
			}
			row(w, st.key, v, st.about)
		}
	})
}

func settingsShow(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "settings show", "settings show [flags]", `settings show`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		s, err := c.api.Settings.Get(ctx)
		if err != nil {
			return err
		}
		return showSettings(io, o, s)
	})
}

func settingsSet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "settings set", "settings set KEY=VALUE … [flags]\n\nKeys: "+strings.Join(settingKeys(), ", ")+" (the flags. prefix may be left out);\nvalues true or false. Token requests follow the change at once.", `settings set flags.honor_scope_subset=true`)
	return withConn(ctx, io, fs, o, args, -1, "", func(c *conn, pos []string) error {
		if len(pos) == 0 {
			return fmt.Errorf("give at least one KEY=VALUE (keys: %s)", strings.Join(settingKeys(), ", "))
		}
		u := client.TenantSettings{Flags: &client.TenantFlags{}}
		for _, kv := range pos {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q: want KEY=VALUE", kv)
			}
			if !strings.Contains(k, ".") {
				k = "flags." + k
			}
			i := -1
			for j, s := range settings {
				if s.key == k {
					i = j
				}
			}
			if i < 0 {
				msg := fmt.Sprintf("no setting %q (keys: %s)", k, strings.Join(settingKeys(), ", "))
				if s := closest(k, settingKeys()); s != "" {
					msg = fmt.Sprintf("no setting %q: did you mean %s?", k, s)
				}
				return fmt.Errorf("%s", msg)
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want true or false", k, v)
			}
			settings[i].set(u.Flags, b)
		}
		s, err := c.api.Settings.Update(ctx, u)
		if err != nil {
			return err
		}
		return showSettings(io, o, s)
	})
}
