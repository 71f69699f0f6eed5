package storetest

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

var load100k = flag.Bool("load100k", false, "run TestLoad100k: Load of 100,000 clients and grants must take under 2s")

// LoadData returns n clients, each with a grant for the one API returned,
// for a backend to write in bulk before RunLoad100k or BenchmarkLoad100k
// (one transaction per value would take minutes).
func LoadData(n int) (store.ResourceServer, []store.Client, []store.ClientGrant) {
	now := time.Now()
	rs := store.ResourceServer{ID: "api", Identifier: "https://api.example.com/", Name: "API",
		Scopes: []store.Scope{{Value: "read:things"}}, SigningAlg: "RS256", TokenLifetime: 86400, CreatedAt: now, UpdatedAt: now}
	clients := make([]store.Client, n)
	grants := make([]store.ClientGrant, n)
	for i := range n {
		clients[i] = store.Client{
			ClientID: fmt.Sprintf("client-%08d-abcdefghijklmnop", i), Name: fmt.Sprintf("Service %d", i),
			AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
			TokenEndpointAuthMethod: "client_secret_post", Metadata: map[string]string{"team": "payments"},
			JWTAlg: "RS256", Secrets: []store.Secret{{Hash: "$sha256$c2FsdHNhbHRzYWx0$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk", CreatedAt: now}},
			CreatedAt: now, UpdatedAt: now,
		}
		grants[i] = store.ClientGrant{ID: fmt.Sprintf("cgr_%08d", i), ClientID: clients[i].ClientID, Audience: rs.Identifier,
			Scope: []string{"read:things"}, SubjectType: "client", CreatedAt: now, UpdatedAt: now}
	}
	return rs, clients, grants
}

// RunLoad100k, when the -load100k flag is given, times a Load of a store
// that seeded returns holding LoadData(100000), and fails unless it returns
// every client and grant within 2s.
func RunLoad100k(t *testing.T, seeded func(tb testing.TB, n int) store.Store) {
	if !*load100k {
		t.Skip("pass -load100k to time a Load of 100,000 clients and grants")
	}
	s := seeded(t, 100000)
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

// BenchmarkLoad100k measures Load of a store that seeded returns holding
// LoadData(100000).
func BenchmarkLoad100k(b *testing.B, seeded func(tb testing.TB, n int) store.Store) {
	s := seeded(b, 100000)
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
