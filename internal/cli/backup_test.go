package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/credo-dev/credo/internal/config"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	jose "github.com/go-jose/go-jose/v4"
)

// TestBackupUnderWriteLoadRestores: a backup taken while the tenant is being
// written to restores (with its master key) to a tenant that issues tokens
// for the same clients, signed with the same keys.
func TestBackupUnderWriteLoadRestores(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "credo.db")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := initApp(ctx, cfg, "", slog.New(slog.DiscardHandler)) // master key in credo.master.key
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const sec = "worker-secret-0123456789abcdefghijklmnop"
	aud := "https://api.example.com/t"
	if _, err := a.svc.CreateResourceServer(ctx, tenant.ResourceServerFields{Identifier: &aud, Scopes: &[]store.Scope{{Value: "read"}}}); err != nil {
		t.Fatal(err)
	}
	name := "worker"
	if _, _, err := a.svc.CreateClient(ctx, tenant.ClientFields{ClientID: "worker", ClientSecret: sec, Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.CreateGrant(ctx, tenant.GrantFields{ClientID: "worker", Audience: aud, Scope: &[]string{"read"}}); err != nil {
		t.Fatal(err)
	}
	jwks := a.holder.Current().Keys.JWKS()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			n := fmt.Sprintf("load-%d", i)
			if _, _, err := a.svc.CreateClient(ctx, tenant.ClientFields{Name: &n}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	backup := filepath.Join(dir, "backups", "b.db")
	os.MkdirAll(filepath.Dir(backup), 0o700)
	env := map[string]string{"CREDO_DB": cfg.DB}
	out := cli(t, env, 0, "backup", backup, "--with-master-key")
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "tenant http://127.0.0.1:8080/") || !strings.Contains(out, "b.db.master.key") {
		t.Fatalf("backup output: %s", out)
	}
	if errOut := cli(t, env, 1, "backup", backup); !strings.Contains(errOut, "exists") {
		t.Fatalf("backup over an existing file: %s", errOut)
	}

	restored := filepath.Join(dir, "restored", "credo.db")
	os.MkdirAll(filepath.Dir(restored), 0o700)
	renv := map[string]string{"CREDO_DB": restored}
	if out := cli(t, renv, 0, "restore", backup); !strings.Contains(out, "Put the backup's master key in place") {
		t.Fatalf("restore: %s", out)
	}
	if errOut := cli(t, renv, 1, "restore", backup); !strings.Contains(errOut, "add --yes") {
		t.Fatalf("restore over a database without --yes: %s", errOut)
	}
	cli(t, renv, 0, "restore", backup, "--yes")

	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(cli(t, renv, 0, "token", "--client", "worker", "--client-secret", sec, "--audience", aud, "-o", "json")), &tok); err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(tok.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) == 0 {
		t.Fatal("the restored tenant signs with a key the original does not publish")
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	if claims["iss"] != "http://127.0.0.1:8080/" || claims["sub"] != "worker@clients" || claims["aud"] != aud || claims["scope"] != "read" {
		t.Fatalf("claims %v", claims)
	}
	if errOut := cli(t, map[string]string{"CREDO_DB": "postgres://u@h/db"}, 1, "backup", "x"); !strings.Contains(errOut, "pg_dump") {
		t.Fatalf("PostgreSQL: %s", errOut)
	}
}
