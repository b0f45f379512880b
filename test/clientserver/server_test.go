package clientserver_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// The tests in this file run against a real wsd process.

func startServer(t *testing.T) (*testserver.Server, *client.Client) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	return srv, newClient(t, srv.URL)
}

func TestServer_workspaceLifecycle(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)

	created, err := c.CreateWorkspace(ctx, "ml-team", client.WithDescription("Machine Learning Team workspace"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Name != "ml-team" || created.ID == "" || created.Description == nil || *created.Description != "Machine Learning Team workspace" {
		t.Fatalf("created = %+v, want name ml-team, an id and the description", created)
	}
	if created.CreatedAt.IsZero() || created.CreatedBy != "" {
		t.Errorf("created_at, created_by = %v, %q; want a time and \"\" (auth off)", created.CreatedAt, created.CreatedBy)
	}
	if c.LastIndex() == 0 {
		t.Error("LastIndex() = 0 after a write, want the write's index")
	}

	got, err := c.GetWorkspace(ctx, "ml-team")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ID != created.ID {
		t.Errorf("get id = %s, want %s", got.ID, created.ID)
	}
	for _, level := range []string{client.ConsistencyDefault, client.ConsistencyStale, client.ConsistencyLinearizable} {
		if _, err := c.GetWorkspace(ctx, "ml-team", client.WithConsistency(level)); err != nil {
			t.Errorf("get with consistency %s: %v", level, err)
		}
	}

	desc := "ML team"
	updated, err := c.UpdateWorkspace(ctx, "ml-team", &desc)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.Description == nil || *updated.Description != desc || updated.ID != created.ID {
		t.Errorf("updated = %+v, want description %q and the same id", updated, desc)
	}
	if updated.UpdatedAt.Before(created.UpdatedAt.Time) {
		t.Errorf("updated_at %v is before the creation's %v", updated.UpdatedAt, created.UpdatedAt)
	}
	cleared, err := c.UpdateWorkspace(ctx, "ml-team", nil)
	if err != nil {
		t.Fatalf("update to null: %v", err)
	}
	if cleared.Description != nil {
		t.Errorf("description after clearing = %q, want null", *cleared.Description)
	}

	del, err := c.DeleteWorkspace(ctx, "ml-team")
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if del.Message != "Workspace deleted" || del.ID != "ml-team" || del.DeletedAt.IsZero() {
		t.Errorf("delete = %+v, want message \"Workspace deleted\", id ml-team and a time", del)
	}
	_, err = c.GetWorkspace(ctx, "ml-team")
	var se *client.StatusError
	if !errors.Is(err, client.ErrNotFound) || !errors.As(err, &se) {
		t.Fatalf("get after delete: err = %v, want ErrNotFound", err)
	}
	if se.StatusCode != 404 || se.Detail != "Workspace 'ml-team' not found" {
		t.Errorf("status, detail = %d, %q; want 404, \"Workspace 'ml-team' not found\"", se.StatusCode, se.Detail)
	}
}

func TestServer_listAndIterate(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)
	names := []string{"ls-a", "ls-b", "ls-c", "ls-d", "ls-e", "other"}
	for _, n := range names {
		if _, err := c.CreateWorkspace(ctx, n); err != nil {
			t.Fatalf("create %s: %v", n, err)
		}
	}

	all, err := c.ListWorkspaces(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range all.Data {
		got = append(got, w.Name)
	}
	for _, want := range append([]string{"default", "system"}, names...) {
		if !slices.Contains(got, want) {
			t.Errorf("list = %v, want it to contain %s", got, want)
		}
	}
	if all.Sort != "-created_at" || all.Pagination.Page != 1 || all.Pagination.PageSize != 100 || all.Pagination.TotalResults != len(names)+2 {
		t.Errorf("sort, pagination = %q, %+v; want -created_at, page 1 of size 100 with %d results", all.Sort, all.Pagination, len(names)+2)
	}

	tests := []struct {
		name string
		opts client.ListOptions
		want []string
	}{
		{"exact", client.ListOptions{Filter: map[string]string{"name": "ls-c"}}, []string{"ls-c"}},
		{"like sorted by name", client.ListOptions{Sort: "name", Filter: map[string]string{"name[$like]": "ls-%"}}, []string{"ls-a", "ls-b", "ls-c", "ls-d", "ls-e"}},
		{"like sorted by -name", client.ListOptions{Sort: "-name", Filter: map[string]string{"name[$like]": "ls-_"}}, []string{"ls-e", "ls-d", "ls-c", "ls-b", "ls-a"}},
		{"second page", client.ListOptions{Sort: "name", Page: 2, PageSize: 2, Filter: map[string]string{"name[$like]": "ls-%"}}, []string{"ls-c", "ls-d"}},
		{"past the end", client.ListOptions{Page: 9, PageSize: 2, Filter: map[string]string{"name[$like]": "ls-%"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.ListWorkspaces(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range p.Data {
				got = append(got, w.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("names = %v, want %v", got, tt.want)
			}
			if p.Pagination.CurrentPageSize != len(tt.want) {
				t.Errorf("current_page_size = %d, want %d", p.Pagination.CurrentPageSize, len(tt.want))
			}
		})
	}

	t.Run("iterate", func(t *testing.T) {
		var got []string
		for w, err := range c.Workspaces(ctx, client.ListOptions{PageSize: 2, Sort: "name", Filter: map[string]string{"name[$like]": "ls-%"}}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, w.Name)
		}
		if want := names[:5]; !slices.Equal(got, want) {
			t.Errorf("iterated %v, want %v", got, want)
		}
	})

	t.Run("bad page size", func(t *testing.T) {
		_, err := c.ListWorkspaces(ctx, client.ListOptions{PageSize: 5000})
		var se *client.StatusError
		if !errors.Is(err, client.ErrInvalid) || !errors.As(err, &se) || len(se.Issues) == 0 {
			t.Fatalf("err = %v, want ErrInvalid with issues", err)
		}
		if loc := se.Issues[0].Loc; len(loc) != 2 || loc[0] != "query" || loc[1] != "page_size" {
			t.Errorf("issue loc = %v, want [query page_size]", loc)
		}
	})
}

func TestServer_errors(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)
	if _, err := c.CreateWorkspace(ctx, "taken"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		call       func() error
		want       []error
		notWant    []error
		wantStatus int
		wantDetail string // substring; empty skips the check
	}{
		{"get missing", func() error {
			_, err := c.GetWorkspace(ctx, "missing")
			return err
		}, []error{client.ErrNotFound}, []error{client.ErrConflict}, 404, "Workspace 'missing' not found"},
		{"create taken", func() error {
			_, err := c.CreateWorkspace(ctx, "taken")
			return err
		}, []error{client.ErrAlreadyExists, client.ErrConflict}, []error{client.ErrNotEmpty}, 409, "Workspace 'taken' already exists"},
		{"create bad name", func() error {
			_, err := c.CreateWorkspace(ctx, "Bad Name")
			return err
		}, []error{client.ErrInvalid}, []error{client.ErrConflict}, 422, "body.name"},
		{"update missing", func() error {
			d := "x"
			_, err := c.UpdateWorkspace(ctx, "missing", &d)
			return err
		}, []error{client.ErrNotFound}, nil, 404, "Workspace 'missing' not found"},
		{"delete missing", func() error {
			_, err := c.DeleteWorkspace(ctx, "missing")
			return err
		}, []error{client.ErrNotFound}, nil, 404, "Workspace 'missing' not found"},
		{"delete default", func() error {
			_, err := c.DeleteWorkspace(ctx, "default")
			return err
		}, []error{client.ErrBuiltin, client.ErrConflict}, []error{client.ErrNotEmpty}, 409, ""},
		{"delete system", func() error {
			_, err := c.DeleteWorkspace(ctx, "system")
			return err
		}, []error{client.ErrConflict}, nil, 409, ""},
		{"acquire in missing workspace", func() error {
			_, _, err := c.AcquireRef(ctx, "missing", "models", "m")
			return err
		}, []error{client.ErrNotFound}, nil, 404, "Workspace 'missing' not found"},
		{"acquire bad type", func() error {
			_, _, err := c.AcquireRef(ctx, "taken", "Models!", "m")
			return err
		}, []error{client.ErrInvalid}, nil, 422, ""},
		{"release not held", func() error {
			return c.ReleaseRef(ctx, "taken", "models", "nothing")
		}, []error{client.ErrNotFound}, nil, 404, ""},
		{"usage of missing", func() error {
			_, err := c.Usage(ctx, "missing")
			return err
		}, []error{client.ErrNotFound}, nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var se *client.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", se.StatusCode, tt.wantStatus)
			}
			if !strings.Contains(se.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", se.Detail, tt.wantDetail)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, w)
				}
			}
			for _, w := range tt.notWant {
				if errors.Is(err, w) {
					t.Errorf("errors.Is(%v, %v) = true, want false", err, w)
				}
			}
		})
	}
}

func TestServer_existOK(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)
	first, err := c.CreateWorkspace(ctx, "dup", client.WithDescription("first"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateWorkspace(ctx, "dup", client.WithDescription("second"), client.ExistOK())
	if err != nil {
		t.Fatalf("create with ExistOK: %v", err)
	}
	if again.ID != first.ID || again.Description == nil || *again.Description != "first" {
		t.Errorf("ExistOK returned %+v, want the existing workspace %s with description \"first\"", again, first.ID)
	}
	if _, err := c.CreateWorkspace(ctx, "default", client.ExistOK()); err != nil {
		t.Errorf("create default with ExistOK: %v", err)
	}
}

func TestServer_refs(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)
	if _, err := c.CreateWorkspace(ctx, "refs"); err != nil {
		t.Fatal(err)
	}
	refs := []struct{ typ, name string }{
		{"models", "meta/llama-3/8b"},
		{"models", "mistral 7b"},
		{"datasets", "squad"},
	}
	for _, r := range refs {
		for i, wantCreated := range []bool{true, false} {
			ref, created, err := c.AcquireRef(ctx, "refs", r.typ, r.name)
			if err != nil {
				t.Fatalf("acquire %s/%s #%d: %v", r.typ, r.name, i+1, err)
			}
			if created != wantCreated {
				t.Errorf("acquire %s/%s #%d: created = %v, want %v", r.typ, r.name, i+1, created, wantCreated)
			}
			if ref.Workspace != "refs" || ref.EntityType != r.typ || ref.EntityName != r.name {
				t.Errorf("ref = %+v, want refs/%s/%s", ref, r.typ, r.name)
			}
		}
	}

	u, err := c.Usage(ctx, "refs")
	if err != nil {
		t.Fatal(err)
	}
	if u.Workspace != "refs" || u.Total != 3 || u.ByType["models"] != 2 || u.ByType["datasets"] != 1 {
		t.Errorf("usage = %+v, want total 3 (models 2, datasets 1)", u)
	}

	p, err := c.ListRefs(ctx, "refs", client.RefListOptions{EntityType: "models"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range p.Data {
		names = append(names, r.EntityName)
	}
	slices.Sort(names)
	if want := []string{"meta/llama-3/8b", "mistral 7b"}; !slices.Equal(names, want) {
		t.Errorf("models refs = %v, want %v", names, want)
	}
	n := 0
	for _, err := range c.Refs(ctx, "refs", client.RefListOptions{PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("iterated %d refs, want 3", n)
	}

	// The workspace cannot be deleted while references are held.
	_, err = c.DeleteWorkspace(ctx, "refs")
	var se *client.StatusError
	if !errors.Is(err, client.ErrNotEmpty) || !errors.Is(err, client.ErrConflict) || !errors.As(err, &se) {
		t.Fatalf("delete with refs held: err = %v, want ErrNotEmpty", err)
	}
	if want := "Workspace 'refs' is not empty: 3 entities remain"; !strings.Contains(se.Detail, want) {
		t.Errorf("detail = %q, want it to contain %q", se.Detail, want)
	}

	for _, r := range refs {
		if err := c.ReleaseRef(ctx, "refs", r.typ, r.name); err != nil {
			t.Fatalf("release %s/%s: %v", r.typ, r.name, err)
		}
	}
	if err := c.ReleaseRef(ctx, "refs", "models", "mistral 7b"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("second release: err = %v, want ErrNotFound", err)
	}
	if u, err := c.Usage(ctx, "refs"); err != nil || u.Total != 0 {
		t.Errorf("usage after release = %+v, %v; want total 0", u, err)
	}
	if _, err := c.DeleteWorkspace(ctx, "refs"); err != nil {
		t.Fatalf("delete after release: %v", err)
	}
	if _, _, err := c.AcquireRef(ctx, "refs", "models", "late"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("acquire in deleted workspace: err = %v, want ErrNotFound", err)
	}
}

func TestServer_failover(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, deadEndpoint(t), srv.URL)
	ctx := ctxT(t)
	// A write that could not connect is sent to the next endpoint.
	if _, err := c.CreateWorkspace(ctx, "failover"); err != nil {
		t.Fatalf("create with endpoints [dead, live]: %v", err)
	}
	if got := c.Endpoints()[0]; got != srv.URL {
		t.Errorf("current endpoint = %s, want %s", got, srv.URL)
	}
	if _, err := c.GetWorkspace(ctx, "failover"); err != nil {
		t.Fatalf("get: %v", err)
	}

	c2 := newClient(t, deadEndpoint(t), srv.URL)
	if _, err := c2.GetWorkspace(ctx, "failover"); err != nil {
		t.Fatalf("read with endpoints [dead, live]: %v", err)
	}
}

// After a restart from its data directory the node still has the data,
// and the client's read-your-writes index is still satisfied.
func TestServer_restart(t *testing.T) {
	srv, c := startServer(t)
	ctx := ctxT(t)
	if _, err := c.CreateWorkspace(ctx, "durable"); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	if _, err := c.GetWorkspace(ctx, "durable"); err != nil {
		t.Fatalf("get after restart: %v", err)
	}
}
