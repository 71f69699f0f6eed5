package sqlite

import (
	"database/sql"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

var load100k = flag.Bool("load100k", false, "run TestLoad100k: Load of 100,000 clients and grants must take under 2s")

// seed writes n clients, each with a grant for one API, in one transaction.
func seed(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := tb.Context()
	now := time.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		rs := store.ResourceServer{ID: "api", Identifier: "https://api.example.com/", Name: "API",
			Scopes: []store.Scope{{Value: "read:things"}}, SigningAlg: "RS256", TokenLifetime: 86400, CreatedAt: now, UpdatedAt: now}
		if err := resourceServers.insert(ctx, tx, &rs); err != nil {
			return err
		}
		for i := range n {
			c := store.Client{
				ClientID: fmt.Sprintf("client-%08d-abcdefghijklmnop", i), Name: fmt.Sprintf("Service %d", i),
				AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
				TokenEndpointAuthMethod: "client_secret_post", Metadata: map[string]string{"team": "payments"},
				JWTAlg: "RS256", Secrets: []store.Secret{{Hash: "$sha256$c2FsdHNhbHRzYWx0$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk", CreatedAt: now}},
				CreatedAt: now, UpdatedAt: now,
			}
			if err := clients.insert(ctx, tx, &c); err != nil {
				return err
			}
			g := store.ClientGrant{ID: fmt.Sprintf("cgr_%08d", i), ClientID: c.ClientID, Audience: rs.Identifier,
				Scope: []string{"read:things"}, SubjectType: "client", CreatedAt: now, UpdatedAt: now}
			if err := clientGrants.insert(ctx, tx, &g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func openSeeded(tb testing.TB, n int) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "credo.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	seed(tb, s, n)
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
