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
// with ErrInvalid when the name breaks the naming rule. EnsureWorkspace
// also says whether this call created it.
//
// Like every write, it is sent again only if it certainly did not reach a
// server; ErrOutcomeUnknown means it may have been applied.
func (c *Client) CreateWorkspace(ctx context.Context, name string, opts ...CreateOption) (*Workspace, error) {
	ws, _, err := create(ctx, c, BasePath+"/workspaces", name, opts, func() (*Workspace, error) {
		return c.GetWorkspace(ctx, name)
	})
	return ws, err
}

// EnsureWorkspace creates the workspace name unless it exists (ExistOK is
// implied) and reports whether this call created it: true with the new
// workspace, false with the existing one read back (its description left
// as it is). It fails like CreateWorkspace otherwise.
func (c *Client) EnsureWorkspace(ctx context.Context, name string, opts ...CreateOption) (ws *Workspace, created bool, err error) {
	return create(ctx, c, BasePath+"/workspaces", name, append(opts[:len(opts):len(opts)], ExistOK()), func() (*Workspace, error) {
		return c.GetWorkspace(ctx, name)
	})
}

// create posts {"name","description"?} to path (a workspace or a project
// create) and reports whether it created the record. With ExistOK a taken
// name is not an error: get reads the existing record back instead.
func create[T any](ctx context.Context, c *Client, path, name string, opts []CreateOption, get func() (*T, error)) (*T, bool, error) {
	var o createOptions
	for _, f := range opts {
		f(&o)
	}
	v, err := sendJSON[T](ctx, c, http.MethodPost, path, CreateWorkspaceRequest{Name: name, Description: o.description})
	if o.existOK && errors.Is(err, ErrConflict) {
		// The only conflict of a create is a taken name.
		v, err := get()
		return v, false, err
	}
	return v, err == nil, err
}

// GetWorkspace reads the workspace name; ErrNotFound when there is none.
func (c *Client) GetWorkspace(ctx context.Context, name string, opts ...ReadOption) (*Workspace, error) {
	return getJSON[Workspace](ctx, c, workspacePath(name), nil, opts)
}

// ListWorkspaces reads one page of workspaces. A page past the end has no
// data. See Workspaces to iterate over every page.
func (c *Client) ListWorkspaces(ctx context.Context, lo ListOptions, opts ...ReadOption) (*WorkspacePage, error) {
	q, err := lo.query()
	if err != nil {
		return nil, err
	}
	return getJSON[WorkspacePage](ctx, c, BasePath+"/workspaces", q, opts)
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
