package cli

import (
	"context"
	"fmt"

	"github.com/credo-dev/credo/internal/config"
)

func init() {
	register(command{name: "tenant", summary: "the tenant's identity: show it, or change its issuer on purpose", run: runTenant})
}

func runTenant(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "tenant", "The tenant's identity is stored once, in its database: the issuer of its tokens and its\nManagement API's audience (<issuer>api/v2/). credo serve refuses to start with another --issuer.", []verb{
		{"show", "print the tenant's issuer and Management API audience", tenantShow},
		{"set-issuer", "change the tenant's issuer (and Management API audience) on purpose", tenantSetIssuer},
	}, args)
}

func tenantShow(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "tenant show", "tenant show [flags]", `tenant show --db credo.db`)
	return withDB(ctx, io, fs, o, args, 0, "", func(a *app, _ []string) error {
		t, err := a.store.Tenant(ctx)
		if err != nil {
			return err
		}
		return o.show(io, map[string]string{"issuer": t.Issuer, "management_audience": t.ManagementAudience}, func(w writer) {
			row(w, "issuer", t.Issuer)
			row(w, "management_audience", t.ManagementAudience)
		})
	})
}

func tenantSetIssuer(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "tenant set-issuer", `tenant set-issuer NEW_ISSUER [flags]

Changes the issuer of the tenant in --db: the iss claim of every token from now
on, and the Management API's audience (NEW_ISSUER + "api/v2/"), which the admin
grants move to. Tokens issued before stop verifying wherever iss is checked, and
every API's verifier must be given the new issuer. Stop every credo serving the
tenant first; start them again with --issuer NEW_ISSUER (or without --issuer).`, `tenant set-issuer https://auth.example.com/ --db credo.db`)
	return withDB(ctx, io, fs, o, args, 1, "NEW_ISSUER", func(a *app, pos []string) error {
		next, err := config.ParseIssuer(pos[0])
		if err != nil {
			return err
		}
		old, err := a.svc.ChangeIssuer(ctx, next)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stdout, "Issuer changed from %s to %s (Management API audience %sapi/v2/).\nRestart every credo serving this tenant with --issuer %s, and give the APIs' verifiers the new issuer.\n",
			old, next, next, next)
		return nil
	})
}
