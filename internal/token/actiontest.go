package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/credo-dev/credo/internal/hook"
	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// TestEvent is the payload of a test run (POST /api/v2/actions/actions/{id}/test):
// an Action's credentials-exchange event, in the shape the Action reads it.
type TestEvent struct {
	Client struct {
		ClientID string            `json:"client_id"`
		Name     string            `json:"name"`
		Metadata map[string]string `json:"metadata"`
	} `json:"client"`
	ResourceServer struct {
		Identifier string `json:"identifier"`
	} `json:"resource_server"`
	AccessToken struct {
		Scope []string `json:"scope"`
	} `json:"accessToken"`
	Transaction struct {
		RequestedScopes []string `json:"requested_scopes"`
	} `json:"transaction"`
	Request struct {
		IP        string            `json:"ip"`
		Hostname  string            `json:"hostname"`
		UserAgent string            `json:"user_agent"`
		Body      map[string]string `json:"body"`
	} `json:"request"`
	Organization *struct {
		ID          string            `json:"id"`
		Name        string            `json:"name"`
		DisplayName string            `json:"display_name"`
		Metadata    map[string]string `json:"metadata"`
	} `json:"organization"`
}

// TestResult is what a test run did: the access token's scope and custom
// claims after the Action, or how it denied or failed.
type TestResult struct {
	AccessToken *TestToken  `json:"accessToken,omitempty"`
	Denied      *TestDenial `json:"denied,omitempty"`
	Error       string      `json:"error,omitempty"`
}

// TestToken is the token a test run would issue.
type TestToken struct {
	Scope        []string       `json:"scope"`
	CustomClaims map[string]any `json:"customClaims"`
}

// TestDenial is an api.access.deny of a test run.
type TestDenial struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Test runs an Action's current code (deployed or not) once on a sample
// event, with its secrets, as the token pipeline would, and reports what
// it did. A script that does not compile, throws or times out is a result
// (Error), not an error; an error means the run could not be made.
func (s *Scripts) Test(ctx context.Context, mk *keys.MasterKey, a store.Action, payload json.RawMessage) (*TestResult, error) {
	var ev TestEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return &TestResult{Error: "the payload is not a credentials-exchange event: " + err.Error()}, nil
	}
	secrets, err := tenant.OpenSecrets(mk.OpenString, tenant.ActionSecretPrefix(a.ID), a.Secrets)
	if err != nil {
		return nil, err
	}
	p, err := hook.Compile(hook.Script{ID: a.ID + ":test", Name: a.Name, Kind: hook.KindAction, Code: a.Code, Secrets: secrets})
	if err != nil {
		var ce *hook.CompileError
		if errors.As(err, &ce) {
			if ce.Line > 0 {
				return &TestResult{Error: fmt.Sprintf("line %d, column %d: %s", ce.Line, ce.Column, ce.Reason)}, nil
			}
			return &TestResult{Error: ce.Reason}, nil
		}
		return nil, err
	}
	hev := hook.Event{
		TenantID:        s.TenantID,
		Client:          hook.Client{ID: ev.Client.ClientID, Name: ev.Client.Name, Metadata: ev.Client.Metadata},
		Audience:        ev.ResourceServer.Identifier,
		Scope:           ev.AccessToken.Scope,
		RequestedScopes: ev.Transaction.RequestedScopes,
		Request:         hook.Request{IP: ev.Request.IP, Hostname: ev.Request.Hostname, Method: http.MethodPost, UserAgent: ev.Request.UserAgent, Body: ev.Request.Body},
	}
	if o := ev.Organization; o != nil {
		hev.Organization = &hook.Organization{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Metadata: o.Metadata}
	}
	res, err := s.Runtime.Run(ctx, []*hook.Program{p}, hev)
	var denial *hook.Denial
	switch {
	case errors.As(err, &denial):
		return &TestResult{Denied: &TestDenial{Code: denial.Code, Reason: denial.Reason}}, nil
	case err != nil:
		return &TestResult{Error: err.Error()}, nil
	}
	out := &TestToken{Scope: hev.Scope, CustomClaims: res.CustomClaims}
	if res.Scope != nil {
		out.Scope = res.Scope
	}
	if out.Scope == nil {
		out.Scope = []string{}
	}
	if out.CustomClaims == nil {
		out.CustomClaims = map[string]any{}
	}
	return &TestResult{AccessToken: out}, nil
}
