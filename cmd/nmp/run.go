package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the call failed: the server refused it or was unreachable
	exitUsage = 2 // the command line is wrong
)

// cli is what every command gets: the output streams and the environment.
type cli struct {
	stdout, stderr io.Writer
	stdin          io.Reader // --input-file -
	getenv         func(string) string
	// isTerminal reports whether stdout is a terminal: a table is then the
	// default output format, JSON otherwise.
	isTerminal bool
}

// globals are the flags every command accepts.
type globals struct {
	baseURL string
	token   string
	getenv  func(string) string
	output
	columns    string
	formatFlag string
	timeout    time.Duration
}

// command is one "nmp <group> <verb>".
type command struct {
	verb  string
	usage string // after "nmp "
	short string
	run   func(ctx context.Context, c *cli, args []string) error
}

// group is one "nmp <group>" with its commands.
type group struct {
	name     string
	aliases  []string
	short    string
	commands []command
}

func groups() []group {
	return []group{workspacesGroup(), projectsGroup(), refsGroup()}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runCLI(ctx, &cli{stdout: stdout, stderr: stderr, stdin: os.Stdin, getenv: os.Getenv, isTerminal: isTerminal(os.Stdout)}, args)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runCLI(ctx context.Context, c *cli, args []string) int {
	groupName, verb, rest := splitCommand(args)
	switch groupName {
	case "", "help", "-h", "--help", "-help":
		c.printUsage(c.stdout)
		if groupName == "" {
			return exitUsage
		}
		return exitOK
	case "version", "--version":
		fmt.Fprintln(c.stdout, "nmp", version)
		return exitOK
	}
	g, ok := findGroup(groupName)
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown command %q\n\n", groupName)
		c.printUsage(c.stderr)
		return exitUsage
	}
	if verb == "" || verb == "help" || verb == "-h" || verb == "--help" {
		c.printGroupUsage(c.stdout, g)
		if verb == "" && !slices.ContainsFunc(rest, isHelpFlag) {
			return exitUsage
		}
		return exitOK
	}
	for _, cmd := range g.commands {
		if cmd.verb == verb {
			return c.exit(cmd.run(ctx, c, rest))
		}
	}
	fmt.Fprintf(c.stderr, "Error: unknown command %q for %q\n\n", verb, g.name)
	c.printGroupUsage(c.stderr, g)
	return exitUsage
}

// splitCommand takes the group and verb out of args, skipping global flags
// and --workspace (and their values) that may come before them. Everything else is left in
// order for the command's own parser.
func splitCommand(args []string) (groupName, verb string, rest []string) {
	valued := globalValued()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			rest = append(rest, a)
			name := strings.TrimLeft(a, "-")
			if valued[name] && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			if groupName == "" && (name == "h" || name == "help" || name == "version") {
				return a, "", nil
			}
			continue
		}
		switch {
		case groupName == "":
			groupName = a
		case verb == "":
			verb = a
		default:
			rest = append(rest, a)
		}
	}
	return groupName, verb, rest
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// globalValued are the flags that take a value and may come before the
// command words.
func globalValued() map[string]bool {
	return map[string]bool{"base-url": true, "token": true, "o": true, "output": true, "f": true, "output-format": true,
		"c": true, "output-columns": true, "timeout": true, "workspace": true}
}

func findGroup(name string) (group, bool) {
	for _, g := range groups() {
		if g.name == name {
			return g, true
		}
		for _, a := range g.aliases {
			if a == name {
				return g, true
			}
		}
	}
	return group{}, false
}

// exit prints err, if any, and returns the exit status for it. A server
// error is printed with its kind first ("Not found: Workspace 'x' not
// found"); a validation error shows one line per issue as "loc: msg".
func (c *cli) exit(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.stderr, "Error: %s\nRun 'nmp help' for usage.\n", ue.msg)
		return exitUsage
	}
	kind := errorKind(err)
	var se *client.StatusError
	if errors.As(err, &se) {
		if len(se.Issues) > 0 {
			fmt.Fprintf(c.stderr, "%s (%d):\n", kind, se.StatusCode)
			for _, is := range se.Issues {
				fmt.Fprintf(c.stderr, "  %s\n", client.FormatIssue(is))
			}
			return exitError
		}
		fmt.Fprintf(c.stderr, "%s: %s\n", kind, se.Detail)
		return exitError
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", kind, err)
	return exitError
}

// errorKind names the class of a failed call, as the platform CLI does.
func errorKind(err error) string {
	for _, k := range []struct {
		class error
		name  string
	}{
		{client.ErrNotFound, "Not found"},
		{client.ErrConflict, "Conflict"},
		{client.ErrForbidden, "Permission denied"},
		{client.ErrUnauthorized, "Authentication failed"},
		{client.ErrInvalid, "Invalid request"},
		{client.ErrTooLarge, "Request too large"},
		{client.ErrOutcomeUnknown, "Outcome unknown"},
		{client.ErrUnavailable, "Service unavailable"},
	} {
		if errors.Is(err, k.class) {
			return k.name
		}
	}
	return "Error"
}

// cmdFlags is a command's flag set with the global flags registered.
type cmdFlags struct {
	*flag.FlagSet
	globals
	usage string
	cli   *cli
}

// flags returns the flag set of the command with the given usage line
// ("workspaces get NAME").
func (c *cli) flags(usage string) *cmdFlags {
	words := strings.Fields(usage)
	name := strings.Join(words[:min(2, len(words))], " ")
	f := &cmdFlags{FlagSet: newFlagSet(name, usage, c.stderr), usage: usage, cli: c}
	f.getenv = c.getenv
	baseURL := c.getenv("NMP_BASE_URL")
	if baseURL == "" {
		baseURL = client.DefaultEndpoint
	}
	f.StringVar(&f.baseURL, "base-url", baseURL, "service URL; a comma-separated list for several nodes (NMP_BASE_URL)")
	f.StringVar(&f.token, "token", "", "bearer token (default: NMP_ACCESS_TOKEN, NEMO_WORKLOAD_TOKEN, NEMO_WORKLOAD_TOKEN_FILE, NMP_TOKEN)")
	formatUsage := "output format: " + strings.Join(formats, ", ") + " (NMP_OUTPUT_FORMAT; default table on a terminal, json otherwise)"
	f.StringVar(&f.formatFlag, "output-format", "", formatUsage)
	f.StringVar(&f.formatFlag, "f", "", "shorthand for --output-format")
	f.StringVar(&f.formatFlag, "output", "", "same as --output-format")
	f.StringVar(&f.formatFlag, "o", "", "same as --output-format")
	f.StringVar(&f.columns, "output-columns", "", "table, markdown and csv: the columns to show, comma-separated (e.g. name,id)")
	f.StringVar(&f.columns, "c", "", "shorthand for --output-columns")
	f.BoolVar(&f.noTruncate, "no-truncate", false, fmt.Sprintf("show table values longer than %d characters in full", maxCell))
	f.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on the call after this long")
	return f
}

// parse parses args and checks the global flags and the number of
// positional arguments (minArgs to maxArgs; maxArgs < 0 means no limit).
func (f *cmdFlags) parse(args []string, minArgs, maxArgs int) ([]string, error) {
	pos, err := parseInterspersed(f.FlagSet, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{msg: err.Error()}
	}
	format := f.formatFlag
	if format == "" {
		format = strings.TrimSpace(f.getenv("NMP_OUTPUT_FORMAT"))
	}
	switch {
	case format == "" && f.cli.isTerminal:
		format = "table"
	case format == "":
		format = "json" // a table becomes JSON when stdout is not a terminal
	}
	format = strings.ToLower(format)
	if !slices.Contains(formats, format) {
		return nil, usagef("unknown output format %q: want one of %s", format, strings.Join(formats, ", "))
	}
	f.format = format
	if f.columns != "" {
		f.output.columns = strings.Split(f.columns, ",")
	}
	switch {
	case len(pos) < minArgs:
		return nil, usagef("missing argument\nUsage: nmp %s", f.usage)
	case maxArgs >= 0 && len(pos) > maxArgs:
		return nil, usagef("unexpected argument %q\nUsage: nmp %s", pos[maxArgs], f.usage)
	}
	return pos, nil
}

// client builds the API client from the global flags.
func (g *globals) client() (*client.Client, error) {
	cfg := client.DefaultConfig()
	cfg.Endpoints = nil
	for _, ep := range strings.Split(g.baseURL, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			cfg.Endpoints = append(cfg.Endpoints, ep)
		}
	}
	switch {
	case g.token != "":
		cfg.Token = g.token
	default:
		cfg.TokenSource = client.TokenSourceFromEnv(g.getenv)
		if cfg.TokenSource == nil {
			cfg.Token = strings.TrimSpace(g.getenv("NMP_TOKEN"))
		}
	}
	cfg.UserAgent = "nmp/" + version
	c, err := client.New(cfg)
	if err != nil {
		return nil, usagef("--base-url: %v", err)
	}
	return c, nil
}

// call runs fn with a client built from the global flags, bounded by the
// --timeout flag.
func (g *globals) call(ctx context.Context, fn func(context.Context, *client.Client) error) error {
	cl, err := g.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := g.withTimeout(ctx)
	defer cancel()
	return fn(ctx, cl)
}

// withTimeout bounds ctx by the --timeout flag.
func (g *globals) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, g.timeout)
}

func (c *cli) printUsage(w io.Writer) {
	fmt.Fprint(w, `nmp is the command-line client of the workspace service.

Usage:
  nmp <command> <subcommand> [arguments] [flags]

Commands:
`)
	for _, g := range groups() {
		fmt.Fprintf(w, "  %-12s %s\n", g.name, g.short)
	}
	fmt.Fprint(w, `  version      print the version

Global flags (accepted by every subcommand, before or after arguments):
  --base-url URL[,URL...]   service URL (NMP_BASE_URL, default http://localhost:8080)
  --token TOKEN             bearer token (NMP_ACCESS_TOKEN, then NEMO_WORKLOAD_TOKEN,
                            NEMO_WORKLOAD_TOKEN_FILE, NMP_TOKEN)
  -f, --output-format FMT   table, json, yaml, markdown, csv or raw (NMP_OUTPUT_FORMAT;
                            default table on a terminal, json otherwise; -o is an alias)
  -c, --output-columns COLS the table columns to show, e.g. name,id
  --no-truncate             show table values over 50 characters in full
  --timeout DURATION        give up after this long (default 30s)

Run 'nmp <command>' to list its subcommands and 'nmp <command> <subcommand> -h' for its flags.
`)
}

func (c *cli) printGroupUsage(w io.Writer, g group) {
	fmt.Fprintf(w, "%s\n\nUsage:\n", g.short)
	for _, cmd := range g.commands {
		fmt.Fprintf(w, "  nmp %s\n", cmd.usage)
	}
	fmt.Fprintln(w, "\nSubcommands:")
	for _, cmd := range g.commands {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.verb, cmd.short)
	}
}
