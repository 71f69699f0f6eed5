package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "hooks", summary: "manage legacy Hooks: list, get, create, update, enable, disable, delete, secrets", run: runHooks})
}

func runHooks(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "hooks", "Manage legacy Auth0 Hooks (Client Credentials Exchange). At most one hook per trigger is enabled;\nit runs after the bound Actions. A hook is addressed by its id or its name.", []verb{
		{"list", "list hooks", hooksList},
		{"get", "show one hook and its script", hooksGet},
		{"create", "create a hook from a file or stdin", hooksCreate},
		{"update", "change a hook's name or script", hooksUpdate},
		{"enable", "enable a hook: it runs from the next token request", hooksEnable},
		{"disable", "disable a hook", hooksDisable},
		{"delete", "delete a hook", hooksDelete},
		{"secrets", "list, set or delete a hook's secrets (context.webtask.secrets)", hooksSecrets},
	}, args)
}

// findHook finds a hook by id or, when none has that id, by name.
func findHook(ctx context.Context, c *conn, idOrName string) (*client.Hook, error) {
	all := func(ctx context.Context) ([]client.Hook, error) {
		return c.api.Hooks.All(ctx, client.HookListOptions{})
	}
	return byIDOrName(ctx, idOrName, c.api.Hooks.Get, all, func(h *client.Hook) (string, string) { return h.ID, h.Name },
		"no hook has the id or the name %q (credo hooks list shows them)", "%d hooks are named %q (%s): give an id")
}

func showHook(io IO, o *mgmtOpts, h *client.Hook) error {
	return o.show(io, h, func(w writer) {
		row(w, "id", h.ID)
		row(w, "name", h.Name)
		row(w, "triggerId", h.TriggerID)
		row(w, "enabled", strconv.FormatBool(h.Enabled))
		row(w, "created_at", timeCell(h.CreatedAt))
		row(w, "updated_at", timeCell(h.UpdatedAt))
		fmt.Fprintf(w, "script:\n%s\n", h.Script)
	})
}

func hooksList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks list", "hooks list [--enabled=true|false] [flags]", `hooks list --enabled=true`)
	var enabled string
	fs.String(&enabled, "enabled", "", "true: only enabled hooks; false: only disabled ones")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		var opts client.HookListOptions
		if enabled != "" {
			e, err := strconv.ParseBool(enabled)
			if err != nil {
				return fmt.Errorf("--enabled %q: want true or false", enabled)
			}
			opts.Enabled = &e
		}
		list, err := c.api.Hooks.All(ctx, opts)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "ID", "NAME", "TRIGGER", "ENABLED", "UPDATED")
			for i := range list {
				h := &list[i]
				row(w, h.ID, h.Name, h.TriggerID, strconv.FormatBool(h.Enabled), timeCell(h.UpdatedAt))
			}
		})
	})
}

func hooksGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks get", "hooks get HOOK [flags]", `hooks get legacy-claims`)
	return withConn(ctx, io, fs, o, args, 1, "HOOK", func(c *conn, pos []string) error {
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		return showHook(io, o, h)
	})
}

func hooksCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks create", `hooks create --name NAME --script FILE [--enabled] [flags]

Creates a hook for the credentials-exchange trigger from FILE (- reads standard
input): module.exports = function (client, scope, audience, context, cb) {…}.
It is disabled unless --enabled.`, `hooks create --name legacy-claims --script legacy.js --enabled`)
	var name, script string
	var enabled bool
	fs.String(&name, "name", "", "the hook's name")
	fs.String(&script, "script", "", "file with the JavaScript; - for stdin")
	fs.Bool(&enabled, "enabled", false, "enable it (at most one hook per trigger is enabled)")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if name == "" || script == "" {
			return fmt.Errorf("--name and --script are required")
		}
		src, err := readCode(io, "script", script)
		if err != nil {
			return err
		}
		h, err := c.api.Hooks.Create(ctx, &client.Hook{Name: name, Script: src, Enabled: enabled, TriggerID: client.TriggerCredentialsExchange})
		if err != nil {
			return err
		}
		return showHook(io, o, h)
	})
}

func hooksUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks update", "hooks update HOOK [--name NAME] [--script FILE] [flags]\n\nChanges the fields whose flags are given; an enabled hook runs the new script\nfrom the next token request.", `hooks update legacy-claims --script legacy.js`)
	var name, script string
	fs.String(&name, "name", "", "new name")
	fs.String(&script, "script", "", "file with the new script; - for stdin")
	return withConn(ctx, io, fs, o, args, 1, "HOOK", func(c *conn, pos []string) error {
		set := setFlags(fs)
		var u client.HookUpdate
		if set["name"] {
			u.Name = &name
		}
		if set["script"] {
			src, err := readCode(io, "script", script)
			if err != nil {
				return err
			}
			u.Script = &src
		}
		if u.Name == nil && u.Script == nil {
			return fmt.Errorf("nothing to change: give --name or --script (credo hooks enable/disable switch it)")
		}
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		if h, err = c.api.Hooks.Update(ctx, h.ID, u); err != nil {
			return err
		}
		return showHook(io, o, h)
	})
}

func hooksEnable(ctx context.Context, io IO, args []string) error {
	return hooksSwitch(ctx, io, args, true)
}

func hooksDisable(ctx context.Context, io IO, args []string) error {
	return hooksSwitch(ctx, io, args, false)
}

func hooksSwitch(ctx context.Context, io IO, args []string, on bool) error {
	verb := map[bool]string{true: "enable", false: "disable"}[on]
	fs, o := mgmtFlags(io, "hooks "+verb, "hooks "+verb+" HOOK [flags]", "hooks "+verb+" legacy-claims")
	return withConn(ctx, io, fs, o, args, 1, "HOOK", func(c *conn, pos []string) error {
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		if h, err = c.api.Hooks.Update(ctx, h.ID, client.HookUpdate{Enabled: &on}); err != nil {
			return err
		}
		return o.show(io, h, func(w writer) {
			fmt.Fprintf(w, "Hook %s (%s) %sd\n", h.Name, h.ID, verb)
		})
	})
}

func hooksDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks delete", "hooks delete HOOK [flags]\n\nDeletes a hook; an enabled one stops running at once. Asks first unless --yes.", `hooks delete legacy-claims --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "HOOK", func(c *conn, pos []string) error {
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		q := fmt.Sprintf("Delete hook %s (%s)?", h.Name, h.ID)
		if h.Enabled {
			q = fmt.Sprintf("Delete hook %s (%s)? It is enabled: token requests stop running it.", h.Name, h.ID)
		}
		if err := confirmUnless(io, *yes, q); err != nil {
			return err
		}
		if err := c.api.Hooks.Delete(ctx, h.ID); err != nil {
			return err
		}
		return deleted(io, o, "hook", h.ID, -1)
	})
}

func hooksSecrets(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "hooks secrets", "A hook's script reads its secrets as context.webtask.secrets.NAME. Values are stored encrypted and never shown.", []verb{
		{"list", "list the names of a hook's secrets", hookSecretsList},
		{"set", "add secrets or change their values: NAME=VALUE …", hookSecretsSet},
		{"delete", "delete secrets by name", hookSecretsDelete},
	}, args)
}

func showSecretNames(io IO, o *mgmtOpts, secrets map[string]string) error {
	names := slices.Sorted(maps.Keys(secrets))
	return o.show(io, orEmpty(names), func(w writer) {
		row(w, "NAME")
		for _, n := range names {
			row(w, n)
		}
	})
}

func hookSecretsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks secrets list", "hooks secrets list HOOK [flags]", `hooks secrets list legacy-claims`)
	return withConn(ctx, io, fs, o, args, 1, "HOOK", func(c *conn, pos []string) error {
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		secrets, err := c.api.Hooks.Secrets(ctx, h.ID)
		if err != nil {
			return err
		}
		return showSecretNames(io, o, secrets)
	})
}

func hookSecretsSet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks secrets set", "hooks secrets set HOOK NAME=VALUE … [flags]\n\nAdds the secrets the hook does not have and changes the values of those it has.", `hooks secrets set legacy-claims API_KEY=s3cr3t`)
	return withConn(ctx, io, fs, o, args, -1, "", func(c *conn, pos []string) error {
		if len(pos) < 2 {
			return fmt.Errorf("want HOOK NAME=VALUE …")
		}
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		current, err := c.api.Hooks.Secrets(ctx, h.ID)
		if err != nil {
			return err
		}
		add, change := map[string]string{}, map[string]string{}
		for _, kv := range pos[1:] {
			name, val, ok := strings.Cut(kv, "=")
			if !ok || name == "" || val == "" {
				return fmt.Errorf("%q: want NAME=VALUE", kv)
			}
			if _, has := current[name]; has {
				change[name] = val
			} else {
				add[name] = val
			}
		}
		if len(add) > 0 {
			if err := c.api.Hooks.AddSecrets(ctx, h.ID, add); err != nil {
				return err
			}
		}
		if len(change) > 0 {
			if err := c.api.Hooks.UpdateSecrets(ctx, h.ID, change); err != nil {
				return err
			}
		}
		if current, err = c.api.Hooks.Secrets(ctx, h.ID); err != nil {
			return err
		}
		return showSecretNames(io, o, current)
	})
}

func hookSecretsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "hooks secrets delete", "hooks secrets delete HOOK NAME … [flags]\n\nAsks first unless --yes.", `hooks secrets delete legacy-claims API_KEY --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, -1, "", func(c *conn, pos []string) error {
		if len(pos) < 2 {
			return fmt.Errorf("want HOOK NAME …")
		}
		h, err := findHook(ctx, c, pos[0])
		if err != nil {
			return err
		}
		if err := confirmUnless(io, *yes, fmt.Sprintf("Delete the secret%s %s of hook %s? Its script no longer sees %s.",
			plural(len(pos)-1), strings.Join(pos[1:], ", "), h.Name, map[bool]string{true: "it", false: "them"}[len(pos) == 2])); err != nil {
			return err
		}
		if err := c.api.Hooks.DeleteSecrets(ctx, h.ID, pos[1:]); err != nil {
			return err
		}
		current, err := c.api.Hooks.Secrets(ctx, h.ID)
		if err != nil {
			return err
		}
		return showSecretNames(io, o, current)
	})
}
