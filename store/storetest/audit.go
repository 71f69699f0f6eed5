package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/store"
)

// auditCtx returns a context whose writes record audit entries with id.
func auditCtx(ctx context.Context, id string, date time.Time) (context.Context, *store.Audit) {
	a := &store.Audit{Event: store.LogEvent{
		ID: id, Date: date, Type: "sapi", Description: "Update a client", ClientID: "admin", ClientName: "Admin",
		IP: "198.51.100.7", UserAgent: "go-auth0", Hostname: "auth.example.com",
		Details: map[string]any{"request": map[string]any{"method": "PATCH", "path": "/api/v2/clients/c1"}},
	}}
	return store.WithAudit(ctx, a), a
}

// details returns e's details re-encoded, so that nested values compare as
// JSON does.
func details(t *testing.T, e store.LogEvent) map[string]any {
	t.Helper()
	b, err := json.Marshal(e.Details)
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	return m
}

// testAudit checks the audit entries a write records in its own
// transaction: the target, the changed fields before and after, secrets
// redacted; none for a failed write, none for an unaudited one; one per
// write of a request, numbered; listed with the log events in id order;
// kept by AppendLogs' bound; deleted by PruneAudit.
func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	actx, a := auditCtx(ctx, "20250304050607000000001aaaa", ts(1))

	must(t, s.CreateClient(actx, sampleClient("c1")))
	if a.Written != 1 {
		t.Fatalf("Written = %d after one audited write, want 1", a.Written)
	}
	e, err := s.GetLog(ctx, a.Event.ID)
	must(t, err)
	if e.Type != "sapi" || e.ClientID != "admin" || e.IP != "198.51.100.7" || !e.Date.Equal(ts(1)) {
		t.Fatalf("audit entry = %+v", e)
	}
	d := details(t, e)
	if tg, _ := d["target"].(map[string]any); tg["kind"] != "client" || tg["id"] != "c1" {
		t.Fatalf("target = %v, want client c1", d["target"])
	}
	ch, _ := d["changes"].(map[string]any)
	if _, has := ch["before"]; has {
		t.Fatalf("a create has no before: %v", ch)
	}
	after, _ := ch["after"].(map[string]any)
	if after["Name"] != "Client c1" || after["Secrets"] != store.Redacted {
		t.Fatalf("create changes.after = %v; want the name and the secrets redacted", after)
	}
	raw, _ := json.Marshal(e)
	if strings.Contains(string(raw), "digest1-c1") {
		t.Fatalf("a secret hash reached the audit entry: %s", raw)
	}
	if _, has := d["request"]; !has {
		t.Fatalf("the Audit's own details are lost: %v", d)
	}

	// A second write of the same request: the next id, before/after of
	// the changed fields only.
	_, err = s.UpdateClient(actx, "c1", func(c *store.Client) error {
		c.Name = "Renamed"
		c.Secrets = c.Secrets[:1]
		c.UpdatedAt = ts(5)
		return nil
	})
	must(t, err)
	e, err = s.GetLog(ctx, a.Event.ID+".1")
	must(t, err)
	ch, _ = details(t, e)["changes"].(map[string]any)
	before, _ := ch["before"].(map[string]any)
	after, _ = ch["after"].(map[string]any)
	if len(before) != 2 || before["Name"] != "Client c1" || before["Secrets"] != store.Redacted ||
		len(after) != 2 || after["Name"] != "Renamed" || after["Secrets"] != store.Redacted {
		t.Fatalf("update changes = %v; want Name and Secrets (redacted) only, UpdatedAt left out", ch)
	}

	// A failed write records nothing; an unaudited write records nothing.
	_, err = s.UpdateClient(actx, "c1", func(c *store.Client) error { return errBoom })
	wantErr(t, "aborted update", err, errBoom)
	wantErr(t, "conflicting create", s.CreateClient(actx, sampleClient("c1")), store.ErrConflict)
	if a.Written != 2 {
		t.Fatalf("Written = %d after failed writes, want 2", a.Written)
	}
	_, err = s.GetLog(ctx, a.Event.ID+".2")
	wantErr(t, "entry of a failed write", err, store.ErrNotFound)
	must(t, s.CreateClient(ctx, sampleClient("c2")))
	_, total, err := s.ListLogs(ctx, store.LogFilter{})
	must(t, err)
	if total != 2 {
		t.Fatalf("%d entries after two audited and one unaudited write, want 2", total)
	}

	// Deletes record what was deleted; key writes name the keys.
	dctx, da := auditCtx(ctx, "20250304050607000000002bbbb", ts(2))
	must(t, s.DeleteClient(dctx, "c2"))
	e, err = s.GetLog(ctx, da.Event.ID)
	must(t, err)
	ch, _ = details(t, e)["changes"].(map[string]any)
	if b, _ := ch["before"].(map[string]any); b["Name"] != "Client c2" || ch["after"] != nil {
		t.Fatalf("delete changes = %v, want before only", ch)
	}
	kctx, ka := auditCtx(ctx, "20250304050607000000003cccc", ts(3))
	must(t, s.UpdateSigningKeys(kctx, func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{{KID: "k1", KeyType: "RSA", State: store.KeyNext, SealedPrivateKey: []byte("sealed-private"), CreatedAt: ts(0)}}, nil
	}))
	e, err = s.GetLog(ctx, ka.Event.ID)
	must(t, err)
	raw, _ = json.Marshal(e)
	if !strings.Contains(string(raw), `"k1"`) || strings.Contains(string(raw), "SealedPrivateKey") {
		t.Fatalf("key audit entry = %s; want k1 named, no private key field", raw)
	}
	sctx, sa := auditCtx(ctx, "20250304050607000000004dddd", ts(4))
	_, err = s.UpdateSettings(sctx, func(st *store.Settings) error { st.HonorScopeSubset = !st.HonorScopeSubset; return nil })
	must(t, err)
	e, err = s.GetLog(ctx, sa.Event.ID)
	must(t, err)
	if ch, _ := details(t, e)["changes"].(map[string]any); ch["after"].(map[string]any)["HonorScopeSubset"] == nil {
		t.Fatalf("settings changes = %v", ch)
	}

	// Token events and audit entries list together in id order; the
	// bound on token events never touches the audit log.
	must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog("20250304050607000000001zzzz", 7)}))
	all, total, err := s.ListLogs(ctx, store.LogFilter{})
	must(t, err)
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	want := []string{"20250304050607000000004dddd", "20250304050607000000003cccc", "20250304050607000000002bbbb",
		"20250304050607000000001zzzz", "20250304050607000000001aaaa.1", "20250304050607000000001aaaa"}
	if total != len(want) || !equalStrings(ids, want) {
		t.Fatalf("merged list (total %d) = %v, want %v", total, ids, want)
	}
	asc, _, err := s.ListLogs(ctx, store.LogFilter{Ascending: true, Page: store.Page{Offset: 1, Limit: 2}})
	must(t, err)
	if len(asc) != 2 || asc[0].ID != want[4] || asc[1].ID != want[3] {
		t.Fatalf("ascending page = %v", asc)
	}
	cp, total, err := s.ListLogs(ctx, store.LogFilter{From: "20250304050607000000001zzzz"})
	must(t, err)
	if total != 3 || len(cp) != 3 || cp[0].ID != want[2] {
		t.Fatalf("checkpoint after a token event: %d (total %d), first %v", len(cp), total, cp)
	}

	n, err := s.PruneAudit(ctx, ts(3))
	must(t, err)
	if n != 3 {
		t.Fatalf("PruneAudit before %v deleted %d, want 3 (dated 1, 1, 2)", ts(3), n)
	}
	if _, total, _ := s.ListLogs(ctx, store.LogFilter{}); total != 3 {
		t.Fatalf("%d entries after pruning, want 3", total)
	}
}

// testLogQuery checks LogFilter.Query over both tables: exact and prefix
// matches, date ranges with open and exclusive bounds, AND, OR, NOT, and a
// field credo never sets.
func testLogQuery(t *testing.T, s store.Store) {
	ctx := t.Context()
	var evs []store.LogEvent
	for i := range 6 {
		e := sampleLog(fmt.Sprintf("q-%02d", i), i)
		if i%2 == 1 {
			e.Type, e.Description = "feccft", "Unauthorized"
		}
		if i == 4 {
			e.ClientName = "Payments batch"
			e.IP = ""
		}
		evs = append(evs, e)
	}
	must(t, s.AppendLogs(ctx, evs))
	actx, _ := auditCtx(ctx, "q-06", ts(6))
	must(t, s.CreateClient(actx, sampleClient("qc")))

	match := func(f store.LogField, v string) *store.LogQuery {
		return &store.LogQuery{Op: store.LogMatch, Field: f, Value: v}
	}
	cases := []struct {
		name string
		q    *store.LogQuery
		want string
	}{
		{"type", match(store.LogFieldType, "feccft"), "q-05 q-03 q-01"},
		{"audit type", match(store.LogFieldType, "sapi"), "q-06"},
		{"client_id", match(store.LogFieldClientID, "client-2"), "q-02"},
		{"case-sensitive", match(store.LogFieldClientName, "payments batch"), ""},
		{"prefix", &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldClientName, Value: "Pay", Prefix: true}, "q-04"},
		{"prefix id", &store.LogQuery{Op: store.LogMatch, Field: store.LogFieldID, Value: "q-0", Prefix: true}, "q-06 q-05 q-04 q-03 q-02 q-01 q-00"},
		{"empty ip", match(store.LogFieldIP, ""), "q-04"},
		{"range", &store.LogQuery{Op: store.LogRange, Field: store.LogFieldDate, From: ts(2), To: ts(4)}, "q-04 q-03 q-02"},
		{"range exclusive", &store.LogQuery{Op: store.LogRange, Field: store.LogFieldDate, From: ts(2), To: ts(4), FromExcl: true, ToExcl: true}, "q-03"},
		{"range open", &store.LogQuery{Op: store.LogRange, Field: store.LogFieldDate, From: ts(5)}, "q-06 q-05"},
		{"and", &store.LogQuery{Op: store.LogAnd, Args: []*store.LogQuery{match(store.LogFieldType, "seccft"),
			{Op: store.LogRange, Field: store.LogFieldDate, To: ts(2)}}}, "q-02 q-00"},
		{"or", &store.LogQuery{Op: store.LogOr, Args: []*store.LogQuery{match(store.LogFieldClientID, "client-1"), match(store.LogFieldType, "sapi")}}, "q-06 q-01"},
		{"not", &store.LogQuery{Op: store.LogNot, Args: []*store.LogQuery{match(store.LogFieldType, "seccft")}}, "q-06 q-05 q-03 q-01"},
		{"nothing", &store.LogQuery{Op: store.LogNothing}, ""},
		{"not nothing", &store.LogQuery{Op: store.LogNot, Args: []*store.LogQuery{{Op: store.LogNothing}}}, "q-06 q-05 q-04 q-03 q-02 q-01 q-00"},
	}
	for _, tc := range cases {
		got, total, err := s.ListLogs(ctx, store.LogFilter{Query: tc.q})
		must(t, err)
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if strings.Join(ids, " ") != tc.want || total != len(ids) {
			t.Errorf("%s: got %v (total %d), want %s", tc.name, ids, total, tc.want)
		}
	}
	got, _, err := s.ListLogs(ctx, store.LogFilter{After: "q-01x", Before: "q-05", Ascending: true})
	must(t, err)
	if len(got) != 3 || got[0].ID != "q-02" || got[2].ID != "q-04" {
		t.Fatalf("After q-01x (not an event), Before q-05: %v", got)
	}
	got, total, err := s.ListLogs(ctx, store.LogFilter{Query: match(store.LogFieldType, "seccft"), From: "q-00"})
	must(t, err)
	if total != 2 || len(got) != 2 || got[0].ID != "q-02" {
		t.Fatalf("checkpoint with a query: %v (total %d)", got, total)
	}
}

// RunAuditRetention checks that the bound on token-exchange events never
// evicts audit entries: s must be a new store that keeps max log events.
func RunAuditRetention(t *testing.T, s store.Store, max int) {
	ctx := t.Context()
	actx, a := auditCtx(ctx, "00000000000000000000000audit", ts(0))
	must(t, s.CreateClient(actx, sampleClient("c1")))
	for i := range 3 * max {
		must(t, s.AppendLogs(ctx, []store.LogEvent{sampleLog(fmt.Sprintf("flood-%06d", i), i)}))
	}
	if _, err := s.GetLog(ctx, a.Event.ID); err != nil {
		t.Fatalf("the audit entry after %d token events: %v", 3*max, err)
	}
	_, total, err := s.ListLogs(ctx, store.LogFilter{})
	must(t, err)
	if total != max+1 {
		t.Fatalf("%d entries after the flood, want %d token events and the audit entry", total, max+1)
	}
}

// testRevocation checks revoked tokens: recorded once (a second revocation
// of a jti changes nothing and moves no version), loaded with the tenant,
// expired ones deleted by the next revocation, each write a change of kind
// revocation; and a client's TokensNotBefore round-trips.
func testRevocation(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.Version(ctx)
	must(t, err)
	a := store.RevokedToken{JTI: "jti-a", ClientID: "c1", ExpiresAt: ts(2), RevokedAt: ts(0)}
	must(t, s.RevokeToken(ctx, a))
	must(t, s.RevokeToken(ctx, store.RevokedToken{JTI: "jti-a", ClientID: "other", ExpiresAt: ts(9), RevokedAt: ts(1)}))
	v1, _ := s.Version(ctx)
	if v1 != v0+1 {
		t.Fatalf("version moved by %d for one new revocation and a repeated one, want 1", v1-v0)
	}
	_, changes, err := s.ChangesSince(ctx, v0)
	must(t, err)
	if len(changes) != 1 || changes[0].Kind != store.ChangeRevocation || changes[0].ID != "jti-a" {
		t.Fatalf("changes %+v", changes)
	}
	must(t, s.RevokeToken(ctx, store.RevokedToken{JTI: "jti-b", ClientID: "c2", ExpiresAt: ts(10), RevokedAt: ts(1)}))
	list, err := s.RevokedTokens(ctx)
	must(t, err)
	equal(t, "revoked", list, []store.RevokedToken{a, {JTI: "jti-b", ClientID: "c2", ExpiresAt: ts(10), RevokedAt: ts(1)}})
	d, err := s.Load(ctx)
	must(t, err)
	equal(t, "loaded revoked", d.Revoked, list)
	// jti-a expired at ts(2): a revocation at ts(3) deletes it.
	must(t, s.RevokeToken(ctx, store.RevokedToken{JTI: "jti-c", ExpiresAt: ts(11), RevokedAt: ts(3)}))
	list, err = s.RevokedTokens(ctx)
	must(t, err)
	if len(list) != 2 || list[0].JTI != "jti-b" || list[1].JTI != "jti-c" {
		t.Fatalf("after expiry: %+v", list)
	}
	if err := s.RevokeToken(ctx, store.RevokedToken{}); err == nil {
		t.Fatal("a revocation without a jti was accepted")
	}

	c := sampleClient("nb")
	c.TokensNotBefore = ts(4)
	must(t, s.CreateClient(ctx, c))
	got, err := s.GetClient(ctx, "nb")
	must(t, err)
	if !got.TokensNotBefore.Equal(ts(4)) {
		t.Fatalf("TokensNotBefore = %v", got.TokensNotBefore)
	}
}
