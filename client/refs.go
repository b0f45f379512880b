package client

import (
	"context"
	"net/http"
	"net/url"
)

func refPath(ws, entityType, entityName string) string {
	return workspacePath(ws) + "/entity-refs/" + seg(entityType) + "/" + seg(entityName)
}

// AcquireRef registers a reference to the entity (entityType, entityName)
// in workspace ws; while any reference is held the workspace cannot be
// deleted. created is true when the reference is new and false when it was
// already held, so a service may call it again after a failure. Entity
// names may contain "/".
//
// It fails with ErrNotFound when the workspace (or the project given with
// InProject) does not exist and with ErrInvalid for a bad type or name.
func (c *Client) AcquireRef(ctx context.Context, ws, entityType, entityName string, opts ...RefOption) (ref *EntityRef, created bool, err error) {
	var o refOptions
	for _, f := range opts {
		f(&o)
	}
	var q url.Values
	if o.project != "" {
		q = url.Values{"project": {o.project}}
	}
	var r EntityRef
	status, err := c.do(ctx, call{
		method: http.MethodPut,
		path:   refPath(ws, entityType, entityName),
		query:  q,
	}, &r)
	if err != nil {
		return nil, false, err
	}
	return &r, status == http.StatusCreated, nil
}

// ReleaseRef drops the reference; ErrNotFound when it is not held.
func (c *Client) ReleaseRef(ctx context.Context, ws, entityType, entityName string) error {
	_, err := c.do(ctx, call{
		method: http.MethodDelete,
		path:   refPath(ws, entityType, entityName),
	}, nil)
	return err
}

// ListRefs reads one page of the references held in workspace ws.
func (c *Client) ListRefs(ctx context.Context, ws string, lo RefListOptions, opts ...ReadOption) (*EntityRefPage, error) {
	ro := newReadOptions(opts)
	var page EntityRefPage
	_, err := c.do(ctx, call{
		method: http.MethodGet,
		path:   workspacePath(ws) + "/entity-refs",
		query:  ro.query(lo.query()),
		read:   true,
		opts:   ro,
	}, &page)
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// Usage counts the entities of workspace ws by type.
func (c *Client) Usage(ctx context.Context, ws string, opts ...ReadOption) (*Usage, error) {
	ro := newReadOptions(opts)
	var u Usage
	_, err := c.do(ctx, call{
		method: http.MethodGet,
		path:   workspacePath(ws) + "/usage",
		query:  ro.query(nil),
		read:   true,
		opts:   ro,
	}, &u)
	if err != nil {
		return nil, err
	}
	return &u, nil
}
