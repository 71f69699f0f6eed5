package logstream_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/logstream"
	"github.com/credo-dev/credo/internal/tenant"
)

// TestStreamNetworks: which addresses each --log-stream-networks policy
// lets a webhook reach.
func TestStreamNetworks(t *testing.T) {
	tests := []struct {
		ip                   string
		private, public, any bool
	}{
		{"93.184.215.14", true, true, true},
		{"2606:4700::1111", true, true, true},
		{"10.1.2.3", true, false, true},
		{"192.168.0.10", true, false, true},
		{"172.16.5.5", true, false, true},
		{"100.64.1.1", true, false, true},
		{"fd12::1", true, false, true},
		{"127.0.0.1", true, false, true},
		{"::1", true, false, true},
		{"169.254.169.254", false, false, true}, // cloud metadata
		{"::ffff:169.254.169.254", false, false, true},
		{"fe80::1", false, false, true},
		{"fd00:ec2::254", false, false, true},
		{"0.0.0.0", false, false, true},
		{"::", false, false, true},
		{"224.0.0.1", false, false, true},
		{"255.255.255.255", false, false, true},
	}
	for _, tc := range tests {
		ip := netip.MustParseAddr(tc.ip)
		for _, p := range []struct {
			n    tenant.StreamNetworks
			want bool
		}{{"", tc.private}, {tenant.StreamNetworksPrivate, tc.private}, {tenant.StreamNetworksPublic, tc.public}, {tenant.StreamNetworksAny, tc.any}} {
			err := p.n.Check(ip)
			if (err == nil) != p.want {
				t.Errorf("%q.Check(%s) = %v, want allowed %v", p.n, tc.ip, err, p.want)
			}
			if err != nil && !strings.Contains(err.Error(), "--log-stream-networks") {
				t.Errorf("%q.Check(%s): %v does not say what to change", p.n, tc.ip, err)
			}
		}
	}
}

// TestStreamEndpointRefused: an endpoint whose host is a refused address is
// refused when the stream is written; one whose name resolves to a refused
// address fails on delivery, with the reason as the stream's last error,
// and the receiver gets nothing.
func TestStreamEndpointRefused(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]:8080/", "http://[::ffff:169.254.169.254]/", "https://0.0.0.0/"} {
		_, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &u})
		var ve *tenant.ValidationError
		if !errors.As(err, &ve) || ve.Field != "sink.httpEndpoint" {
			t.Errorf("%s: %v, want a sink.httpEndpoint validation error", u, err)
		}
	}
	svc.StreamNetworks = tenant.StreamNetworksPublic
	for _, u := range []string{"http://127.0.0.1:9/", "http://localhost:9/", "http://10.0.0.1/"} {
		if _, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &u}); err == nil {
			t.Errorf("public: %s was accepted", u)
		}
	}

	// A name passes the write (here localhost, allowed by the default
	// policy) and is checked again, resolved, on every connection.
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	endpoint := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	svc.StreamNetworks = tenant.StreamNetworksPrivate
	ls, err := svc.CreateLogStream(ctx, tenant.LogStreamFields{Type: tenant.StreamHTTP, HTTPEndpoint: &endpoint})
	if err != nil {
		t.Fatal(err)
	}
	svc.StreamNetworks = tenant.StreamNetworksPublic // as if the operator tightened the policy
	time.Sleep(2 * time.Millisecond)
	var want []string
	appendEvents(t, svc.Store, 2, &want)
	sm := &logstream.Streamer{Service: svc, Owner: "test", Settle: time.Millisecond}
	time.Sleep(5 * time.Millisecond)
	sm.Tick(ctx)
	l, _ := svc.Store.GetLogStream(ctx, ls.ID)
	if rc.hits.Load() != 0 || !strings.Contains(l.LastError, "may not reach") {
		t.Fatalf("delivered to a refused address: %d hits, last error %q", rc.hits.Load(), l.LastError)
	}
	// Under the default policy the same stream delivers.
	sm = &logstream.Streamer{Service: svc, Owner: "test", Settle: time.Millisecond, MaxBackoff: time.Millisecond}
	svc.StreamNetworks = tenant.StreamNetworksPrivate
	time.Sleep(5 * time.Millisecond)
	sm.Tick(ctx)
	if got := rc.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("default policy: got %v, want %v", got, want)
	}
}
