package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wsd-dev/wsd/client"
)

// The members of a workspace: nmp workspaces members list|create|update|delete.

const membersUsage = "workspaces members"

// memberCommands are the subcommands of "workspaces members".
func memberCommands() []command {
	return []command{
		{"list", membersUsage + " list --workspace W", "list the principals holding roles in a workspace", membersList},
		{"create", membersUsage + " create --workspace W --principal P [--roles ROLE]... [--input-file FILE | --input-data JSON]",
			"give a principal roles (added to those it holds; Editor when none given)", membersCreate},
		{"update", membersUsage + " update --workspace W --principal P --roles ROLE... [--input-file FILE | --input-data JSON]",
			"replace a principal's roles", membersUpdate},
		{"delete", membersUsage + " delete --workspace W --principal P", "remove every role of a principal", membersDelete},
	}
}

// membersCmd dispatches "workspaces members <verb>".
func membersCmd(ctx context.Context, c *cli, args []string) error {
	verb, rest := splitVerb(args)
	switch verb {
	case "", "help", "-h", "--help", "-help":
		w := c.stdout
		if verb == "" {
			w = c.stderr
		}
		printCommands(w, "Manage the members of a workspace (who holds which role)", memberCommands())
		if verb == "" {
			return usagef("missing subcommand: list, create, update or delete")
		}
		return nil
	}
	for _, cmd := range memberCommands() {
		if cmd.verb == verb {
			return cmd.run(ctx, c, rest)
		}
	}
	return usagef("unknown command %q for \"workspaces members\": want list, create, update or delete", verb)
}

// splitVerb takes the first word that is neither a flag nor a flag's
// value out of args.
func splitVerb(args []string) (string, []string) {
	valued := globalValued()
	for _, n := range []string{"principal", "roles", "input-file", "input-data", "name"} {
		valued[n] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if name := strings.TrimLeft(a, "-"); name == "h" || name == "help" {
				return a, nil
			} else if valued[name] {
				i++
			}
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}

func printCommands(w io.Writer, short string, cmds []command) {
	fmt.Fprintf(w, "%s\n\nUsage:\n", short)
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  nmp %s\n", cmd.usage)
	}
	fmt.Fprintln(w, "\nSubcommands:")
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.verb, cmd.short)
	}
}

// rolesFlag collects repeated --roles flags; each may also hold a
// comma-separated list.
type rolesFlag []string

func (r *rolesFlag) String() string { return strings.Join(*r, ",") }

func (r *rolesFlag) Set(s string) error {
	for _, role := range strings.Split(s, ",") {
		if role = strings.TrimSpace(role); role != "" {
			*r = append(*r, role)
		}
	}
	return nil
}

// memberFlags are the flags of a members command.
type memberFlags struct {
	*cmdFlags
	ws, principal *string
	roles         rolesFlag
	in            input
}

func newMemberFlags(c *cli, usage string, principal, roles, in bool) *memberFlags {
	f := &memberFlags{cmdFlags: c.flags(usage)}
	f.ws = f.String("workspace", c.getenv("NMP_WORKSPACE"), "the workspace (NMP_WORKSPACE)")
	if principal {
		f.principal = f.String("principal", "", "a user id, email, group name, or * for every authenticated user")
	}
	if roles {
		f.Var(&f.roles, "roles", "a role: Viewer, Editor, Admin (on system also WorkspaceCreator, PlatformAdmin, JobRunner); repeatable")
	}
	if in {
		f.in = inputFlags(f.cmdFlags)
	}
	return f
}

// parse parses args; a positional argument, if any, is the workspace.
func (f *memberFlags) parse(args []string) error {
	pos, err := f.cmdFlags.parse(args, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		if *f.ws != "" && flagSet(f.cmdFlags, "workspace") && *f.ws != pos[0] {
			return usagef("workspace given twice: %q and --workspace %q", pos[0], *f.ws)
		}
		*f.ws = pos[0]
	}
	if *f.ws == "" {
		return usagef("--workspace is required (or set NMP_WORKSPACE)\nUsage: nmp %s", f.usage)
	}
	return nil
}

// fromInput fills --principal and --roles from the input, where not given
// on the command line; rolesSet reports whether roles were given at all.
func (f *memberFlags) fromInput(c *cli) (rolesSet bool, err error) {
	rolesSet = flagSet(f.cmdFlags, "roles")
	b, err := f.in.read(c)
	if err != nil || b == nil {
		return rolesSet, err
	}
	if *f.principal == "" {
		if *f.principal, err = b.str("principal"); err != nil {
			return rolesSet, err
		}
	}
	if !rolesSet {
		roles, ok, err := b.strList("roles")
		if err != nil {
			return rolesSet, err
		}
		if ok {
			f.roles, rolesSet = roles, true
		}
	}
	return rolesSet, nil
}

func (f *memberFlags) needPrincipal() error {
	if *f.principal == "" {
		return usagef("--principal is required\nUsage: nmp %s", f.usage)
	}
	return nil
}

func memberTable(ms ...client.Member) *tabular {
	t := newTable("PRINCIPAL", "ROLES", "GRANTED_AT", "GRANTED_BY")
	for _, m := range ms {
		t.add(m.Principal, strings.Join(m.Roles, ","), cellTime(m.GrantedAt), m.GrantedBy)
	}
	return t
}

func membersList(ctx context.Context, c *cli, args []string) error {
	f := newMemberFlags(c, memberCommands()[0].usage, false, false, false)
	if err := f.parse(args); err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		ms, err := cl.WorkspaceMembers(ctx, *f.ws)
		if err != nil {
			return err
		}
		if ms == nil {
			ms = []client.Member{}
		}
		return render(c.stdout, f.output, client.MemberList{Data: ms}, func() *tabular { return memberTable(ms...) })
	})
}

func membersCreate(ctx context.Context, c *cli, args []string) error {
	f := newMemberFlags(c, memberCommands()[1].usage, true, true, true)
	if err := f.parse(args); err != nil {
		return err
	}
	if _, err := f.fromInput(c); err != nil {
		return err
	}
	if err := f.needPrincipal(); err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		m, err := cl.AddMember(ctx, *f.ws, *f.principal, f.roles...)
		if err != nil {
			return err
		}
		return render(c.stdout, f.output, m, func() *tabular { return memberTable(*m) })
	})
}

func membersUpdate(ctx context.Context, c *cli, args []string) error {
	f := newMemberFlags(c, memberCommands()[2].usage, true, true, true)
	if err := f.parse(args); err != nil {
		return err
	}
	rolesSet, err := f.fromInput(c)
	if err != nil {
		return err
	}
	if err := f.needPrincipal(); err != nil {
		return err
	}
	if !rolesSet {
		return usagef("nothing to update: give --roles ROLE (repeatable), or \"roles\" in the input ([] removes every role)")
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		roles := append([]string{}, f.roles...) // [] removes every role; never null
		m, err := cl.SetMemberRoles(ctx, *f.ws, *f.principal, roles...)
		if err != nil {
			return err
		}
		return render(c.stdout, f.output, m, func() *tabular { return memberTable(*m) })
	})
}

func membersDelete(ctx context.Context, c *cli, args []string) error {
	f := newMemberFlags(c, memberCommands()[3].usage, true, false, false)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.needPrincipal(); err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		res, err := cl.RemoveMember(ctx, *f.ws, *f.principal)
		if err != nil {
			return err
		}
		return printDeleted(c, f.output, res)
	})
}
