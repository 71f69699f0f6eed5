// Command credo is a self-hosted OAuth 2.0 authorization server for
// machine-to-machine access that speaks Auth0's Client Credentials wire
// contract. Run "credo serve" to start it; "credo --help" lists commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/credo-dev/credo/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
