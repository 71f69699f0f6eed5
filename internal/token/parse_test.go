package token

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"grant_type=client_credentials&client_id=a&client_secret=b&audience=https%3A%2F%2Fx", "a=%zz", "&&&=", "scope=a+b"} {
		f.Add(s, "application/x-www-form-urlencoded", "")
	}
	f.Add(`{"grant_type":"client_credentials","x":[1,{"y":null}]}`, "application/json", "")
	f.Add("grant_type=client_credentials", "", "Basic "+base64.StdEncoding.EncodeToString([]byte("a%3A:b+c")))
	f.Fuzz(func(t *testing.T, body, ct, auth string) {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, oerr := Parse(httptest.NewRecorder(), r)
		if (req == nil) == (oerr == nil) {
			t.Fatalf("exactly one of request and error expected: %v %v", req, oerr)
		}
		if oerr != nil && (oerr.Status < 400 || oerr.Status > 499 || oerr.Code == "" || oerr.Description == "") {
			t.Fatalf("bad error %+v", oerr)
		}
		if req != nil && req.GrantType == "" {
			t.Fatal("accepted a request without grant_type")
		}
		if req != nil {
			if _, leaked := req.Body["client_secret"]; leaked {
				t.Fatal("client_secret kept in Body")
			}
		}
	})
}

func FuzzBasicAuth(f *testing.F) {
	f.Add("id", "secret")
	f.Add("a%3Ab", "c+d%25")
	f.Add("", ":")
	f.Fuzz(func(t *testing.T, id, secret string) {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials"))
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
		req, oerr := Parse(httptest.NewRecorder(), r)
		if oerr != nil {
			return
		}
		if !req.Client.Basic || req.Client.ClientID == "" {
			t.Fatalf("basic not recorded: %+v", req)
		}
	})
}

func TestBasicIsFormURLDecoded(t *testing.T) {
	// RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before base64.
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("my%3Aclient:p%40ss+word%2B")))
	req, oerr := Parse(httptest.NewRecorder(), r)
	if oerr != nil || req.Client.ClientID != "my:client" || req.Client.BasicSecret != "p@ss word+" {
		t.Fatalf("%+v %v", req, oerr)
	}
}

func TestUnknownDuplicateParamsAllowed(t *testing.T) {
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials&x=1&x=2"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, oerr := Parse(httptest.NewRecorder(), r); oerr != nil {
		t.Fatal(oerr)
	}
}
