package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/realip"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

// app is an opened tenant: store, master key, service and snapshot holder.
type app struct {
	cfg    config.Config
	log    *slog.Logger
	store  store.Store
	master *keys.MasterKey
	keys   *keys.Manager
	holder *tenant.Holder
	svc    *tenant.Service
	// scripts compiles and runs Actions and Hooks for the token pipeline.
	scripts *token.Scripts
	// ip finds the client's address behind the trusted proxies.
	ip *realip.Resolver
}

// newLogger builds the text or JSON logger at the configured level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		opts.ReplaceAttr = durationsInMilliseconds
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationsInMilliseconds writes a duration attribute of a JSON log line as
// <key>_ms, a number of milliseconds (slog's JSON handler writes
// nanoseconds, which no reader expects).
func durationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key+"_ms", float64(a.Value.Duration().Microseconds())/1000)
	}
	return a
}

// openStore opens the SQLite file or PostgreSQL database named by cfg.DB
// (a missing SQLite file is created: only serve and migrate call it on a
// path that may not exist).
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.IsPostgres() {
		return openPostgres(ctx, cfg)
	}
	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.DB, err)
	}
	return st, nil
}

// loadMasterKey reads CREDO_MASTER_KEY or the key file. With create (a new
// tenant) a missing file is created, with a warning to back it up; for an
// existing tenant a missing key is an error: a new one could decrypt none
// of its keys and secrets.
func loadMasterKey(cfg config.Config, log *slog.Logger, create bool) (*keys.MasterKey, error) {
	if cfg.MasterKey != "" {
		mk, err := keys.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("CREDO_MASTER_KEY: %w", err)
		}
		return mk, nil
	}
	if !create {
		mk, err := keys.LoadMasterKey(cfg.MasterKeyFile)
		if errors.Is(err, keys.ErrNoMasterKeyFile) {
			return nil, fmt.Errorf("%w; the tenant's signing keys and secrets are encrypted with the key it was created with: "+
				"set CREDO_MASTER_KEY or --master-key-file to it", err)
		}
		return mk, err
	}
	mk, created, err := keys.LoadOrCreateMasterKey(cfg.MasterKeyFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created a new master key file; back it up with the database: without it the signing keys and secrets cannot be decrypted",
			"path", cfg.MasterKeyFile)
	}
	if cfg.IsPostgres() {
		log.Warn("PostgreSQL with a local master key file: every replica needs the same key; set CREDO_MASTER_KEY", "path", cfg.MasterKeyFile)
	}
	return mk, nil
}

// explicitIssuer is the issuer the configuration names itself (--issuer or
// CREDO_ISSUER), normalised, or "" when it names none and Validate would
// derive one from --addr.
func explicitIssuer(cfg config.Config) string {
	if cfg.Issuer == "" {
		return ""
	}
	return config.NormalizeIssuer(cfg.Issuer)
}

// initApp opens the tenant for credo serve and credo migrate: the database
// is created if needed and the tenant with it (its identity, signing keys
// and Management API). The issuer is the tenant's stored one; asked, when
// set, must be it (tenant.ResolveIssuer), or nothing is written.
func initApp(ctx context.Context, cfg config.Config, asked string, log *slog.Logger) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*app, error) { st.Close(); return nil, err }
	issuer, fresh, err := tenant.ResolveIssuer(ctx, st, asked)
	if err != nil {
		return fail(err)
	}
	if fresh && issuer == "" {
		issuer = cfg.Issuer // derived from --addr by Validate
	}
	cfg.Issuer = issuer
	a, err := newApp(ctx, cfg, st, log, fresh)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if n, err := a.keys.Ensure(ctx); err != nil {
		return fail(fmt.Errorf("signing keys: %w", err))
	} else if n > 0 {
		log.Info("created signing keys", "count", n, "took", time.Since(start).Round(time.Millisecond))
	}
	if err := a.svc.EnsureIdentity(ctx); err != nil {
		return fail(err)
	}
	if err := a.svc.EnsureSystem(ctx); err != nil {
		return fail(fmt.Errorf("management API: %w", err))
	}
	if err := a.startHolder(ctx); err != nil {
		return fail(err)
	}
	return a, nil
}

// openExisting opens a tenant that already exists, for every command but
// serve and migrate: it creates nothing and writes nothing. A missing
// SQLite file, a database without a tenant, a missing master key or another
// --issuer than the tenant's are errors that name what is wrong.
func openExisting(ctx context.Context, cfg config.Config, io IO) (*app, error) {
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	asked := explicitIssuer(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.IsPostgres() {
		if _, err := os.Stat(cfg.DB); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist (give the tenant's file with --db, or --server URL for a running credo; credo serve creates a new tenant)", cfg.DB)
		}
	}
	log := newLogger(cfg, io.Stderr)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*app, error) { st.Close(); return nil, err }
	issuer, fresh, err := tenant.ResolveIssuer(ctx, st, asked)
	switch {
	case err != nil:
		return fail(err)
	case fresh:
		return fail(fmt.Errorf("database %s has no credo tenant yet: run credo serve (or credo migrate) on it first", redactDSN(cfg.DB)))
	}
	cfg.Issuer = issuer
	a, err := newApp(ctx, cfg, st, log, false)
	if err != nil {
		return fail(err)
	}
	if err := a.startHolder(ctx); err != nil {
		return fail(err)
	}
	return a, nil
}

// newApp assembles the tenant's collaborators on an open store.
func newApp(ctx context.Context, cfg config.Config, st store.Store, log *slog.Logger, createKey bool) (*app, error) {
	ip, err := realip.ParseList(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, ip: ip, scripts: &token.Scripts{
		Runtime:  hook.New(hook.Options{Logger: log, Timeout: cfg.ActionTimeout, MaxConcurrent: cfg.ActionMaxConcurrent, MaxInFlight: cfg.ActionMaxInFlight}),
		Log:      log,
		TenantID: issuerHost(cfg.Issuer),
	}}
	if a.master, err = loadMasterKey(cfg, log, createKey); err != nil {
		return nil, err
	}
	a.keys = &keys.Manager{Store: st, Master: a.master, CommonName: issuerHost(cfg.Issuer), Now: time.Now}
	a.svc = &tenant.Service{Store: st, Master: a.master, Keys: a.keys, Issuer: cfg.Issuer, Log: log, ValidateScript: a.scripts.Validate,
		StreamNetworks: tenant.StreamNetworks(cfg.LogStreamNetworks)}
	return a, nil
}

// startHolder loads the snapshot; from then on every write refreshes it.
func (a *app) startHolder(ctx context.Context) error {
	h, err := tenant.NewHolder(ctx, a.store, a.master, a.scripts.Compiler(a.master), a.log, nil)
	if err != nil {
		return err
	}
	a.holder, a.svc.Holder = h, h
	return nil
}

func (a *app) Close() error { return a.store.Close() }

// endpoint is the token endpoint on the tenant; events receives each
// exchange's log event (nil: none).
func (a *app) endpoint(events func(store.LogEvent)) *token.Endpoint {
	return &token.Endpoint{
		Holder:     a.holder,
		Secrets:    secret.NewVerifier(5*time.Minute, nil),
		Issuer:     a.cfg.Issuer,
		Log:        a.log,
		Extensions: a.scripts.Run,
		Events:     events,
		IP:         a.ip,
	}
}

// tokens serves revocation and introspection on the tenant, sharing ep's
// secret verifier (and its cache).
func (a *app) tokens(ep *token.Endpoint) *token.Tokens {
	return &token.Tokens{Holder: a.holder, Service: a.svc, Secrets: ep.Secrets, Issuer: a.cfg.Issuer, Log: a.log, IP: a.ip}
}

// managementAPI serves the Management API (/api/v2/) on the tenant;
// successful writes are recorded as sapi events in events (nil: none).
func (a *app) managementAPI(events func(store.LogEvent)) http.Handler {
	return mgmt.New(mgmt.Deps{Service: a.svc, Holder: a.holder, Events: events, Log: a.log, Issuer: a.cfg.Issuer, IP: a.ip,
		TestAction: func(ctx context.Context, x store.Action, payload json.RawMessage) (any, error) {
			return a.scripts.Test(ctx, a.master, x, payload)
		}})
}

// handler is credo's whole HTTP surface on the tenant, as the CLI mounts it
// in process: every event is written to the tenant log at once (the process
// may exit right after).
func (a *app) handler(m *server.Metrics) http.Handler {
	events := func(ev store.LogEvent) {
		if ev.ID == "" {
			ev.ID = tenant.NewLogID(ev.Date)
		}
		if err := a.store.AppendLogs(context.Background(), []store.LogEvent{ev}); err != nil {
			a.log.Warn("writing a tenant log event failed", "err", err)
		}
	}
	ep := a.endpoint(events)
	return server.New(server.Deps{
		Holder: a.holder, Token: ep, Tokens: a.tokens(ep), Management: a.managementAPI(events), Metrics: m,
		Log: a.log, Issuer: a.cfg.Issuer, JWKSMaxAge: a.cfg.JWKSMaxAge,
	})
}

func issuerHost(issuer string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(h, "/")
}
