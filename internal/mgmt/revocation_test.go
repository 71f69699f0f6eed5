package mgmt_test

import (
	"context"
	"strings"
	"testing"

	"github.com/credo-dev/credo/internal/tenant"
)

// TestRevokeClientTokens: POST /clients/{id}/revoke-tokens revokes every
// token the client holds, the Management API's own included; the client's
// next token works; the write is audited.
func TestRevokeClientTokens(t *testing.T) {
	h := newHarness(t)
	name := "revocable"
	c, sec, err := h.svc.CreateClient(context.Background(), tenant.ClientFields{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	sc := []string{"read:clients"}
	if _, err := h.svc.CreateGrant(context.Background(), tenant.GrantFields{ClientID: c.ClientID, Audience: mgmtAud, Scope: &sc}); err != nil {
		t.Fatal(err)
	}
	old := h.mustToken(c.ClientID, sec, mgmtAud)
	h.call(old, "GET", "/api/v2/clients", nil).want(200)

	h.call(old, "POST", "/api/v2/clients/"+c.ClientID+"/revoke-tokens", nil).want(403)
	h.do("POST", "/api/v2/clients/nope/revoke-tokens", nil).want(404)
	m := h.do("POST", "/api/v2/clients/"+c.ClientID+"/revoke-tokens", nil).want(200).json()
	if m["client_id"] != c.ClientID || !strings.HasPrefix(str(m["tokens_not_before"]), "2027-03-04T05:06:08") {
		t.Fatalf("answer %v (the clock is 05:06:07.000: not-before is the next second)", m)
	}
	h.call(old, "GET", "/api/v2/clients", nil).want(401)
	fresh := h.mustToken(c.ClientID, sec, mgmtAud)
	h.call(fresh, "GET", "/api/v2/clients", nil).want(200)
	h.do("GET", "/api/v2/clients", nil).want(200) // other clients' tokens are untouched

	last := h.audit()[len(h.audit())-1]
	if last.Description != "Revoke a client's tokens" || last.Details["target"].(map[string]any)["id"] != c.ClientID {
		t.Errorf("audit %+v", last)
	}
}
