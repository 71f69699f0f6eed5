package tenant

import (
	"fmt"
	"net/netip"
	"strings"
)

// StreamNetworks says which addresses a log stream's webhook may reach
// (credo serve --log-stream-networks). A Management API token with
// create:log_streams chooses the URL credo posts the tenant's events to, so
// the URL must not turn credo into a way in to what only its host can
// reach: the cloud's instance metadata above all.
type StreamNetworks string

const (
	// StreamNetworksPrivate, the default, allows public, private (RFC 1918,
	// fc00::/7) and loopback addresses, where self-hosted collectors run
	// (a sidecar, a collector on the internal network), and refuses
	// link-local ones (169.254.0.0/16 with the cloud metadata service,
	// fe80::/10), fd00:ec2::254, unspecified, multicast and broadcast ones.
	StreamNetworksPrivate StreamNetworks = "private"
	// StreamNetworksPublic allows only public unicast addresses: no
	// loopback, private or shared (100.64.0.0/10) ones either.
	StreamNetworksPublic StreamNetworks = "public"
	// StreamNetworksAny allows every address (e.g. behind an egress proxy
	// that enforces its own policy).
	StreamNetworksAny StreamNetworks = "any"
)

var (
	awsMetadataV6 = netip.MustParseAddr("fd00:ec2::254")
	sharedV4      = netip.MustParsePrefix("100.64.0.0/10")
	broadcastV4   = netip.MustParseAddr("255.255.255.255")
)

// Check says why a webhook may not connect to ip, or nil.
func (n StreamNetworks) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	var why string
	switch {
	case n == StreamNetworksAny:
		return nil
	case ip.IsLinkLocalUnicast() || ip == awsMetadataV6:
		why = "a link-local or cloud metadata address"
	case ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip == broadcastV4:
		why = "not a unicast address"
	case n == StreamNetworksPublic && ip.IsLoopback():
		why = "a loopback address"
	case n == StreamNetworksPublic && (ip.IsPrivate() || sharedV4.Contains(ip)):
		why = "a private address"
	default:
		return nil
	}
	mode := string(n)
	if mode == "" {
		mode = string(StreamNetworksPrivate)
	}
	return fmt.Errorf("%s is %s, which log streams may not reach (credo serve --log-stream-networks %s; see --help)", ip, why, mode)
}

// checkEndpointHost refuses, when a stream is written, an endpoint whose
// host is an address (or localhost) the policy refuses; names are checked
// again on every connection, against the addresses they resolve to.
func (n StreamNetworks) checkEndpointHost(host string) error {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return nil
	}
	return n.Check(ip)
}
