package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/clientauth"
	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/dashboard"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/logstream"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
)

func init() {
	register(command{name: "serve", summary: "run the authorization server", run: runServe})
}

// serveFlags registers the flags shared by serve and the commands that open the tenant.
func serveFlags(fs *flagSet, cfg *config.Config) {
	fs.readEnv, fs.shared = true, true
	defer func() { fs.readEnv, fs.shared = false, false }()
	fs.String(&cfg.Addr, "addr", cfg.Addr, "listen address host:port")
	fs.String(&cfg.Issuer, "issuer", cfg.Issuer, "issuer URL (iss claim; default http://<addr>/, always ends with /)")
	fs.String(&cfg.DB, "db", cfg.DB, "SQLite file path or postgres://user@host:5432/db URL")
	fs.String(&cfg.DBSchema, "db-schema", "", "PostgreSQL schema for credo's tables (created if missing; default: the search_path's)")
	fs.Int(&cfg.DBMaxConns, "db-max-conns", cfg.DBMaxConns, "PostgreSQL connection pool size")
	fs.Duration(&cfg.DBStatementTimeout, "db-statement-timeout", cfg.DBStatementTimeout, "PostgreSQL statement timeout")
	fs.String(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json")
	fs.String(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error")
	fs.String(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "file holding the key that encrypts signing keys and secrets at rest (default next to the SQLite file; created with mode 0600). CREDO_MASTER_KEY overrides it")
	fs.String(&cfg.TrustedProxies, "trusted-proxies", "", "comma-separated CIDR blocks or addresses of the reverse proxies in front of credo, whose Forwarded / X-Forwarded-For headers name the client's address (default: none, the TCP peer is the client)")
}

func runServe(ctx context.Context, io IO, args []string) error {
	cfg := config.Default()
	fs := newFlagSet(io, "serve", `serve [flags]

Runs the authorization server. The first start on a database creates the tenant
(signing keys, the Management API, a demo API and application, and an admin
client whose credentials it prints once). Every flag also reads the environment
variable shown.

Example:
  credo serve --addr 0.0.0.0:8080 --issuer https://auth.example.com/ --trusted-proxies 10.0.0.0/8`)
	serveFlags(fs, &cfg)
	fs.readEnv = true // serve's own flags configure the server too: they read CREDO_* as well
	fs.String(&cfg.Seed, "seed", "", "tenant.yaml (Auth0 Deploy CLI shape) applied at start; idempotent")
	fs.String(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS (TLS 1.2+)")
	fs.String(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.Duration(&cfg.KeyRotationPeriod, "key-rotation-period", 0, "rotate signing keys automatically this often (e.g. 720h; 0 = off)")
	fs.Duration(&cfg.JWKSMaxAge, "jwks-max-age", cfg.JWKSMaxAge, "Cache-Control max-age of the JWKS; automatic rotation waits at least this long after publishing a key")
	fs.Duration(&cfg.PollInterval, "poll-interval", cfg.PollInterval, "how often to check the store for changes made by other processes")
	fs.Duration(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long to wait for in-flight requests on SIGINT/SIGTERM")
	fs.Float(&cfg.TokenReuse, "token-reuse", 0, "return a cached token while more than this fraction of its lifetime remains (0 = off, e.g. 0.5)")
	fs.Bool(&cfg.NoDemo, "no-demo", false, "do not create the demo tenant on first start")
	fs.Bool(&cfg.NoDashboard, "no-dashboard", false, "do not serve the Dashboard (the web console at /dashboard)")
	fs.String(&cfg.TokenLog, "token-log", cfg.TokenLog, "which token exchanges go to the tenant log (GET /api/v2/logs): all (every seccft/feccft, like Auth0), failures, or none; successes are always counted in /metrics. The token log is bounded (newest 10,000) and sheds events under overload (counted in credo_log_events_dropped_total); the audit log of writes is never bounded by it")
	fs.String(&cfg.LogStreamNetworks, "log-stream-networks", cfg.LogStreamNetworks, "which addresses log stream webhooks may connect to: private (public, private and loopback; never link-local such as the cloud metadata service 169.254.169.254), public (public addresses only), or any. Checked on each connection, after DNS")
	fs.Int(&cfg.MetricsClientLabel, "metrics-client-label", 0, "label the token counters in /metrics with the client id, for at most this many clients (the rest count as other); 0 = no client label")
	fs.Duration(&cfg.AuditRetention, "audit-retention", 0, "delete audit log entries (Management API writes, key rotations) older than this, checked hourly (e.g. 2160h for 90 days; 0 = keep forever)")
	fs.Int(&cfg.GCPercent, "gc-percent", cfg.GCPercent, "garbage collector target percentage (ignored when GOGC is set; cap memory with GOMEMLIMIT)")
	fs.Bytes(&cfg.MemoryLimit, "memory-limit", cfg.MemoryLimit, "soft memory limit for the Go runtime, e.g. 450MiB or 2GiB; 0 = none (ignored when GOMEMLIMIT is set)")
	fs.Duration(&cfg.ActionTimeout, "action-timeout", cfg.ActionTimeout, "time bound of the Actions and Hooks of one token request, together (at most 20s)")
	fs.Int(&cfg.ActionMaxConcurrent, "action-max-concurrent", cfg.ActionMaxConcurrent, "how many scripts run at once in this process; others wait within their time bound (0 = twice the CPUs)")
	fs.Int(&cfg.ActionMaxInFlight, "action-max-in-flight", cfg.ActionMaxInFlight, "executions of one Action or Hook in progress at once (stuck ones included) before further requests get 503")
	fs.String(&cfg.PprofAddr, "pprof-addr", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6060) for profiling; off by default")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (serve takes only flags; see credo serve --help)", rest[0])
	}
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	cfg.BootstrapClientID, _ = io.env("CREDO_BOOTSTRAP_CLIENT_ID")
	cfg.BootstrapClientSecret, _ = io.env("CREDO_BOOTSTRAP_CLIENT_SECRET")
	asked := explicitIssuer(cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	return serve(ctx, cfg, asked, io)
}

// serve runs the server. Nothing is written before the listener is open, so
// that a start that fails (a bad or busy address, a certificate that does
// not load, another issuer than the tenant's) changes nothing.
func serve(ctx context.Context, cfg config.Config, asked string, io IO) error {
	if err := keys.BackendError(); err != nil {
		return err // a build for OpenSSL without it: refuse rather than sign with another backend unnoticed
	}
	log := newLogger(cfg, io.Stderr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(cfg.GCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another credo running? choose another --addr); nothing was changed", cfg.Addr, err)
	}
	defer ln.Close()
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	a, err := initApp(ctx, cfg, asked, log)
	if err != nil {
		return err
	}
	defer a.Close()
	cfg = a.cfg // the tenant's issuer
	if asked == "" && !issuerMatchesAddr(cfg.Issuer, ln.Addr().String()) {
		log.Info("serving under the tenant's stored issuer, not one derived from --addr (pass --issuer to say so, or credo tenant set-issuer to change it)",
			"issuer", cfg.Issuer, "addr", ln.Addr().String())
	}

	// Start-up writes are applied with one snapshot rebuild at the end.
	var demo *tenant.Demo
	var adminID, adminSecret string
	startCtx := tenant.WithSystemAudit(ctx, "Prepare the tenant at start-up (demo, bootstrap admin, seed)", time.Now())
	err = a.svc.Deferred(startCtx, func() error {
		ctx := startCtx
		var err error
		if !cfg.NoDemo && cfg.Seed == "" {
			if demo, err = a.svc.EnsureDemo(ctx); err != nil {
				return fmt.Errorf("demo tenant: %w", err)
			}
		}
		if adminID, adminSecret, err = a.svc.EnsureBootstrap(ctx, cfg.BootstrapClientID, cfg.BootstrapClientSecret); err != nil {
			return err
		}
		if cfg.Seed != "" {
			res, err := applySeedFile(ctx, a.svc, cfg.Seed)
			if err != nil {
				return err
			}
			log.Info("seed applied", "file", cfg.Seed, "created", res.Created, "updated", res.Updated, "unchanged", res.Unchanged)
			for id, sec := range res.Secrets {
				fmt.Fprintf(io.Stdout, "Seed client %s had no client_secret; generated one (shown once): %s\n", id, sec)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	events := tenant.NewEventLog(ctx, a.store, log)
	var mopts []server.MetricsOption
	if cfg.MetricsClientLabel > 0 {
		mopts = append(mopts, server.MetricsClientLabel(cfg.MetricsClientLabel))
	}
	metrics := server.NewMetrics(a.holder, events.Dropped, mopts...)
	a.scripts.Observe = metrics.ScriptRun
	a.scripts.Runtime.Observe(metrics.ActionRun)
	metrics.BuildInfo(Version, keys.Backend())
	usage := &dashboard.Usage{Store: a.store, Log: log}
	ep := a.endpoint(func(ev store.LogEvent) {
		metrics.TokenEvent(ev)
		usage.Add(ev)
		if cfg.TokenLog == "all" || (cfg.TokenLog == "failures" && ev.Type != "seccft") {
			events.Add(ev)
		}
	})
	if cfg.TokenReuse > 0 {
		ep.Reuse = &token.ReuseCache{MinRemaining: cfg.TokenReuse, Max: 100000}
	}
	management := a.managementAPI(events.Add)
	var console http.Handler
	if !cfg.NoDashboard {
		d, err := dashboard.New(dashboard.Deps{
			Management: management, Token: ep, Holder: a.holder, Auth: clientauth.New(ep.Secrets), Store: a.store,
			Issuer: cfg.Issuer, Secure: tlsConfig != nil || strings.HasPrefix(cfg.Issuer, "https://"), Usage: usage, Log: log, TokenLog: cfg.TokenLog,
		})
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		console = d
	}
	usageDone := make(chan struct{})
	go func() { usage.Run(ctx, 10*time.Second); close(usageDone) }()
	srv := server.New(server.Deps{
		Holder:     a.holder,
		Token:      ep,
		Tokens:     a.tokens(ep),
		Management: management,
		Dashboard:  console,
		Metrics:    metrics,
		Log:        log,
		Issuer:     cfg.Issuer,
		JWKSMaxAge: cfg.JWKSMaxAge,
		StaleAfter: 30 * time.Second,
	})

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	var served net.Listener = ln
	if tlsConfig != nil {
		hs.TLSConfig = tlsConfig
		served = tls.NewListener(ln, tlsConfig)
	}

	if cfg.PprofAddr != "" {
		go servePprof(ctx, cfg.PprofAddr, log)
	}
	go a.holder.Watch(ctx, cfg.PollInterval)
	if cfg.AuditRetention > 0 {
		go pruneAudit(ctx, a.store, cfg.AuditRetention, log, time.Hour, time.Now)
	}
	host, _ := os.Hostname()
	streamer := &logstream.Streamer{Service: a.svc, Log: log, Owner: fmt.Sprintf("%s:%d", host, os.Getpid()), Stdout: io.Stdout,
		Delivered: metrics.StreamDelivered}
	streamed := make(chan struct{})
	go func() { streamer.Run(ctx); close(streamed) }()
	if cfg.KeyRotationPeriod > 0 {
		go autoRotate(ctx, a, cfg, log, time.Minute, time.Now)
	}

	printBanner(io.Stdout, cfg, demo, adminID, adminSecret)
	c, apis, grants := a.holder.Current().Counts()
	log.Info("credo serving", "version", Version, "go", runtime.Version(), "crypto_backend", keys.Backend(),
		"addr", ln.Addr().String(), "issuer", cfg.Issuer, "db", redactDSN(cfg.DB),
		"clients", c, "apis", apis, "grants", grants, "tls", cfg.TLSCert != "")

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(served) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer scancel()
	err = hs.Shutdown(sctx)
	cancel()
	<-events.Done()
	<-streamed
	<-usageDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func applySeedFile(ctx context.Context, svc *tenant.Service, path string) (tenant.SeedResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tenant.SeedResult{}, fmt.Errorf("seed: %w", err)
	}
	seed, err := tenant.ParseSeed(data, nil)
	if err != nil {
		return tenant.SeedResult{}, fmt.Errorf("seed %s: %w", path, err)
	}
	seed.Dir = filepath.Dir(path)
	res, err := svc.ApplySeed(ctx, seed)
	if err != nil {
		return res, fmt.Errorf("seed %s: %w", path, err)
	}
	return res, nil
}

func printBanner(w io.Writer, cfg config.Config, demo *tenant.Demo, adminID, adminSecret string) {
	fmt.Fprintf(w, "credo %s is listening; issuer %s\n", Version, cfg.Issuer)
	fmt.Fprintf(w, "  discovery: %s.well-known/openid-configuration\n  jwks:      %s.well-known/jwks.json\n", cfg.Issuer, cfg.Issuer)
	if !cfg.NoDashboard {
		fmt.Fprintf(w, "  dashboard: %sdashboard/\n", cfg.Issuer)
	}
	if demo != nil {
		fmt.Fprintf(w, `
Demo tenant created: API %s and an M2M application with a grant (scopes: %s).
Get a token (the client secret is shown only this once; it is stored hashed):

curl --request POST \
  --url '%soauth/token' \
  --header 'content-type: application/x-www-form-urlencoded' \
  --data grant_type=client_credentials \
  --data client_id=%s \
  --data client_secret=%s \
  --data audience=%s
`, demo.Audience, strings.Join(demo.Scopes, " "), cfg.Issuer, demo.ClientID, demo.ClientSecret, demo.Audience)
	}
	if adminSecret != "" {
		fmt.Fprintf(w, `
Management API admin created (audience %sapi/v2/, shown only once):
  CREDO_ADMIN_CLIENT_ID=%s
  CREDO_ADMIN_CLIENT_SECRET=%s
Set CREDO_BOOTSTRAP_CLIENT_ID/CREDO_BOOTSTRAP_CLIENT_SECRET to choose them yourself.
`, cfg.Issuer, adminID, adminSecret)
	}
	fmt.Fprintln(w)
}

// pruneAudit deletes the audit entries older than retention, at once and
// then every interval.
func pruneAudit(ctx context.Context, st store.Store, retention time.Duration, log *slog.Logger, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := st.PruneAudit(ctx, now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("pruning the audit log failed", "err", err)
		} else if n > 0 {
			log.Info("audit log pruned", "deleted", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// autoRotate rotates key types that are due, checking every interval.
func autoRotate(ctx context.Context, a *app, cfg config.Config, log *slog.Logger, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rotateDue(ctx, a, cfg, log, now())
	}
}

// rotateDue rotates the key types whose current key has served
// KeyRotationPeriod and whose next key was published at least JWKSMaxAge
// ago, and returns them.
func rotateDue(ctx context.Context, a *app, cfg config.Config, log *slog.Logger, now time.Time) []string {
	due := keys.DueForRotation(a.holder.Current().Keys.Keys(), cfg.KeyRotationPeriod, cfg.JWKSMaxAge, now)
	if len(due) == 0 {
		return nil
	}
	if _, err := a.svc.RotateKeys(tenant.WithSystemAudit(ctx, "Rotate the signing keys automatically", now), due...); err != nil {
		log.Error("automatic key rotation failed", "types", due, "err", err)
		return nil
	}
	log.Info("signing keys rotated automatically", "types", due)
	return due
}

// servePprof exposes the Go profiler on a separate listener, never on the
// public one.
func servePprof(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Info("pprof listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("pprof listener failed", "err", err)
	}
}

// issuerMatchesAddr reports whether issuer names the host and port the
// server listens on (then it was most likely derived from --addr).
func issuerMatchesAddr(issuer, addr string) bool {
	u, err := url.Parse(issuer)
	if err != nil {
		return false
	}
	_, port, _ := net.SplitHostPort(addr)
	return u.Port() == port || (u.Port() == "" && (port == "80" || port == "443"))
}

// redactDSN hides every password a PostgreSQL connection string can carry:
// in a URL's user info, in its query (password=, sslpassword=), and in the
// key=value form (password=… or password='…').
func redactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "<unparsable connection URL>"
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// kvPassword matches a password in a key=value connection string.
var kvPassword = regexp.MustCompile(`(?i)(\b\w*password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)
