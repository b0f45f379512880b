package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wsd-dev/wsd/client"
)

// parseInterspersed parses args with fs, allowing flags before, between
// and after positional arguments (nmp workspaces get NAME -o json). It
// returns the positional arguments in order. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(append(flags, append([]string{"--"}, pos...)...)); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// writes its usage to w.
func newFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: nmp %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// filterFlag collects the --filter flags. A value in the bracket form
// FIELD=VALUE or FIELD[$OP]=VALUE (wsd's nmp before the filter language;
// repeatable, ANDed) is sent as filter[FIELD]=VALUE; any other value is
// sent as ?filter= unchanged, for the server to parse (text or JSON
// syntax), and may be given once.
type filterFlag struct {
	brackets map[string]string
	text     []string
}

func (f *filterFlag) String() string {
	if f == nil {
		return ""
	}
	return strings.Join(f.text, " ")
}

func (f *filterFlag) Set(s string) error {
	if k, v, ok := bracketFilter(s); ok {
		if f.brackets == nil {
			f.brackets = map[string]string{}
		}
		f.brackets[k] = v
		return nil
	}
	if strings.TrimSpace(s) == "" {
		return errors.New("empty filter")
	}
	f.text = append(f.text, s)
	return nil
}

// bracketFilter recognises FIELD=VALUE and FIELD[$OP]=VALUE, FIELD being
// lowercase letters and underscores. Neither the text syntax (name:"x",
// name>="x") nor JSON can start like that.
func bracketFilter(s string) (key, value string, ok bool) {
	i := 0
	for i < len(s) && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z')) {
		i++
	}
	if i == 0 || i == len(s) {
		return "", "", false
	}
	switch s[i] {
	case '=':
		return s[:i], s[i+1:], true
	case '[':
		if j := strings.Index(s[i:], "]="); j > 1 && s[i+1] == '$' {
			return s[:i+j+1], s[i+j+2:], true
		}
	}
	return "", "", false
}

// apply sets the filter of lo.
func (f *filterFlag) apply(lo *client.ListOptions) error {
	switch {
	case len(f.text) > 1:
		return usagef("--filter %q and --filter %q: give one filter expression (combine clauses with AND inside it)", f.text[0], f.text[1])
	case len(f.text) == 1 && len(f.brackets) > 0:
		return usagef("--filter %q cannot be combined with the FIELD=VALUE form", f.text[0])
	case len(f.text) == 1:
		lo.FilterText = f.text[0]
	case len(f.brackets) > 0:
		lo.Filter = f.brackets
	}
	return nil
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
