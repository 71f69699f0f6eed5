package mgmt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// The Actions API (/actions/actions, /actions/triggers) and the legacy
// Hooks API (/hooks) cover what the credentials-exchange trigger needs.
// Differences from Auth0, deliberate:
//
//   - One trigger: credentials-exchange (v2). Other trigger ids are 404
//     inexistent_trigger; supported_triggers must name it alone.
//   - dependencies (npm modules) are refused with 400: scripts run in a
//     sandbox without a module loader.
//   - credo keeps the draft and the deployed version of an action only, not
//     a version history; the version's id is derived from the action id and
//     its number. Deploying compiles the code: a syntax error is 400 with
//     its line and column, and the deployed version stays as it was.
//     POST /actions/actions accepts "deploy": true (create and deploy, or
//     neither).
//   - A binding is the position of an action on its trigger: its id is
//     derived from trigger and action, its display_name is the action's name
//     (display_name in PATCH is accepted and not stored), and it carries no
//     timestamps.
//   - DELETE of a bound action is 409 unless ?force=true, which unbinds it.
//   - Secret values are write-only everywhere: actions show {name,
//     updated_at}, hook secrets show "_VALUE_NOT_SHOWN_", also in the
//     answers to POST and PATCH /hooks/{id}/secrets.
//   - Hooks carry created_at and updated_at (credo extension); at most one
//     hook per extensibility point is enabled (409 otherwise).

// ActionTrigger is a trigger an action supports: {"id","version"}.
type ActionTrigger struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// ActionDependency is an npm module of an action. credo refuses every
// dependency; the type exists so that a body carrying Auth0's shape gets the
// service's clear refusal rather than a type error.
type ActionDependency struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	RegistryURL string `json:"registry_url,omitempty"`
}

// ActionSecret is a secret as the API shows it: its name and when its value
// last changed, never the value.
type ActionSecret struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at"`
}

// Action is the Auth0 action object.
type Action struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	SupportedTriggers  []ActionTrigger    `json:"supported_triggers"`
	AllChangesDeployed bool               `json:"all_changes_deployed"`
	CreatedAt          string             `json:"created_at"`
	UpdatedAt          string             `json:"updated_at"`
	Code               string             `json:"code"`
	Dependencies       []ActionDependency `json:"dependencies"`
	Runtime            string             `json:"runtime"`
	Secrets            []ActionSecret     `json:"secrets"`
	// DeployedVersion is absent until the action is first deployed.
	DeployedVersion *ActionVersion `json:"deployed_version,omitempty"`
	Status          string         `json:"status"`
}

// ActionVersion is the Auth0 action version object: the answer to a deploy
// and an action's deployed_version. credo keeps the deployed version only.
type ActionVersion struct {
	ID                string             `json:"id"`
	ActionID          string             `json:"action_id"`
	Code              string             `json:"code"`
	Dependencies      []ActionDependency `json:"dependencies"`
	Deployed          bool               `json:"deployed"`
	Runtime           string             `json:"runtime"`
	Secrets           []ActionSecret     `json:"secrets"`
	Status            string             `json:"status"`
	Number            int                `json:"number"`
	BuiltAt           string             `json:"built_at"`
	CreatedAt         string             `json:"created_at"`
	UpdatedAt         string             `json:"updated_at"`
	SupportedTriggers []ActionTrigger    `json:"supported_triggers"`
}

// Trigger is an Actions trigger of GET /actions/triggers.
type Trigger struct {
	ID             string   `json:"id"`
	Version        string   `json:"version"`
	Status         string   `json:"status"`
	Runtimes       []string `json:"runtimes"`
	DefaultRuntime string   `json:"default_runtime"`
}

// Binding is an action bound to a trigger. credo stores the order of the
// bound actions only: the binding's id is derived from the trigger and the
// action, its display_name is the action's name, and it has no timestamps
// of its own.
type Binding struct {
	ID          string `json:"id"`
	TriggerID   string `json:"trigger_id"`
	DisplayName string `json:"display_name"`
	Action      Action `json:"action"`
}

// triggers is the answer to GET /actions/triggers: the one trigger of the
// client-credentials flow.
var triggers = []Trigger{{ID: tenant.TriggerCredentialsExchange, Version: "v2", Status: "CURRENT", Runtimes: []string{"node18", "node22"}, DefaultRuntime: "node22"}}

// derivedID is a stable UUID-shaped id for an object credo does not store
// (action versions, bindings).
func derivedID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func secretViews(secrets []store.ActionSecret) []ActionSecret {
	out := make([]ActionSecret, len(secrets))
	for i, s := range secrets {
		out[i] = ActionSecret{Name: s.Name, UpdatedAt: Time(s.UpdatedAt)}
	}
	return out
}

func triggerViews(ts []store.Trigger) []ActionTrigger {
	out := make([]ActionTrigger, len(ts))
	for i, t := range ts {
		out[i] = ActionTrigger{ID: t.ID, Version: t.Version}
	}
	return out
}

// ActionView is the API object of a stored action. all_changes_deployed
// says whether the deployed code is the draft's code.
func ActionView(a store.Action) Action {
	v := Action{
		ID:                 a.ID,
		Name:               a.Name,
		SupportedTriggers:  triggerViews(a.SupportedTriggers),
		AllChangesDeployed: a.DeployedVersion > 0 && a.DeployedCode == a.Code,
		CreatedAt:          Time(a.CreatedAt),
		UpdatedAt:          Time(a.UpdatedAt),
		Code:               a.Code,
		Dependencies:       []ActionDependency{},
		Runtime:            a.Runtime,
		Secrets:            secretViews(a.Secrets),
		Status:             "built",
	}
	if a.DeployedVersion > 0 {
		dv := ActionVersionView(a)
		v.DeployedVersion = &dv
	}
	return v
}

// ActionVersionView is the deployed version of a stored action. Secrets and
// runtime are the action's current ones: secrets apply to the deployed code
// at once, and every runtime name runs on the same sandbox.
func ActionVersionView(a store.Action) ActionVersion {
	at := Time(a.DeployedAt)
	return ActionVersion{
		ID:                derivedID("action-version", a.ID, strconv.Itoa(a.DeployedVersion)),
		ActionID:          a.ID,
		Code:              a.DeployedCode,
		Dependencies:      []ActionDependency{},
		Deployed:          true,
		Runtime:           a.Runtime,
		Secrets:           secretViews(a.Secrets),
		Status:            "built",
		Number:            a.DeployedVersion,
		BuiltAt:           at,
		CreatedAt:         at,
		UpdatedAt:         at,
		SupportedTriggers: triggerViews(a.SupportedTriggers),
	}
}

// BindingView is the API object of an action bound to trigger.
func BindingView(trigger string, a store.Action) Binding {
	return Binding{ID: derivedID("binding", trigger, a.ID), TriggerID: trigger, DisplayName: a.Name, Action: ActionView(a)}
}

// SecretBody is a named secret in an action body; an empty value on PATCH
// keeps the stored value of that name.
type SecretBody struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// ActionBody is the JSON body of POST and PATCH /actions/actions.
type ActionBody struct {
	Name              *string             `json:"name,omitempty"`
	SupportedTriggers *[]ActionTrigger    `json:"supported_triggers,omitempty"`
	Code              *string             `json:"code,omitempty"`
	Dependencies      *[]ActionDependency `json:"dependencies,omitempty"`
	Runtime           *string             `json:"runtime,omitempty"`
	Secrets           *[]SecretBody       `json:"secrets,omitempty"`
	// Deploy deploys the action right after creating it (POST only).
	Deploy *bool `json:"deploy,omitempty"`
	actionReadOnly
}

// Fields returns the service's fields.
func (b *ActionBody) Fields() tenant.ActionFields {
	f := tenant.ActionFields{Name: b.Name, Code: b.Code, Runtime: b.Runtime}
	if b.SupportedTriggers != nil {
		ts := make([]store.Trigger, len(*b.SupportedTriggers))
		for i, t := range *b.SupportedTriggers {
			ts[i] = store.Trigger{ID: t.ID, Version: t.Version}
		}
		f.SupportedTriggers = &ts
	}
	if b.Secrets != nil {
		in := make([]tenant.SecretInput, len(*b.Secrets))
		for i, s := range *b.Secrets {
			in[i] = tenant.SecretInput{Name: s.Name, Value: s.Value}
		}
		f.Secrets = &in
	}
	if b.Dependencies != nil {
		for _, d := range *b.Dependencies {
			f.Dependencies = append(f.Dependencies, d.Name+"@"+d.Version)
		}
	}
	return f
}

// BindingsBody is the JSON body of PATCH /actions/triggers/{triggerId}/bindings.
type BindingsBody struct {
	Bindings *[]BindingBody `json:"bindings,omitempty"`
}

// BindingBody is one entry of BindingsBody. display_name is accepted and
// not stored: a binding shows its action's name.
type BindingBody struct {
	Ref         *BindingRef `json:"ref,omitempty"`
	DisplayName string      `json:"display_name,omitempty"`
}

// BindingRef names the action to bind: type is action_id, action_name or
// binding_id (an existing binding of the trigger).
type BindingRef struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// The errors of actions, triggers, bindings and hooks (errors.go's kinds
// name the other objects). The errorCodes follow Auth0's inexistent_<object>
// pattern; Auth0's documentation does not show them.
func errNoAction() *apiError {
	return &apiError{Status: 404, Message: "The action does not exist", Code: "inexistent_action"}
}

func errNoTrigger() *apiError {
	return &apiError{Status: 404, Message: "The trigger does not exist; credo supports " + tenant.TriggerCredentialsExchange + " only", Code: "inexistent_trigger"}
}

func errNoBinding() *apiError {
	return &apiError{Status: 404, Message: "The binding does not exist", Code: "inexistent_binding"}
}

func errActionBound() *apiError {
	return &apiError{Status: 409, Message: "Unable to delete an action bound to a trigger. Unbind it first, or delete with ?force=true.", Code: "action_bound"}
}

// objectErr maps what an action or hook operation returned: a missing
// object becomes missing, a conflict a 409 with the service's reason and
// code; validation and other errors go on to toAPIError.
func objectErr(err error, missing *apiError, conflictCode string) error {
	var nf *tenant.NotFoundError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf) && nf.What == "trigger":
		return errNoTrigger()
	case errors.As(err, &nf) && nf.What == "action":
		return errNoAction()
	case errors.Is(err, store.ErrNotFound):
		return missing
	case errors.Is(err, store.ErrConflict):
		msg, ok := strings.CutPrefix(err.Error(), store.ErrConflict.Error()+": ")
		if !ok || msg == "" {
			msg = "conflict"
		}
		r, n := utf8.DecodeRuneInString(msg)
		return &apiError{Status: 409, Message: string(unicode.ToUpper(r)) + msg[n:], Code: conflictCode}
	}
	return err
}

func actionErr(err error) error { return objectErr(err, errNoAction(), "action_conflict") }

// numbered heads a page of the Actions API, which always answers
// {"total","page","per_page","<key>":[…]}.
type numbered struct {
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// prop is a body property and whether it was given.
type prop struct {
	name  string
	given bool
}

// required is 400 for the first property not given.
func required(props ...prop) error {
	for _, p := range props {
		if !p.given {
			return errBody("Missing required property: "+p.name, "")
		}
	}
	return nil
}

// window returns page p of list.
func window[T any](list []T, p page) []T {
	return list[min(p.offset(), len(list)):min(p.offset()+p.PerPage, len(list))]
}

func (a *API) listActions(c *call) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	deployed, err := c.q.bool("deployed", false)
	if err != nil {
		return nil, err
	}
	installed, err := c.q.bool("installed", false)
	if err != nil {
		return nil, err
	}
	list, err := store.All(c.r.Context(), c.st().ListActions)
	if err != nil {
		return nil, err
	}
	name, trigger := c.q.str("actionName"), c.q.str("triggerId")
	list = slices.DeleteFunc(list, func(x store.Action) bool {
		return installed || // credo has no marketplace integrations
			(name != "" && x.Name != name) ||
			(c.q.has("deployed") && (x.DeployedVersion > 0) != deployed) ||
			(trigger != "" && !slices.ContainsFunc(x.SupportedTriggers, func(t store.Trigger) bool { return t.ID == trigger }))
	})
	out := struct {
		numbered
		Actions []Action `json:"actions"`
	}{numbered{len(list), p.Page, p.PerPage}, []Action{}}
	for _, x := range window(list, p) {
		out.Actions = append(out.Actions, ActionView(x))
	}
	return out, nil
}

func (a *API) getAction(c *call) (any, error) {
	x, err := c.st().GetAction(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, actionErr(err)
	}
	return ActionView(x), nil
}

func (a *API) createAction(c *call) (any, error) {
	var b ActionBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if err := required(prop{"name", b.Name != nil}, prop{"supported_triggers", b.SupportedTriggers != nil}); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	x, err := c.svc().CreateAction(ctx, b.Fields())
	if err != nil {
		return nil, actionErr(err)
	}
	if b.Deploy != nil && *b.Deploy {
		// Deploy or create nothing: an action that does not compile is
		// refused as a whole.
		deployed, err := c.svc().DeployAction(ctx, x.ID)
		if err != nil {
			if derr := c.svc().DeleteAction(ctx, x.ID); derr != nil {
				return nil, errors.Join(err, derr)
			}
			return nil, actionErr(err)
		}
		x = deployed
	}
	c.status, c.target = http.StatusCreated, x.ID
	return ActionView(x), nil
}

func (a *API) updateAction(c *call) (any, error) {
	var b ActionBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.Deploy != nil {
		return nil, errBody("Additional properties not allowed: deploy", "")
	}
	id := c.r.PathValue("id")
	x, err := c.svc().UpdateAction(c.r.Context(), id, b.Fields())
	if err != nil {
		return nil, actionErr(err)
	}
	c.target = id
	return ActionView(x), nil
}

func (a *API) deleteAction(c *call) (any, error) {
	force, err := c.q.bool("force", false)
	if err != nil {
		return nil, err
	}
	ctx, id := c.r.Context(), c.r.PathValue("id")
	if _, err := c.st().GetAction(ctx, id); err != nil {
		return nil, actionErr(err)
	}
	if !force {
		bound, err := c.st().Bindings(ctx, tenant.TriggerCredentialsExchange)
		if err != nil {
			return nil, err
		}
		if slices.Contains(bound, id) {
			return nil, errActionBound()
		}
	}
	if err := c.svc().DeleteAction(ctx, id); err != nil {
		return nil, actionErr(err)
	}
	c.status, c.target = http.StatusNoContent, id
	return nil, nil
}

func (a *API) deployAction(c *call) (any, error) {
	id := c.r.PathValue("id")
	x, err := c.svc().DeployAction(c.r.Context(), id)
	if err != nil {
		return nil, actionErr(err)
	}
	c.target = id
	return ActionVersionView(x), nil
}

// testAction runs the action's current code, deployed or not, on the
// event in the body's payload, and answers {"payload": result}.
func (a *API) testAction(c *call) (any, error) {
	if a.d.TestAction == nil {
		return nil, errRouteNotFound()
	}
	var b struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if p := bytes.TrimSpace(b.Payload); len(p) == 0 || p[0] != '{' {
		return nil, errBody("Missing required property: payload (an object)", "payload")
	}
	x, err := c.st().GetAction(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, actionErr(err)
	}
	res, err := a.d.TestAction(c.r.Context(), x, b.Payload)
	if err != nil {
		return nil, err
	}
	return map[string]any{"payload": res}, nil
}

func (a *API) listTriggers(c *call) (any, error) {
	return map[string][]Trigger{"triggers": triggers}, nil
}

// trigger is the route's {triggerId}, which must be a trigger credo has.
func (c *call) trigger() (string, error) {
	t := c.r.PathValue("triggerId")
	if !slices.ContainsFunc(triggers, func(x Trigger) bool { return x.ID == t }) {
		return "", errNoTrigger()
	}
	return t, nil
}

func (a *API) getBindings(c *call) (any, error) {
	trigger, err := c.trigger()
	if err != nil {
		return nil, err
	}
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	bound, err := c.svc().Bound(c.r.Context(), trigger)
	if err != nil {
		return nil, err
	}
	out := struct {
		numbered
		Bindings []Binding `json:"bindings"`
	}{numbered{len(bound), p.Page, p.PerPage}, []Binding{}}
	for _, x := range window(bound, p) {
		out.Bindings = append(out.Bindings, BindingView(trigger, x))
	}
	return out, nil
}

func (a *API) setBindings(c *call) (any, error) {
	trigger, err := c.trigger()
	if err != nil {
		return nil, err
	}
	var b BindingsBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.Bindings == nil {
		return nil, errBody("Missing required property: bindings", "")
	}
	ctx := c.r.Context()
	ids, err := c.resolveRefs(ctx, trigger, *b.Bindings)
	if err != nil {
		return nil, err
	}
	bound, err := c.svc().SetBindings(ctx, trigger, ids)
	if err != nil {
		return nil, actionErr(err)
	}
	c.target = trigger
	out := struct {
		Bindings []Binding `json:"bindings"`
	}{Bindings: make([]Binding, len(bound))}
	for i, x := range bound {
		out.Bindings[i] = BindingView(trigger, x)
	}
	return out, nil
}

// resolveRefs turns binding refs into action ids, each by the kind of
// reference it names.
func (c *call) resolveRefs(ctx context.Context, trigger string, in []BindingBody) ([]string, error) {
	var actions []store.Action // every action, read on the first name
	var bound []string         // current bindings, read on the first binding_id
	ids := make([]string, len(in))
	for i, e := range in {
		prop := "bindings[" + strconv.Itoa(i) + "].ref"
		if e.Ref == nil {
			return nil, errBody("Missing required property: ref", "bindings["+strconv.Itoa(i)+"]")
		}
		if e.Ref.Value == "" {
			return nil, errBody("String is too short (0 chars), minimum 1", prop+".value")
		}
		switch e.Ref.Type {
		case "action_id":
			x, err := c.st().GetAction(ctx, e.Ref.Value)
			if err != nil {
				return nil, actionErr(err)
			}
			ids[i] = x.ID
		case "action_name":
			if actions == nil {
				var err error
				if actions, err = store.All(ctx, c.st().ListActions); err != nil {
					return nil, err
				}
			}
			j := slices.IndexFunc(actions, func(x store.Action) bool { return x.Name == e.Ref.Value })
			if j < 0 {
				return nil, errNoAction()
			}
			ids[i] = actions[j].ID
		case "binding_id":
			if bound == nil {
				var err error
				if bound, err = c.st().Bindings(ctx, trigger); err != nil {
					return nil, err
				}
			}
			j := slices.IndexFunc(bound, func(id string) bool { return derivedID("binding", trigger, id) == e.Ref.Value })
			if j < 0 {
				return nil, errNoBinding()
			}
			ids[i] = bound[j]
		default:
			return nil, errBody("No enum match for: \""+e.Ref.Type+"\" (action_id, action_name, binding_id)", prop+".type")
		}
	}
	return ids, nil
}
