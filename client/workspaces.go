package client

import (
	"context"
	"errors"
	"net/http"
)

func workspacePath(name string) string {
	return BasePath + "/workspaces/" + seg(name)
}

// CreateWorkspace creates the workspace name. It fails with
// ErrAlreadyExists when the name is taken, unless ExistOK is given, and
// with ErrInvalid when the name breaks the naming rule.
//
// Like every write, it is sent again only if it certainly did not reach a
// server; ErrOutcomeUnknown means it may have been applied.
func (c *Client) CreateWorkspace(ctx context.Context, name string, opts ...CreateOption) (*Workspace, error) {
	return create(ctx, c, BasePath+"/workspaces", name, opts, func() (*Workspace, error) {
		return c.GetWorkspace(ctx, name)
	})
}

// create posts {"name","description"?} to path (a workspace or a project
// create). With ExistOK a taken name is not an error: get reads the
// existing record back instead.
func create[T any](ctx context.Context, c *Client, path, name string, opts []CreateOption, get func() (*T, error)) (*T, error) {
	var o createOptions
	for _, f := range opts {
		f(&o)
	}
	v, err := sendJSON[T](ctx, c, http.MethodPost, path, CreateWorkspaceRequest{Name: name, Description: o.description})
	if o.existOK && errors.Is(err, ErrConflict) {
		// The only conflict of a create is a taken name.
		return get()
	}
	return v, err
}

// GetWorkspace reads the workspace name; ErrNotFound when there is none.
func (c *Client) GetWorkspace(ctx context.Context, name string, opts ...ReadOption) (*Workspace, error) {
	return getJSON[Workspace](ctx, c, workspacePath(name), nil, opts)
}

// ListWorkspaces reads one page of workspaces. A page past the end has no
// data. See Workspaces to iterate over every page.
func (c *Client) ListWorkspaces(ctx context.Context, lo ListOptions, opts ...ReadOption) (*WorkspacePage, error) {
	return getJSON[WorkspacePage](ctx, c, BasePath+"/workspaces", lo.query(), opts)
}

// UpdateWorkspace sets the description of the workspace name; nil clears
// it. Names are immutable.
func (c *Client) UpdateWorkspace(ctx context.Context, name string, description *string) (*Workspace, error) {
	return sendJSON[Workspace](ctx, c, http.MethodPut, workspacePath(name), UpdateWorkspaceRequest{Description: description})
}

// DeleteWorkspace deletes the workspace name. It fails with ErrNotEmpty
// while entity references or projects are held in it, with ErrBuiltin for
// default and system (both are also ErrConflict), and with ErrNotFound.
func (c *Client) DeleteWorkspace(ctx context.Context, name string) (*DeleteResponse, error) {
	return sendJSON[DeleteResponse](ctx, c, http.MethodDelete, workspacePath(name), nil)
}
