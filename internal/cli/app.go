package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/keys"
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
	holder *tenant.Holder
	svc    *tenant.Service
	// scripts compiles and runs Actions and Hooks for the token pipeline.
	scripts *token.Scripts
}

// newLogger builds the text or JSON logger at the configured level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the SQLite file or PostgreSQL database named by cfg.DB.
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

// loadMasterKey reads CREDO_MASTER_KEY or the key file, creating the file
// on first start (with a warning: back it up).
func loadMasterKey(cfg config.Config, log *slog.Logger) (*keys.MasterKey, error) {
	if cfg.MasterKey != "" {
		mk, err := keys.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("CREDO_MASTER_KEY: %w", err)
		}
		return mk, nil
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

// openApp opens everything a command that works on the tenant needs, and
// makes sure the system API and signing keys exist.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, scripts: &token.Scripts{
		Runtime:  hook.New(hook.Options{Logger: log}),
		Log:      log,
		TenantID: issuerHost(cfg.Issuer),
	}}
	fail := func(err error) (*app, error) { st.Close(); return nil, err }
	if a.master, err = loadMasterKey(cfg, log); err != nil {
		return fail(err)
	}
	km := &keys.Manager{Store: st, Master: a.master, CommonName: issuerHost(cfg.Issuer), Now: time.Now}
	start := time.Now()
	if n, err := km.Ensure(ctx); err != nil {
		return fail(fmt.Errorf("signing keys: %w", err))
	} else if n > 0 {
		log.Info("created signing keys", "count", n, "took", time.Since(start).Round(time.Millisecond))
	}
	a.svc = &tenant.Service{Store: st, Master: a.master, Keys: km, Issuer: cfg.Issuer, Log: log}
	if err := a.svc.EnsureSystem(ctx); err != nil {
		return fail(fmt.Errorf("management API: %w", err))
	}
	a.svc.ValidateScript = a.scripts.Validate
	if a.holder, err = tenant.NewHolder(ctx, st, a.master, a.scripts.Compiler(a.master), log, nil); err != nil {
		return fail(err)
	}
	a.svc.Holder = a.holder
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

func issuerHost(issuer string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(h, "/")
}
