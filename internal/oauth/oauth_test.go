package oauth

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "tab\tnl\n\r", "<a&b>", "\x00\x1f", "é✓", "\u2028\u2029", "bad\xffutf8"} {
		want, _ := json.Marshal(s)
		if got := string(AppendJSONString(nil, s)); got != string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("x\"y")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func TestWriteTokenAndError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteToken(rec, Token{AccessToken: "a.b.c", TokenType: "Bearer", ExpiresIn: 86400})
	if got := rec.Body.String(); got != `{"access_token":"a.b.c","token_type":"Bearer","expires_in":86400}`+"\n" {
		t.Fatalf("token body %q", got)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" {
		t.Fatalf("headers %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	WriteError(rec, InvalidClient().WithBasic())
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("code %d headers %v", rec.Code, rec.Header())
	}
	var m map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["error"] != "invalid_client" || len(m) != 2 {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
}
