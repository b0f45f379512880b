package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
	getenv         func(string) string
}

// globals are the flags every command accepts.
type globals struct {
	baseURL string
	token   string
	output  string
	timeout time.Duration
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
	return runCLI(ctx, &cli{stdout: stdout, stderr: stderr, getenv: os.Getenv}, args)
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
		if verb == "" {
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
	valued := map[string]bool{"base-url": true, "token": true, "o": true, "output": true, "timeout": true, "workspace": true}
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

// exit prints err, if any, and returns the exit status for it. Server
// errors show the server's detail; validation errors show one line per
// issue as "loc: msg".
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
	var se *client.StatusError
	if errors.As(err, &se) {
		if len(se.Issues) > 0 {
			fmt.Fprintf(c.stderr, "Error: invalid request (%d):\n", se.StatusCode)
			for _, is := range se.Issues {
				fmt.Fprintf(c.stderr, "  %s\n", client.FormatIssue(is))
			}
			return exitError
		}
		fmt.Fprintf(c.stderr, "Error: %s\n", se.Detail)
		return exitError
	}
	fmt.Fprintf(c.stderr, "Error: %v\n", err)
	return exitError
}

// cmdFlags is a command's flag set with the global flags registered.
type cmdFlags struct {
	*flag.FlagSet
	globals
	usage string
}

// flags returns the flag set of the command with the given usage line
// ("workspaces get NAME").
func (c *cli) flags(usage string) *cmdFlags {
	words := strings.Fields(usage)
	name := strings.Join(words[:min(2, len(words))], " ")
	f := &cmdFlags{FlagSet: newFlagSet(name, usage, c.stderr), usage: usage}
	baseURL := c.getenv("NMP_BASE_URL")
	if baseURL == "" {
		baseURL = client.DefaultEndpoint
	}
	f.StringVar(&f.baseURL, "base-url", baseURL, "service URL; a comma-separated list for several nodes (NMP_BASE_URL)")
	f.StringVar(&f.token, "token", c.getenv("NMP_TOKEN"), "bearer token (NMP_TOKEN)")
	f.StringVar(&f.output, "output", "table", "output format: table, json or yaml")
	f.StringVar(&f.output, "o", "table", "shorthand for --output")
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
	switch f.output {
	case "table", "json", "yaml":
	default:
		return nil, usagef("unknown output format %q: want table, json or yaml", f.output)
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
	cfg.Token = g.token
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
  --token TOKEN             bearer token (NMP_TOKEN)
  -o, --output FORMAT       table (default), json or yaml
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
