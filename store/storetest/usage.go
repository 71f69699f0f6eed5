package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

func testUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	h0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	h1 := h0.Add(time.Hour)
	must(t, s.AddUsage(ctx, nil))
	must(t, s.AddUsage(ctx, []store.UsageCount{
		{Hour: h0.Add(17 * time.Minute), Metric: store.UsageTokens, ClientID: "a", Count: 3},
		{Hour: h0, Metric: store.UsageDenials, ClientID: "a", Reason: "access_denied", Count: 1},
		{Hour: h1, Metric: store.UsageTokens, ClientID: "b", Count: 2},
		{Hour: h1, Metric: store.UsageTokens, ClientID: "zero", Count: 0}, // not stored
	}))
	// Adding again adds to the same rows.
	must(t, s.AddUsage(ctx, []store.UsageCount{
		{Hour: h0, Metric: store.UsageTokens, ClientID: "a", Count: 4},
		{Hour: h0, Metric: store.UsageDenials, ClientID: "a", Reason: "invalid_client", Count: 5},
	}))
	v, err := s.Version(ctx)
	must(t, err)
	got, err := s.ListUsage(ctx, h0, h1.Add(time.Hour))
	must(t, err)
	want := []store.UsageCount{
		{Hour: h0, Metric: store.UsageDenials, ClientID: "a", Reason: "access_denied", Count: 1},
		{Hour: h0, Metric: store.UsageDenials, ClientID: "a", Reason: "invalid_client", Count: 5},
		{Hour: h0, Metric: store.UsageTokens, ClientID: "a", Count: 7},
		{Hour: h1, Metric: store.UsageTokens, ClientID: "b", Count: 2},
	}
	equal(t, "usage", got, want)
	// [from, to): the second hour only.
	got, err = s.ListUsage(ctx, h1, h1.Add(time.Hour))
	must(t, err)
	equal(t, "usage of the second hour", got, want[3:])
	if v2, _ := s.Version(ctx); v2 != v {
		t.Fatalf("AddUsage moved the version: %d → %d", v, v2)
	}
	// Counters older than the retention are deleted.
	got, err = s.ListUsage(ctx, h0, h0.Add(store.UsageRetention+time.Hour))
	must(t, err)
	equal(t, "usage after retention", got, want[3:])
}

func testUsageConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if err := s.AddUsage(ctx, []store.UsageCount{{Hour: h, Metric: store.UsageTokens, ClientID: "c", Count: 1}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := s.ListUsage(ctx, h, h.Add(time.Hour))
	must(t, err)
	equal(t, "usage", got, []store.UsageCount{{Hour: h, Metric: store.UsageTokens, ClientID: "c", Count: 40}})
}

func testLoginLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	l := store.LoginLink{Hash: "h1", Name: "operator", Scopes: []string{"read:clients", "read:logs"}, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	must(t, s.CreateLoginLink(ctx, l))
	wantErr(t, "duplicate hash", s.CreateLoginLink(ctx, l), store.ErrConflict)
	must(t, s.CreateLoginLink(ctx, store.LoginLink{Hash: "h2", Name: "x", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
	v, err := s.Version(ctx)
	must(t, err)

	_, err = s.ConsumeLoginLink(ctx, "nope", now)
	wantErr(t, "unknown link", err, store.ErrNotFound)
	got, err := s.ConsumeLoginLink(ctx, "h1", now.Add(time.Minute))
	must(t, err)
	equal(t, "login link", got, l)
	_, err = s.ConsumeLoginLink(ctx, "h1", now.Add(time.Minute))
	wantErr(t, "second use", err, store.ErrNotFound)
	_, err = s.ConsumeLoginLink(ctx, "h2", now.Add(time.Minute))
	wantErr(t, "expired link", err, store.ErrNotFound)
	if v2, _ := s.Version(ctx); v2 != v {
		t.Fatalf("login links moved the version: %d → %d", v, v2)
	}
}
