package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Hook is Auth0's legacy hook object (/api/v2/hooks): a script run on an
// extensibility point; for machine-to-machine tokens the trigger is
// "credentials-exchange". At most one hook per trigger is enabled.
type Hook struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	TriggerID string `json:"triggerId,omitempty"`
	Script    string `json:"script,omitempty"`
	// Enabled is sent on Create (false by default, as Auth0).
	Enabled bool `json:"enabled"`
	// Dependencies are npm modules; credo refuses them.
	Dependencies map[string]string `json:"dependencies,omitempty"`

	// Read-only fields (credo extensions), set by the server.

	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// HookUpdate is the body of PATCH /api/v2/hooks/{id}: only non-nil fields
// are sent. The trigger cannot be changed.
type HookUpdate struct {
	Name         *string           `json:"name,omitempty"`
	Script       *string           `json:"script,omitempty"`
	Enabled      *bool             `json:"enabled,omitempty"`
	Dependencies map[string]string `json:"dependencies,omitzero"`
}

// HookListOptions filters and pages a hook list.
type HookListOptions struct {
	ListOptions
	// Enabled, when non-nil, keeps only the enabled (or disabled) hooks.
	Enabled *bool
	// TriggerID keeps only the hooks of that trigger.
	TriggerID string
}

func (o HookListOptions) values() url.Values {
	q := o.ListOptions.values()
	if o.Enabled != nil {
		q.Set("enabled", strconv.FormatBool(*o.Enabled))
	}
	if o.TriggerID != "" {
		q.Set("triggerId", o.TriggerID)
	}
	return q
}

// HookList is one page of hooks.
type HookList struct {
	Totals
	Hooks []Hook `json:"hooks"`
}

// HooksService manages legacy hooks (/api/v2/hooks).
type HooksService struct{ c *Client }

// List returns a page of hooks (GET /api/v2/hooks). Scope read:hooks.
func (s *HooksService) List(ctx context.Context, opts HookListOptions) (*HookList, error) {
	var out HookList
	if err := s.c.list(ctx, "hooks", opts.values(), &out, &out.Hooks); err != nil {
		return nil, err
	}
	return &out, nil
}

// All returns every hook matching opts' filters, 100 per request (opts'
// paging fields are ignored). Scope read:hooks.
func (s *HooksService) All(ctx context.Context, opts HookListOptions) ([]Hook, error) {
	return allPages(ctx, func(ctx context.Context, page int) ([]Hook, int, error) {
		o := opts
		o.ListOptions = ListOptions{Page: page, PerPage: 100, IncludeTotals: true}
		l, err := s.List(ctx, o)
		if err != nil {
			return nil, 0, err
		}
		return l.Hooks, l.Total, nil
	})
}

// Get returns one hook (GET /api/v2/hooks/{id}). Scope read:hooks.
func (s *HooksService) Get(ctx context.Context, id string) (*Hook, error) {
	var out Hook
	if err := s.c.do(ctx, http.MethodGet, path("hooks", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Create creates a hook (POST /api/v2/hooks); Name, Script and TriggerID are
// required. The read-only fields are not sent. Scope create:hooks.
func (s *HooksService) Create(ctx context.Context, h *Hook) (*Hook, error) {
	body := *h
	body.ID, body.CreatedAt, body.UpdatedAt = "", nil, nil
	var out Hook
	if err := s.c.do(ctx, http.MethodPost, "hooks", nil, &body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields set in u (PATCH /api/v2/hooks/{id}). Scope
// update:hooks.
func (s *HooksService) Update(ctx context.Context, id string, u HookUpdate) (*Hook, error) {
	var out Hook
	if err := s.c.do(ctx, http.MethodPatch, path("hooks", id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes a hook (DELETE /api/v2/hooks/{id}). Scope delete:hooks.
func (s *HooksService) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, path("hooks", id), nil, nil, nil)
}

// Secrets returns the names of a hook's secrets, each with the value
// "_VALUE_NOT_SHOWN_" (GET /api/v2/hooks/{id}/secrets). Scope read:hooks.
func (s *HooksService) Secrets(ctx context.Context, id string) (map[string]string, error) {
	out := map[string]string{}
	if err := s.c.do(ctx, http.MethodGet, path("hooks", id, "secrets"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddSecrets adds secrets, name to value, to a hook (POST
// /api/v2/hooks/{id}/secrets); a name the hook already has is refused.
// Scope create:hooks.
func (s *HooksService) AddSecrets(ctx context.Context, id string, secrets map[string]string) error {
	return s.c.do(ctx, http.MethodPost, path("hooks", id, "secrets"), nil, secrets, nil)
}

// UpdateSecrets changes the values of existing secrets (PATCH
// /api/v2/hooks/{id}/secrets). Scope update:hooks.
func (s *HooksService) UpdateSecrets(ctx context.Context, id string, secrets map[string]string) error {
	return s.c.do(ctx, http.MethodPatch, path("hooks", id, "secrets"), nil, secrets, nil)
}

// DeleteSecrets removes the named secrets (DELETE
// /api/v2/hooks/{id}/secrets). Scope delete:hooks.
func (s *HooksService) DeleteSecrets(ctx context.Context, id string, names []string) error {
	return s.c.do(ctx, http.MethodDelete, path("hooks", id, "secrets"), nil, names, nil)
}
