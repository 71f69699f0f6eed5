package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "actions", summary: "manage Actions: list, get, create, update, deploy, delete, bindings", run: runActions})
}

func runActions(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "actions", "Manage Actions for the credentials-exchange trigger. An Action runs on token requests once it is\ndeployed and bound; it is addressed by its id or its name.", []verb{
		{"list", "list Actions, with their deployed version and binding", actionsList},
		{"get", "show one Action and its code", actionsGet},
		{"create", "create an Action from a file or stdin (and deploy it with --deploy)", actionsCreate},
		{"update", "change an Action's draft (and deploy it with --deploy)", actionsUpdate},
		{"deploy", "deploy an Action's draft: a bound Action runs it from the next token request", actionsDeploy},
		{"test", "run an Action's draft once on a sample event and show what it did", actionsTest},
		{"delete", "delete an Action, unbinding it first", actionsDelete},
		{"bindings", "show or set the Actions bound to the trigger, in the order they run", actionsBindings},
		{"triggers", "list the triggers Actions can be bound to", actionsTriggers},
	}, args)
}

// trigger is the --trigger flag of the binding commands.
func triggerFlag(fs *flagSet) *string {
	var t string
	fs.String(&t, "trigger", client.TriggerCredentialsExchange, "the trigger (credo has credentials-exchange only)")
	return &t
}

// findAction finds an Action by id or, when none has that id, by name.
func findAction(ctx context.Context, c *conn, idOrName string) (*client.Action, error) {
	all := func(ctx context.Context) ([]client.Action, error) {
		return c.api.Actions.All(ctx, client.ActionListOptions{ActionName: idOrName})
	}
	return byIDOrName(ctx, idOrName, c.api.Actions.Get, all, func(a *client.Action) (string, string) { return a.ID, a.Name },
		"no Action has the id or the name %q (credo actions list shows them)", "%d Actions are named %q (%s): give an id")
}

// boundAt maps each bound Action's id to its position (1-based) on trigger.
func boundAt(ctx context.Context, c *conn, trigger string) (map[string]int, []client.ActionBinding, error) {
	b, err := c.api.Actions.Bindings(ctx, trigger)
	if err != nil {
		return nil, nil, err
	}
	pos := map[string]int{}
	for i, x := range b {
		pos[x.Action.ID] = i + 1
	}
	return pos, b, nil
}

func deployedCell(a *client.Action) string {
	if a.DeployedVersion == nil {
		return "no"
	}
	s := "v" + strconv.Itoa(a.DeployedVersion.Number)
	if !a.AllChangesDeployed {
		s += " (draft differs)"
	}
	return s
}

func boundCell(pos int) string {
	if pos == 0 {
		return "no"
	}
	return "#" + strconv.Itoa(pos)
}

func actionsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions list", "actions list [--name NAME] [--deployed=true|false] [flags]", `actions list --db credo.db`)
	var name, deployed string
	fs.String(&name, "name", "", "only the Action of this name")
	fs.String(&deployed, "deployed", "", "true: only deployed Actions; false: only the never deployed")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		opts := client.ActionListOptions{ActionName: name}
		if deployed != "" {
			d, err := strconv.ParseBool(deployed)
			if err != nil {
				return fmt.Errorf("--deployed %q: want true or false", deployed)
			}
			opts.Deployed = &d
		}
		list, err := c.api.Actions.All(ctx, opts)
		if err != nil {
			return err
		}
		pos, _, err := boundAt(ctx, c, client.TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "ID", "NAME", "DEPLOYED", "BOUND", "UPDATED")
			for i := range list {
				a := &list[i]
				row(w, a.ID, a.Name, deployedCell(a), boundCell(pos[a.ID]), timeCell(a.UpdatedAt))
			}
		})
	})
}

func showAction(io IO, o *mgmtOpts, a *client.Action, pos int) error {
	return o.show(io, a, func(w writer) {
		row(w, "id", a.ID)
		row(w, "name", a.Name)
		var trs []string
		for _, t := range a.SupportedTriggers {
			trs = append(trs, t.ID+"/"+t.Version)
		}
		row(w, "supported_triggers", strings.Join(trs, ","))
		row(w, "runtime", a.Runtime)
		row(w, "deployed", deployedCell(a))
		row(w, "bound", boundCell(pos))
		var secrets []string
		for _, s := range a.Secrets {
			secrets = append(secrets, s.Name)
		}
		row(w, "secrets", strings.Join(secrets, ","))
		row(w, "created_at", timeCell(a.CreatedAt))
		row(w, "updated_at", timeCell(a.UpdatedAt))
		fmt.Fprintf(w, "code:\n%s\n", a.Code)
	})
}

func actionsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions get", "actions get ACTION [flags]\n\nShows an Action (by id or name): its state and its draft code.", `actions get add-tier`)
	return withConn(ctx, io, fs, o, args, 1, "ACTION", func(c *conn, pos []string) error {
		a, err := findAction(ctx, c, pos[0])
		if err != nil {
			return err
		}
		at, _, err := boundAt(ctx, c, client.TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		return showAction(io, o, a, at[a.ID])
	})
}

// readCode reads an Action's or a hook's code from a file, or from stdin
// for "-".
func readCode(io IO, flagName, file string) (string, error) {
	var b []byte
	var err error
	if file == "-" {
		if io.Stdin == nil {
			return "", fmt.Errorf("--%s -: no standard input", flagName)
		}
		b, err = readAllLimited(io.Stdin)
	} else {
		var f *os.File
		if f, err = os.Open(file); err == nil {
			b, err = readAllLimited(f)
			f.Close()
		}
	}
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flagName, err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", fmt.Errorf("--%s %s: no code", flagName, file)
	}
	return string(b), nil
}

// maxCodeFile bounds what readCode reads: above the server's limit (100 KiB
// for an Action), so that the server's refusal is the one reported.
const maxCodeFile = 1 << 20

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCodeFile+1))
	if err == nil && len(b) > maxCodeFile {
		err = fmt.Errorf("more than %d bytes", maxCodeFile)
	}
	return b, err
}

// secretFlags collects repeated --secret NAME=VALUE and --remove-secret NAME.
type secretFlags struct {
	set    []client.ActionSecret
	remove []string
}

func (s *secretFlags) register(fs *flagSet, update bool) {
	fs.Func("secret", "NAME=VALUE: a secret the code reads as event.secrets.NAME (repeatable; stored encrypted, never shown)", func(v string) error {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" || val == "" {
			return fmt.Errorf("want NAME=VALUE")
		}
		s.set = append(s.set, client.ActionSecret{Name: name, Value: val})
		return nil
	})
	if update {
		fs.Func("remove-secret", "NAME: remove this secret (repeatable)", func(v string) error {
			s.remove = append(s.remove, v)
			return nil
		})
	}
}

// merged is the Action's new list of secrets: the current ones (kept as
// stored), those given set or replaced, those removed left out.
func (s *secretFlags) merged(current []client.ActionSecret) ([]client.ActionSecret, error) {
	out := []client.ActionSecret{}
	for _, r := range s.remove {
		if !slices.ContainsFunc(current, func(x client.ActionSecret) bool { return x.Name == r }) {
			return nil, fmt.Errorf("--remove-secret %s: the Action has no such secret", r)
		}
	}
	for _, cur := range current {
		if !slices.Contains(s.remove, cur.Name) && !slices.ContainsFunc(s.set, func(x client.ActionSecret) bool { return x.Name == cur.Name }) {
			out = append(out, client.ActionSecret{Name: cur.Name})
		}
	}
	return append(out, s.set...), nil
}

// actionFlags are the flags of actions create and update.
type actionFlags struct {
	name, code, runtime string
	deploy              bool
	sec                 secretFlags
}

func (f *actionFlags) register(fs *flagSet, update bool) {
	if update {
		fs.String(&f.name, "name", "", "new name")
		fs.String(&f.code, "code", "", "file with the new code; - for stdin")
		fs.String(&f.runtime, "runtime", "", "runtime name (node18 or node22)")
		fs.Bool(&f.deploy, "deploy", false, "deploy the draft after the change")
	} else {
		fs.String(&f.name, "name", "", "the Action's name (unique)")
		fs.String(&f.code, "code", "", "file with the JavaScript (exports.onExecuteCredentialsExchange = async (event, api) => {…}); - for stdin")
		fs.String(&f.runtime, "runtime", "node22", "runtime name (node18 or node22; both run in credo's sandbox)")
		fs.Bool(&f.deploy, "deploy", false, "deploy it too")
	}
	f.sec.register(fs, update)
}

func actionsCreate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions create", `actions create --name NAME --code FILE [--deploy] [flags]

Creates an Action for the credentials-exchange trigger from FILE (- reads
standard input). With --deploy it is created and deployed in one step, or not
at all when the code does not compile. Bind it with credo actions bindings set.`, `actions create --name add-tier --code add-tier.js --secret API_KEY=s3cr3t --deploy`)
	var af actionFlags
	af.register(fs, false)
	name, code, runtime, deploy, sec := &af.name, &af.code, &af.runtime, &af.deploy, &af.sec
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if *name == "" || *code == "" {
			return fmt.Errorf("--name and --code are required")
		}
		src, err := readCode(io, "code", *code)
		if err != nil {
			return err
		}
		a := &client.Action{Name: *name, Code: src, Runtime: *runtime, Secrets: sec.set,
			SupportedTriggers: []client.ActionTrigger{{ID: client.TriggerCredentialsExchange, Version: "v2"}}}
		if *deploy {
			a, err = c.api.Actions.CreateDeployed(ctx, a)
		} else {
			a, err = c.api.Actions.Create(ctx, a)
		}
		if err != nil {
			return err
		}
		return showAction(io, o, a, 0)
	})
}

func actionsUpdate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions update", `actions update ACTION [--code FILE] [--name NAME] [--secret NAME=VALUE] [--deploy] [flags]

Changes the draft of an Action (by id or name); a bound Action keeps running its
deployed version until it is deployed (--deploy, or credo actions deploy).
Secrets not named keep their values.`, `actions update add-tier --code add-tier.js --deploy`)
	var af actionFlags
	af.register(fs, true)
	name, code, runtime, deploy, sec := &af.name, &af.code, &af.runtime, &af.deploy, &af.sec
	return withConn(ctx, io, fs, o, args, 1, "ACTION", func(c *conn, pos []string) error {
		set := setFlags(fs)
		a, err := findAction(ctx, c, pos[0])
		if err != nil {
			return err
		}
		var u client.ActionUpdate
		if set["name"] {
			u.Name = name
		}
		if set["runtime"] {
			u.Runtime = runtime
		}
		if set["code"] {
			src, err := readCode(io, "code", *code)
			if err != nil {
				return err
			}
			u.Code = &src
		}
		if len(sec.set) > 0 || len(sec.remove) > 0 {
			if u.Secrets, err = sec.merged(a.Secrets); err != nil {
				return err
			}
		}
		change := u.Name != nil || u.Runtime != nil || u.Code != nil || u.Secrets != nil
		if !change && !*deploy {
			return fmt.Errorf("nothing to change: give --code, --name, --runtime, --secret, --remove-secret or --deploy")
		}
		if change {
			if a, err = c.api.Actions.Update(ctx, a.ID, u); err != nil {
				return err
			}
		}
		if *deploy {
			if _, err := c.api.Actions.Deploy(ctx, a.ID); err != nil {
				return err
			}
			if a, err = c.api.Actions.Get(ctx, a.ID); err != nil {
				return err
			}
		}
		at, _, err := boundAt(ctx, c, client.TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		return showAction(io, o, a, at[a.ID])
	})
}

func actionsDeploy(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions deploy", "actions deploy ACTION [flags]\n\nDeploys the draft of an Action (by id or name). Code that does not compile is\nrefused with its line and column, and the deployed version stays.", `actions deploy add-tier`)
	return withConn(ctx, io, fs, o, args, 1, "ACTION", func(c *conn, pos []string) error {
		a, err := findAction(ctx, c, pos[0])
		if err != nil {
			return err
		}
		v, err := c.api.Actions.Deploy(ctx, a.ID)
		if err != nil {
			return err
		}
		at, _, err := boundAt(ctx, c, client.TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		return o.show(io, v, func(w writer) {
			note := "not bound: bind it with credo actions bindings set"
			if p := at[a.ID]; p > 0 {
				note = "bound at #" + strconv.Itoa(p) + ": it runs from the next token request"
			}
			fmt.Fprintf(w, "Deployed %s (%s) as version %d; %s\n", a.Name, a.ID, v.Number, note)
		})
	})
}

func actionsDelete(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions delete", `actions delete ACTION [flags]

Deletes an Action (by id or name). A bound Action is unbound first, so token
requests stop running it at once. Asks first unless --yes. With --db this works
while credo serves the database, even when the Action denies every token: the
break-glass path.`, `actions delete deny-all --db credo.db --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "ACTION", func(c *conn, pos []string) error {
		a, err := findAction(ctx, c, pos[0])
		if err != nil {
			return err
		}
		at, _, err := boundAt(ctx, c, client.TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		p := at[a.ID]
		q := fmt.Sprintf("Delete Action %s (%s)?", a.Name, a.ID)
		if p > 0 {
			q = fmt.Sprintf("Delete Action %s (%s)? It is bound to %s at #%d and is unbound first.", a.Name, a.ID, client.TriggerCredentialsExchange, p)
		}
		if err := confirmUnless(io, *yes, q); err != nil {
			return err
		}
		if err := c.api.Actions.Delete(ctx, a.ID, p > 0); err != nil {
			return err
		}
		if o.output == "json" {
			return o.show(io, map[string]any{"deleted": a.ID, "unbound": p > 0}, nil)
		}
		also := ""
		if p > 0 {
			also = " and unbound it from " + client.TriggerCredentialsExchange
		}
		fmt.Fprintf(io.Stdout, "Deleted Action %s (%s)%s\n", a.Name, a.ID, also)
		return nil
	})
}

func actionsTest(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions test", `actions test ACTION [--event FILE] [--client ID] [--audience API] [--scope "a b"] [flags]

Runs the Action's current draft (deployed or not, bound or not) once on a
credentials-exchange event and prints the result: the custom claims and
scopes it set, its denial, or its error. The event is --event (a JSON file, -
for stdin) or one built from --client, --audience and --scope. Nothing is
issued or changed.`, `actions test add-tier --client my-worker --audience https://api.example.com --scope "read:timesheets"`)
	var eventFile, clientID, audience, scope string
	fs.String(&eventFile, "event", "", "a JSON file with the event object (- for stdin); replaces --client, --audience and --scope")
	fs.String(&clientID, "client", "test-client", "event.client.client_id")
	fs.String(&audience, "audience", "https://api.example.com", "event.resource_server.identifier")
	fs.String(&scope, "scope", "", "event.accessToken.scope, space-separated")
	return withConn(ctx, io, fs, o, args, 1, "ACTION", func(c *conn, pos []string) error {
		event := map[string]any{
			"client":          map[string]any{"client_id": clientID, "name": clientID, "metadata": map[string]any{}},
			"resource_server": map[string]any{"identifier": audience},
			"accessToken":     map[string]any{"scope": strings.Fields(scope)},
			"request":         map[string]any{"ip": "127.0.0.1"},
			"transaction":     map[string]any{"requested_scopes": strings.Fields(scope)},
		}
		if eventFile != "" {
			src, err := readCode(io, "event", eventFile)
			if err != nil {
				return err
			}
			event = nil
			if err := json.Unmarshal([]byte(src), &event); err != nil || event == nil {
				return fmt.Errorf("--event %s is not a JSON object: %v", eventFile, err)
			}
		}
		a, err := findAction(ctx, c, pos[0])
		if err != nil {
			return err
		}
		res, err := c.api.Actions.Test(ctx, a.ID, event)
		if err != nil {
			return err
		}
		return o.show(io, res, func(w writer) {
			switch {
			case res["error"] != nil:
				row(w, "RESULT", "error")
				row(w, "ERROR", fmt.Sprint(res["error"]))
			case res["denied"] != nil:
				d, _ := res["denied"].(map[string]any)
				row(w, "RESULT", "denied")
				row(w, "CODE", fmt.Sprint(d["code"]))
				row(w, "REASON", fmt.Sprint(d["reason"]))
			default:
				row(w, "RESULT", "token issued")
				tok, _ := res["accessToken"].(map[string]any)
				claims, _ := tok["customClaims"].(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(claims)) {
					v, _ := json.Marshal(claims[k])
					row(w, "CLAIM "+k, string(v))
				}
				for _, k := range slices.Sorted(maps.Keys(tok)) {
					if k != "customClaims" {
						v, _ := json.Marshal(tok[k])
						row(w, strings.ToUpper(k), string(v))
					}
				}
			}
		})
	})
}

func actionsTriggers(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions triggers", "actions triggers [flags]", `actions triggers`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.Actions.Triggers(ctx)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "ID", "VERSION", "STATUS", "RUNTIMES")
			for _, t := range list {
				row(w, t.ID, t.Version, t.Status, strings.Join(t.Runtimes, ","))
			}
		})
	})
}

func actionsBindings(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "actions bindings", "The Actions bound to a trigger run on each of its token requests, in order; the first denial stops the chain.", []verb{
		{"get", "list the bound Actions in the order they run", bindingsGet},
		{"set", "bind exactly the Actions given, in this order (none: unbind all)", bindingsSet},
	}, args)
}

func showBindings(io IO, o *mgmtOpts, list []client.ActionBinding) error {
	return o.show(io, orEmpty(list), func(w writer) {
		row(w, "#", "ACTION ID", "NAME", "DEPLOYED")
		for i := range list {
			row(w, strconv.Itoa(i+1), list[i].Action.ID, list[i].Action.Name, deployedCell(&list[i].Action))
		}
	})
}

func bindingsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions bindings get", "actions bindings get [--trigger credentials-exchange] [flags]", `actions bindings get`)
	trigger := triggerFlag(fs)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.Actions.Bindings(ctx, *trigger)
		if err != nil {
			return err
		}
		return showBindings(io, o, list)
	})
}

func bindingsSet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "actions bindings set", `actions bindings set [ACTION …] [flags]

Binds exactly the Actions given (by id or name, each deployed), in the order
they are to run; with none, unbinds them all. Unbinding an Action asks first
unless --yes. With --db this works while credo serves the database: the
break-glass path for an Action that denies every token.`, `actions bindings set add-tier audit-claims`)
	trigger := triggerFlag(fs)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, -1, "", func(c *conn, pos []string) error {
		refs := make([]client.BindingRef, len(pos))
		ids := make([]string, len(pos))
		for i, p := range pos {
			a, err := findAction(ctx, c, p)
			if err != nil {
				return err
			}
			refs[i], ids[i] = client.BindActionID(a.ID), a.ID
		}
		cur, err := c.api.Actions.Bindings(ctx, *trigger)
		if err != nil {
			return err
		}
		var gone []string
		for _, b := range cur {
			if !slices.Contains(ids, b.Action.ID) {
				gone = append(gone, b.Action.Name)
			}
		}
		if len(gone) > 0 {
			if err := confirmUnless(io, *yes, fmt.Sprintf("Unbind %s from %s? Token requests stop running %s.", strings.Join(gone, ", "), *trigger, map[bool]string{true: "it", false: "them"}[len(gone) == 1])); err != nil {
				return err
			}
		}
		list, err := c.api.Actions.SetBindings(ctx, *trigger, refs)
		if err != nil {
			return err
		}
		if o.output != "json" && len(list) == 0 {
			fmt.Fprintf(io.Stdout, "No Action is bound to %s now\n", *trigger)
			return nil
		}
		return showBindings(io, o, list)
	})
}
