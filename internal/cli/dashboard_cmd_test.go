package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

func TestDashboardLoginLink(t *testing.T) {
	cfg, a := testApp(t, func(*config.Config) {})
	a.Close()
	env := map[string]string{"CREDO_DB": cfg.DB, "CREDO_MASTER_KEY": testMasterKey}

	out := cli(t, env, 0, "dashboard", "login-link", "--ttl", "2m")
	link := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, cfg.Issuer+"dashboard/login-link?token=") || !strings.Contains(out, "valid once, for 2m0s") {
		t.Fatalf("output %q", out)
	}
	ro := cliJSON(t, env, "dashboard", "login-link", "--read-only", "--name", "Audit")
	if ro["read_only"] != true || ro["expires_in"] != float64(600) {
		t.Fatalf("json %v", ro)
	}
	roURL, _ := url.Parse(ro["url"].(string))

	st, err := openStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hash := func(tok string) string { s := sha256.Sum256([]byte(tok)); return hex.EncodeToString(s[:]) }
	now := time.Now()
	l, err := st.ConsumeLoginLink(t.Context(), hash(u.Query().Get("token")), now)
	if err != nil || l.Name != "login link" || !slices.Equal(l.Scopes, tenant.ManagementScopes) || l.ExpiresAt.Sub(now) > 2*time.Minute {
		t.Fatalf("stored link %+v %v", l, err)
	}
	l, err = st.ConsumeLoginLink(t.Context(), hash(roURL.Query().Get("token")), now)
	if err != nil || l.Name != "Audit" || len(l.Scopes) == 0 || slices.ContainsFunc(l.Scopes, func(s string) bool { return !strings.HasPrefix(s, "read:") }) {
		t.Fatalf("read-only link %+v %v", l, err)
	}
	if _, err := st.ConsumeLoginLink(t.Context(), hash(roURL.Query().Get("token")), now); err != store.ErrNotFound {
		t.Fatalf("second use: %v", err)
	}

	if errOut := cli(t, env, 1, "dashboard", "login-link", "--ttl", "2h"); !strings.Contains(errOut, "valid for 1s to 1h0m0s") {
		t.Fatalf("2h: %s", errOut)
	}
	if errOut := cli(t, env, 1, "dashboard", "login-link", "--server", "http://127.0.0.1:1/"); !strings.Contains(errOut, "works on the database (--db)") {
		t.Fatalf("--server: %s", errOut)
	}
}
