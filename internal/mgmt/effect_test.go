package mgmt_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestChangesTakeEffectAtOnce drives the scenario: every write is
// honoured by the very next token request.
func TestChangesTakeEffectAtOnce(t *testing.T) {
	h := newHarness(t)
	api := "https://api.example.com/invoices"
	h.do("POST", "/api/v2/resource-servers", map[string]any{
		"name": "Invoices", "identifier": api,
		"scopes": []map[string]string{{"value": "read:invoices"}, {"value": "write:invoices"}},
	}).want(201)
	app := h.do("POST", "/api/v2/clients", map[string]any{"name": "Billing"}).want(201).json()
	id, sec := str(app["client_id"]), str(app["client_secret"])

	expect := func(step string, secret string, status int, scope string) {
		t.Helper()
		code, m := h.tokenReq(id, secret, api)
		if code != status {
			t.Fatalf("%s: token status %d, want %d: %v", step, code, status, m)
		}
		if scope != "" && m["scope"] != scope {
			t.Fatalf("%s: scope %v, want %q", step, m["scope"], scope)
		}
	}

	expect("no grant yet", sec, 403, "")
	g := h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": id, "audience": api, "scope": []string{"read:invoices"}}).want(201).json()
	expect("grant created", sec, 200, "read:invoices")
	h.do("PATCH", "/api/v2/client-grants/"+str(g["id"]), map[string]any{"scope": []string{"read:invoices", "write:invoices"}}).want(200)
	expect("grant updated", sec, 200, "read:invoices write:invoices")

	rot := h.do("POST", "/api/v2/clients/"+id+"/rotate-secret", nil).want(200).json()
	sec2 := str(rot["client_secret"])
	if sec2 == "" || sec2 == sec {
		t.Fatalf("rotate-secret answered %v", rot)
	}
	if _, ok := rot["previous_secret_expires_at"]; ok {
		t.Error("no grace period, yet previous_secret_expires_at is set")
	}
	expect("old secret after rotation", sec, 401, "")
	expect("new secret after rotation", sec2, 200, "")

	rot = h.do("POST", "/api/v2/clients/"+id+"/rotate-secret?grace_period=60", nil).want(200).json()
	sec3 := str(rot["client_secret"])
	if rot["previous_secret_expires_at"] != "2027-03-04T05:07:07.000Z" {
		t.Errorf("previous_secret_expires_at %v", rot["previous_secret_expires_at"])
	}
	expect("previous secret within grace", sec2, 200, "")
	expect("new secret within grace", sec3, 200, "")
	h.advance(61 * time.Second)
	expect("previous secret after grace", sec2, 401, "")
	expect("new secret after grace", sec3, 200, "")
	if m := h.do("GET", "/api/v2/clients/"+id, nil).want(200).json(); m["previous_secret_expires_at"] != nil {
		t.Errorf("grace over, still %v", m["previous_secret_expires_at"])
	}

	h.do("DELETE", "/api/v2/client-grants/"+str(g["id"]), nil).want(204)
	expect("grant deleted", sec3, 403, "")
	h.do("POST", "/api/v2/client-grants", map[string]any{"client_id": id, "audience": api, "allow_all_scopes": true}).want(201)
	expect("allow_all_scopes", sec3, 200, "read:invoices write:invoices")
	h.do("DELETE", "/api/v2/clients/"+id, nil).want(204)
	expect("client deleted", sec3, 401, "")
}

// TestNoSecretsAtRestOrInLogs: generated and imported client secrets and
// API signing secrets appear neither in the SQLite files nor in the server
// log nor in the recorded events.
func TestNoSecretsAtRestOrInLogs(t *testing.T) {
	h := newHarness(t)
	var secrets []string
	m := h.do("POST", "/api/v2/clients", map[string]any{"name": "Generated"}).want(201).json()
	secrets = append(secrets, str(m["client_secret"]))
	id := str(m["client_id"])
	imported := "imported-secret-Zq8uWcE5p0Lh3KdVb7NyRt"
	h.do("POST", "/api/v2/clients", map[string]any{"name": "Imported", "client_secret": imported}).want(201)
	secrets = append(secrets, imported)
	patched := "patched-secret-Hb2TrY9mKx4QeWz7UjPo1c"
	h.do("PATCH", "/api/v2/clients/"+id, map[string]any{"client_secret": patched}).want(200)
	secrets = append(secrets, patched)
	m = h.do("POST", "/api/v2/clients/"+id+"/rotate-secret?grace_period=300", nil).want(200).json()
	secrets = append(secrets, str(m["client_secret"]))
	hs := "hs256-signing-secret-Lq3VbN8xZr5TgY1wKe"
	h.do("POST", "/api/v2/resource-servers", map[string]any{"identifier": "urn:hs", "signing_alg": "HS256", "signing_secret": hs}).want(201)
	secrets = append(secrets, hs, adminSecret)
	// Exercise the token path with each, so that nothing is logged either.
	h.tokenReq(id, secrets[3], mgmtAud)
	h.tokenReq(id, "wrong-"+secrets[3], mgmtAud)

	evs, _ := json.Marshal(h.recorded())
	apiLogs := h.do("GET", "/api/v2/logs?per_page=100", nil).want(200).Body.Bytes()
	var files [][]byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(h.dbPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if len(files[0])+len(files[1]) == 0 {
		t.Fatal("database files are empty")
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret")
		}
		for i, b := range files {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("secret %q in database file %d", s, i)
			}
		}
		if strings.Contains(h.logs.String(), s) {
			t.Errorf("secret %q in the server log", s)
		}
		if bytes.Contains(evs, []byte(s)) || bytes.Contains(apiLogs, []byte(s)) {
			t.Errorf("secret %q in a log event", s)
		}
	}
}
