package postgres

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/credo-dev/credo/store"
)

var load100k = flag.Bool("load100k", false, "run TestLoad100k: Load of 100,000 clients and grants must take under 2s")

// openSeeded opens a Store in a fresh schema holding n clients, each with a
// grant for one API, written with COPY.
func openSeeded(tb testing.TB, n int) *Store {
	tb.Helper()
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("CREDO_TEST_POSTGRES not set: skipping PostgreSQL load benchmark")
	}
	schema := fmt.Sprintf("credo_load_%d", time.Now().UnixNano())
	ctx := tb.Context()
	s, err := Open(ctx, dsn, Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Error(err)
		}
	})
	now := time.Now()
	rs := store.ResourceServer{ID: "api", Identifier: "https://api.example.com/", Name: "API",
		Scopes: []store.Scope{{Value: "read:things"}}, SigningAlg: "RS256", TokenLifetime: 86400, CreatedAt: now, UpdatedAt: now}
	var clientRows, grantRows [][]any
	for i := range n {
		c := store.Client{
			ClientID: fmt.Sprintf("client-%08d-abcdefghijklmnop", i), Name: fmt.Sprintf("Service %d", i),
			AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
			TokenEndpointAuthMethod: "client_secret_post", Metadata: map[string]string{"team": "payments"},
			JWTAlg: "RS256", Secrets: []store.Secret{{Hash: "$sha256$c2FsdHNhbHRzYWx0$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk", CreatedAt: now}},
			CreatedAt: now, UpdatedAt: now,
		}
		g := store.ClientGrant{ID: fmt.Sprintf("cgr_%08d", i), ClientID: c.ClientID, Audience: rs.Identifier,
			Scope: []string{"read:things"}, SubjectType: "client", CreatedAt: now, UpdatedAt: now}
		cdoc, _ := json.Marshal(c)
		gdoc, _ := json.Marshal(g)
		clientRows = append(clientRows, []any{c.ClientID, c.AppType, cdoc})
		grantRows = append(grantRows, []any{g.ID, g.ClientID, g.Audience, g.SubjectType, gdoc})
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		if err := resourceServers.insert(ctx, tx, &rs); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"clients"}, append(clients.cols[:2:2], "doc"), pgx.CopyFromRows(clientRows)); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"client_grants"}, append(clientGrants.cols[:4:4], "doc"), pgx.CopyFromRows(grantRows))
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestLoad100k(t *testing.T) {
	if !*load100k {
		t.Skip("pass -load100k to time a Load of 100,000 clients and grants")
	}
	s := openSeeded(t, 100000)
	start := time.Now()
	d, err := s.Load(t.Context())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clients) != 100000 || len(d.Grants) != 100000 {
		t.Fatalf("loaded %d clients, %d grants", len(d.Clients), len(d.Grants))
	}
	t.Logf("Load of 100,000 clients and 100,000 grants took %v", took)
	if took > 2*time.Second {
		t.Fatalf("Load took %v, want under 2s", took)
	}
}

func BenchmarkLoad100k(b *testing.B) {
	s := openSeeded(b, 100000)
	for b.Loop() {
		d, err := s.Load(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Clients) != 100000 {
			b.Fatalf("loaded %d clients", len(d.Clients))
		}
	}
}
