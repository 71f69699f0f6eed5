package mgmt_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/credo-dev/credo/store"
)

// downStore fails every client read and write as an unreachable database does.
type downStore struct{ store.Store }

var errDown = fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connect: connection refused", store.ErrUnavailable)

func (downStore) CreateClient(context.Context, store.Client) error { return errDown }
func (downStore) ListClients(context.Context, store.ClientFilter) ([]store.Client, int, error) {
	return nil, 0, errDown
}

// TestStoreOutageIs503: while the store is unreachable, the Management API
// answers 503 with Retry-After (not 500), and says nothing of the cause.
func TestStoreOutageIs503(t *testing.T) {
	h := newHarness(t)
	h.svc.Store = downStore{h.st}
	for _, tc := range []struct{ method, path string }{{"POST", "/api/v2/clients"}, {"GET", "/api/v2/clients"}} {
		r := h.do(tc.method, tc.path, map[string]any{"name": "x"})
		if tc.method == "GET" {
			r = h.do(tc.method, tc.path, nil)
		}
		r.want(503)
		if r.Header().Get("Retry-After") != "5" || r.json()["errorCode"] != "temporarily_unavailable" {
			t.Errorf("%s %s: %v %s", tc.method, tc.path, r.Header(), r.Body)
		}
		golden(t, "error_store_unavailable", r.Body.Bytes())
	}
	if !strings.Contains(h.logs.String(), "connection refused") {
		t.Error("the cause was not logged")
	}
}
