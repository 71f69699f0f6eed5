// Package cli implements the credo command: serve, migrate and the
// management subcommands. Main is the whole program; cmd/credo only calls it.
// Every subcommand goes through the same tenant.Service as the Management
// API, so the CLI is not a second implementation.
package cli
