package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/testkit"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
)

// Two credo serve processes on one PostgreSQL schema (issue 5): writes on
// either replica are honoured by the other within a second, and token
// issuance survives the database dropping every connection.

const (
	adminID     = "replica-admin"
	adminSecret = "replica-admin-secret-0123456789abcdefghijkl"
)

type replica struct {
	t    *testing.T
	base string
	cmd  *exec.Cmd
	logs *testkit.Buffer
}

func startReplica(t *testing.T, bin, dsn, schema, issuer string) *replica {
	t.Helper()
	addr := testkit.FreeAddr(t)
	r := &replica{t: t, base: "http://" + addr + "/", logs: &testkit.Buffer{}}
	r.cmd = exec.Command(bin, "serve", "--addr", addr, "--issuer", issuer, "--db", dsn, "--db-schema", schema, "--no-demo", "--log-level", "debug")
	r.cmd.Env = append(os.Environ(),
		"CREDO_MASTER_KEY="+strings.Repeat("cd", 32),
		"CREDO_BOOTSTRAP_CLIENT_ID="+adminID, "CREDO_BOOTSTRAP_CLIENT_SECRET="+adminSecret)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("replica %s logs:\n%s", addr, r.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(r.base + "readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("replica did not become ready:\n%s", r.logs.String())
	return nil
}

func (r *replica) alive() bool { return r.cmd.ProcessState == nil }

func (r *replica) token(clientID, secret, aud string, extra ...string) (int, map[string]any) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "audience": {aud}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	resp, err := http.PostForm(r.base+"oauth/token", form)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (r *replica) api(method, path, tok string, body any) (int, map[string]any) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, r.base+"api/v2/"+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (r *replica) jwks(t *testing.T) jose.JSONWebKeySet {
	resp, err := http.Get(r.base + ".well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	json.NewDecoder(resp.Body).Decode(&set)
	return set
}

// within retries fn until it returns true, for at most d.
func within(d time.Duration, fn func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if fn() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func kid(t *testing.T, tok string) string {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

func pgSchema(t *testing.T, dsn string) string {
	schema := fmt.Sprintf("replicas_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	})
	return schema
}

func TestReplicasOnPostgres(t *testing.T) {
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CREDO_TEST_POSTGRES not set: skipping the two-replica PostgreSQL test")
	}
	bin := testkit.BuildCredo(t, false)
	schema := pgSchema(t, dsn)
	issuer := "https://auth.replicas.test/"
	a := startReplica(t, bin, dsn, schema, issuer)
	b := startReplica(t, bin, dsn, schema, issuer)
	mgmtAud := issuer + "api/v2/"

	code, tokA := a.token(adminID, adminSecret, mgmtAud)
	if code != 200 {
		t.Fatalf("admin token from A: %d %v", code, tokA)
	}
	adminA := tokA["access_token"].(string)
	_, tokB := b.token(adminID, adminSecret, mgmtAud)
	adminB := tokB["access_token"].(string)

	// Create an API, a client and a grant through A's Management API.
	aud := "https://api.replicas.test/"
	if c, m := a.api("POST", "resource-servers", adminA, map[string]any{"name": "R", "identifier": aud, "scopes": []map[string]string{{"value": "read:r"}}}); c != 201 {
		t.Fatalf("create API on A: %d %v", c, m)
	}
	c, client := a.api("POST", "clients", adminA, map[string]any{"name": "replicated", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	if c != 201 {
		t.Fatalf("create client on A: %d %v", c, client)
	}
	cid, csec := client["client_id"].(string), client["client_secret"].(string)
	c, grant := a.api("POST", "client-grants", adminA, map[string]any{"client_id": cid, "audience": aud, "scope": []string{"read:r"}})
	if c != 201 {
		t.Fatalf("create grant on A: %d %v", c, grant)
	}
	// B issues a token for it within a second; A's JWKS verifies it.
	var tok string
	if !within(time.Second, func() bool {
		code, m := b.token(cid, csec, aud)
		if code == 200 {
			tok = m["access_token"].(string)
		}
		return code == 200
	}) {
		t.Fatal("replica B did not honour A's new client and grant within 1 s")
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(a.jwks(t)); err != nil {
		t.Fatalf("B's token does not verify with A's JWKS: %v", err)
	}
	// Organizations: an organization and an association made on A are honoured
	// by B within a second; deleting the organization on B reaches A as fast.
	c, org := a.api("POST", "organizations", adminA, map[string]any{"name": "acme"})
	if c != 201 {
		t.Fatalf("create organization on A: %d %v", c, org)
	}
	gid := grant["id"].(string)
	if c, m := a.api("PATCH", "client-grants/"+gid, adminA, map[string]any{"organization_usage": "require"}); c != 200 {
		t.Fatalf("grant requires an organization: %d %v", c, m)
	}
	if c, m := a.api("POST", "organizations/"+org["id"].(string)+"/client-grants", adminA, map[string]any{"grant_id": gid}); c != 201 {
		t.Fatalf("associate on A: %d %v", c, m)
	}
	if !within(time.Second, func() bool {
		code, m := b.token(cid, csec, aud, "organization", "acme")
		if code != 200 {
			return false
		}
		jws, err := jose.ParseSignedCompact(m["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			return false
		}
		var claims map[string]any
		json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims)
		return claims["org_id"] == org["id"]
	}) {
		t.Fatal("replica B did not issue a token for A's new organization within 1 s")
	}
	if c, m := b.api("DELETE", "organizations/"+org["id"].(string), adminB, nil); c != 204 {
		t.Fatalf("delete organization on B: %d %v", c, m)
	}
	if !within(time.Second, func() bool { code, _ := a.token(cid, csec, aud, "organization", "acme"); return code == 403 }) {
		t.Fatal("replica A still issues tokens for an organization deleted on B 1 s before")
	}
	if c, m := a.api("PATCH", "client-grants/"+gid, adminA, map[string]any{"organization_usage": "deny"}); c != 200 {
		t.Fatalf("grant back to deny: %d %v", c, m)
	}
	if !within(time.Second, func() bool { code, _ := b.token(cid, csec, aud); return code == 200 }) {
		t.Fatal("replica B did not see the grant back to deny within 1 s")
	}
	// Delete the grant on B: A refuses within a second.
	if c, m := b.api("DELETE", "client-grants/"+grant["id"].(string), adminB, nil); c != 204 {
		t.Fatalf("delete grant on B: %d %v", c, m)
	}
	if !within(time.Second, func() bool { code, _ := a.token(cid, csec, aud); return code == 403 }) {
		t.Fatal("replica A still issues tokens 1 s after the grant was deleted on B")
	}
	// Rotate the signing keys on A: B signs with the new key, and both publish it.
	oldKid := kid(t, tok)
	c, rotated := a.api("POST", "keys/signing/rotate", adminA, nil)
	if c != 201 && c != 200 {
		t.Fatalf("rotate on A: %d %v", c, rotated)
	}
	newKid, _ := rotated["kid"].(string)
	if newKid == "" || newKid == oldKid {
		t.Fatalf("rotate returned %v", rotated)
	}
	if !within(time.Second, func() bool {
		_, m := b.token(adminID, adminSecret, mgmtAud)
		t, _ := m["access_token"].(string)
		return t != "" && kidFromCompact(t) == newKid
	}) {
		t.Fatal("replica B did not sign with the rotated key within 1 s")
	}
	for _, r := range []*replica{a, b} {
		set := r.jwks(t)
		if len(set.Key(newKid)) == 0 || len(set.Key(oldKid)) == 0 {
			t.Fatalf("%s JWKS lacks the new current or the previous key", r.base)
		}
	}
}

func kidFromCompact(tok string) string {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return ""
	}
	return jws.Signatures[0].Header.KeyID
}

func TestReplicasSurviveDroppedConnections(t *testing.T) {
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CREDO_TEST_POSTGRES not set: skipping the PostgreSQL fault test")
	}
	bin := testkit.BuildCredo(t, false)
	schema := pgSchema(t, dsn)
	issuer := "https://auth.fault.test/"
	a := startReplica(t, bin, dsn, schema, issuer)
	b := startReplica(t, bin, dsn, schema, issuer)
	mgmtAud := issuer + "api/v2/"

	// Serve token requests from both replicas while every credo connection
	// to PostgreSQL is terminated, repeatedly.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for _, r := range []*replica{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if code, _ := r.token(adminID, adminSecret, mgmtAud); code == 200 {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	killed := 0
	for i := 0; i < 5 && ctx.Err() == nil; i++ {
		rows, err := conn.Query(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE '%' || $1 AND pid <> pg_backend_pid()", ":"+schema)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			killed++
		}
		rows.Close()
		time.Sleep(400 * time.Millisecond)
	}
	wg.Wait()
	if killed == 0 {
		t.Fatal("no credo connection was found to terminate (application_name tagging changed?)")
	}
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("token requests during connection loss: %d ok, %d failed", ok.Load(), failed.Load())
	}
	// After the database is back, writes work on both replicas and neither restarted.
	for _, r := range []*replica{a, b} {
		if !r.alive() {
			t.Fatalf("replica %s exited", r.base)
		}
		_, m := r.token(adminID, adminSecret, mgmtAud)
		tok, _ := m["access_token"].(string)
		var code int
		if !within(5*time.Second, func() bool {
			code, _ = r.api("POST", "clients", tok, map[string]any{"name": "after-fault"})
			return code == 201
		}) {
			t.Fatalf("write on %s after reconnect: %d", r.base, code)
		}
	}
	t.Logf("%d token requests succeeded while %d connections were terminated", ok.Load(), killed)
}

// postForm POSTs a client-authenticated form to one of r's OAuth endpoints.
func (r *replica) postForm(path, clientID, secret string, v url.Values) (int, map[string]any) {
	req, _ := http.NewRequest("POST", r.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestReplicasRevocationOnPostgres: a token revoked on one replica (RFC 7009)
// and a client's tokens revoked on the other (Management API) are refused
// by the other replica's introspection and revocation list within a second.
func TestReplicasRevocationOnPostgres(t *testing.T) {
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CREDO_TEST_POSTGRES not set: skipping the two-replica PostgreSQL test")
	}
	bin := testkit.BuildCredo(t, false)
	schema := pgSchema(t, dsn)
	issuer := "https://auth.revocation.test/"
	a := startReplica(t, bin, dsn, schema, issuer)
	b := startReplica(t, bin, dsn, schema, issuer)
	mgmtAud := issuer + "api/v2/"
	_, m := a.token(adminID, adminSecret, mgmtAud)
	admin, _ := m["access_token"].(string)
	// Auth0-profile tokens have no jti and RS256 signatures are
	// deterministic: a token requested in the same second is the same
	// token. Wait for the next second to get a different one.
	time.Sleep(1100 * time.Millisecond)
	_, m = a.token(adminID, adminSecret, mgmtAud)
	second, _ := m["access_token"].(string)
	if admin == "" || second == "" || second == admin {
		t.Fatalf("admin tokens: %v", m)
	}
	active := func(r *replica, tok string) bool {
		code, m := r.postForm("oauth/introspect", adminID, adminSecret, url.Values{"token": {tok}})
		return code == 200 && m["active"] == true
	}
	if !active(b, admin) {
		t.Fatal("B does not see A's token as active")
	}
	// One token, revoked on A.
	if code, m := a.postForm("oauth/revoke", adminID, adminSecret, url.Values{"token": {admin}}); code != 200 {
		t.Fatalf("revoke on A: %d %v", code, m)
	}
	start := time.Now()
	if !within(time.Second, func() bool { return !active(b, admin) }) {
		t.Fatal("B still introspects the revoked token as active 1 s after A revoked it")
	}
	t.Logf("B saw A's revocation after %v", time.Since(start))
	if !active(b, second) {
		t.Fatal("revoking one token revoked another")
	}
	// Every token of the client, revoked on B's Management API.
	_, m = b.token(adminID, adminSecret, mgmtAud)
	adminB, _ := m["access_token"].(string)
	if code, m := b.api("POST", "clients/"+adminID+"/revoke-tokens", adminB, nil); code != 200 {
		t.Fatalf("revoke-tokens on B: %d %v", code, m)
	}
	if !within(time.Second, func() bool {
		req, _ := http.NewRequest("GET", a.base+"api/v2/clients", nil)
		req.Header.Set("Authorization", "Bearer "+second)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 401
	}) {
		t.Fatal("A's Management API still accepts the client's token 1 s after B revoked its tokens")
	}
	// The client's next token works on both.
	_, m = a.token(adminID, adminSecret, mgmtAud)
	if fresh, _ := m["access_token"].(string); fresh == "" || !active(b, fresh) {
		t.Fatalf("a token issued after the revocation: %v", m)
	}
}
