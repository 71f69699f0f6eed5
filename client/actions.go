package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TriggerCredentialsExchange is the trigger of the Client Credentials flow,
// the one credo runs Actions on.
const TriggerCredentialsExchange = "credentials-exchange"

// Action is Auth0's action object (/api/v2/actions/actions): JavaScript run
// on a trigger once it is deployed and bound to it. Zero fields are omitted
// from requests; the read-only fields are never sent.
type Action struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// SupportedTriggers names the trigger the action runs on, e.g.
	// {ID: "credentials-exchange", Version: "v2"}.
	SupportedTriggers []ActionTrigger `json:"supported_triggers,omitempty"`
	// Code is the draft; the trigger runs the deployed version's code.
	Code    string `json:"code,omitempty"`
	Runtime string `json:"runtime,omitempty"`
	// Dependencies are npm modules; credo refuses them (its sandbox has no
	// module loader).
	Dependencies []ActionDependency `json:"dependencies,omitempty"`
	// Secrets are sent with their values; the server returns only their
	// names and when they changed.
	Secrets []ActionSecret `json:"secrets,omitempty"`

	// Read-only fields, set by the server.

	// AllChangesDeployed says whether the deployed code is the draft.
	AllChangesDeployed bool `json:"all_changes_deployed,omitempty"`
	// DeployedVersion is nil until the action is first deployed.
	DeployedVersion *ActionVersion `json:"deployed_version,omitempty"`
	Status          string         `json:"status,omitempty"`
	CreatedAt       *time.Time     `json:"created_at,omitempty"`
	UpdatedAt       *time.Time     `json:"updated_at,omitempty"`
}

// ActionTrigger is a trigger an action supports.
type ActionTrigger struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
}

// ActionDependency is an npm module of an action.
type ActionDependency struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	RegistryURL string `json:"registry_url,omitempty"`
}

// ActionSecret is a secret of an action, exposed to its code as
// event.secrets.NAME. Value is write-only; on update an empty Value keeps
// the stored value of that name.
type ActionSecret struct {
	Name      string     `json:"name"`
	Value     string     `json:"value,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"` // read-only
}

// ActionVersion is a deployed version of an action: the answer to Deploy
// and an action's DeployedVersion.
type ActionVersion struct {
	ID                string             `json:"id"`
	ActionID          string             `json:"action_id"`
	Code              string             `json:"code"`
	Dependencies      []ActionDependency `json:"dependencies,omitempty"`
	Deployed          bool               `json:"deployed"`
	Runtime           string             `json:"runtime,omitempty"`
	Secrets           []ActionSecret     `json:"secrets,omitempty"`
	Status            string             `json:"status,omitempty"`
	Number            int                `json:"number"`
	BuiltAt           *time.Time         `json:"built_at,omitempty"`
	CreatedAt         *time.Time         `json:"created_at,omitempty"`
	UpdatedAt         *time.Time         `json:"updated_at,omitempty"`
	SupportedTriggers []ActionTrigger    `json:"supported_triggers,omitempty"`
}

// ActionUpdate is the body of PATCH /api/v2/actions/actions/{id}: only
// non-nil fields are sent. Secrets replaces the list of secrets (an entry
// without a value keeps that secret's stored value); a non-nil empty slice
// removes them all.
type ActionUpdate struct {
	Name              *string            `json:"name,omitempty"`
	Code              *string            `json:"code,omitempty"`
	Runtime           *string            `json:"runtime,omitempty"`
	SupportedTriggers []ActionTrigger    `json:"supported_triggers,omitzero"`
	Dependencies      []ActionDependency `json:"dependencies,omitzero"`
	Secrets           []ActionSecret     `json:"secrets,omitzero"`
}

// ActionListOptions filters and pages an action list.
type ActionListOptions struct {
	// Page is the zero-based page index; PerPage the page size (zero: the
	// server's default).
	Page, PerPage int
	// ActionName keeps only the action of that name.
	ActionName string
	// TriggerID keeps only the actions that support that trigger.
	TriggerID string
	// Deployed, when non-nil, keeps only the deployed (or undeployed)
	// actions.
	Deployed *bool
}

func (o ActionListOptions) values() url.Values {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if o.ActionName != "" {
		q.Set("actionName", o.ActionName)
	}
	if o.TriggerID != "" {
		q.Set("triggerId", o.TriggerID)
	}
	if o.Deployed != nil {
		q.Set("deployed", strconv.FormatBool(*o.Deployed))
	}
	return q
}

// ActionList is one page of actions. The Actions API always answers with
// its totals.
type ActionList struct {
	Total   int      `json:"total"`
	Page    int      `json:"page"`
	PerPage int      `json:"per_page"`
	Actions []Action `json:"actions"`
}

// Trigger is an Actions trigger (GET /api/v2/actions/triggers).
type Trigger struct {
	ID             string   `json:"id"`
	Version        string   `json:"version"`
	Status         string   `json:"status,omitempty"`
	Runtimes       []string `json:"runtimes,omitempty"`
	DefaultRuntime string   `json:"default_runtime,omitempty"`
}

// ActionBinding is an action bound to a trigger; the trigger runs its bound
// actions in order.
type ActionBinding struct {
	ID          string `json:"id"`
	TriggerID   string `json:"trigger_id"`
	DisplayName string `json:"display_name,omitempty"`
	Action      Action `json:"action"`
}

// BindingRef names an action to bind: Type is "action_id", "action_name"
// or "binding_id" (an existing binding of the trigger).
type BindingRef struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// BindActionID refers to an action by its id.
func BindActionID(id string) BindingRef { return BindingRef{Type: "action_id", Value: id} }

// BindActionName refers to an action by its name.
func BindActionName(name string) BindingRef { return BindingRef{Type: "action_name", Value: name} }

// ActionsService manages Actions (/api/v2/actions).
type ActionsService struct{ c *Client }

// List returns a page of actions (GET /api/v2/actions/actions). Scope
// read:actions.
func (s *ActionsService) List(ctx context.Context, opts ActionListOptions) (*ActionList, error) {
	var out ActionList
	if err := s.c.do(ctx, http.MethodGet, "actions/actions", opts.values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// All returns every action matching opts' filters, 100 per request (opts'
// paging fields are ignored). Scope read:actions.
func (s *ActionsService) All(ctx context.Context, opts ActionListOptions) ([]Action, error) {
	return allPages(ctx, func(ctx context.Context, page int) ([]Action, int, error) {
		o := opts
		o.Page, o.PerPage = page, 100
		l, err := s.List(ctx, o)
		if err != nil {
			return nil, 0, err
		}
		return l.Actions, l.Total, nil
	})
}

// Get returns one action (GET /api/v2/actions/actions/{id}). Scope
// read:actions.
func (s *ActionsService) Get(ctx context.Context, id string) (*Action, error) {
	var out Action
	if err := s.c.do(ctx, http.MethodGet, path("actions", "actions", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// actionBody is the body of POST /api/v2/actions/actions.
type actionBody struct {
	Name              string             `json:"name"`
	SupportedTriggers []ActionTrigger    `json:"supported_triggers"`
	Code              string             `json:"code,omitempty"`
	Runtime           string             `json:"runtime,omitempty"`
	Dependencies      []ActionDependency `json:"dependencies,omitempty"`
	Secrets           []ActionSecret     `json:"secrets,omitempty"`
	Deploy            bool               `json:"deploy,omitempty"`
}

func newActionBody(a *Action, deploy bool) actionBody {
	b := actionBody{Name: a.Name, SupportedTriggers: a.SupportedTriggers, Code: a.Code, Runtime: a.Runtime,
		Dependencies: a.Dependencies, Deploy: deploy}
	if b.SupportedTriggers == nil {
		b.SupportedTriggers = []ActionTrigger{}
	}
	for _, sec := range a.Secrets {
		b.Secrets = append(b.Secrets, ActionSecret{Name: sec.Name, Value: sec.Value})
	}
	return b
}

// Create creates an action (POST /api/v2/actions/actions); it runs once it
// is deployed and bound. Name and SupportedTriggers are required. Scope
// create:actions.
func (s *ActionsService) Create(ctx context.Context, a *Action) (*Action, error) {
	var out Action
	if err := s.c.do(ctx, http.MethodPost, "actions/actions", nil, newActionBody(a, false), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateDeployed creates an action and deploys it in one request, or does
// neither when its code does not compile (a credo extension: the body
// carries "deploy": true). Scope create:actions.
func (s *ActionsService) CreateDeployed(ctx context.Context, a *Action) (*Action, error) {
	var out Action
	if err := s.c.do(ctx, http.MethodPost, "actions/actions", nil, newActionBody(a, true), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the draft's fields set in u (PATCH
// /api/v2/actions/actions/{id}); the bound trigger keeps running the deployed
// version until Deploy. Scope update:actions.
func (s *ActionsService) Update(ctx context.Context, id string, u ActionUpdate) (*Action, error) {
	var out Action
	if err := s.c.do(ctx, http.MethodPatch, path("actions", "actions", id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Deploy deploys the draft (POST /api/v2/actions/actions/{id}/deploy); a
// bound action runs the new version from the next token request. Code that
// does not compile is refused and the deployed version stays. Scope
// update:actions.
func (s *ActionsService) Deploy(ctx context.Context, id string) (*ActionVersion, error) {
	var out ActionVersion
	if err := s.c.do(ctx, http.MethodPost, path("actions", "actions", id, "deploy"), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes an action (DELETE /api/v2/actions/actions/{id}). A bound
// action is refused (409) unless force, which unbinds it first. Scope
// delete:actions.
func (s *ActionsService) Delete(ctx context.Context, id string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return s.c.do(ctx, http.MethodDelete, path("actions", "actions", id), q, nil, nil)
}

// Triggers lists the triggers actions can be bound to (GET
// /api/v2/actions/triggers). Scope read:actions.
func (s *ActionsService) Triggers(ctx context.Context) ([]Trigger, error) {
	var out struct {
		Triggers []Trigger `json:"triggers"`
	}
	if err := s.c.do(ctx, http.MethodGet, "actions/triggers", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Triggers, nil
}

// Bindings returns every action bound to trigger, in the order they run
// (GET /api/v2/actions/triggers/{triggerId}/bindings, 100 per request).
// Scope read:actions.
func (s *ActionsService) Bindings(ctx context.Context, trigger string) ([]ActionBinding, error) {
	return allPages(ctx, func(ctx context.Context, page int) ([]ActionBinding, int, error) {
		var out struct {
			Total    int             `json:"total"`
			Bindings []ActionBinding `json:"bindings"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {"100"}}
		if err := s.c.do(ctx, http.MethodGet, path("actions", "triggers", trigger, "bindings"), q, nil, &out); err != nil {
			return nil, 0, err
		}
		return out.Bindings, out.Total, nil
	})
}

// SetBindings replaces the actions bound to trigger with refs, in order
// (PATCH /api/v2/actions/triggers/{triggerId}/bindings); an empty refs
// unbinds every action. It returns the new bindings. Scope update:actions.
func (s *ActionsService) SetBindings(ctx context.Context, trigger string, refs []BindingRef) ([]ActionBinding, error) {
	type entry struct {
		Ref BindingRef `json:"ref"`
	}
	body := struct {
		Bindings []entry `json:"bindings"`
	}{Bindings: make([]entry, len(refs))}
	for i, r := range refs {
		body.Bindings[i] = entry{Ref: r}
	}
	var out struct {
		Bindings []ActionBinding `json:"bindings"`
	}
	if err := s.c.do(ctx, http.MethodPatch, path("actions", "triggers", trigger, "bindings"), nil, body, &out); err != nil {
		return nil, err
	}
	return out.Bindings, nil
}
