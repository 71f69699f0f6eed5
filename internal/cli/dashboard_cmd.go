package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/dashboard"
	"github.com/credo-dev/credo/internal/tenant"
)

func init() {
	register(command{name: "dashboard", summary: "the web console at /dashboard: print a one-time login link", run: runDashboard})
}

func runDashboard(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "dashboard", "credo serve serves the Dashboard, a web console, at <issuer>dashboard/. Sign in with the\ncredentials of a client authorized for the Management API, or with a one-time login link.", []verb{
		{"login-link", "print a one-time link that signs in to the Dashboard", dashboardLoginLink},
	}, args)
}

// dashboardLoginLink works on the database only (--db): a login link is the
// way in for an operator who can reach the database but holds no admin
// credentials (whoever holds them signs in with them directly).
func dashboardLoginLink(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "dashboard login-link", `dashboard login-link [flags]

Prints a link that signs in to the Dashboard of the tenant in --db once. It
stops working when used or when it expires (--ttl, at most 1h); the database
keeps only its SHA-256. The session gets every Management API scope, or only
the read:* ones with --read-only. Anyone who opens the link first signs in:
send it only over a private channel.`, `dashboard login-link --db credo.db --ttl 5m`)
	ttl := 10 * time.Minute
	readOnly := false
	name := "login link"
	fs.Duration(&ttl, "ttl", ttl, "how long the link stays valid (at most 1h)")
	fs.Bool(&readOnly, "read-only", false, "the session gets only the read:* Management API scopes")
	fs.String(&name, "name", name, "who the session is for, as the Dashboard and the tenant log name it")
	return withDB(ctx, io, fs, o, args, 0, "", func(a *app, _ []string) error {
		scopes := slices.Clone(tenant.ManagementScopes)
		if readOnly {
			scopes = slices.DeleteFunc(scopes, func(s string) bool { return !strings.HasPrefix(s, "read:") })
		}
		link, err := dashboard.NewLoginLink(ctx, a.store, a.cfg.Issuer, name, scopes, ttl, time.Now())
		if err != nil {
			return err
		}
		if o.output == "json" {
			return o.show(io, map[string]any{"url": link, "expires_in": int(ttl / time.Second), "read_only": readOnly}, nil)
		}
		fmt.Fprintf(io.Stdout, "%s\n(valid once, for %s%s)\n", link, ttl, map[bool]string{true: ", read-only", false: ""}[readOnly])
		return nil
	})
}
