package realip

import (
	"net/http/httptest"
	"testing"
)

func TestIP(t *testing.T) {
	proxies, err := New([]string{"10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		r       *Resolver
		remote  string
		headers map[string][]string
		want    string
	}{
		{name: "no proxies: the peer", r: nil, remote: "203.0.113.7:5000", want: "203.0.113.7"},
		{name: "no proxies: headers ignored", r: nil, remote: "203.0.113.7:5000",
			headers: map[string][]string{"X-Forwarded-For": {"1.2.3.4"}, "Forwarded": {"for=1.2.3.4"}}, want: "203.0.113.7"},
		{name: "untrusted peer cannot spoof", r: proxies, remote: "203.0.113.7:5000",
			headers: map[string][]string{"X-Forwarded-For": {"1.2.3.4"}}, want: "203.0.113.7"},
		{name: "untrusted peer cannot spoof Forwarded", r: proxies, remote: "203.0.113.7:5000",
			headers: map[string][]string{"Forwarded": {"for=1.2.3.4"}}, want: "203.0.113.7"},
		{name: "trusted proxy, XFF", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}}, want: "198.51.100.9"},
		{name: "client-written prefix is skipped", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, 198.51.100.9"}}, want: "198.51.100.9"},
		{name: "chain of trusted proxies", r: proxies, remote: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, 198.51.100.9, 10.9.9.9"}}, want: "198.51.100.9"},
		{name: "several XFF lines", r: proxies, remote: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6", "198.51.100.9, 10.9.9.9"}}, want: "198.51.100.9"},
		{name: "all hops trusted: the leftmost", r: proxies, remote: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}}, want: "10.0.0.1"},
		{name: "trusted proxy, no header: the proxy", r: proxies, remote: "10.1.2.3:5000", want: "10.1.2.3"},
		{name: "garbage stops at the last trusted hop", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9, not-an-ip"}}, want: "10.1.2.3"},
		{name: "Forwarded wins over XFF", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"Forwarded": {`for=198.51.100.9;proto=https`}, "X-Forwarded-For": {"6.6.6.6"}}, want: "198.51.100.9"},
		{name: "Forwarded IPv6 with port, quoted", r: proxies, remote: "[::1]:5000",
			headers: map[string][]string{"Forwarded": {`for=6.6.6.6, for="[2001:db8:cafe::17]:4711"`}}, want: "2001:db8:cafe::17"},
		{name: "Forwarded obfuscated identifier", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"Forwarded": {`for=_hidden`}}, want: "10.1.2.3"},
		{name: "Forwarded element without for", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"Forwarded": {`proto=https`}}, want: "10.1.2.3"},
		{name: "XFF with port", r: proxies, remote: "10.1.2.3:5000",
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9:1234"}}, want: "198.51.100.9"},
		{name: "IPv4-mapped peer is trusted", r: proxies, remote: "[::ffff:10.1.2.3]:5000",
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}}, want: "198.51.100.9"},
		{name: "IPv6 trusted range", r: proxies, remote: "[fd00::5]:5000",
			headers: map[string][]string{"X-Forwarded-For": {"2001:db8::9"}}, want: "2001:db8::9"},
		{name: "unparseable RemoteAddr is returned as is", r: proxies, remote: "pipe", want: "pipe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for k, vs := range tc.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if got := tc.r.IP(req); got != tc.want {
				t.Errorf("IP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0", "1.2.3.4/x"} {
		if _, err := New([]string{bad}); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
	r, err := ParseList(" 10.0.0.0/8 , ,::1")
	if err != nil || len(r.trusted) != 2 {
		t.Fatalf("ParseList: %v %v", r, err)
	}
	if r, _ := ParseList(""); r.Enabled() {
		t.Error("empty list enables proxies")
	}
}

func FuzzIP(f *testing.F) {
	f.Add("10.0.0.1:1", "for=1.2.3.4;proto=http, for=\"[::1]:80\"", "1.2.3.4, 5.6.7.8")
	f.Add("10.0.0.1:1", "\"", ",,,")
	r, _ := New([]string{"10.0.0.0/8", "::1"})
	f.Fuzz(func(t *testing.T, remote, fwd, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if fwd != "" {
			req.Header.Set("Forwarded", fwd)
		}
		req.Header.Set("X-Forwarded-For", xff)
		_ = r.IP(req)
	})
}
