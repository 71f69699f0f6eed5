package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/auth0/go-auth0"
	"github.com/auth0/go-auth0/management"
)

// TestGoAuth0Logs reads credo's tenant log with go-auth0's LogManager, as a
// tool written for Auth0 does: List with a Lucene query, Search, Read by the
// _id it listed, checkpoint paging with From/Take. The audit entry of a
// write made with go-auth0 is there as soon as the write returns.
func TestGoAuth0Logs(t *testing.T) {
	fx := newFixture(t)
	srv := startCredo(t, fx, "--token-log", "all")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tok := srv.mustToken(t, fx.Admin, srv.Issuer+"api/v2/")
	m, err := management.New(strings.TrimPrefix(srv.Base, "http://"), management.WithInsecure(), management.WithStaticToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	srv.mustToken(t, fx.Client, fx.api("RS256", "access_token").Identifier)
	if tr := srv.token(t, fx.NoGrant, fx.api("RS256", "access_token").Identifier); tr.Status != 403 {
		t.Fatalf("no-grant token: %d", tr.Status)
	}
	name := "written by go-auth0"
	c := &management.Client{Name: &name, AppType: auth0.String("non_interactive")}
	if err := m.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The write's audit entry is durable at once; token events are batched
	// (every 500 ms), so wait for them.
	sapi, err := m.Log.List(ctx, management.Query(`type:sapi AND description:"Create a client"`))
	if err != nil || len(sapi) != 1 {
		t.Fatalf("sapi entries right after the write: %d, %v", len(sapi), err)
	}
	if sapi[0].GetClientID() != fx.Admin.ID || sapi[0].GetID() == "" || sapi[0].GetID() != sapi[0].GetLogID() {
		t.Errorf("sapi entry %+v", sapi[0])
	}
	var ok []*management.Log
	deadline := time.Now().Add(10 * time.Second)
	for len(ok) == 0 && time.Now().Before(deadline) {
		if ok, err = m.Log.List(ctx, management.Query("type:seccft AND client_id:"+fx.Client.ID)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(ok) != 1 || ok[0].GetAudience() != fx.api("RS256", "access_token").Identifier || ok[0].GetClientName() != "Compat M2M" {
		t.Fatalf("seccft entries: %+v", ok)
	}
	got, err := m.Log.Read(ctx, ok[0].GetID())
	if err != nil || got.GetLogID() != ok[0].GetLogID() || got.GetType() != "seccft" || got.GetDate().IsZero() {
		t.Fatalf("Read(%s) = %+v, %v", ok[0].GetID(), got, err)
	}
	failed, err := m.Log.Search(ctx, management.Query(`type:feccft AND client_id:"`+fx.NoGrant.ID+`"`), management.Parameter("sort", "date:-1"))
	if err != nil || len(failed) != 1 || failed[0].Details["step"] != "policy" {
		t.Fatalf("feccft search: %+v, %v", failed, err)
	}
	all, err := m.Log.List(ctx, management.Parameter("sort", "date:1"))
	if err != nil || len(all) < 3 {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	next, err := m.Log.List(ctx, management.From(all[0].GetLogID()), management.Take(2))
	if err != nil || len(next) != 2 || next[0].GetLogID() != all[1].GetLogID() {
		t.Fatalf("from/take after %s: %+v, %v", all[0].GetLogID(), next, err)
	}
	// As at Auth0, paging parameters beside from/take are ignored, not refused.
	again, err := m.Log.List(ctx, management.From(all[0].GetLogID()), management.Take(2), management.IncludeTotals(true), management.Page(3))
	if err != nil || len(again) != 2 || again[1].GetLogID() != next[1].GetLogID() {
		t.Fatalf("from/take with include_totals and page: %+v, %v", again, err)
	}
	if _, err := m.Log.List(ctx, management.Query("type:(seccft")); err == nil {
		t.Fatal("a malformed query was accepted")
	} else if me, ok := err.(management.Error); !ok || me.Status() != 400 {
		t.Fatalf("malformed query: %v", err)
	}
}
