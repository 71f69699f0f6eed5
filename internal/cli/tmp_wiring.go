package cli

// Temporary wiring while postgres, hook and mgmt land (replaced before commit).

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/internal/token"
)


type extensions struct{}

func newExtensions(*slog.Logger) *extensions                   { return &extensions{} }
func (e *extensions) compiler(*keys.MasterKey) tenant.Compiler { return nil }
func (e *extensions) run(ctx context.Context, ex *token.Exchange) *oauth.Error {
	return nil
}
func managementAPI(a *app, ev *tenant.EventLog, log *slog.Logger) http.Handler { return nil }
func metricsHandler(a *app, ev *tenant.EventLog) http.Handler                  { return nil }
