// Command api runs ExampleCo's Timesheets API: POST /timesheets with
// create:timesheets, GET /timesheets with read:timesheets. It accepts access
// tokens whose iss is --issuer and whose aud is --audience, verified with the
// issuer's JWKS; pointing --issuer at an Auth0 tenant
// (https://TENANT.auth0.com/) is the only change needed to accept Auth0's
// tokens instead of credo's.
//
//	go run ./examples/timesheets/api --issuer http://127.0.0.1:8080/
//
// Every flag also reads an environment variable (--issuer ↔
// TIMESHEETS_ISSUER, …). The API prints "listening on http://ADDR" once it
// accepts connections, and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/credo-dev/credo/examples/timesheets/api/timesheets"
	"github.com/credo-dev/credo/verify"
)

func main() {
	if err := run(); err != nil {
		log.SetFlags(0)
		log.Fatal("timesheets api: ", err)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func run() error {
	addr := flag.String("addr", env("TIMESHEETS_ADDR", "127.0.0.1:8081"), "listen address (env TIMESHEETS_ADDR)")
	issuer := flag.String("issuer", env("TIMESHEETS_ISSUER", "http://127.0.0.1:8080/"),
		"token issuer exactly as in iss, e.g. credo's http://127.0.0.1:8080/ or https://TENANT.auth0.com/ (env TIMESHEETS_ISSUER)")
	audience := flag.String("audience", env("TIMESHEETS_AUDIENCE", "https://api.exampleco.com/timesheets"),
		"this API's identifier, the required aud (env TIMESHEETS_AUDIENCE)")
	algs := flag.String("algorithms", env("TIMESHEETS_ALGORITHMS", "RS256"),
		"comma-separated allowed signing algorithms; the API's signing_alg (env TIMESHEETS_ALGORITHMS)")
	orgs := flag.String("organizations", env("TIMESHEETS_ORGANIZATIONS", ""),
		"comma-separated organization ids (org_…) whose tokens are accepted; tokens without org_id are then refused (env TIMESHEETS_ORGANIZATIONS)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}

	cfg := verify.Config{
		Issuer:     *issuer,
		Audience:   []string{*audience},
		Algorithms: strings.Split(*algs, ","),
	}
	for _, o := range strings.Split(*orgs, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.Organizations = append(cfg.Organizations, o)
		}
	}
	v, err := verify.New(cfg)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           timesheets.NewHandler(v),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("timesheets API listening on http://%s (issuer %s, audience %s)\n", ln.Addr(), *issuer, *audience)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
