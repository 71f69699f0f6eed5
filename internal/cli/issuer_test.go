package cli

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/store"
)

// TestServedIssuerPastTheFirstPage: with more APIs than one list page, and
// the system API not on the first, a CLI run without --issuer still finds
// the issuer the database was served with (it used to fall back to the
// default issuer and move the Management API audience under a running
// server).
func TestServedIssuerPastTheFirstPage(t *testing.T) {
	cfg, a := testApp(t, func(c *config.Config) { c.Issuer = "https://served.example/" })
	now := time.Now()
	for i := range 150 { // ids that sort before any random hex id
		rs := store.ResourceServer{ID: fmt.Sprintf("0000000000%03d", i), Name: "api", Identifier: fmt.Sprintf("urn:api:%03d", i),
			SigningAlg: "RS256", TokenLifetime: 60, TokenDialect: "access_token", CreatedAt: now, UpdatedAt: now}
		if err := a.store.CreateResourceServer(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	cfg.Issuer = ""
	if err := cfg.Validate(); err != nil { // fills the default issuer
		t.Fatal(err)
	}
	got, err := servedIssuer(t.Context(), cfg)
	if err != nil || got != "https://served.example/" {
		t.Fatalf("servedIssuer = %q, %v; want https://served.example/", got, err)
	}
}

// testApp opens a tenant on a new SQLite file with the test master key, as a
// CLI command would, after set adjusts the configuration.
func testApp(t *testing.T, set func(*config.Config)) (config.Config, *app) {
	t.Helper()
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "t.db")
	cfg.MasterKey = testMasterKey
	set(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, a
}
