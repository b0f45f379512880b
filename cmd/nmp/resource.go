package main

import (
	"context"
	"fmt"
	"iter"

	"github.com/wsd-dev/wsd/client"
)

// resource is what the workspaces and projects command groups differ in.
// Both create, list, get, update and delete named records the same way,
// with the same flags and output; projects live in the workspace named by
// --workspace (or NMP_WORKSPACE). The calls take the client first, so
// that the project calls are the client's own method expressions.
type resource[T any] struct {
	group string // the command group: "workspaces"
	noun  string // one record: "workspace"
	// scoped records live in a workspace: every command takes --workspace.
	scoped      bool
	deleteShort string
	table       func(...T) *tabular

	create func(cl *client.Client, ctx context.Context, ws, name string, opts ...client.CreateOption) (*T, error)
	get    func(cl *client.Client, ctx context.Context, ws, name string, opts ...client.ReadOption) (*T, error)
	list   func(cl *client.Client, ctx context.Context, ws string, lo client.ListOptions, opts ...client.ReadOption) (*client.Page[T], error)
	all    func(cl *client.Client, ctx context.Context, ws string, lo client.ListOptions, opts ...client.ReadOption) iter.Seq2[T, error]
	update func(cl *client.Client, ctx context.Context, ws, name string, description *string) (*T, error)
	del    func(cl *client.Client, ctx context.Context, ws, name string) (*client.DeleteResponse, error)
}

// Argument lists of the commands, after "<group> <verb>".
const (
	createArgs = "NAME [--description TEXT] [--exist-ok] [--input-file FILE | --input-data JSON]"
	listArgs   = "[--page N] [--page-size N] [--sort FIELD] [--filter EXPR] [--all-pages]"
	updateArgs = "NAME (--description TEXT | --clear-description | --input-file FILE | --input-data JSON)"
)

// commands are the create, list, get, update and delete commands of k.
func (k resource[T]) commands() []command {
	return []command{
		{"create", k.usage("create", createArgs), "create a " + k.noun, k.createCmd},
		{"list", k.usage("list", listArgs), "list " + k.group, k.listCmd},
		{"get", k.usage("get", "NAME"), "show a " + k.noun, k.getCmd},
		{"update", k.usage("update", updateArgs), "change a " + k.noun + "'s description", k.updateCmd},
		{"delete", k.usage("delete", "NAME"), k.deleteShort, k.deleteCmd},
	}
}

// usage is the usage line of a command of k, after "nmp ".
func (k resource[T]) usage(verb, args string) string {
	u := k.group + " " + verb + " " + args
	if k.scoped {
		u += " --workspace W"
	}
	return u
}

// resourceFlags are the flags of one command of a resource.
type resourceFlags struct {
	*cmdFlags
	ws *string // --workspace; nil when the resource is not scoped
}

func (k resource[T]) flags(c *cli, verb, args string) resourceFlags {
	f := resourceFlags{cmdFlags: c.flags(k.usage(verb, args))}
	if k.scoped {
		f.ws = f.String("workspace", c.getenv("NMP_WORKSPACE"), "workspace of the "+k.noun+" (NMP_WORKSPACE)")
	}
	return f
}

// parse parses args (see cmdFlags.parse) and requires --workspace when the
// resource is scoped.
func (f resourceFlags) parse(args []string, minArgs, maxArgs int) ([]string, error) {
	pos, err := f.cmdFlags.parse(args, minArgs, maxArgs)
	if err == nil && f.ws != nil && *f.ws == "" {
		err = usagef("--workspace is required (or set NMP_WORKSPACE)\nUsage: nmp %s", f.usage)
	}
	return pos, err
}

// workspace is the --workspace value; "" for an unscoped resource.
func (f resourceFlags) workspace() string {
	if f.ws == nil {
		return ""
	}
	return *f.ws
}

func (k resource[T]) print(c *cli, f resourceFlags, v *T) error {
	return render(c.stdout, f.output, v, func() *tabular { return k.table(*v) })
}

// nameFlag registers --name, the alias of the NAME argument.
func (k resource[T]) nameFlag(f resourceFlags) *string {
	return f.String("name", "", k.noun+" name (the same as the NAME argument)")
}

// nameArg is the record's name: the NAME argument or --name (not both,
// unless equal).
func nameArg(pos []string, flagName string) (string, error) {
	switch {
	case len(pos) == 1 && flagName != "" && pos[0] != flagName:
		return "", usagef("name given twice: %q and --name %q", pos[0], flagName)
	case len(pos) == 1:
		return pos[0], nil
	case flagName == "":
		return "", usagef("the name is required: give NAME or --name")
	}
	return flagName, nil
}

func (k resource[T]) createCmd(ctx context.Context, c *cli, args []string) error {
	f := k.flags(c, "create", createArgs)
	name := k.nameFlag(f)
	desc := f.String("description", "", k.noun+" description")
	existOK := f.Bool("exist-ok", false, "succeed, showing the existing "+k.noun+", if the name is taken")
	in := inputFlags(f.cmdFlags)
	pos, err := f.parse(args, 0, 1)
	if err != nil {
		return err
	}
	body, err := in.read(c)
	if err != nil {
		return err
	}
	if body != nil && *name == "" && len(pos) == 0 {
		if *name, err = body.str("name"); err != nil {
			return err
		}
	}
	if *name == "" && len(pos) == 0 {
		return usagef("--name is required (or NAME, or \"name\" in the input)")
	}
	n, err := nameArg(pos, *name)
	if err != nil {
		return err
	}
	var opts []client.CreateOption
	switch {
	case flagSet(f.cmdFlags, "description"):
		opts = append(opts, client.WithDescription(*desc))
	case body != nil:
		d, err := body.strPtr("description")
		if err != nil {
			return err
		}
		if d != nil {
			opts = append(opts, client.WithDescription(*d))
		}
	}
	if *existOK {
		opts = append(opts, client.ExistOK())
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		v, err := k.create(cl, ctx, f.workspace(), n, opts...)
		if err != nil {
			return err
		}
		return k.print(c, f, v)
	})
}

func (k resource[T]) listCmd(ctx context.Context, c *cli, args []string) error {
	f := k.flags(c, "list", listArgs)
	var lo client.ListOptions
	var filters filterFlag
	f.IntVar(&lo.Page, "page", 0, "page number, from 1 (server default 1)")
	f.IntVar(&lo.PageSize, "page-size", 0, k.group+" per page, 1-1000 (server default 100)")
	f.StringVar(&lo.Sort, "sort", "", "created_at, -created_at (default), updated_at, -updated_at, name or -name")
	f.Var(&filters, "filter", `filter, sent to the server unchanged: name:"ml-team", name~"ml" AND created_at>="2025-01-01", {"name":{"$in":["a","b"]}}; `+
		`or, repeatable, the bracket form FIELD=VALUE or FIELD[$OP]=VALUE`)
	all := f.Bool("all-pages", false, "fetch every page (json and yaml then print a list of "+k.group+")")
	if _, err := f.parse(args, 0, 0); err != nil {
		return err
	}
	if err := filters.apply(&lo); err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		if *all {
			items := []T{}
			for v, err := range k.all(cl, ctx, f.workspace(), lo) {
				if err != nil {
					return err
				}
				items = append(items, v)
			}
			return render(c.stdout, f.output, items, func() *tabular { return k.table(items...) })
		}
		page, err := k.list(cl, ctx, f.workspace(), lo)
		if err != nil {
			return err
		}
		err = render(c.stdout, f.output, page, func() *tabular { return k.table(page.Data...) })
		if p := page.Pagination; err == nil && f.format == "table" && p.TotalPages > 1 {
			fmt.Fprintf(c.stderr, "page %d of %d (%d %s); see --page or --all-pages\n", p.Page, p.TotalPages, p.TotalResults, k.group)
		}
		return err
	})
}

func (k resource[T]) getCmd(ctx context.Context, c *cli, args []string) error {
	f := k.flags(c, "get", "NAME")
	name := k.nameFlag(f)
	consistency := f.String("consistency", "", "read consistency: default, stale or linearizable")
	pos, err := f.parse(args, 0, 1)
	if err != nil {
		return err
	}
	n, err := nameArg(pos, *name)
	if err != nil {
		return err
	}
	var opts []client.ReadOption
	if *consistency != "" {
		opts = append(opts, client.WithConsistency(*consistency))
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		v, err := k.get(cl, ctx, f.workspace(), n, opts...)
		if err != nil {
			return err
		}
		return k.print(c, f, v)
	})
}

func (k resource[T]) updateCmd(ctx context.Context, c *cli, args []string) error {
	f := k.flags(c, "update", updateArgs)
	name := k.nameFlag(f)
	desc := f.String("description", "", "new description")
	clearDesc := f.Bool("clear-description", false, "remove the description")
	in := inputFlags(f.cmdFlags)
	pos, err := f.parse(args, 0, 1)
	if err != nil {
		return err
	}
	n, err := nameArg(pos, *name)
	if err != nil {
		return err
	}
	body, err := in.read(c)
	if err != nil {
		return err
	}
	var d *string
	switch set := flagSet(f.cmdFlags, "description"); {
	case set && *clearDesc:
		return usagef("--description and --clear-description exclude each other")
	case set:
		d = desc
	case *clearDesc:
	case body != nil:
		if bn, err := body.str("name"); err != nil {
			return err
		} else if bn != "" && bn != n {
			return usagef("the input renames %q to %q: names are immutable", n, bn)
		}
		if _, ok := body["description"]; !ok {
			return usagef("nothing to update: the input has no \"description\"")
		}
		if d, err = body.strPtr("description"); err != nil {
			return err
		}
	default:
		return usagef("nothing to update: give --description TEXT, --clear-description, --input-file or --input-data")
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		v, err := k.update(cl, ctx, f.workspace(), n, d)
		if err != nil {
			return err
		}
		return k.print(c, f, v)
	})
}

func (k resource[T]) deleteCmd(ctx context.Context, c *cli, args []string) error {
	f := k.flags(c, "delete", "NAME")
	name := k.nameFlag(f)
	pos, err := f.parse(args, 0, 1)
	if err != nil {
		return err
	}
	n, err := nameArg(pos, *name)
	if err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		dr, err := k.del(cl, ctx, f.workspace(), n)
		if err != nil {
			return err
		}
		return printDeleted(c, f.output, dr)
	})
}

// deletedMessage is what every format but json, yaml and raw prints
// after a delete.
const deletedMessage = "✓ Deleted successfully"

// printDeleted shows the server's answer to a delete in json, yaml and
// raw, and the platform CLI's message otherwise.
func printDeleted(c *cli, o output, answer any) error {
	switch o.format {
	case "json", "yaml", "raw":
		return render(c.stdout, o, answer, nil)
	}
	_, err := fmt.Fprintln(c.stdout, deletedMessage)
	return err
}
