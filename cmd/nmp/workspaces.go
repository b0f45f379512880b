package main

import (
	"context"
	"flag"
	"fmt"
	"iter"

	"github.com/wsd-dev/wsd/client"
)

// workspaces are the records of the workspaces command group; the client
// calls take no workspace, so each one drops the ws argument.
func workspaces() resource[client.Workspace] {
	return resource[client.Workspace]{
		group:       "workspaces",
		noun:        "workspace",
		deleteShort: "delete an empty workspace",
		table:       workspaceTable,
		create: func(cl *client.Client, ctx context.Context, _, name string, opts ...client.CreateOption) (*client.Workspace, error) {
			return cl.CreateWorkspace(ctx, name, opts...)
		},
		get: func(cl *client.Client, ctx context.Context, _, name string, opts ...client.ReadOption) (*client.Workspace, error) {
			return cl.GetWorkspace(ctx, name, opts...)
		},
		list: func(cl *client.Client, ctx context.Context, _ string, lo client.ListOptions, opts ...client.ReadOption) (*client.WorkspacePage, error) {
			return cl.ListWorkspaces(ctx, lo, opts...)
		},
		all: func(cl *client.Client, ctx context.Context, _ string, lo client.ListOptions, opts ...client.ReadOption) iter.Seq2[client.Workspace, error] {
			return cl.Workspaces(ctx, lo, opts...)
		},
		update: func(cl *client.Client, ctx context.Context, _, name string, d *string) (*client.Workspace, error) {
			return cl.UpdateWorkspace(ctx, name, d)
		},
		del: func(cl *client.Client, ctx context.Context, _, name string) (*client.DeleteResponse, error) {
			return cl.DeleteWorkspace(ctx, name)
		},
	}
}

func workspacesGroup() group {
	return group{
		name:    "workspaces",
		aliases: []string{"workspace", "ws"},
		short:   "Manage workspaces",
		commands: append(workspaces().commands(),
			command{"usage", "workspaces usage NAME", "count the entities of a workspace by type", workspacesUsage},
			command{"members", "workspaces members list|create|update|delete --workspace W [--principal P] [--roles R]...",
				"manage who holds which role in a workspace", membersCmd}),
	}
}

func workspaceTable(wss ...client.Workspace) *tabular {
	t := newTable("NAME", "ID", "DESCRIPTION", "CREATED_AT", "UPDATED_AT")
	for _, ws := range wss {
		t.add(ws.Name, ws.ID, cellDesc(ws.Description), cellTime(ws.CreatedAt), cellTime(ws.UpdatedAt))
	}
	return t
}

func workspacesUsage(ctx context.Context, c *cli, args []string) error {
	f := c.flags("workspaces usage NAME")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		u, err := cl.Usage(ctx, pos[0])
		if err != nil {
			return err
		}
		return render(c.stdout, f.output, u, func() *tabular {
			t := newTable("ENTITY_TYPE", "COUNT")
			for _, typ := range sortedKeys(u.ByType) {
				t.add(typ, fmt.Sprint(u.ByType[typ]))
			}
			t.add("TOTAL", fmt.Sprint(u.Total))
			return t
		})
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
