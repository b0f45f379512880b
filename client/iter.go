package client

import (
	"context"
	"iter"
)

// Workspaces iterates over the workspaces of every page from lo.Page on
// (the first when zero). An error is yielded once, with a zero Workspace,
// and ends the iteration.
//
// Pages are read one after another, so a workspace created or deleted
// while iterating may be missed or seen twice; sort by name for a stable
// order.
func (c *Client) Workspaces(ctx context.Context, lo ListOptions, opts ...ReadOption) iter.Seq2[Workspace, error] {
	return sortedPages(ctx, lo, func(ctx context.Context, lo ListOptions) (*WorkspacePage, error) {
		return c.ListWorkspaces(ctx, lo, opts...)
	})
}

// Projects iterates over the projects of workspace ws, page by page, like
// Workspaces.
func (c *Client) Projects(ctx context.Context, ws string, lo ListOptions, opts ...ReadOption) iter.Seq2[Project, error] {
	return sortedPages(ctx, lo, func(ctx context.Context, lo ListOptions) (*ProjectPage, error) {
		return c.ListProjects(ctx, ws, lo, opts...)
	})
}

// sortedPages iterates over the items of a sorted, filtered list, reading
// its pages with list from lo.Page on.
func sortedPages[T any](ctx context.Context, lo ListOptions, list func(context.Context, ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		pageAll(ctx, lo.Page, func(ctx context.Context, page int) ([]T, Pagination, error) {
			lo.Page = page
			p, err := list(ctx, lo)
			if err != nil {
				return nil, Pagination{}, err
			}
			return p.Data, p.Pagination, nil
		}, yield)
	}
}

// Refs iterates over the entity references of workspace ws, page by page,
// like Workspaces.
func (c *Client) Refs(ctx context.Context, ws string, lo RefListOptions, opts ...ReadOption) iter.Seq2[EntityRef, error] {
	return func(yield func(EntityRef, error) bool) {
		pageAll(ctx, lo.Page, func(ctx context.Context, page int) ([]EntityRef, Pagination, error) {
			lo.Page = page
			p, err := c.ListRefs(ctx, ws, lo, opts...)
			if err != nil {
				return nil, Pagination{}, err
			}
			return p.Data, p.Pagination, nil
		}, yield)
	}
}

// pageAll fetches pages from first on and yields their items until a page
// is empty or the last, an error, or yield returns false.
func pageAll[T any](ctx context.Context, first int, fetch func(context.Context, int) ([]T, Pagination, error), yield func(T, error) bool) {
	page := max(first, 1)
	for {
		items, p, err := fetch(ctx, page)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if len(items) == 0 || page >= p.TotalPages {
			return
		}
		page++
	}
}
