package tenant_test

import (
	"errors"
	"testing"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/sqlite"
)

func TestIdentity(t *testing.T) {
	ctx := t.Context()
	svc := newService(t) // issuer https://credo.test/, system API created, no identity yet

	// A database from before identities: the issuer is its Management API's.
	if iss, err := tenant.StoredIssuer(ctx, svc.Store); err != nil || iss != "https://credo.test/" {
		t.Fatalf("StoredIssuer of a legacy tenant = %q, %v", iss, err)
	}
	v0, _ := svc.Store.Version(ctx)
	cases := []struct {
		asked, want string
		mismatch    bool
	}{
		{"", "https://credo.test/", false},
		{"https://credo.test/", "https://credo.test/", false},
		{"https://other.test/", "", true},
	}
	for _, tc := range cases {
		got, fresh, err := tenant.ResolveIssuer(ctx, svc.Store, tc.asked)
		var me *tenant.IssuerMismatchError
		if tc.mismatch != errors.As(err, &me) || got != tc.want || fresh {
			t.Errorf("ResolveIssuer(%q) = %q, %v, %v", tc.asked, got, fresh, err)
		}
		if me != nil && (me.Stored != "https://credo.test/" || me.Asked != tc.asked) {
			t.Errorf("mismatch = %+v", me)
		}
	}
	if v, _ := svc.Store.Version(ctx); v != v0 {
		t.Fatalf("ResolveIssuer wrote: version %d → %d", v0, v)
	}

	// EnsureIdentity stores it once and refuses another issuer.
	if err := svc.EnsureIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := svc.Store.Tenant(ctx)
	if err != nil || id.Issuer != "https://credo.test/" || id.ManagementAudience != "https://credo.test/api/v2/" {
		t.Fatalf("identity %+v, %v", id, err)
	}
	v1, _ := svc.Store.Version(ctx)
	if err := svc.EnsureIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Store.Version(ctx); v != v1 {
		t.Fatal("a second EnsureIdentity wrote")
	}
	other := *svc
	other.Issuer = "https://other.test/"
	var me *tenant.IssuerMismatchError
	if err := other.EnsureIdentity(ctx); !errors.As(err, &me) {
		t.Fatalf("EnsureIdentity with another issuer: %v", err)
	}

	// ChangeIssuer moves the identity, the Management API and its grants.
	if _, _, err := svc.EnsureBootstrap(ctx, "admin", "admin-secret-0123456789abcdefghijklmnop"); err != nil {
		t.Fatal(err)
	}
	old, err := svc.ChangeIssuer(ctx, "https://new.test/")
	if err != nil || old != "https://credo.test/" {
		t.Fatalf("ChangeIssuer = %q, %v", old, err)
	}
	if iss, _ := tenant.StoredIssuer(ctx, svc.Store); iss != "https://new.test/" {
		t.Fatalf("issuer after the change: %q", iss)
	}
	rs, found, err := tenant.SystemAPI(ctx, svc.Store)
	if err != nil || !found || rs.Identifier != "https://new.test/api/v2/" {
		t.Fatalf("system API after the change: %+v %v %v", rs, found, err)
	}
	gs, _, err := svc.Store.ListClientGrants(ctx, store.GrantFilter{ClientID: "admin", Audience: "https://new.test/api/v2/"})
	if err != nil || len(gs) != 1 {
		t.Fatalf("the admin's grant did not move: %v %v", gs, err)
	}
	if _, err := svc.ChangeIssuer(ctx, "https://no-slash"); err == nil {
		t.Fatal("an issuer without a trailing slash was accepted")
	}

	// A new database has no issuer yet: the asked one is used, and fresh.
	st, err := sqlite.Open(ctx, t.TempDir()+"/new.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, fresh, err := tenant.ResolveIssuer(ctx, st, "https://x.test/"); err != nil || !fresh || got != "https://x.test/" {
		t.Fatalf("ResolveIssuer on a new database = %q, %v, %v", got, fresh, err)
	}
}
