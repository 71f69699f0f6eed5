package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
)

// flakyStore fails Version and Load while down is set, as an unreachable
// database would.
type flakyStore struct {
	store.Store
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (s *flakyStore) Version(ctx context.Context) (int64, error) {
	if s.down.Load() {
		return 0, errDown
	}
	return s.Store.Version(ctx)
}

func (s *flakyStore) Load(ctx context.Context) (*store.Data, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Load(ctx)
}

func TestStoreOutageKeepsTokensFlowingAndReadyzSaysSo(t *testing.T) {
	base := newFixture(t)
	base.seed(baseSeed)
	fs := &flakyStore{Store: base.st}
	mk, _ := keys.ParseMasterKey(strings.Repeat("ab", 32))
	h, err := tenant.NewHolder(t.Context(), fs, mk, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := &token.Endpoint{Holder: h, Secrets: secret.NewVerifier(time.Minute, nil), Issuer: testIssuer}
	srv := server.New(server.Deps{Holder: h, Token: ep, Issuer: testIssuer, StaleAfter: time.Nanosecond})
	tokenOK := func() bool {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, formReq(form("grant_type", "client_credentials", "client_id", "worker", "client_secret", workerSecret, "audience", timesheets)))
		return rec.Code == 200
	}
	fs.down.Store(true)
	if err := h.Refresh(t.Context(), false); err == nil {
		t.Fatal("refresh succeeded against a down store")
	}
	if !tokenOK() {
		t.Fatal("token request failed while the store was down")
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"degraded"`) || strings.Contains(rec.Body.String(), "connection refused") {
		t.Fatalf("readyz while down (the store's error must stay in the log): %d %s", rec.Code, rec.Body)
	}
	fs.down.Store(false)
	if err := h.Refresh(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 || !tokenOK() {
		t.Fatalf("after recovery: %d %s", rec.Code, rec.Body)
	}
}
