package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/credo-dev/credo/internal/keys"
)

// Version is set at build time with -ldflags "-X github.com/credo-dev/credo/internal/cli.Version=…".
var Version = "dev"

// IO are the program's streams and environment.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.LookupEnv when nil).
	Getenv func(string) (string, bool)
}

func (o IO) env(name string) (string, bool) {
	if o.Getenv != nil {
		return o.Getenv(name)
	}
	return os.LookupEnv(name)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, io IO, args []string) error
}

// commands lists every subcommand; other files append to it in init.
var commands []command

func register(c command) { commands = append(commands, c) }

// errUsage marks an error already explained by the flag package.
var errUsage = errors.New("usage")

// Main runs credo with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, io IO) int {
	sort.Slice(commands, func(i, j int) bool { return commands[i].name < commands[j].name })
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, io)
		}
		usage(io.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintf(io.Stdout, "credo %s (%s)\n", Version, keys.BuildDescription())
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, io, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			default:
				fmt.Fprintln(io.Stderr, "credo "+c.name+":", err)
				return 1
			}
		}
	}
	fmt.Fprintf(io.Stderr, "credo: unknown command %q\n", args[0])
	names := []string{"version"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	if s := closest(args[0], names); s != "" {
		fmt.Fprintf(io.Stderr, "Did you mean %q?\n", s)
	}
	fmt.Fprintln(io.Stderr, "Run 'credo --help' for the commands.")
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `credo is a self-hosted OAuth 2.0 authorization server for machine-to-machine
access that speaks Auth0's Client Credentials wire contract.

Usage:
  credo <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  version        print the version

Start here:
  credo serve                 run on ./credo.db with a demo tenant, on http://127.0.0.1:8080/
  credo <command> --help      flags and an example of one command
`)
}

// flagSet is a FlagSet with credo's conventions: only the flags that locate
// and configure the tenant and the server (the global flags, registered by
// serveFlags, and --server) read a CREDO_* environment variable; a
// command's own flags (--name, --client-secret, …) never do, so that an
// exported variable cannot slip a value into a command. Help lists the
// command's own flags first and the global ones apart, with their variables.
type flagSet struct {
	*flag.FlagSet
	io       IO
	synopsis string
	errs     []error
	// readEnv is set while flags that read a CREDO_* variable are
	// registered, shared while serveFlags registers the flags every command
	// that opens the tenant shares; env holds the variable of each flag that
	// reads one, global the shared flags.
	readEnv, shared bool
	env             map[string]string
	global          map[string]bool
	short           map[string]string // long flag name → its one-letter alias
}

func newFlagSet(io IO, name, synopsis string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(discard)
	f := &flagSet{FlagSet: fs, io: io, synopsis: synopsis, env: map[string]string{}, global: map[string]bool{}, short: map[string]string{}}
	fs.Usage = func() {}
	return f
}

// discard is io.Discard, under a name that a parameter called io does not shadow.
var discard = io.Discard

func envName(flagName string) string {
	return "CREDO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// usage prints the command's help: synopsis, own flags, global flags.
func (f *flagSet) usage(out io.Writer) {
	fmt.Fprintf(out, "Usage: credo %s\n", f.synopsis)
	aliases := map[string]bool{}
	for _, a := range f.short {
		aliases[a] = true
	}
	var own, global []*flag.Flag
	f.VisitAll(func(fl *flag.Flag) {
		switch {
		case aliases[fl.Name]:
		case f.global[fl.Name]:
			global = append(global, fl)
		default:
			own = append(own, fl)
		}
	})
	item := func(fl *flag.Flag) {
		def := ""
		if fl.DefValue != "" && fl.DefValue != "0" && fl.DefValue != "0s" && fl.DefValue != "false" {
			def = " (default " + fl.DefValue + ")"
		}
		name := "--" + fl.Name
		if a := f.short[fl.Name]; a != "" {
			name = "-" + a + ", " + name
		}
		env := ""
		if v := f.env[fl.Name]; v != "" {
			env = " [" + v + "]"
		}
		fmt.Fprintf(out, "  %s\n      %s%s%s\n", name, fl.Usage, def, env)
	}
	if len(own) > 0 {
		fmt.Fprintln(out, "\nFlags:")
		for _, fl := range own {
			item(fl)
		}
	}
	if len(global) > 0 {
		fmt.Fprintln(out, "\nGlobal flags (the tenant and server; each also read from the environment variable shown):")
		for _, fl := range global {
			item(fl)
		}
	}
}

// alias registers -a as a shorthand of the flag long.
func (f *flagSet) alias(a, long string) {
	fl := f.Lookup(long)
	f.Var(fl.Value, a, "shorthand for --"+long)
	f.short[long] = a
}

// envFor returns the variable a flag being registered reads, or "".
func (f *flagSet) envFor(name string) string {
	if f.shared || name == "server" {
		f.global[name] = true
	}
	if !f.readEnv && name != "server" {
		return ""
	}
	v := envName(name)
	f.env[name] = v
	return v
}

// lookupEnv reads the variable of a flag being registered, if it has one.
func (f *flagSet) lookupEnv(name string) (string, string, bool) {
	v := f.envFor(name)
	if v == "" {
		return "", "", false
	}
	val, ok := f.io.env(v)
	return v, val, ok
}

func (f *flagSet) String(p *string, name, def, usage string) {
	if _, v, ok := f.lookupEnv(name); ok {
		def = v
	}
	f.StringVar(p, name, def, usage)
}

func (f *flagSet) Int(p *int, name string, def int, usage string) {
	if e, v, ok := f.lookupEnv(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not an integer", e, v))
		}
		def = n
	}
	f.IntVar(p, name, def, usage)
}

func (f *flagSet) Float(p *float64, name string, def float64, usage string) {
	if e, v, ok := f.lookupEnv(name); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a number", e, v))
		}
		def = n
	}
	f.Float64Var(p, name, def, usage)
}

func (f *flagSet) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	if e, v, ok := f.lookupEnv(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a duration (e.g. 720h)", e, v))
		}
		def = d
	}
	f.DurationVar(p, name, def, usage)
}

// Bytes registers a size flag: plain bytes or a number with KiB, MiB, GiB
// (or KB, MB, GB) suffix.
func (f *flagSet) Bytes(p *int64, name string, def int64, usage string) {
	if e, v, ok := f.lookupEnv(name); ok {
		n, err := parseBytes(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: %v", e, v, err))
		}
		def = n
	}
	*p = def
	f.Func(name, usage+" (default "+formatBytes(def)+")", func(s string) error {
		n, err := parseBytes(s)
		if err == nil {
			*p = n
		}
		return err
	})
}

// notAFlag reports whether arg is a value that merely starts with "-", such
// as a base64url kid: a single dash, no defined flag of that name, and a
// character no flag name has (flags are lower-case words joined by "-").
// Misspelled flags ("--no-such-flag", "-verbose") stay errors.
func (f *flagSet) notAFlag(arg string) bool {
	if len(arg) < 2 || arg[0] != '-' || arg[1] == '-' {
		return false
	}
	name, _, _ := strings.Cut(arg[1:], "=")
	if f.Lookup(name) != nil {
		return false
	}
	return strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '-') }) >= 0
}

// suggestFlag names the defined flag closest to the one a "flag provided
// but not defined" error names, if any is close.
func (f *flagSet) suggestFlag(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	name = strings.TrimLeft(name, "-")
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	if best := closest(name, names); best != "" {
		return "--" + best
	}
	return ""
}

// closest returns the candidate within a small edit distance of s ("" if
// none): a typo, not another word.
func closest(s string, candidates []string) string {
	best, bestD := "", max(2, len(s)/3)+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a size such as 450MiB, 2GiB or 0")
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}

func (f *flagSet) Bool(p *bool, name string, def bool, usage string) {
	if e, v, ok := f.lookupEnv(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a boolean", e, v))
		}
		def = b
	}
	f.BoolVar(p, name, def, usage)
}

// parse parses args, allowing flags before and after positional arguments
// (credo clients get ID --db x); "--" ends flag parsing. Positional
// arguments are returned in order.
func (f *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		// An argument that looks like a flag but names none (a kid or an id
		// may start with "-") is positional.
		for len(args) > 0 && f.notAFlag(args[0]) {
			pos, args = append(pos, args[0]), args[1:]
		}
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.usage(f.io.Stdout)
				return nil, err
			}
			fmt.Fprintf(f.io.Stderr, "credo %s: %v\n", f.Name(), err)
			if s := f.suggestFlag(err); s != "" {
				fmt.Fprintf(f.io.Stderr, "Did you mean %s?\n", s)
			}
			fmt.Fprintf(f.io.Stderr, "Run 'credo %s --help' for its flags.\n", f.Name())
			return nil, errUsage
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(f.errs) > 0 {
		return nil, errors.Join(f.errs...)
	}
	return pos, nil
}
