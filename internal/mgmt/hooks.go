package mgmt

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// Hook is the Auth0 hook object (legacy Hooks).
type Hook struct {
	TriggerID    string            `json:"triggerId"`
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Enabled      bool              `json:"enabled"`
	Script       string            `json:"script"`
	Dependencies map[string]string `json:"dependencies"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
}

// HookView is the API object of a stored hook.
func HookView(h store.Hook) Hook {
	return Hook{TriggerID: h.TriggerID, ID: h.ID, Name: h.Name, Enabled: h.Enabled, Script: h.Script,
		Dependencies: map[string]string{}, CreatedAt: Time(h.CreatedAt), UpdatedAt: Time(h.UpdatedAt)}
}

// HookBody is the JSON body of POST and PATCH /hooks. Secrets are written
// through /hooks/{id}/secrets, as in Auth0.
type HookBody struct {
	Name         *string           `json:"name,omitempty"`
	Script       *string           `json:"script,omitempty"`
	Enabled      *bool             `json:"enabled,omitempty"`
	Dependencies map[string]string `json:"dependencies,omitempty"`
	TriggerID    *string           `json:"triggerId,omitempty"` // create only
	ID           *string           `json:"id,omitempty"`        // read-only, ignored
	readOnlyTimes
}

// Fields returns the service's fields.
func (b *HookBody) Fields() tenant.HookFields {
	return tenant.HookFields{Name: b.Name, Script: b.Script, TriggerID: b.TriggerID, Enabled: b.Enabled, Dependencies: b.Dependencies}
}

// HiddenSecret is what GET /hooks/{id}/secrets shows for every value.
const HiddenSecret = "_VALUE_NOT_SHOWN_"

// maxHookSecrets is Auth0's limit of secrets per hook.
const maxHookSecrets = 20

func errNoHook() *apiError {
	return &apiError{Status: 404, Message: "The hook does not exist", Code: "inexistent_hook"}
}

func errNoHookSecret(name string) *apiError {
	return &apiError{Status: 404, Message: "The hook has no secret named " + strconv.Quote(name), Code: "inexistent_hook_secret"}
}

func hookErr(err error) error { return objectErr(err, errNoHook(), "hook_conflict") }

func (a *API) listHooks(c *call) (any, error) {
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	enabled, err := c.q.bool("enabled", false)
	if err != nil {
		return nil, err
	}
	list, err := store.All(c.r.Context(), c.st().ListHooks)
	if err != nil {
		return nil, err
	}
	trigger := c.q.str("triggerId")
	list = slices.DeleteFunc(list, func(h store.Hook) bool {
		return (c.q.has("enabled") && h.Enabled != enabled) || (trigger != "" && h.TriggerID != trigger)
	})
	var items []any
	for _, h := range window(list, p) {
		items = append(items, HookView(h))
	}
	if items, err = fl.applyAll(orEmpty(items)); err != nil {
		return nil, err
	}
	return paged(p, "hooks", items, len(list)), nil
}

func (a *API) getHook(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	h, err := c.st().GetHook(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, hookErr(err)
	}
	return fl.apply(HookView(h))
}

func (a *API) createHook(c *call) (any, error) {
	var b HookBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if err := required(prop{"name", b.Name != nil}, prop{"script", b.Script != nil}, prop{"triggerId", b.TriggerID != nil}); err != nil {
		return nil, err
	}
	h, err := c.svc().CreateHook(c.r.Context(), b.Fields())
	if err != nil {
		return nil, hookErr(err)
	}
	c.status, c.target = http.StatusCreated, h.ID
	return HookView(h), nil
}

func (a *API) updateHook(c *call) (any, error) {
	var b HookBody
	if err := decodeBody(c.r, &b); err != nil {
		return nil, err
	}
	if b.TriggerID != nil {
		return nil, errBody("Additional properties not allowed: triggerId", "")
	}
	id := c.r.PathValue("id")
	h, err := c.svc().UpdateHook(c.r.Context(), id, b.Fields())
	if err != nil {
		return nil, hookErr(err)
	}
	c.target = id
	return HookView(h), nil
}

// hiddenSecrets is the {name: "_VALUE_NOT_SHOWN_"} map of a hook's secrets.
func hiddenSecrets(h store.Hook) map[string]string {
	out := make(map[string]string, len(h.Secrets))
	for _, s := range h.Secrets {
		out[s.Name] = HiddenSecret
	}
	return out
}

func (a *API) getHookSecrets(c *call) (any, error) {
	h, err := c.st().GetHook(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, hookErr(err)
	}
	return hiddenSecrets(h), nil
}

// editHookSecrets applies edit to the hook's secrets, given as inputs whose
// empty values keep what is stored, and answers the names.
func (c *call) editHookSecrets(edit func(in []tenant.SecretInput) ([]tenant.SecretInput, error)) (any, error) {
	ctx, id := c.r.Context(), c.r.PathValue("id")
	h, err := c.st().GetHook(ctx, id)
	if err != nil {
		return nil, hookErr(err)
	}
	in := make([]tenant.SecretInput, len(h.Secrets))
	for i, s := range h.Secrets {
		in[i] = tenant.SecretInput{Name: s.Name}
	}
	if in, err = edit(in); err != nil {
		return nil, err
	}
	if len(in) > maxHookSecrets {
		return nil, errBody("A hook can have at most "+strconv.Itoa(maxHookSecrets)+" secrets", "")
	}
	if h, err = c.svc().UpdateHook(ctx, id, tenant.HookFields{Secrets: &in}); err != nil {
		return nil, hookErr(err)
	}
	c.target = id
	return hiddenSecrets(h), nil
}

// secretValues decodes a {name: value} body with at least one non-empty
// value per name, in name order.
func secretValues(c *call) ([]tenant.SecretInput, error) {
	var m map[string]string
	if err := decodeBody(c.r, &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, errBody("Too few properties defined (0), minimum 1", "")
	}
	out := make([]tenant.SecretInput, 0, len(m))
	for name, v := range m {
		if v == "" {
			return nil, errBody("String is too short (0 chars), minimum 1", name)
		}
		out = append(out, tenant.SecretInput{Name: name, Value: v})
	}
	slices.SortFunc(out, func(a, b tenant.SecretInput) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func secretIndex(in []tenant.SecretInput, name string) int {
	return slices.IndexFunc(in, func(s tenant.SecretInput) bool { return s.Name == name })
}

func (a *API) addHookSecrets(c *call) (any, error) {
	add, err := secretValues(c)
	if err != nil {
		return nil, err
	}
	c.status = http.StatusCreated
	return c.editHookSecrets(func(in []tenant.SecretInput) ([]tenant.SecretInput, error) {
		for _, s := range add {
			if secretIndex(in, s.Name) >= 0 {
				return nil, &apiError{Status: 409, Message: "The hook already has a secret named " + strconv.Quote(s.Name) + "; change it with PATCH", Code: "hook_secret_conflict"}
			}
		}
		return append(in, add...), nil
	})
}

func (a *API) updateHookSecrets(c *call) (any, error) {
	set, err := secretValues(c)
	if err != nil {
		return nil, err
	}
	return c.editHookSecrets(func(in []tenant.SecretInput) ([]tenant.SecretInput, error) {
		for _, s := range set {
			i := secretIndex(in, s.Name)
			if i < 0 {
				return nil, errNoHookSecret(s.Name)
			}
			in[i] = s
		}
		return in, nil
	})
}

func (a *API) deleteHookSecrets(c *call) (any, error) {
	var names []string
	if err := decodeBody(c.r, &names); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errBody("Array is too short (0), minimum 1", "")
	}
	if _, err := c.editHookSecrets(func(in []tenant.SecretInput) ([]tenant.SecretInput, error) {
		for _, n := range names {
			i := secretIndex(in, n)
			if i < 0 {
				return nil, errNoHookSecret(n)
			}
			in = slices.Delete(in, i, i+1)
		}
		return in, nil
	}); err != nil {
		return nil, err
	}
	c.status = http.StatusNoContent
	return nil, nil
}
