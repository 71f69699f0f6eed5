package token

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Scripts is the pipeline's extension step: it runs the tenant's enabled
// legacy Hook and then the Actions bound to credentials-exchange, in binding
// order, on the in-process runtime of internal/hook.
type Scripts struct {
	Runtime  *hook.Runtime
	Log      *slog.Logger
	TenantID string
	// Observe, when set, is told how long the scripts of each exchange
	// took and how they ended: "ok", or "denied", "busy" or "error" with
	// the Action or Hook that ended them (metrics).
	Observe func(took time.Duration, outcome, script string)
}

// compiledScripts is what a Snapshot's Extensions holds.
type compiledScripts struct {
	progs []*hook.Program
	keys  []string // cache keys of progs, for reuse across snapshots
}

// Validate compiles a script to report syntax errors before it is deployed
// (tenant.Service.ValidateScript).
func (s *Scripts) Validate(code string, kind tenant.ScriptKind) error {
	k := hook.KindAction
	if kind == tenant.ScriptHook {
		k = hook.KindHook
	}
	_, err := hook.Compile(hook.Script{ID: "validate", Name: "validate", Kind: k, Code: code})
	var ce *hook.CompileError
	if errors.As(err, &ce) {
		if ce.Line > 0 {
			return fmt.Errorf("line %d, column %d: %s", ce.Line, ce.Column, ce.Reason)
		}
		return errors.New(ce.Reason)
	}
	return err
}

// Compiler returns the tenant.Compiler that turns store data into programs.
// Programs whose code and secrets did not change are reused, so their pooled
// runtimes and api.cache survive snapshot rebuilds.
func (s *Scripts) Compiler(mk *keys.MasterKey) tenant.Compiler {
	return func(d *store.Data, prev any) (any, error) {
		old := map[string]*hook.Program{}
		if p, ok := prev.(*compiledScripts); ok && p != nil {
			for i, k := range p.keys {
				old[k] = p.progs[i]
			}
		}
		out := &compiledScripts{}
		add := func(sc hook.Script, sealed []store.ActionSecret, prefix string) error {
			h := sha256.New()
			h.Write([]byte(sc.Kind.String() + "\x00" + sc.ID + "\x00" + sc.Code))
			for _, sec := range sealed {
				h.Write([]byte("\x00" + sec.Name + "\x00" + sec.Sealed))
			}
			key := hex.EncodeToString(h.Sum(nil))
			if p, ok := old[key]; ok {
				out.progs, out.keys = append(out.progs, p), append(out.keys, key)
				return nil
			}
			secrets, err := tenant.OpenSecrets(mk.OpenString, prefix, sealed)
			if err != nil {
				return err
			}
			sc.Secrets = secrets
			p, err := hook.Compile(sc)
			if err != nil {
				return err
			}
			out.progs, out.keys = append(out.progs, p), append(out.keys, key)
			return nil
		}
		for _, h := range d.Hooks {
			if !h.Enabled || h.TriggerID != tenant.TriggerCredentialsExchange {
				continue
			}
			if err := add(hook.Script{ID: h.ID, Name: h.Name, Kind: hook.KindHook, Code: h.Script}, h.Secrets, tenant.HookSecretPrefix(h.ID)); err != nil {
				return nil, err
			}
		}
		byID := make(map[string]store.Action, len(d.Actions))
		for _, a := range d.Actions {
			byID[a.ID] = a
		}
		for _, id := range d.Bindings[tenant.TriggerCredentialsExchange] {
			a, ok := byID[id]
			if !ok || a.DeployedCode == "" {
				continue
			}
			if err := add(hook.Script{ID: a.ID, Name: a.Name, Kind: hook.KindAction, Code: a.DeployedCode}, a.Secrets, tenant.ActionSecretPrefix(a.ID)); err != nil {
				return nil, err
			}
		}
		if len(out.progs) == 0 {
			return nil, nil
		}
		return out, nil
	}
}

// scriptOutcome names how a run of the scripts ended, for Observe.
func scriptOutcome(err error) string {
	var denial *hook.Denial
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &denial):
		return "denied"
	case errors.Is(err, hook.ErrBusy):
		return "busy"
	}
	return "error"
}

// Run is the token.Extensions step.
func (s *Scripts) Run(ctx context.Context, ex *Exchange) *oauth.Error {
	c, ok := ex.Snapshot.Extensions.(*compiledScripts)
	if !ok || c == nil || len(c.progs) == 0 {
		return nil
	}
	ev := hook.Event{
		TenantID:        s.TenantID,
		Client:          hook.Client{ID: ex.Client.ClientID, Name: ex.Client.Name, Metadata: ex.Client.Metadata},
		Audience:        ex.API.Identifier,
		Scope:           ex.Scopes,
		RequestedScopes: ex.Requested,
		Request:         hook.Request{Method: http.MethodPost, Body: ex.Request.Body},
	}
	ev.Request.IP = ex.IP
	if o := ex.Organization; o != nil {
		ev.Organization = &hook.Organization{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Metadata: o.Metadata}
	}
	if ex.HTTP != nil {
		ev.Request.Hostname, ev.Request.UserAgent = ex.HTTP.Host, ex.HTTP.UserAgent()
	}
	start := time.Now()
	res, err := s.Runtime.Run(ctx, c.progs, ev)
	if s.Observe != nil {
		defer func() { s.Observe(time.Since(start), scriptOutcome(err), ex.FailedScript) }()
	}
	var denial *hook.Denial
	var xe *hook.ExecError
	switch {
	case errors.As(err, &denial):
		ex.FailedScript = denial.Script
		switch denial.Code {
		case hook.CodeInvalidScope:
			return oauth.InvalidScope(denial.Reason)
		case hook.CodeInvalidRequest:
			return oauth.InvalidRequest(denial.Reason)
		default:
			return oauth.ServerError(denial.Reason)
		}
	case errors.As(err, &xe) && errors.Is(err, hook.ErrBusy):
		ex.FailedScript = xe.Script
		if s.Log != nil {
			s.Log.Warn("too many executions of an action in progress; answering 503", "action", xe.Script, "client_id", ex.Client.ClientID)
		}
		return oauth.TemporarilyUnavailable("Too many token requests are running this tenant's Actions; retry shortly").WithRetryAfter(1)
	case err != nil:
		if errors.As(err, &xe) {
			ex.FailedScript = xe.Script
		}
		if s.Log != nil {
			s.Log.Error("action failed; answering server_error", "err", err, "action", ex.FailedScript, "client_id", ex.Client.ClientID, "audience", ex.API.Identifier)
		}
		return oauth.ServerError("")
	}
	if res.Scope != nil {
		ex.Scopes = res.Scope
	}
	if len(res.CustomClaims) > 0 {
		ex.CustomClaims = res.CustomClaims
	}
	return nil
}
