package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writer is io.Writer under a name that a parameter called io (of type IO)
// does not shadow.
type writer = io.Writer

// verb is one subcommand of a command group (credo clients list, …).
type verb struct {
	name, summary string
	run           func(ctx context.Context, io IO, args []string) error
}

// dispatch runs the verb named by args[0].
func dispatch(ctx context.Context, io IO, group, about string, verbs []verb, args []string) error {
	usage := func(w writer) {
		fmt.Fprintf(w, "Usage: credo %s <command> [flags]\n\n%s\n\nCommands:\n", group, about)
		for _, v := range verbs {
			fmt.Fprintf(w, "  %-14s %s\n", v.name, v.summary)
		}
		fmt.Fprintf(w, "\nRun credo %s <command> --help for its flags.\n", group)
	}
	if len(args) == 0 {
		usage(io.Stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(io.Stdout)
		return flag.ErrHelp
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, io, args[1:])
		}
	}
	fmt.Fprintf(io.Stderr, "credo %s: unknown command %q\n", group, args[0])
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.name
	}
	if s := closest(args[0], names); s != "" {
		fmt.Fprintf(io.Stderr, "Did you mean %q?\n", s)
	}
	fmt.Fprintf(io.Stderr, "Run 'credo %s --help' for its commands.\n", group)
	return errUsage
}

// withConn parses the flags, connects to the tenant, runs fn and closes
// the connection. fn's errors are explained the same way for --db and
// --server (see explain).
func withConn(ctx context.Context, io IO, fs *flagSet, o *mgmtOpts, args []string, nargs int, argName string,
	fn func(c *conn, pos []string) error) error {
	pos, err := positional(fs, args, nargs, argName)
	if err != nil {
		return err
	}
	c, err := o.open(ctx, io)
	if err != nil {
		return err
	}
	defer c.Close()
	return explain(fn(c, pos))
}

// withDB is withConn for the commands that work on the database itself
// (seed, tenant): it refuses --server and opens the existing tenant.
func withDB(ctx context.Context, io IO, fs *flagSet, o *mgmtOpts, args []string, nargs int, argName string,
	fn func(a *app, pos []string) error) error {
	pos, err := positional(fs, args, nargs, argName)
	if err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.server != "" {
		return fmt.Errorf("credo %s works on the database (--db), not through --server", fs.Name())
	}
	a, err := openExisting(ctx, o.cfg, io)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, pos)
}

// positional parses the flags and checks the number of positional
// arguments (0 or 1, named argName; -1: any number).
func positional(fs *flagSet, args []string, nargs int, argName string) ([]string, error) {
	pos, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	if nargs >= 0 && len(pos) != nargs { // nargs < 0: the command checks
		if nargs == 0 {
			return nil, fmt.Errorf("unexpected arguments %q", pos)
		}
		return nil, fmt.Errorf("want exactly one %s argument, got %d", argName, len(pos))
	}
	return pos, nil
}

// show prints v as JSON (-o json) or with table.
func (o *mgmtOpts) show(io IO, v any, table func(w writer)) error {
	if o.output == "json" {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// row writes one tab-separated table row.
func row(w writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		cells[i] = strings.ReplaceAll(c, "\t", " ")
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// setFlags reports which flags were given on the command line.
func setFlags(fs *flagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// givenFlags reports the flags given on the command line or through their
// CREDO_* variable (a non-zero value).
func givenFlags(fs *flagSet) map[string]bool {
	set := setFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.String() {
		case "", "0", "0s", "false":
		default:
			set[f.Name] = true
		}
	})
	return set
}

// deleted reports a deletion and what went with it (grants: how many).
func deleted(io IO, o *mgmtOpts, what, id string, grants int) error {
	if o.output == "json" {
		v := map[string]any{"deleted": id}
		if grants >= 0 {
			v["deleted_grants"] = grants
		}
		return o.show(io, v, nil)
	}
	also := ""
	if grants >= 0 {
		also = fmt.Sprintf(" and its %d grant%s", grants, plural(grants))
	}
	fmt.Fprintf(io.Stdout, "Deleted %s %s%s\n", what, id, also)
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// confirm asks a yes/no question on stdin; without an answer (no terminal,
// end of input) it is no, and the error says how to confirm in a script.
func confirm(io IO, question string) (bool, error) {
	if io.Stdin == nil {
		return false, fmt.Errorf("%s Nothing was changed: add --yes to confirm", question)
	}
	fmt.Fprintf(io.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(io.Stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	if err != nil && answer == "" {
		return false, fmt.Errorf("no answer; nothing was changed: add --yes to confirm")
	}
	return answer == "y" || answer == "yes", nil
}

// yesFlag registers --yes, which skips confirm.
func yesFlag(fs *flagSet) *bool {
	var yes bool
	fs.Bool(&yes, "yes", false, "do it without asking")
	return &yes
}

// confirmUnless asks question unless yes; false means do nothing.
func confirmUnless(io IO, yes bool, question string) error {
	if yes {
		return nil
	}
	ok, err := confirm(io, question)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("nothing was changed")
	}
	return nil
}
