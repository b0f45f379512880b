package main

import (
	"github.com/wsd-dev/wsd/client"
)

// projects are the records of the projects command group: the same
// commands as workspaces, inside the workspace given with --workspace.
func projects() resource[client.Project] {
	return resource[client.Project]{
		group:       "projects",
		noun:        "project",
		scoped:      true,
		deleteShort: "delete a project no entity reference names",
		table:       projectTable,
		create:      (*client.Client).CreateProject,
		get:         (*client.Client).GetProject,
		list:        (*client.Client).ListProjects,
		all:         (*client.Client).Projects,
		update:      (*client.Client).UpdateProject,
		del:         (*client.Client).DeleteProject,
	}
}

func projectsGroup() group {
	return group{
		name:     "projects",
		aliases:  []string{"project", "proj"},
		short:    "Manage the projects of a workspace (--workspace W or NMP_WORKSPACE)",
		commands: projects().commands(),
	}
}

func projectTable(ps ...client.Project) *tabular {
	t := newTable("NAME", "WORKSPACE", "ID", "DESCRIPTION", "CREATED_AT", "UPDATED_AT")
	for _, p := range ps {
		t.add(p.Name, p.Workspace, p.ID, cellDesc(p.Description), cellTime(p.CreatedAt), cellTime(p.UpdatedAt))
	}
	return t
}
