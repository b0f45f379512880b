package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

func workspacePath(name string) string {
	return BasePath + "/workspaces/" + url.PathEscape(name)
}

// CreateWorkspace creates the workspace name. It fails with
// ErrAlreadyExists when the name is taken, unless ExistOK is given, and
// with ErrInvalid when the name breaks the naming rule.
//
// Like every write, it is sent again only if it certainly did not reach a
// server; ErrOutcomeUnknown means it may have been applied.
func (c *Client) CreateWorkspace(ctx context.Context, name string, opts ...CreateOption) (*Workspace, error) {
	var o createOptions
	for _, f := range opts {
		f(&o)
	}
	var ws Workspace
	_, err := c.do(ctx, call{
		method: http.MethodPost,
		path:   BasePath + "/workspaces",
		body:   CreateWorkspaceRequest{Name: name, Description: o.description},
	}, &ws)
	if o.existOK && errors.Is(err, ErrConflict) {
		// The only conflict of a create is a taken name.
		return c.GetWorkspace(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	return &ws, nil
}

// GetWorkspace reads the workspace name; ErrNotFound when there is none.
func (c *Client) GetWorkspace(ctx context.Context, name string, opts ...ReadOption) (*Workspace, error) {
	ro := newReadOptions(opts)
	var ws Workspace
	_, err := c.do(ctx, call{
		method: http.MethodGet,
		path:   workspacePath(name),
		query:  ro.query(nil),
		read:   true,
		opts:   ro,
	}, &ws)
	if err != nil {
		return nil, err
	}
	return &ws, nil
}

// ListWorkspaces reads one page of workspaces. A page past the end has no
// data. See Workspaces to iterate over every page.
func (c *Client) ListWorkspaces(ctx context.Context, lo ListOptions, opts ...ReadOption) (*WorkspacePage, error) {
	ro := newReadOptions(opts)
	var page WorkspacePage
	_, err := c.do(ctx, call{
		method: http.MethodGet,
		path:   BasePath + "/workspaces",
		query:  ro.query(lo.query()),
		read:   true,
		opts:   ro,
	}, &page)
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// UpdateWorkspace sets the description of the workspace name; nil clears
// it. Names are immutable.
func (c *Client) UpdateWorkspace(ctx context.Context, name string, description *string) (*Workspace, error) {
	var ws Workspace
	_, err := c.do(ctx, call{
		method: http.MethodPut,
		path:   workspacePath(name),
		body:   UpdateWorkspaceRequest{Description: description},
	}, &ws)
	if err != nil {
		return nil, err
	}
	return &ws, nil
}

// DeleteWorkspace deletes the workspace name. It fails with ErrNotEmpty
// while entity references are held in it, with ErrBuiltin for default and
// system (both are also ErrConflict), and with ErrNotFound.
func (c *Client) DeleteWorkspace(ctx context.Context, name string) (*DeleteResponse, error) {
	var dr DeleteResponse
	_, err := c.do(ctx, call{
		method: http.MethodDelete,
		path:   workspacePath(name),
	}, &dr)
	if err != nil {
		return nil, err
	}
	return &dr, nil
}
