package realip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver returns the client address of a request. Its zero value, and a nil
// *Resolver, trust no proxy: the address is the TCP peer's.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts the proxies in cidrs (CIDR blocks such
// as 10.0.0.0/8 or single addresses such as 127.0.0.1 or ::1).
func New(cidrs []string) (*Resolver, error) {
	r := &Resolver{}
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return nil, fmt.Errorf("trusted proxy %q: want a CIDR block such as 10.0.0.0/8 or an address such as 127.0.0.1", c)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// ParseList splits a comma-separated list of CIDR blocks (the
// --trusted-proxies flag) and returns New of it.
func ParseList(s string) (*Resolver, error) { return New(strings.Split(s, ",")) }

// Trusts reports whether a is a trusted proxy.
func (r *Resolver) Trusts(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Enabled reports whether any proxy is trusted.
func (r *Resolver) Enabled() bool { return r != nil && len(r.trusted) > 0 }

// IP returns the client's address as text: the TCP peer's, or, when the peer
// is a trusted proxy, the rightmost untrusted address of the Forwarded header
// (or of X-Forwarded-For when there is no Forwarded header). A malformed or
// obfuscated entry ends the walk at the last trusted hop before it.
func (r *Resolver) IP(req *http.Request) string {
	if !r.Enabled() {
		// No proxy is trusted: the peer's address. An IPv4 peer's host, as
		// the listener wrote it, is already canonical: no parse, no copy.
		if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil && host != "" && strings.IndexFunc(host, notIPv4Char) < 0 {
			return host
		}
	}
	peer := peerAddr(req.RemoteAddr)
	if !peer.IsValid() {
		return req.RemoteAddr
	}
	if !r.Enabled() || !r.Trusts(peer) {
		return peer.String()
	}
	var hops []string
	if fwd := req.Header.Values("Forwarded"); len(fwd) > 0 {
		hops = forwardedFor(fwd)
	} else {
		for _, v := range req.Header.Values("X-Forwarded-For") {
			for _, h := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(h))
			}
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !r.Trusts(a) {
			break
		}
	}
	return client.String()
}

// peerAddr parses RemoteAddr ("host:port", or a bare address).
// notIPv4Char reports a character that cannot be in a dotted IPv4 address.
func notIPv4Char(c rune) bool { return (c < '0' || c > '9') && c != '.' }

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// forwardedFor returns the for= values of Forwarded header lines, in order
// (RFC 7239 §4: elements separated by commas, pairs by semicolons). An
// element without for= yields "" (malformed, which ends the walk).
func forwardedFor(lines []string) []string {
	var out []string
	for _, line := range lines {
		for _, elem := range splitQuoted(line, ',') {
			v := ""
			for _, pair := range splitQuoted(elem, ';') {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
					v = strings.Trim(strings.TrimSpace(val), `"`)
				}
			}
			out = append(out, v)
		}
	}
	return out
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseHop parses one forwarded address: "192.0.2.1", "192.0.2.1:443",
// "[2001:db8::1]", "[2001:db8::1]:443" or "2001:db8::1". Obfuscated
// identifiers ("unknown", "_hidden") are not addresses.
func parseHop(h string) (netip.Addr, bool) {
	if h == "" || len(h) > 64 {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}
