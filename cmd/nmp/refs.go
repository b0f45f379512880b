package main

import (
	"context"
	"slices"

	"github.com/wsd-dev/wsd/client"
)

func refsGroup() group {
	return group{
		name:    "refs",
		aliases: []string{"ref", "entity-refs"},
		short:   "Manage entity references (what keeps a workspace from being deleted)",
		commands: []command{
			{"acquire", "refs acquire WORKSPACE ENTITY_TYPE ENTITY_NAME [--project P]", "register a reference", refsAcquire},
			{"release", "refs release WORKSPACE ENTITY_TYPE ENTITY_NAME", "release a reference", refsRelease},
			{"list", "refs list WORKSPACE [--entity-type T] [--page N] [--page-size N] [--all-pages]", "list the references of a workspace", refsList},
		},
	}
}

func refTable(refs ...client.EntityRef) *tabular {
	t := newTable("WORKSPACE", "ENTITY_TYPE", "ENTITY_NAME", "PROJECT", "CREATED_AT", "CREATED_BY")
	for _, r := range refs {
		t.add(r.Workspace, r.EntityType, r.EntityName, r.Project, cellTime(r.CreatedAt), r.CreatedBy)
	}
	return t
}

func refsAcquire(ctx context.Context, c *cli, args []string) error {
	f := c.flags("refs acquire WORKSPACE ENTITY_TYPE ENTITY_NAME [--project P]")
	project := f.String("project", "", "project of the workspace the entity belongs to")
	pos, err := f.parse(args, 3, 3)
	if err != nil {
		return err
	}
	var opts []client.RefOption
	if *project != "" {
		opts = append(opts, client.InProject(*project))
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		ref, _, err := cl.AcquireRef(ctx, pos[0], pos[1], pos[2], opts...)
		if err != nil {
			return err
		}
		return render(c.stdout, f.output, ref, func() *tabular { return refTable(*ref) })
	})
}

// releaseResult is what json and yaml show for a released reference.
type releaseResult struct {
	Message    string `json:"message"`
	Workspace  string `json:"workspace"`
	EntityType string `json:"entity_type"`
	EntityName string `json:"entity_name"`
}

func refsRelease(ctx context.Context, c *cli, args []string) error {
	f := c.flags("refs release WORKSPACE ENTITY_TYPE ENTITY_NAME")
	pos, err := f.parse(args, 3, 3)
	if err != nil {
		return err
	}
	if err := f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		return cl.ReleaseRef(ctx, pos[0], pos[1], pos[2])
	}); err != nil {
		return err
	}
	res := releaseResult{Message: "Reference released", Workspace: pos[0], EntityType: pos[1], EntityName: pos[2]}
	return render(c.stdout, f.output, res, func() *tabular {
		t := newTable("WORKSPACE", "ENTITY_TYPE", "ENTITY_NAME", "MESSAGE")
		t.add(res.Workspace, res.EntityType, res.EntityName, res.Message)
		return t
	})
}

func refsList(ctx context.Context, c *cli, args []string) error {
	f := c.flags("refs list WORKSPACE [--entity-type T] [--page N] [--page-size N] [--all-pages]")
	var lo client.RefListOptions
	f.StringVar(&lo.EntityType, "entity-type", "", "only references of this entity type")
	f.IntVar(&lo.Page, "page", 0, "page number, from 1")
	f.IntVar(&lo.PageSize, "page-size", 0, "references per page")
	all := f.Bool("all-pages", false, "fetch every page (json and yaml then print a list of references)")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return err
	}
	return f.call(ctx, func(ctx context.Context, cl *client.Client) error {
		if *all {
			refs := []client.EntityRef{}
			for r, err := range cl.Refs(ctx, pos[0], lo) {
				if err != nil {
					return err
				}
				refs = append(refs, r)
			}
			return render(c.stdout, f.output, refs, func() *tabular { return refTable(refs...) })
		}
		page, err := cl.ListRefs(ctx, pos[0], lo)
		if err != nil {
			return err
		}
		return render(c.stdout, f.output, page, func() *tabular { return refTable(page.Data...) })
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
