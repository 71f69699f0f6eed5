package mgmt_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func keyByState(t *testing.T, h *harness, kty, state string) map[string]any {
	t.Helper()
	for _, k := range h.do("GET", "/api/v2/keys/signing", nil).want(200).list() {
		k := k.(map[string]any)
		if k["kty"] == kty && k["state"] == state {
			return k
		}
	}
	return nil
}

func TestSigningKeys(t *testing.T) {
	h := newHarness(t)
	list := h.do("GET", "/api/v2/keys/signing", nil).want(200).list()
	if len(list) != 6 { // current + next of RSA, EC, OKP
		t.Fatalf("%d keys, want 6", len(list))
	}
	cur := keyByState(t, h, "RSA", "current")
	next := keyByState(t, h, "RSA", "next")
	if cur == nil || next == nil {
		t.Fatal("no current/next RSA key")
	}
	kid := str(cur["kid"])
	// Auth0's booleans name one current and one next key: the RSA ones.
	var current, nexts []string
	for _, k := range list {
		k := k.(map[string]any)
		if k["current"] == true {
			current = append(current, str(k["kid"]))
		}
		if k["next"] == true {
			nexts = append(nexts, str(k["kid"]))
		}
		if k["kty"] != "RSA" && (k["current"] == true || k["next"] == true || k["previous"] == true) {
			t.Errorf("%s key %v carries an Auth0 lifecycle boolean", k["kty"], k["kid"])
		}
	}
	if len(current) != 1 || current[0] != kid || len(nexts) != 1 || nexts[0] != str(next["kid"]) {
		t.Errorf("current: true on %v, next: true on %v; want only the RSA keys %s and %v", current, nexts, kid, next["kid"])
	}

	r := h.do("GET", "/api/v2/keys/signing/"+kid, nil).want(200)
	golden(t, "signing_key", r.Body.Bytes(), "kid", "cert", "pkcs7", "fingerprint", "thumbprint")

	t.Run("downloads", func(t *testing.T) {
		r := h.do("GET", "/api/v2/keys/signing/"+kid+"/pem", nil).want(200)
		if r.Body.String() != str(cur["cert"]) {
			t.Error("pem differs from the key's cert")
		}
		blk, _ := pem.Decode(r.Body.Bytes())
		r = h.do("GET", "/api/v2/keys/signing/"+kid+"/cer", nil).want(200)
		if blk == nil || string(blk.Bytes) != r.Body.String() {
			t.Error("cer is not the DER of the pem")
		}
		if _, err := x509.ParseCertificate(r.Body.Bytes()); err != nil {
			t.Error(err)
		}
		if ct := r.Header().Get("Content-Type"); ct != "application/pkix-cert" {
			t.Errorf("Content-Type %q", ct)
		}
	})

	t.Run("rotate and revoke", func(t *testing.T) {
		r := h.do("POST", "/api/v2/keys/signing/rotate", nil).want(201)
		m := r.json()
		if m["kid"] != next["kid"] || m["cert"] != next["cert"] || len(m) != 2 {
			t.Errorf("rotate answered %v, want {cert, kid} of the former next key %v", m, next["kid"])
		}
		if k := keyByState(t, h, "RSA", "previous"); k == nil || k["kid"] != kid {
			t.Errorf("previous RSA key %v, want %s", k, kid)
		}
		if k := keyByState(t, h, "EC", "previous"); k == nil || k["previous"] != false {
			t.Errorf("EC key not rotated, or flagged previous as Auth0's: %v", k)
		}
		if k := keyByState(t, h, "RSA", "previous"); k == nil || k["previous"] != true {
			t.Errorf("the previous RSA key is not previous: true: %v", k)
		}
		// The admin token was signed by the now previous key: still valid.
		h.do("GET", "/api/v2/keys/signing", nil).want(200)
		fresh := h.mustToken(adminID, adminSecret, mgmtAud)

		r = h.do("PUT", "/api/v2/keys/signing/"+str(m["kid"])+"/revoke", nil).want(400)
		golden(t, "error_400_revoke_current", r.Body.Bytes())
		r = h.call(fresh, "PUT", "/api/v2/keys/signing/"+kid+"/revoke", nil).want(200)
		rv := r.json()
		if rv["kid"] != kid || len(rv) != 2 {
			t.Errorf("revoke answered %v", rv)
		}
		if k := h.call(fresh, "GET", "/api/v2/keys/signing/"+kid, nil).want(200).json(); k["revoked"] != true || k["revoked_at"] == nil {
			t.Errorf("revoked key %v", k)
		}
		// A token signed with the revoked key stops working at once.
		h.do("GET", "/api/v2/keys/signing", nil).want(401)
		h.admin = fresh

		r = h.do("POST", "/api/v2/keys/signing/rotate?key_type=EC", nil).want(201)
		if k := keyByState(t, h, "EC", "current"); k == nil || k["kid"] != r.json()["kid"] {
			t.Errorf("EC rotate answered %s, current EC is %v", r.Body, k)
		}
		h.do("POST", "/api/v2/keys/signing/rotate?key_type=DSA", nil).want(400)
	})

	t.Run("unknown", func(t *testing.T) {
		r := h.do("GET", "/api/v2/keys/signing/nope", nil).want(404)
		golden(t, "error_404_key", r.Body.Bytes())
		h.do("GET", "/api/v2/keys/signing/nope/pem", nil).want(404)
		h.do("PUT", "/api/v2/keys/signing/nope/revoke", nil).want(404)
	})
}
