package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credo-dev/credo/client"
	"gopkg.in/yaml.v3"
)

func init() {
	register(command{name: "token", summary: "get an access token for an application (for quick testing)", run: runToken})
	register(command{name: "seed", summary: "apply a tenant.yaml seed file, or export the tenant as one", run: runSeed})
}

// tokenOut is the token response, as the token endpoint sends it.
type tokenOut struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

func runToken(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "token", `token --audience IDENTIFIER [--client CLIENT_ID] [--client-secret SECRET] [flags]

Gets an access token with the client credentials grant and prints it (-o json
prints the whole token response). With --server it asks that server's token
endpoint; otherwise credo's token endpoint runs in process on --db (the same
pipeline, and the exchange is logged like one). Without --client and
--client-secret it reads CREDO_CLIENT_ID and CREDO_CLIENT_SECRET (the
application's credentials; the admin's are CREDO_ADMIN_CLIENT_ID/SECRET).`, `token --client CLIENT_ID --client-secret "$SECRET" --audience https://api.example.com/invoices -o json`)
	var clientID, clientSecret, audience, scope, org string
	fs.String(&clientID, "client", "", "the application's client_id (default CREDO_CLIENT_ID)")
	fs.String(&clientSecret, "client-secret", "", "the application's client secret (default CREDO_CLIENT_SECRET; a variable keeps it out of ps and shell history)")
	fs.String(&audience, "audience", "", "the API identifier the token is for")
	fs.String(&scope, "scope", "", "space- or comma-separated scopes to ask for (honoured when the tenant's honor_scope_subset flag is on)")
	fs.String(&org, "organization", "", "the organization (id or name) the token is for; its org_id is in the token")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected arguments %q", pos)
	}
	if err := o.check(); err != nil {
		return err
	}
	if clientID == "" {
		clientID, _ = io.env("CREDO_CLIENT_ID")
	}
	if clientSecret == "" {
		clientSecret, _ = io.env("CREDO_CLIENT_SECRET")
	}
	if clientID == "" || clientSecret == "" || audience == "" {
		return errors.New("--audience, --client (or CREDO_CLIENT_ID) and --client-secret (or CREDO_CLIENT_SECRET) are required")
	}
	scopes := strings.Fields(strings.ReplaceAll(scope, ",", " "))
	c, err := o.open(ctx, io)
	if err != nil {
		return err
	}
	defer c.Close()
	ts := client.TokenSource(ctx, client.ClientCredentials{
		TokenURL: c.base + "oauth/token", ClientID: clientID, ClientSecret: clientSecret, Audience: audience, Scope: scopes,
		Organization: org, HTTPClient: c.http, MaxAttempts: 1,
	})
	t, err := ts.Token()
	if err != nil {
		return explain(err)
	}
	tok := tokenOut{AccessToken: t.AccessToken, TokenType: t.TokenType, ExpiresIn: int64(time.Until(t.Expiry).Round(time.Second).Seconds())}
	if s, ok := t.Extra("scope").(string); ok {
		tok.Scope = s
	}
	if o.output == "json" {
		return o.show(io, tok, nil)
	}
	fmt.Fprintln(io.Stdout, tok.AccessToken)
	return nil
}

func runSeed(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "seed", "Seed files describe a tenant in Auth0 Deploy CLI's tenant.yaml shape (clients, resourceServers,\nclientGrants, actions, hooks). Both commands work on the database (--db).", []verb{
		{"apply", "apply a seed file (idempotent: entries are matched and updated)", seedApply},
		{"export", "print the tenant as a seed file, secrets omitted", seedExport},
	}, args)
}

func seedApply(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "seed apply", "seed apply FILE [flags]\n\nApplies FILE (${ENV_VAR} references are expanded) with the same validated writes\nas the Management API. Applying the same file twice changes nothing. Clients\ncreated without a client_secret get a generated one, printed once.", `seed apply tenant.yaml --db credo.db`)
	return withDB(ctx, io, fs, o, args, 1, "FILE", func(a *app, pos []string) error {
		res, err := applySeedFile(ctx, a.svc, pos[0])
		if err != nil {
			return err
		}
		if o.output == "json" {
			return o.show(io, map[string]any{"created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged, "secrets": res.Secrets}, nil)
		}
		fmt.Fprintf(io.Stdout, "Applied %s: %d created, %d updated, %d unchanged\n", pos[0], res.Created, res.Updated, res.Unchanged)
		for id, sec := range res.Secrets {
			fmt.Fprintf(io.Stdout, "Client %s had no client_secret; generated one (shown only now): %s\n", id, sec)
		}
		return nil
	})
}

func seedExport(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "seed export", "seed export [flags] > tenant.yaml\n\nPrints the tenant's APIs, clients and client grants as a seed file (YAML). No\nsecret is included: client secrets are stored hashed, API signing secrets are\nleft out. The Management API and the bootstrap admin are omitted (every tenant\ncreates its own). The output round-trips through credo seed apply.", `seed export --db credo.db > tenant.yaml`)
	return withDB(ctx, io, fs, o, args, 0, "", func(a *app, _ []string) error {
		if o.output != "table" {
			return errors.New("seed export always prints YAML; -o is not supported")
		}
		seed, skipped, err := a.svc.ExportSeed(ctx)
		if err != nil {
			return err
		}
		if skipped > 0 {
			fmt.Fprintf(io.Stderr, "credo seed export: %d actions/hooks are not exported\n", skipped)
		}
		fmt.Fprintf(io.Stdout, "# credo seed export of %s (secrets omitted)\n", a.cfg.Issuer)
		enc := yaml.NewEncoder(io.Stdout)
		enc.SetIndent(2)
		if err := enc.Encode(seed); err != nil {
			return err
		}
		return enc.Close()
	})
}
