package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/postgres"
	"github.com/credo-dev/credo/store/sqlite"
)

func init() {
	register(command{name: "migrate", summary: "apply database migrations (up) or list them (status)", run: runMigrate})
}

func openPostgres(ctx context.Context, cfg config.Config) (store.Store, error) {
	st, err := postgres.Open(ctx, cfg.DB, postgres.Options{
		MaxConns:         int32(cfg.DBMaxConns),
		StatementTimeout: cfg.DBStatementTimeout,
		Schema:           cfg.DBSchema,
	})
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL %s: %w (check --db / CREDO_DB and that the server is up)", redactDSN(cfg.DB), err)
	}
	return st, nil
}

type migrationInfo struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func runMigrate(ctx context.Context, io IO, args []string) error {
	cfg := config.Default()
	fs := newFlagSet(io, "migrate", "migrate [up|status] [flags]\n\nCreates the database if needed, applies pending migrations (guarded by an\nadvisory lock on PostgreSQL, so replicas starting together do not race) and\nmakes sure the tenant exists (its issuer, signing keys and Management API),\nas credo serve does on start, but without a demo tenant or an admin client.\n`status` then lists every migration and when it was applied.")
	serveFlags(fs, &cfg)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	verb := "up"
	if len(rest) > 1 {
		return fmt.Errorf("unexpected arguments %q: usage: credo migrate [up|status]", rest[1:])
	}
	if len(rest) > 0 {
		verb = rest[0]
	}
	if verb != "up" && verb != "status" {
		return fmt.Errorf("unknown migrate action %q: want up or status", verb)
	}
	cfg.MasterKey, _ = io.env("CREDO_MASTER_KEY")
	asked := explicitIssuer(cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	a, err := initApp(ctx, cfg, asked, newLogger(cfg, io.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	var list []migrationInfo
	switch s := a.store.(type) {
	case *sqlite.Store:
		ms, err := s.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			list = append(list, migrationInfo{m.Version, m.Name, m.AppliedAt})
		}
	case *postgres.Store:
		ms, err := s.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			list = append(list, migrationInfo{m.Version, m.Name, m.AppliedAt})
		}
	}
	if verb == "up" {
		fmt.Fprintf(io.Stdout, "database %s is at migration %d (%d migrations, took %s); tenant issuer %s\n",
			redactDSN(cfg.DB), len(list), len(list), time.Since(start).Round(time.Millisecond), a.cfg.Issuer)
		return nil
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED AT")
	for _, m := range list {
		applied := "pending"
		if !m.AppliedAt.IsZero() {
			applied = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	return tw.Flush()
}
