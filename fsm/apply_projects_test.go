package fsm_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

func createProj(ws, name string, n int) *fsm.CreateProject {
	return &fsm.CreateProject{ID: "id-" + ws + "-" + name, Workspace: ws, Name: name, At: at(n), By: "alice"}
}

func projNames(ps []*fsm.Project) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func TestFSM_Apply_createProject(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	r := a.ok(&fsm.CreateProject{ID: "p-1", Workspace: "ws", Name: "p", Description: ptr("d"), At: at(2), By: "alice"})
	if !r.Created || r.Project == nil || r.Project.Name != "p" || r.Project.Workspace != "ws" || *r.Project.Description != "d" {
		t.Fatalf("Result: got %+v, want a created project p in ws", r)
	}
	if got, ok := a.state().Project("ws", "p"); !ok || got != r.Project {
		t.Errorf("State.Project: got %v, %v; want the created record", got, ok)
	}
	if got := a.state().ProjectCount(); got != 1 {
		t.Errorf("ProjectCount: got %d, want 1", got)
	}
	a.ok(createWS("other", 3))
	a.ok(createProj("other", "p", 4)) // same name, other workspace

	tests := []struct {
		name string
		cmd  *fsm.CreateProject
		code fsm.Code
		msg  string
	}{
		{"duplicate name", &fsm.CreateProject{ID: "p-2", Workspace: "ws", Name: "p", At: at(5)}, fsm.CodeAlreadyExists, "Project 'p' already exists in workspace 'ws'."},
		{"duplicate id", &fsm.CreateProject{ID: "p-1", Workspace: "ws", Name: "q", At: at(5)}, fsm.CodeConflict, ""},
		{"workspace missing", createProj("nope", "p", 5), fsm.CodeNotFound, "Workspace 'nope' not found"},
		{"bad name", createProj("ws", "P", 5), fsm.CodeInvalid, ""},
		{"zero timestamp", &fsm.CreateProject{ID: "x", Workspace: "ws", Name: "x"}, fsm.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(tt.cmd, tt.code)
			if tt.msg != "" && e.Msg != tt.msg {
				t.Errorf("message: got %q, want %q", e.Msg, tt.msg)
			}
		})
	}
}

func TestFSM_Apply_updateProject(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(createProj("ws", "p", 2))
	r := a.ok(&fsm.UpdateProject{Workspace: "ws", Name: "p", Description: ptr("new"), DescriptionSet: true, At: at(3), By: "bob"})
	if r.Project == nil || r.Project.Description == nil || *r.Project.Description != "new" || !r.Project.UpdatedAt.Equal(at(3)) || r.Project.UpdatedBy != "bob" {
		t.Errorf("updated project: got %+v, want description new at %v by bob", r.Project, at(3))
	}
	r = a.ok(&fsm.UpdateProject{Workspace: "ws", Name: "p", At: at(4)})
	if r.Project.Description == nil || *r.Project.Description != "new" {
		t.Errorf("description kept: got %v, want new", r.Project.Description)
	}
	a.refused(&fsm.UpdateProject{Workspace: "ws", Name: "q", At: at(5)}, fsm.CodeNotFound)
	a.refused(&fsm.UpdateProject{Workspace: "nope", Name: "p", At: at(5)}, fsm.CodeNotFound)
	a.refused(&fsm.UpdateProject{Workspace: "ws", Name: "p"}, fsm.CodeInvalid)
}

func TestFSM_Apply_deleteProject(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(createProj("ws", "p", 2))
	a.ok(&fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m", Project: "p", At: at(3)})
	a.ok(&fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "n", Project: "p", At: at(3)})
	if got := a.state().ProjectRefCount("ws", "p"); got != 2 {
		t.Errorf("ProjectRefCount: got %d, want 2", got)
	}
	e := a.refused(&fsm.DeleteProject{Workspace: "ws", Name: "p", At: at(4)}, fsm.CodeNotEmpty)
	if want := "Project 'p' in workspace 'ws' cannot be deleted: 2 entity references name it. Release them before deleting."; e.Msg != want {
		t.Errorf("message: got %q, want %q", e.Msg, want)
	}
	a.refused(&fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m", Project: "", At: at(3)}, fsm.CodeConflict)
	a.ok(release("ws", "models", "m"))
	a.ok(release("ws", "models", "n"))
	a.refused(&fsm.DeleteWorkspace{Name: "ws", At: at(5)}, fsm.CodeNotEmpty) // the project itself remains
	a.refused(&fsm.DeleteProject{Workspace: "ws", Name: "q", At: at(5)}, fsm.CodeNotFound)
	r := a.ok(&fsm.DeleteProject{Workspace: "ws", Name: "p", At: at(5)})
	if r.Project == nil || r.Project.Name != "p" {
		t.Errorf("Result.Project: got %v, want p", r.Project)
	}
	if got := a.state().Usage("ws").Total; got != 0 {
		t.Errorf("Usage total: got %d, want 0", got)
	}
	a.ok(&fsm.DeleteWorkspace{Name: "ws", At: at(6)})
}

func TestState_ListProjects(t *testing.T) {
	a := newInitialized(t)
	for _, ws := range []string{"a", "ws", "ws-a", "z"} {
		a.ok(createWS(ws, 1))
		a.ok(createProj(ws, "x", 1)) // neighbours in every tree
	}
	var want []string
	for i := range 9 {
		n := fmt.Sprintf("p%d", i)
		a.ok(createProj("ws", n, 10+i/3)) // ties in threes
		want = append(want, n)
	}
	want = append(want, "x")
	s := a.state()
	for _, size := range []int{1, 2, 4, 100} {
		t.Run(fmt.Sprintf("name/size=%d", size), func(t *testing.T) {
			var got []string
			for off := 0; ; off += size {
				ps, total := s.ListProjects("ws", fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Offset: off, Limit: size})
				if total != len(want) {
					t.Fatalf("total: got %d, want %d", total, len(want))
				}
				if len(ps) == 0 {
					break
				}
				got = append(got, projNames(ps)...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages: got %v, want %v", got, want)
			}
		})
	}
	t.Run("-created_at", func(t *testing.T) {
		ps, _ := s.ListProjects("ws", fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortCreatedAt, Desc: true}, Limit: 100})
		if got, want := projNames(ps), []string{"p8", "p7", "p6", "p5", "p4", "p3", "p2", "p1", "p0", "x"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("like", func(t *testing.T) {
		ps, total := s.ListProjects("ws", fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName, Desc: true}, Filter: mustFilter(t, `name~"p"`), Limit: 3})
		if got, want := projNames(ps), []string{"p8", "p7", "p6"}; total != 9 || !slices.Equal(got, want) {
			t.Errorf("got %v of %d, want %v of 9", got, total, want)
		}
	})
	t.Run("exact name", func(t *testing.T) {
		ps, total := s.ListProjects("ws", fsm.ListQuery{Filter: mustFilter(t, `name:"x"`), Limit: 3})
		if len(ps) != 1 || total != 1 || ps[0].Workspace != "ws" {
			t.Errorf("got %v of %d, want ws/x of 1", ps, total)
		}
	})
	t.Run("missing workspace", func(t *testing.T) {
		ps, total := s.ListProjects("nope", fsm.ListQuery{Limit: 3})
		if len(ps) != 0 || total != 0 {
			t.Errorf("got %d of %d, want 0 of 0", len(ps), total)
		}
	})
}

// The projects of one workspace page like workspaces do, and never show a
// neighbour's projects, in every order and with every filter.
func TestState_ListProjects_orders(t *testing.T) {
	a := newInitialized(t)
	for _, ws := range []string{"w", "w-a", "w0", "a"} {
		a.ok(createWS(ws, 0))
	}
	bys := []string{"alice", "bob"}
	var cmds []fsm.Command
	for i := range 30 {
		for _, ws := range []string{"w", "w-a", "w0", "a"} {
			name := fmt.Sprintf("p%02d", (i*7)%30)
			if i%4 == 0 {
				name = fmt.Sprintf("ml-%02d", i)
			}
			cmds = append(cmds, &fsm.CreateProject{ID: ws + "/" + name, Workspace: ws, Name: name, At: at(i / 4), By: bys[i%2]})
		}
	}
	a.batch(cmds...)
	for i, name := range []string{"p03", "p10", "ml-08", "p21"} {
		a.ok(&fsm.UpdateProject{Workspace: "w", Name: name, At: at(3 + i/2)})
	}
	s := a.state()
	all, total := s.ListProjects("w", fsm.ListQuery{Limit: 1000})
	if total != 30 || len(all) != 30 {
		t.Fatalf("projects of w: got %d of %d, want 30", len(all), total)
	}
	// Reuse the workspace oracle: a project sorts like a workspace with the
	// same name and times.
	asWS := func(ps []*fsm.Project) []*fsm.Workspace {
		out := make([]*fsm.Workspace, len(ps))
		for i, p := range ps {
			out[i] = &fsm.Workspace{Name: p.Name, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, CreatedBy: p.CreatedBy}
		}
		return out
	}
	filters := []struct {
		name string
		f    *filter.Expr
		keep func(p *fsm.Project) bool
	}{
		{"none", nil, func(*fsm.Project) bool { return true }},
		{"contains", mustFilter(t, `name~"ML-"`), func(p *fsm.Project) bool { return strings.Contains(p.Name, "ml-") }},
		{"contains 1", mustFilter(t, `name~"1"`), func(p *fsm.Project) bool { return strings.Contains(p.Name, "1") }},
		{"created_by", mustFilter(t, `created_by:"bob"`), func(p *fsm.Project) bool { return p.CreatedBy == "bob" }},
	}
	for _, fl := range filters {
		var keep []*fsm.Project
		for _, p := range all {
			if fl.keep(p) {
				keep = append(keep, p)
			}
		}
		for _, sortName := range allSorts {
			srt, _ := fsm.ParseSort(sortName)
			want := wantOrder(asWS(keep), srt)
			for _, size := range []int{1, 4, 100} {
				t.Run(fmt.Sprintf("%s/%s/size=%d", fl.name, sortName, size), func(t *testing.T) {
					var got []string
					for off := 0; off < 100; off += size {
						ps, n := s.ListProjects("w", fsm.ListQuery{Sort: srt, Filter: fl.f, Offset: off, Limit: size})
						if n != len(want) {
							t.Fatalf("total at offset %d: got %d, want %d", off, n, len(want))
						}
						for _, p := range ps {
							if p.Workspace != "w" {
								t.Fatalf("listed %s/%s from another workspace", p.Workspace, p.Name)
							}
						}
						if len(ps) == 0 {
							break
						}
						got = append(got, projNames(ps)...)
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages:\ngot  %v\nwant %v", got, want)
					}
				})
			}
		}
	}
}
