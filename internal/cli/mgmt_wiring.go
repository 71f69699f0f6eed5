package cli

import (
	"log/slog"
	"net/http"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// managementAPI serves the Management API (/api/v2/) on the opened tenant;
// successful writes are recorded as sapi events in ev.
func managementAPI(a *app, ev *tenant.EventLog, log *slog.Logger) http.Handler {
	var events func(store.LogEvent)
	if ev != nil {
		events = ev.Add
	}
	return mgmt.New(mgmt.Deps{Service: a.svc, Holder: a.holder, Events: events, Log: log, Issuer: a.cfg.Issuer})
}
