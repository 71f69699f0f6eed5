package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "http://127.0.0.1:8080/" || c.MasterKeyFile != "credo.master.key" {
		t.Fatalf("derived: %q %q", c.Issuer, c.MasterKeyFile)
	}
}

func TestValidateIssuerNormalised(t *testing.T) {
	for in, want := range map[string]string{"https://auth.example.com": "https://auth.example.com/", "https://a.example//": "https://a.example/", "http://x:1/t": "http://x:1/t/"} {
		c := Default()
		c.Issuer = in
		if err := c.Validate(); err != nil || c.Issuer != want {
			t.Errorf("%q → %q, %v; want %q", in, c.Issuer, err, want)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		mut  func(*Config)
		want string
	}{
		"addr":                  {func(c *Config) { c.Addr = "nope" }, "--addr"},
		"issuer":                {func(c *Config) { c.Issuer = "ftp://x" }, "--issuer"},
		"tls half":              {func(c *Config) { c.TLSCert = "a" }, "--tls-key"},
		"log":                   {func(c *Config) { c.LogFormat = "xml" }, "--log-format"},
		"bootstrap":             {func(c *Config) { c.BootstrapClientID = "x" }, "BOOTSTRAP"},
		"rotation":              {func(c *Config) { c.KeyRotationPeriod = 1 }, "rotation"},
		"reuse":                 {func(c *Config) { c.TokenReuse = 1 }, "reuse"},
		"empty db":              {func(c *Config) { c.DB = "" }, "--db"},
		"poll":                  {func(c *Config) { c.PollInterval = 0 }, "poll"},
		"max conns":             {func(c *Config) { c.DBMaxConns = 0 }, "max-conns"},
		"log level":             {func(c *Config) { c.LogLevel = "loud" }, "log-level"},
		"jwks maxag":            {func(c *Config) { c.JWKSMaxAge = -1 }, "jwks"},
		"action timeout 0":      {func(c *Config) { c.ActionTimeout = 0 }, "--action-timeout"},
		"action timeout long":   {func(c *Config) { c.ActionTimeout = 21 * time.Second }, "--action-timeout"},
		"action concurrent":     {func(c *Config) { c.ActionMaxConcurrent = -1 }, "--action-max-concurrent"},
		"action concurrent big": {func(c *Config) { c.ActionMaxConcurrent = 10001 }, "--action-max-concurrent"},
		"action in flight 0":    {func(c *Config) { c.ActionMaxInFlight = 0 }, "--action-max-in-flight"},
		"action in flight big":  {func(c *Config) { c.ActionMaxInFlight = 10001 }, "--action-max-in-flight"},
	} {
		t.Run(name, func(t *testing.T) {
			c := Default()
			tc.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestPostgresMasterKeyDefault(t *testing.T) {
	c := Default()
	c.DB = "postgres://u@h/db"
	if err := c.Validate(); err != nil || !c.IsPostgres() || c.MasterKeyFile != "credo.master.key" {
		t.Fatalf("%v %v %q", err, c.IsPostgres(), c.MasterKeyFile)
	}
	c = Default()
	c.DB = "/var/lib/credo/tenant.db"
	c.Validate()
	if c.MasterKeyFile != "/var/lib/credo/tenant.master.key" {
		t.Fatal(c.MasterKeyFile)
	}
}

func TestTokenLogValues(t *testing.T) {
	for _, v := range []string{"all", "failures", "none"} {
		c := Default()
		c.TokenLog = v
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	c := Default()
	c.TokenLog = "some"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--token-log") {
		t.Fatalf("bad value accepted: %v", err)
	}
}
