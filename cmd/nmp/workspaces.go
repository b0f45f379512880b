package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/wsd-dev/wsd/client"
)

func workspacesGroup() group {
	return group{
		name:    "workspaces",
		aliases: []string{"workspace", "ws"},
		short:   "Manage workspaces",
		commands: []command{
			{"create", "workspaces create --name NAME [--description TEXT] [--exist-ok]", "create a workspace", workspacesCreate},
			{"list", "workspaces list [--page N] [--page-size N] [--sort FIELD] [--filter FIELD=VALUE]... [--all-pages]", "list workspaces", workspacesList},
			{"get", "workspaces get NAME", "show a workspace", workspacesGet},
			{"update", "workspaces update NAME (--description TEXT | --clear-description)", "change a workspace's description", workspacesUpdate},
			{"delete", "workspaces delete NAME", "delete an empty workspace", workspacesDelete},
			{"usage", "workspaces usage NAME", "count the entities of a workspace by type", workspacesUsage},
		},
	}
}

func workspaceTable(w io.Writer, wss ...client.Workspace) {
	row(w, "NAME", "ID", "DESCRIPTION", "CREATED_AT", "UPDATED_AT")
	for _, ws := range wss {
		row(w, ws.Name, ws.ID, cellDesc(ws.Description), cellTime(ws.CreatedAt), cellTime(ws.UpdatedAt))
	}
}

func printWorkspace(c *cli, f *cmdFlags, ws *client.Workspace) error {
	return render(c.stdout, f.output, ws, func(w io.Writer) { workspaceTable(w, *ws) })
}

func workspacesCreate(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces create --name NAME [--description TEXT] [--exist-ok]")
	name := f.String("name", "", "workspace name (lowercase letters, digits and hyphens)")
	desc := f.String("description", "", "workspace description")
	existOK := f.Bool("exist-ok", false, "succeed, showing the existing workspace, if the name is taken")
	pos, err := f.parse(args, 0, 1)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && *name != "" && pos[0] != *name:
		return usagef("name given twice: %q and --name %q", pos[0], *name)
	case len(pos) == 1:
		*name = pos[0]
	case *name == "":
		return usagef("--name is required")
	}
	var opts []client.CreateOption
	if flagSet(f, "description") {
		opts = append(opts, client.WithDescription(*desc))
	}
	if *existOK {
		opts = append(opts, client.ExistOK())
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ws, err := cl.CreateWorkspace(ctx, *name, opts...)
	if err != nil {
		return err
	}
	return printWorkspace(c, f, ws)
}

func workspacesList(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces list [--page N] [--page-size N] [--sort FIELD] [--filter FIELD=VALUE]... [--all-pages]")
	var lo client.ListOptions
	filter := filterFlag{}
	f.IntVar(&lo.Page, "page", 0, "page number, from 1 (server default 1)")
	f.IntVar(&lo.PageSize, "page-size", 0, "workspaces per page, 1-1000 (server default 100)")
	f.StringVar(&lo.Sort, "sort", "", "created_at, -created_at (default), updated_at, -updated_at, name or -name")
	f.Var(filter, "filter", "filter as FIELD=VALUE, e.g. name=ml-team or name[$like]=ml-% (repeatable)")
	all := f.Bool("all-pages", false, "fetch every page (json and yaml then print a list of workspaces)")
	if _, err := f.parse(args, 0, 0); err != nil {
		return err
	}
	if len(filter) > 0 {
		lo.Filter = filter
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	if *all {
		wss := []client.Workspace{}
		for ws, err := range cl.Workspaces(ctx, lo) {
			if err != nil {
				return err
			}
			wss = append(wss, ws)
		}
		return render(c.stdout, f.output, wss, func(w io.Writer) { workspaceTable(w, wss...) })
	}
	page, err := cl.ListWorkspaces(ctx, lo)
	if err != nil {
		return err
	}
	err = render(c.stdout, f.output, page, func(w io.Writer) { workspaceTable(w, page.Data...) })
	if p := page.Pagination; err == nil && f.output == "table" && p.TotalPages > 1 {
		fmt.Fprintf(c.stderr, "page %d of %d (%d workspaces); see --page or --all-pages\n", p.Page, p.TotalPages, p.TotalResults)
	}
	return err
}

func workspacesGet(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces get NAME")
	consistency := f.String("consistency", "", "read consistency: default, stale or linearizable")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var opts []client.ReadOption
	if *consistency != "" {
		opts = append(opts, client.WithConsistency(*consistency))
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ws, err := cl.GetWorkspace(ctx, pos[0], opts...)
	if err != nil {
		return err
	}
	return printWorkspace(c, f, ws)
}

func workspacesUpdate(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces update NAME (--description TEXT | --clear-description)")
	desc := f.String("description", "", "new description")
	clearDesc := f.Bool("clear-description", false, "remove the description")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var d *string
	switch set := flagSet(f, "description"); {
	case set && *clearDesc:
		return usagef("--description and --clear-description exclude each other")
	case set:
		d = desc
	case !*clearDesc:
		return usagef("nothing to update: give --description TEXT or --clear-description")
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ws, err := cl.UpdateWorkspace(ctx, pos[0], d)
	if err != nil {
		return err
	}
	return printWorkspace(c, f, ws)
}

func workspacesDelete(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces delete NAME")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	dr, err := cl.DeleteWorkspace(ctx, pos[0])
	if err != nil {
		return err
	}
	return render(c.stdout, f.output, dr, func(w io.Writer) {
		row(w, "NAME", "MESSAGE", "DELETED_AT")
		row(w, dr.ID, dr.Message, cellTime(dr.DeletedAt))
	})
}

func workspacesUsage(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces usage NAME")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	u, err := cl.Usage(ctx, pos[0])
	if err != nil {
		return err
	}
	return render(c.stdout, f.output, u, func(w io.Writer) {
		row(w, "ENTITY_TYPE", "COUNT")
		for _, t := range sortedKeys(u.ByType) {
			row(w, t, fmt.Sprint(u.ByType[t]))
		}
		row(w, "TOTAL", fmt.Sprint(u.Total))
	})
}

// flagSet reports whether the flag was given on the command line.
func flagSet(f *cmdFlags, name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	return set
}
