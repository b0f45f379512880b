package fsm_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

// TestState_ListWorkspaces_visible checks that ListQuery.Visible hides
// records from pages and totals alike, for every order, every kind of
// filter and every page size: the result is the one of a state that holds
// only the visible workspaces.
func TestState_ListWorkspaces_visible(t *testing.T) {
	fx := newListFixture(t)
	hidden := map[string]bool{}
	for i, w := range fx.all {
		if i%3 != 0 {
			hidden[w.Name] = true
		}
	}
	visible := func(w *fsm.Workspace) bool { return !hidden[w.Name] }

	filters := []struct {
		name string
		f    *filter.Expr
		keep func(*fsm.Workspace) bool
	}{
		{"none", nil, func(*fsm.Workspace) bool { return true }},
		{"exact visible", mustFilter(t, `name:"`+fx.all[0].Name+`"`), func(w *fsm.Workspace) bool { return w.Name == fx.all[0].Name }},
		{"exact hidden", mustFilter(t, `name:"`+fx.all[1].Name+`"`), func(w *fsm.Workspace) bool { return w.Name == fx.all[1].Name }},
		{"contains", mustFilter(t, `name~"ws-"`), func(w *fsm.Workspace) bool { return filter.Contains("ws-", w.Name) }},
		{"contains with wildcard", mustFilter(t, `name~"m_t"`), func(w *fsm.Workspace) bool { return filter.Contains("m_t", w.Name) }},
		{"created_by", mustFilter(t, `created_by:"alice"`), func(w *fsm.Workspace) bool { return w.CreatedBy == "alice" }},
	}
	for _, srtName := range allSorts {
		srt, _ := fsm.ParseSort(srtName)
		for _, ft := range filters {
			var want []*fsm.Workspace
			for _, w := range fx.all {
				if visible(w) && ft.keep(w) {
					want = append(want, w)
				}
			}
			wantNames := wantOrder(want, srt)
			for _, size := range []int{1, 4, 1000} {
				t.Run(fmt.Sprintf("%s/%s/size=%d", srtName, ft.name, size), func(t *testing.T) {
					var got []string
					for off := 0; off <= len(wantNames); off += size {
						page, total := fx.s.ListWorkspaces(fsm.ListQuery{Sort: srt, Filter: ft.f, Offset: off, Limit: size, Visible: visible})
						if total != len(wantNames) {
							t.Fatalf("offset %d: total = %d, want %d", off, total, len(wantNames))
						}
						got = append(got, names(page)...)
					}
					if !slices.Equal(got, wantNames) {
						t.Fatalf("pages = %v\nwant    %v", got, wantNames)
					}
				})
			}
		}
	}
}

// TestState_ListWorkspaces_visibleTo lists with the predicate of
// State.VisibleTo: a caller sees the workspaces bound to its id, email,
// groups or "*", and a PlatformAdmin (nil predicate) sees all.
func TestState_ListWorkspaces_visibleTo(t *testing.T) {
	a := newInitialized(t)
	a.ok(&fsm.AddMember{Workspace: fsm.SystemWorkspace, Principal: "root", Roles: []string{fsm.RolePlatformAdmin}, At: at(1)})
	for i, name := range []string{"by-id", "by-email", "by-group", "by-star", "nobody"} {
		a.ok(createWS(name, 2+i))
	}
	a.ok(&fsm.AddMember{Workspace: "by-id", Principal: "u1", Roles: []string{fsm.RoleViewer}, At: at(10)})
	a.ok(&fsm.AddMember{Workspace: "by-email", Principal: "u1@example.com", Roles: []string{fsm.RoleAdmin}, At: at(10)})
	a.ok(&fsm.AddMember{Workspace: "by-group", Principal: "devs", Roles: []string{fsm.RoleEditor}, At: at(10)})
	a.ok(&fsm.AddMember{Workspace: "by-star", Principal: fsm.Everyone, Roles: []string{fsm.RoleViewer}, At: at(10)})
	s := a.state()

	tests := []struct {
		name   string
		caller *fsm.Caller
		want   []string // by name
	}{
		{"id, email and group", &fsm.Caller{ID: "u1", Email: "u1@example.com", Groups: []string{"devs"}},
			[]string{"by-email", "by-group", "by-id", "by-star", "default", "system"}},
		{"only star", &fsm.Caller{ID: "u2"}, []string{"by-star", "default", "system"}},
		{"platform admin", &fsm.Caller{ID: "root"}, []string{"by-email", "by-group", "by-id", "by-star", "default", "nobody", "system"}},
		{"auth off", nil, []string{"by-email", "by-group", "by-id", "by-star", "default", "nobody", "system"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vis := s.VisibleTo(tt.caller)
			page, total := s.ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Limit: 100, Visible: vis})
			if got := names(page); !slices.Equal(got, tt.want) || total != len(tt.want) {
				t.Fatalf("list = %v (total %d), want %v (total %d)", got, total, tt.want, len(tt.want))
			}
		})
	}
}
