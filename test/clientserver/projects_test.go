package clientserver_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

// projectNames lists the names of ps in order.
func projectNames(ps []client.Project) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// TestServer_projects drives every project call against a real wsd
// process.
func TestServer_projects(t *testing.T) {
	_, c := startServer(t)
	ctx := ctxT(t)
	for _, ws := range []string{"ml-team", "other"} {
		if _, err := c.CreateWorkspace(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}

	created, err := c.CreateProject(ctx, "ml-team", "llm", client.WithDescription("Language models"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.ID == "" || created.Name != "llm" || created.Workspace != "ml-team" || created.Description == nil ||
		*created.Description != "Language models" || created.CreatedAt.IsZero() || !created.UpdatedAt.Equal(created.CreatedAt.Time) {
		t.Fatalf("created %+v, want llm in ml-team with an id, its description and equal timestamps", created)
	}
	got, err := c.GetProject(ctx, "ml-team", "llm", client.WithConsistency(client.ConsistencyLinearizable))
	if err != nil || got.ID != created.ID {
		t.Fatalf("get = %+v, %v; want id %s", got, err, created.ID)
	}

	t.Run("names are unique per workspace", func(t *testing.T) {
		_, err := c.CreateProject(ctx, "ml-team", "llm")
		if !errors.Is(err, client.ErrAlreadyExists) || !errors.Is(err, client.ErrConflict) {
			t.Fatalf("second create: err = %v, want ErrAlreadyExists", err)
		}
		again, err := c.CreateProject(ctx, "ml-team", "llm", client.WithDescription("ignored"), client.ExistOK())
		if err != nil || again.ID != created.ID || *again.Description != "Language models" {
			t.Fatalf("create with ExistOK = %+v, %v; want the existing project unchanged", again, err)
		}
		other, err := c.CreateProject(ctx, "other", "llm")
		if err != nil || other.ID == created.ID || other.Workspace != "other" {
			t.Fatalf("same name in another workspace = %+v, %v; want a new project", other, err)
		}
	})

	t.Run("list and iterate", func(t *testing.T) {
		for _, n := range []string{"cv-b", "cv-a", "cv-c"} {
			if _, err := c.CreateProject(ctx, "ml-team", n); err != nil {
				t.Fatal(err)
			}
		}
		p, err := c.ListProjects(ctx, "ml-team", client.ListOptions{Sort: "name", PageSize: 2, Page: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := projectNames(p.Data); !slices.Equal(got, []string{"cv-c", "llm"}) || p.Pagination.TotalResults != 4 || p.Sort != "name" {
			t.Errorf("page 2 by name = %v (%+v, sort %q), want [cv-c llm] of 4", got, p.Pagination, p.Sort)
		}
		p, err = c.ListProjects(ctx, "ml-team", client.ListOptions{Sort: "-name", Filter: map[string]string{"name[$like]": "cv-%"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := projectNames(p.Data); !slices.Equal(got, []string{"cv-c", "cv-b", "cv-a"}) || p.Filter["name"] == nil {
			t.Errorf("filtered = %v (filter %v), want [cv-c cv-b cv-a] and the filter echoed", got, p.Filter)
		}
		var all []client.Project
		for pr, err := range c.Projects(ctx, "ml-team", client.ListOptions{PageSize: 1, Sort: "created_at"}) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, pr)
		}
		if got := projectNames(all); !slices.Equal(got, []string{"llm", "cv-b", "cv-a", "cv-c"}) {
			t.Errorf("iterated %v, want every project of ml-team in creation order", got)
		}
		for _, err := range c.Projects(ctx, "nope", client.ListOptions{}) {
			if !errors.Is(err, client.ErrNotFound) {
				t.Errorf("iterating a missing workspace: err = %v, want ErrNotFound", err)
			}
		}
	})

	t.Run("update", func(t *testing.T) {
		d := "LLMs"
		up, err := c.UpdateProject(ctx, "ml-team", "llm", &d)
		if err != nil || up.ID != created.ID || up.Description == nil || *up.Description != d || up.UpdatedAt.Before(created.UpdatedAt.Time) {
			t.Fatalf("update = %+v, %v; want description %q on the same project", up, err, d)
		}
		cleared, err := c.UpdateProject(ctx, "ml-team", "llm", nil)
		if err != nil || cleared.Description != nil {
			t.Fatalf("clear = %+v, %v; want no description", cleared, err)
		}
	})

	t.Run("references and deletes", func(t *testing.T) {
		ref, created, err := c.AcquireRef(ctx, "ml-team", "models", "m1", client.InProject("llm"))
		if err != nil || !created || ref.Project != "llm" {
			t.Fatalf("acquire in llm = %+v, %v, %v; want a new reference in project llm", ref, created, err)
		}
		if _, _, err := c.AcquireRef(ctx, "ml-team", "models", "m2", client.InProject("nope")); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("acquire in a missing project: err = %v, want ErrNotFound", err)
		}
		u, err := c.Usage(ctx, "ml-team")
		if err != nil || u.ByType["projects"] != 4 || u.ByType["models"] != 1 || u.Total != 5 {
			t.Errorf("usage = %+v, %v; want projects 4 and models 1", u, err)
		}
		_, err = c.DeleteProject(ctx, "ml-team", "llm")
		var se *client.StatusError
		if !errors.Is(err, client.ErrNotEmpty) || !errors.Is(err, client.ErrConflict) || !errors.As(err, &se) ||
			!strings.Contains(se.Detail, "1 entity reference names it") {
			t.Fatalf("delete while referenced: err = %v, want ErrNotEmpty saying one reference names it", err)
		}
		if _, err := c.DeleteWorkspace(ctx, "other"); !errors.Is(err, client.ErrNotEmpty) {
			t.Errorf("delete a workspace holding a project: err = %v, want ErrNotEmpty", err)
		}
		if err := c.ReleaseRef(ctx, "ml-team", "models", "m1"); err != nil {
			t.Fatal(err)
		}
		del, err := c.DeleteProject(ctx, "ml-team", "llm")
		if err != nil || del.Message != "Project deleted" || del.ID != "llm" || del.DeletedAt.IsZero() {
			t.Fatalf("delete after release = %+v, %v; want \"Project deleted\" with id llm", del, err)
		}
		for _, call := range []func() error{
			func() error { _, err := c.GetProject(ctx, "ml-team", "llm"); return err },
			func() error { _, err := c.DeleteProject(ctx, "ml-team", "llm"); return err },
			func() error { _, err := c.UpdateProject(ctx, "nope", "llm", nil); return err },
		} {
			if err := call(); !errors.Is(err, client.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		}
	})
}
