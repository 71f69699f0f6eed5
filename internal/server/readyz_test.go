package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/secret"
	"github.com/credo-dev/credo/internal/server"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/testkit"
	"github.com/credo-dev/credo/internal/token"
	"github.com/credo-dev/credo/store"
)

// flakyStore fails Version and Load while down is set, as an unreachable
// database would.
type flakyStore struct {
	store.Store
	down atomic.Bool
}

// errDown reads like what pgx reports for an unreachable database: user,
// database, host and port, and the driver's error.
var errDown = errors.New("failed to connect to `user=credo_owner database=credo_prod`: db.internal.example:5432 (10.1.2.3): dial error: connection refused")

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
	var logs testkit.Buffer
	h, err := tenant.NewHolder(t.Context(), fs, mk, nil, slog.New(slog.NewTextHandler(&logs, nil)), nil)
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
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"degraded"`) {
		t.Fatalf("readyz while down: %d %s", rec.Code, rec.Body)
	}
	// Strangers learn the state only; the operator's log has the detail.
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	for k := range body {
		switch k {
		case "status", "version", "serving_from_snapshot", "last_store_ok":
		default:
			t.Errorf("readyz tells %q: %s", k, rec.Body)
		}
	}
	for _, leak := range []string{"credo_owner", "credo_prod", "db.internal", "5432", "10.1.2.3", "dial", "refused"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("readyz leaks %q: %s", leak, rec.Body)
		}
	}
	if !strings.Contains(logs.String(), "db.internal.example:5432") {
		t.Errorf("the log lacks the store's error:\n%s", logs.String())
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
