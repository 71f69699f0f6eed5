// Command tlsload is bench/tls.sh's load generator for what wrk cannot be
// told to do: a new TLS connection per request that resumes the previous
// session (TLS 1.3 PSK from a session ticket), or that never does. wrk's
// OpenSSL client decides for itself (its Connection: close runs turned out
// to be resumed handshakes), so only tlsload's "full" rows are full
// handshakes for certain; it reports how many connections resumed.
//
// It sends the token request of ../shared/bench/post.lua (client
// credentials, HTTP Basic, the audience) from -c workers for -d, and prints
// what bench/lib.sh's wrk_figures reads: "Requests/sec:", the 50% and 99%
// latencies and "Non-2xx or 3xx responses:" (transport errors count there
// too, so a failing run cannot pass for a fast one). With -resume it also
// fails when fewer than 90% of the connections resumed a session: the figure
// would not be the one asked for.
//
//	go run ./bench/tlsload -url https://127.0.0.1:28443/oauth/token -cacert ca.pem \
//	  -client bench -secret S -audience urn:bench:es256 -c 32 -d 10s -resume
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "", "the token endpoint (https://…/oauth/token)")
	caFile := flag.String("cacert", "", "PEM file of the CA that signed the server's certificate")
	client := flag.String("client", "bench", "client_id (sent with HTTP Basic)")
	secret := flag.String("secret", "", "client secret")
	audience := flag.String("audience", "", "the audience asked for")
	conc := flag.Int("c", 32, "concurrent workers")
	dur := flag.Duration("d", 10*time.Second, "how long to send requests")
	resume := flag.Bool("resume", false, "resume the TLS session on each new connection (session tickets)")
	keepAlive := flag.Bool("keepalive", false, "reuse connections instead of one per request")
	flag.Parse()
	if *target == "" || *caFile == "" || *secret == "" || *audience == "" || *conc < 1 || *dur <= 0 {
		fmt.Fprintln(os.Stderr, "tlsload: -url, -cacert, -secret and -audience are required; -c ≥ 1, -d > 0")
		flag.Usage()
		os.Exit(2)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail("reading -cacert: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("-cacert %s holds no PEM certificate", *caFile)
	}
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13}
	if *resume {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4 * *conc)
	}
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: !*keepAlive, MaxIdleConnsPerHost: *conc}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	body := url.Values{"grant_type": {"client_credentials"}, "audience": {*audience}}.Encode()

	var bad, resumed, conns atomic.Int64
	lat := make([][]time.Duration, *conc)
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("POST", *target, strings.NewReader(body))
				req.SetBasicAuth(*client, *secret)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				if err != nil || resp.StatusCode/100 != 2 {
					bad.Add(1)
				}
				if resp.TLS != nil && !*keepAlive {
					conns.Add(1)
					if resp.TLS.DidResume {
						resumed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := *dur + time.Since(stop)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fail("no request completed (%d failed)", bad.Load())
	}
	slices.Sort(all)
	at := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("  %d requests in %s, %d workers, new connection per request: %v, resumption: %v\n", len(all), elapsed.Round(time.Millisecond), *conc, !*keepAlive, *resume)
	fmt.Printf("  Latency Distribution\n     50%%    %s\n     90%%    %s\n     99%%    %s\n", ms(at(0.50)), ms(at(0.90)), ms(at(0.99)))
	if n := bad.Load(); n > 0 {
		fmt.Printf("  Non-2xx or 3xx responses: %d\n", n)
	}
	fmt.Printf("Requests/sec: %.2f\n", float64(len(all))/elapsed.Seconds())
	if !*keepAlive {
		fmt.Printf("Resumed connections: %d of %d\n", resumed.Load(), conns.Load())
	}
	if *resume && resumed.Load()*10 < conns.Load()*9 {
		fail("only %d of %d connections resumed a session; the server does not resume, so this is not a resumption figure", resumed.Load(), conns.Load())
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tlsload: "+format+"\n", args...)
	os.Exit(1)
}
