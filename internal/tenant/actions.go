package tenant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/credo-dev/credo/store"
)

// TriggerCredentialsExchange is the only Actions trigger (and Hooks
// extensibility point) of the client-credentials flow.
const TriggerCredentialsExchange = "credentials-exchange"

// Limits from Auth0's Actions limitations page.
const (
	MaxActionCode    = 100 << 10
	maxSecretName    = 128
	maxSecretValue   = 4096
	maxActionSecrets = 50
	maxBindings      = 20
)

// ScriptKind tells Validate what a script must export.
type ScriptKind int

// Script kinds: an Action exports onExecuteCredentialsExchange; a legacy Hook
// assigns module.exports a function (client, scope, audience, context, cb).
const (
	ScriptAction ScriptKind = iota
	ScriptHook
)

// SecretInput is a named secret given in plaintext on a write. An entry with
// an empty Value on update keeps the stored value of that name.
type SecretInput struct {
	Name  string
	Value string
}

// ActionFields are the writable action fields; nil means "not given".
type ActionFields struct {
	Name              *string
	Code              *string
	Runtime           *string
	SupportedTriggers *[]store.Trigger
	Secrets           *[]SecretInput
	// Dependencies (npm modules) are refused: actions run in a sandbox with
	// no module loader.
	Dependencies []string
}

// ErrInvalidScript wraps a compile error reported by Service.ValidateScript.
var ErrInvalidScript = errors.New("invalid script")

func (s *Service) sealSecrets(prefix string, in []SecretInput, prev []store.ActionSecret) ([]store.ActionSecret, error) {
	if len(in) > maxActionSecrets {
		return nil, invalid("secrets", "at most %d secrets", maxActionSecrets)
	}
	out := make([]store.ActionSecret, 0, len(in))
	seen := map[string]bool{}
	for _, sec := range in {
		if sec.Name == "" || len(sec.Name) > maxSecretName || strings.ContainsAny(sec.Name, " \t\r\n") {
			return nil, invalid("secrets", "secret names must be 1-%d characters without spaces", maxSecretName)
		}
		if seen[sec.Name] {
			return nil, invalid("secrets", "duplicate secret %q", sec.Name)
		}
		seen[sec.Name] = true
		if len(sec.Value) > maxSecretValue {
			return nil, invalid("secrets", "secret %q: value longer than %d characters", sec.Name, maxSecretValue)
		}
		if sec.Value == "" {
			i := slices.IndexFunc(prev, func(p store.ActionSecret) bool { return p.Name == sec.Name })
			if i < 0 {
				return nil, invalid("secrets", "secret %q needs a value", sec.Name)
			}
			out = append(out, prev[i])
			continue
		}
		sealed, err := s.Master.SealString(sec.Value, prefix+sec.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, store.ActionSecret{Name: sec.Name, Sealed: sealed, UpdatedAt: s.now()})
	}
	return out, nil
}

// OpenSecrets decrypts an action's or hook's secrets for execution.
func OpenSecrets(open func(sealed, aad string) (string, error), prefix string, secrets []store.ActionSecret) (map[string]string, error) {
	out := make(map[string]string, len(secrets))
	for _, sec := range secrets {
		v, err := open(sec.Sealed, prefix+sec.Name)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", sec.Name, err)
		}
		out[sec.Name] = v
	}
	return out, nil
}

// ActionSecretPrefix and HookSecretPrefix are the sealing contexts of secrets.
func ActionSecretPrefix(id string) string { return "action-secret:" + id + ":" }

// HookSecretPrefix is the sealing context of a hook's secrets.
func HookSecretPrefix(id string) string { return "hook-secret:" + id + ":" }

func (s *Service) applyAction(a *store.Action, f ActionFields) error {
	if len(f.Dependencies) > 0 {
		return invalid("dependencies", "npm dependencies are not supported: credo runs actions in a sandbox without a module loader; inline the code you need")
	}
	if f.Name != nil {
		if err := checkName("name", *f.Name); err != nil {
			return err
		}
		a.Name = *f.Name
	}
	if f.Code != nil {
		if len(*f.Code) > MaxActionCode {
			return invalid("code", "larger than %d bytes", MaxActionCode)
		}
		if !utf8.ValidString(*f.Code) {
			return invalid("code", "must be valid UTF-8")
		}
		a.Code = *f.Code
	}
	if f.Runtime != nil {
		if !slices.Contains([]string{"node12", "node16", "node18", "node18-actions", "node22"}, *f.Runtime) {
			return invalid("runtime", "must be one of node18, node22 (credo runs all actions in one sandboxed JavaScript runtime)")
		}
		a.Runtime = *f.Runtime
	}
	if f.SupportedTriggers != nil {
		if len(*f.SupportedTriggers) != 1 || (*f.SupportedTriggers)[0].ID != TriggerCredentialsExchange {
			return invalid("supported_triggers", "credo supports exactly one trigger: [{\"id\":\"credentials-exchange\",\"version\":\"v2\"}]")
		}
		a.SupportedTriggers = slices.Clone(*f.SupportedTriggers)
		if a.SupportedTriggers[0].Version == "" {
			a.SupportedTriggers[0].Version = "v2"
		}
	}
	if f.Secrets != nil {
		sealed, err := s.sealSecrets(ActionSecretPrefix(a.ID), *f.Secrets, a.Secrets)
		if err != nil {
			return err
		}
		a.Secrets = sealed
	}
	return nil
}

func (s *Service) actionNameTaken(ctx context.Context, name, exceptID string) (bool, error) {
	list, err := store.All(ctx, s.Store.ListActions)
	for _, a := range list {
		if a.Name == name && a.ID != exceptID {
			return true, nil
		}
	}
	return false, err
}

// CreateAction validates and stores a draft action (not yet deployed).
func (s *Service) CreateAction(ctx context.Context, f ActionFields) (store.Action, error) {
	if f.Name == nil {
		return store.Action{}, invalid("name", "is required")
	}
	if f.Code == nil {
		return store.Action{}, invalid("code", "is required")
	}
	if f.SupportedTriggers == nil {
		return store.Action{}, invalid("supported_triggers", "is required: [{\"id\":\"credentials-exchange\",\"version\":\"v2\"}]")
	}
	now := s.now()
	a := store.Action{ID: newUUID(), Runtime: "node22", CreatedAt: now, UpdatedAt: now}
	if err := s.applyAction(&a, f); err != nil {
		return store.Action{}, err
	}
	if taken, err := s.actionNameTaken(ctx, a.Name, ""); err != nil {
		return store.Action{}, err
	} else if taken {
		return store.Action{}, fmt.Errorf("%w: an action named %q already exists", store.ErrConflict, a.Name)
	}
	if err := s.Store.CreateAction(ctx, a); err != nil {
		return store.Action{}, err
	}
	return a, nil
}

// UpdateAction patches a draft; deployed code changes only on DeployAction.
func (s *Service) UpdateAction(ctx context.Context, id string, f ActionFields) (store.Action, error) {
	if f.Name != nil {
		if taken, err := s.actionNameTaken(ctx, *f.Name, id); err != nil {
			return store.Action{}, err
		} else if taken {
			return store.Action{}, fmt.Errorf("%w: an action named %q already exists", store.ErrConflict, *f.Name)
		}
	}
	// Secrets apply to the deployed version at once, as in Auth0: the
	// snapshot is refreshed after every write (Holder), recompiling only
	// programs whose code or secrets changed.
	a, err := s.Store.UpdateAction(ctx, id, func(a *store.Action) error {
		if err := s.applyAction(a, f); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return store.Action{}, err
	}
	return a, nil
}

// DeleteAction removes an action and its bindings.
func (s *Service) DeleteAction(ctx context.Context, id string) error {
	if err := s.Store.DeleteAction(ctx, id); err != nil {
		return err
	}
	return nil
}

// DeployAction compiles the draft and makes it the deployed version.
func (s *Service) DeployAction(ctx context.Context, id string) (store.Action, error) {
	a, err := s.Store.UpdateAction(ctx, id, func(a *store.Action) error {
		if err := s.validateScript(a.Code, ScriptAction); err != nil {
			return err
		}
		now := s.now()
		a.DeployedCode, a.DeployedVersion, a.DeployedAt, a.UpdatedAt = a.Code, a.DeployedVersion+1, now, now
		return nil
	})
	if err != nil {
		return store.Action{}, err
	}
	return a, nil
}

func (s *Service) validateScript(code string, kind ScriptKind) error {
	if s.ValidateScript == nil {
		return errors.New("this build of credo cannot run scripts")
	}
	if err := s.ValidateScript(code, kind); err != nil {
		return &ValidationError{Field: "code", Msg: err.Error()}
	}
	return nil
}

// SetBindings orders the deployed actions that run on a trigger. refs are
// action ids or names.
func (s *Service) SetBindings(ctx context.Context, trigger string, refs []string) ([]store.Action, error) {
	if trigger != TriggerCredentialsExchange {
		return nil, &NotFoundError{"trigger", trigger}
	}
	if len(refs) > maxBindings {
		return nil, invalid("bindings", "at most %d actions per trigger", maxBindings)
	}
	var bound []store.Action
	var ids []string
	for _, ref := range refs {
		a, err := s.findAction(ctx, ref)
		if err != nil {
			return nil, err
		}
		if a.DeployedCode == "" {
			return nil, invalid("bindings", "action %q is not deployed; deploy it first", a.Name)
		}
		if !slices.ContainsFunc(a.SupportedTriggers, func(t store.Trigger) bool { return t.ID == trigger }) {
			return nil, invalid("bindings", "action %q does not support trigger %s", a.Name, trigger)
		}
		if slices.Contains(ids, a.ID) {
			return nil, invalid("bindings", "action %q is bound twice", a.Name)
		}
		ids = append(ids, a.ID)
		bound = append(bound, a)
	}
	if err := s.Store.SetBindings(ctx, trigger, ids); err != nil {
		return nil, err
	}
	return bound, nil
}

// findAction resolves an action id or name.
func (s *Service) findAction(ctx context.Context, ref string) (store.Action, error) {
	a, err := s.Store.GetAction(ctx, ref)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	list, err := store.All(ctx, s.Store.ListActions)
	if err != nil {
		return store.Action{}, err
	}
	for _, a := range list {
		if a.Name == ref {
			return a, nil
		}
	}
	return store.Action{}, &NotFoundError{"action", ref}
}

// Bound returns the actions bound to a trigger, in order.
func (s *Service) Bound(ctx context.Context, trigger string) ([]store.Action, error) {
	ids, err := s.Store.Bindings(ctx, trigger)
	if err != nil {
		return nil, err
	}
	out := make([]store.Action, 0, len(ids))
	for _, id := range ids {
		a, err := s.Store.GetAction(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// HookFields are the writable hook fields.
type HookFields struct {
	Name         *string
	Script       *string
	TriggerID    *string
	Enabled      *bool
	Secrets      *[]SecretInput
	Dependencies map[string]string
}

func (s *Service) applyHook(ctx context.Context, h *store.Hook, f HookFields) error {
	if len(f.Dependencies) > 0 {
		return invalid("dependencies", "npm dependencies are not supported: credo runs hooks in a sandbox without a module loader")
	}
	if f.Name != nil {
		if err := checkName("name", *f.Name); err != nil {
			return err
		}
		h.Name = *f.Name
	}
	if f.TriggerID != nil {
		if *f.TriggerID != TriggerCredentialsExchange {
			return invalid("triggerId", "credo supports the credentials-exchange extensibility point only")
		}
		h.TriggerID = *f.TriggerID
	}
	if f.Script != nil {
		if len(*f.Script) > MaxActionCode {
			return invalid("script", "larger than %d bytes", MaxActionCode)
		}
		if err := s.validateScript(*f.Script, ScriptHook); err != nil {
			return &ValidationError{Field: "script", Msg: err.(*ValidationError).Msg}
		}
		h.Script = *f.Script
	}
	if f.Secrets != nil {
		sealed, err := s.sealSecrets(HookSecretPrefix(h.ID), *f.Secrets, h.Secrets)
		if err != nil {
			return err
		}
		h.Secrets = sealed
	}
	if f.Enabled != nil {
		h.Enabled = *f.Enabled
	}
	if h.Enabled {
		list, _, err := s.Store.ListHooks(ctx, store.Page{Limit: 100})
		if err != nil {
			return err
		}
		for _, o := range list {
			if o.ID != h.ID && o.Enabled && o.TriggerID == h.TriggerID {
				return fmt.Errorf("%w: hook %q is already enabled for %s; only one hook per extensibility point can be enabled", store.ErrConflict, o.Name, h.TriggerID)
			}
		}
	}
	return nil
}

// CreateHook validates and stores a legacy hook.
func (s *Service) CreateHook(ctx context.Context, f HookFields) (store.Hook, error) {
	if f.Name == nil || f.Script == nil || f.TriggerID == nil {
		return store.Hook{}, invalid("", "name, script and triggerId are required")
	}
	now := s.now()
	h := store.Hook{ID: newUUID(), CreatedAt: now, UpdatedAt: now}
	if err := s.applyHook(ctx, &h, f); err != nil {
		return store.Hook{}, err
	}
	if err := s.Store.CreateHook(ctx, h); err != nil {
		return store.Hook{}, err
	}
	return h, nil
}

// UpdateHook patches a hook.
func (s *Service) UpdateHook(ctx context.Context, id string, f HookFields) (store.Hook, error) {
	cur, err := s.Store.GetHook(ctx, id)
	if err != nil {
		return store.Hook{}, err
	}
	if err := s.applyHook(ctx, &cur, f); err != nil {
		return store.Hook{}, err
	}
	h, err := s.Store.UpdateHook(ctx, id, func(h *store.Hook) error {
		*h = cur
		h.UpdatedAt = s.now()
		return nil
	})
	if err != nil {
		return store.Hook{}, err
	}
	return h, nil
}

// DeleteHook removes a hook.
func (s *Service) DeleteHook(ctx context.Context, id string) error {
	if err := s.Store.DeleteHook(ctx, id); err != nil {
		return err
	}
	return nil
}

func newUUID() string {
	b := []byte(randomHex(16))
	return string(b[0:8]) + "-" + string(b[8:12]) + "-4" + string(b[13:16]) + "-a" + string(b[17:20]) + "-" + string(b[20:32])
}
