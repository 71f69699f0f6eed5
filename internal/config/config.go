// Package config is credo's configuration: one plain struct whose defaults
// live in Default, filled from flags and CREDO_* environment variables by
// internal/cli, and checked by Validate with messages that say what to do.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/realip"
)

// Config configures `credo serve`. The zero value is not valid; start from Default.
type Config struct {
	// Addr is the listen address (CREDO_ADDR). Default 127.0.0.1:8080.
	Addr string
	// Issuer is the iss claim and the base of every URL credo publishes
	// (CREDO_ISSUER). Default http://<Addr>/. Always ends with "/".
	Issuer string
	// DB is a SQLite file path or a postgres:// URL (CREDO_DB). Default credo.db.
	DB string
	// DBSchema is the PostgreSQL schema holding credo's tables (CREDO_DB_SCHEMA);
	// empty means the connection's search_path.
	DBSchema string
	// DBMaxConns bounds the PostgreSQL pool (CREDO_DB_MAX_CONNS). Default 10.
	DBMaxConns int
	// DBStatementTimeout bounds each PostgreSQL statement. Default 5s.
	DBStatementTimeout time.Duration
	// Seed is an optional tenant.yaml applied at start (CREDO_SEED).
	Seed string
	// LogFormat is text or json (CREDO_LOG_FORMAT). LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// TLSCert and TLSKey enable HTTPS (TLS 1.2+) when both are set.
	TLSCert string
	TLSKey  string
	// MasterKey (CREDO_MASTER_KEY) encrypts private keys and secrets at rest;
	// when empty, MasterKeyFile is used (created with mode 0600 if missing).
	MasterKey     string
	MasterKeyFile string
	// BootstrapClientID and BootstrapClientSecret (CREDO_BOOTSTRAP_CLIENT_ID,
	// CREDO_BOOTSTRAP_CLIENT_SECRET) name the Management API admin client.
	BootstrapClientID     string
	BootstrapClientSecret string
	// KeyRotationPeriod rotates signing keys automatically when > 0.
	KeyRotationPeriod time.Duration
	// JWKSMaxAge is the Cache-Control max-age of the JWKS; automatic
	// rotation waits until the next key was published at least this long.
	JWKSMaxAge time.Duration
	// PollInterval is how often the store version is checked for changes
	// made by other processes (the fallback when notifications are lost).
	PollInterval time.Duration
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// TokenReuse, when > 0, returns a cached token while more than this
	// fraction of its lifetime remains (0 disables; e.g. 0.5).
	TokenReuse float64
	// TokenLog chooses which token exchanges are written to the tenant log
	// (CREDO_TOKEN_LOG): all (seccft and feccft, like Auth0), failures (the
	// default: feccft only; successes are counted in /metrics), or none.
	TokenLog string
	// LogStreamNetworks is which addresses log stream webhooks may reach
	// (CREDO_LOG_STREAM_NETWORKS): private (the default: all but
	// link-local and cloud metadata addresses), public or any.
	LogStreamNetworks string
	// MetricsClientLabel, when > 0, labels the token counters with the
	// client id for at most that many clients.
	MetricsClientLabel int
	// AuditRetention is how long audit log entries are kept (0: forever).
	AuditRetention time.Duration
	// GCPercent is the garbage collector's target (debug.SetGCPercent);
	// the GOGC environment variable, when set, wins. Default 400: the token
	// path allocates briefly per request over a small live heap, and
	// collecting less often measured +30% token throughput with one Action
	// bound (bench/RESULTS.md). Use GOMEMLIMIT to cap memory.
	GCPercent int
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (debug.SetMemoryLimit); GOMEMLIMIT, when set, wins; 0 means none.
	// Default 450 MiB: with GCPercent 400 a large tenant's snapshot rebuild
	// could otherwise let the heap grow to five times its live size.
	MemoryLimit int64
	// PprofAddr serves net/http/pprof on a separate loopback listener when set.
	PprofAddr string
	// ActionTimeout bounds the scripts (Actions and Hooks) of one token
	// request, together (CREDO_ACTION_TIMEOUT). Default 5s, at most
	// MaxActionTimeout.
	ActionTimeout time.Duration
	// ActionMaxConcurrent bounds how many scripts run at once in the process
	// (CREDO_ACTION_MAX_CONCURRENT); 0 means twice the CPUs (GOMAXPROCS).
	ActionMaxConcurrent int
	// ActionMaxInFlight bounds the executions of one Action or Hook in
	// progress at once, those stuck in a built-in included; more are refused
	// with 503 (CREDO_ACTION_MAX_IN_FLIGHT). Default 64.
	ActionMaxInFlight int
	// NoDemo skips creating the demo tenant on first start.
	NoDemo bool
	// NoDashboard leaves /dashboard unserved.
	NoDashboard bool
	// TrustedProxies lists, comma-separated, the CIDR blocks or addresses of
	// the reverse proxies in front of credo (CREDO_TRUSTED_PROXIES); only
	// their Forwarded / X-Forwarded-For headers name the client's address.
	// Empty (the default) trusts none: the address is the TCP peer's.
	TrustedProxies string
}

// Bounds of the Action settings. MaxActionTimeout is internal/hook's
// MaxTimeout (a test keeps them equal).
const (
	MaxActionTimeout     = 20 * time.Second
	MaxActionConcurrency = 10000
)

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		DB:                 "credo.db",
		DBMaxConns:         10,
		DBStatementTimeout: 5 * time.Second,
		LogFormat:          "text",
		LogLevel:           "info",
		TokenLog:           "failures",
		LogStreamNetworks:  "private",
		GCPercent:          400,
		MemoryLimit:        450 << 20,
		JWKSMaxAge:         10 * time.Minute,
		PollInterval:       2 * time.Second,
		ShutdownTimeout:    15 * time.Second,
		ActionTimeout:      5 * time.Second,
		ActionMaxInFlight:  64,
	}
}

// IsPostgres reports whether DB names a PostgreSQL database.
func (c *Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// NormalizeIssuer returns issuer with exactly one trailing slash.
func NormalizeIssuer(issuer string) string {
	return strings.TrimRight(issuer, "/") + "/"
}

// ParseIssuer checks an issuer URL and returns it normalised (one trailing
// slash).
func ParseIssuer(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: want an absolute http(s) URL such as https://auth.example.com/", issuer)
	}
	return NormalizeIssuer(issuer), nil
}

// Validate checks the configuration and fills derived defaults (Issuer,
// MasterKeyFile). Its errors say which setting is wrong and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	tlsOn := c.TLSCert != "" || c.TLSKey != ""
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	if c.Issuer == "" {
		scheme := "http"
		if tlsOn {
			scheme = "https"
		}
		host := c.Addr
		if h, p, err := net.SplitHostPort(c.Addr); err == nil && (h == "" || h == "0.0.0.0" || h == "::") {
			host = net.JoinHostPort("localhost", p)
		}
		c.Issuer = scheme + "://" + host + "/"
	}
	if iss, err := ParseIssuer(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("--issuer: %w", err))
	} else {
		c.Issuer = iss
	}
	if c.DB == "" {
		errs = append(errs, errors.New("--db is empty: give a SQLite file path or a postgres:// URL"))
	}
	if c.MasterKeyFile == "" {
		if c.IsPostgres() || c.DB == "" {
			c.MasterKeyFile = "credo.master.key"
		} else {
			c.MasterKeyFile = strings.TrimSuffix(c.DB, ".db") + ".master.key"
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if (c.BootstrapClientID == "") != (c.BootstrapClientSecret == "") {
		errs = append(errs, errors.New("set both CREDO_BOOTSTRAP_CLIENT_ID and CREDO_BOOTSTRAP_CLIENT_SECRET, or neither"))
	}
	if c.KeyRotationPeriod < 0 || (c.KeyRotationPeriod > 0 && c.KeyRotationPeriod < time.Hour) {
		errs = append(errs, errors.New("--key-rotation-period must be 0 (off) or at least 1h"))
	}
	if c.JWKSMaxAge < 0 || c.JWKSMaxAge > 24*time.Hour {
		errs = append(errs, errors.New("--jwks-max-age must be between 0 and 24h"))
	}
	if c.PollInterval < 100*time.Millisecond || c.PollInterval > time.Minute {
		errs = append(errs, errors.New("--poll-interval must be between 100ms and 1m"))
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		errs = append(errs, errors.New("--db-max-conns must be between 1 and 1000"))
	}
	if c.GCPercent < 25 || c.GCPercent > 10000 {
		errs = append(errs, fmt.Errorf("--gc-percent %d: want 25 to 10000 (GOGC overrides it)", c.GCPercent))
	}
	if c.MemoryLimit < 0 || (c.MemoryLimit > 0 && c.MemoryLimit < 64<<20) {
		errs = append(errs, fmt.Errorf("--memory-limit %d: want 0 (none) or at least 64 MiB", c.MemoryLimit))
	}
	if c.MetricsClientLabel < 0 || c.MetricsClientLabel > 10000 {
		errs = append(errs, fmt.Errorf("--metrics-client-label %d: want 0 (off) to 10000", c.MetricsClientLabel))
	}
	if c.AuditRetention < 0 || (c.AuditRetention > 0 && c.AuditRetention < time.Hour) {
		errs = append(errs, fmt.Errorf("--audit-retention %v: want 0 (keep forever) or at least 1h", c.AuditRetention))
	}
	switch c.TokenLog {
	case "all", "failures", "none":
	default:
		errs = append(errs, fmt.Errorf("--token-log %q: want all, failures or none", c.TokenLog))
	}
	switch c.LogStreamNetworks {
	case "private", "public", "any":
	default:
		errs = append(errs, fmt.Errorf("--log-stream-networks %q: want private, public or any", c.LogStreamNetworks))
	}
	if c.PprofAddr != "" {
		if h, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !(h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1") {
			errs = append(errs, fmt.Errorf("--pprof-addr %q: must be a loopback host:port such as 127.0.0.1:6060", c.PprofAddr))
		}
	}
	if _, err := realip.ParseList(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	if c.ActionTimeout < 10*time.Millisecond || c.ActionTimeout > MaxActionTimeout {
		errs = append(errs, fmt.Errorf("--action-timeout %s: want 10ms to %s (Auth0's limit on one trigger execution)", c.ActionTimeout, MaxActionTimeout))
	}
	if c.ActionMaxConcurrent < 0 || c.ActionMaxConcurrent > MaxActionConcurrency {
		errs = append(errs, fmt.Errorf("--action-max-concurrent %d: want 0 (twice the CPUs) to %d", c.ActionMaxConcurrent, MaxActionConcurrency))
	}
	if c.ActionMaxInFlight < 1 || c.ActionMaxInFlight > MaxActionConcurrency {
		errs = append(errs, fmt.Errorf("--action-max-in-flight %d: want 1 to %d", c.ActionMaxInFlight, MaxActionConcurrency))
	}
	if c.TokenReuse < 0 || c.TokenReuse >= 1 {
		errs = append(errs, errors.New("--token-reuse must be 0 (off) or a fraction below 1, e.g. 0.5"))
	}
	return errors.Join(errs...)
}
