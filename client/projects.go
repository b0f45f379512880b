package client

import (
	"context"
	"net/http"
)

// Projects are a lightweight grouping inside a workspace, without access
// separation: reading them needs Viewer in the workspace, writing them
// Editor. Their names follow the workspace naming rule and are unique
// within the workspace. A project counts as an entity of its workspace,
// and an entity reference may name one (InProject); a project cannot be
// deleted while references name it.

func projectsPath(ws string) string { return workspacePath(ws) + "/projects" }

func projectPath(ws, name string) string { return projectsPath(ws) + "/" + seg(name) }

// CreateProject creates the project name in workspace ws. It fails with
// ErrNotFound when the workspace does not exist, with ErrAlreadyExists
// when the name is taken in ws (unless ExistOK is given) and with
// ErrInvalid when the name breaks the naming rule. WithDescription sets
// its description. EnsureProject also says whether this call created it.
func (c *Client) CreateProject(ctx context.Context, ws, name string, opts ...CreateOption) (*Project, error) {
	p, _, err := c.createProject(ctx, ws, name, opts)
	return p, err
}

// EnsureProject creates the project name in workspace ws unless it exists
// (ExistOK is implied) and reports whether this call created it, like
// EnsureWorkspace.
func (c *Client) EnsureProject(ctx context.Context, ws, name string, opts ...CreateOption) (p *Project, created bool, err error) {
	return c.createProject(ctx, ws, name, append(opts[:len(opts):len(opts)], ExistOK()))
}

func (c *Client) createProject(ctx context.Context, ws, name string, opts []CreateOption) (*Project, bool, error) {
	return create(ctx, c, projectsPath(ws), name, opts, func() (*Project, error) {
		return c.GetProject(ctx, ws, name)
	})
}

// GetProject reads the project name of workspace ws; ErrNotFound when
// the workspace or the project does not exist.
func (c *Client) GetProject(ctx context.Context, ws, name string, opts ...ReadOption) (*Project, error) {
	return getJSON[Project](ctx, c, projectPath(ws, name), nil, opts)
}

// ListProjects reads one page of the projects of workspace ws, with the
// page, sort and filter rules of ListWorkspaces. See Projects to iterate
// over every page.
func (c *Client) ListProjects(ctx context.Context, ws string, lo ListOptions, opts ...ReadOption) (*ProjectPage, error) {
	q, err := lo.query()
	if err != nil {
		return nil, err
	}
	return getJSON[ProjectPage](ctx, c, projectsPath(ws), q, opts)
}

// UpdateProject sets the description of the project name of workspace
// ws; nil clears it. Names are immutable.
func (c *Client) UpdateProject(ctx context.Context, ws, name string, description *string) (*Project, error) {
	return sendJSON[Project](ctx, c, http.MethodPut, projectPath(ws, name), UpdateProjectRequest{Description: description})
}

// DeleteProject deletes the project name of workspace ws. It fails with
// ErrNotEmpty (also an ErrConflict) while entity references name the
// project, and with ErrNotFound.
func (c *Client) DeleteProject(ctx context.Context, ws, name string) (*DeleteResponse, error) {
	return sendJSON[DeleteResponse](ctx, c, http.MethodDelete, projectPath(ws, name), nil)
}
