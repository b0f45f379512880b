package fsm_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

var allSorts = []string{"created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"}

// listFixture is a state with many workspaces whose timestamps tie in
// groups, so that every order depends on the name tie-break.
type listFixture struct {
	s   *fsm.State
	all []*fsm.Workspace
}

func newListFixture(t *testing.T) listFixture {
	t.Helper()
	a := newInitialized(t)
	var cmds []fsm.Command
	bys := []string{"alice", "bob", ""}
	for i := range 40 {
		name := fmt.Sprintf("ws-%02d", (i*17)%40) // created out of name order
		cmds = append(cmds, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(i / 5), By: bys[i%3]})
	}
	for _, name := range []string{"ml-team", "ml-a", "ml", "ma-x", "m1-x", "mab-x", "data-team", "team", "mlteam"} {
		cmds = append(cmds, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(3), By: "carol"})
	}
	a.batch(cmds...)
	// Updates tie with each other and with some creation times.
	for i, name := range []string{"ws-03", "ws-30", "ml-a", "ws-11", "default"} {
		a.ok(&fsm.UpdateWorkspace{Name: name, At: at(4 + i/2), By: "dave"})
	}
	s := a.state()
	all, total := s.ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Limit: 1000})
	if total != 51 || len(all) != 51 {
		t.Fatalf("fixture: got %d workspaces of %d, want 51", len(all), total)
	}
	return listFixture{s: s, all: all}
}

// wantOrder sorts ws the way the wire contract says: by the field, ties by
// name, both in the requested direction.
func wantOrder(ws []*fsm.Workspace, srt fsm.Sort) []string {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b *fsm.Workspace) int {
		c := 0
		switch srt.Field {
		case fsm.SortCreatedAt:
			c = a.CreatedAt.Compare(b.CreatedAt)
		case fsm.SortUpdatedAt:
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.Name, b.Name)
		}
		if srt.Desc {
			c = -c
		}
		return c
	})
	return names(ws)
}

// walkPages lists every page of q at the given size and fails when a page
// is too long or a total differs between pages.
func walkPages(t *testing.T, s *fsm.State, q fsm.ListQuery, size int) ([]string, int) {
	t.Helper()
	var got []string
	total := -1
	for off := 0; off <= 1000; off += size {
		q.Offset, q.Limit = off, size
		ws, n := s.ListWorkspaces(q)
		if total >= 0 && n != total {
			t.Fatalf("total at offset %d: got %d, want %d as on the first page", off, n, total)
		}
		total = n
		if ws == nil {
			t.Fatalf("page at offset %d: got nil, want a slice", off)
		}
		if len(ws) > size {
			t.Fatalf("page at offset %d: got %d records, want at most %d", off, len(ws), size)
		}
		if len(ws) == 0 {
			if off < total {
				t.Fatalf("page at offset %d of %d: got empty, want records", off, total)
			}
			break
		}
		got = append(got, names(ws)...)
	}
	return got, total
}

func TestState_ListWorkspaces_sort(t *testing.T) {
	fx := newListFixture(t)
	for _, name := range allSorts {
		srt, ok := fsm.ParseSort(name)
		if !ok {
			t.Fatalf("ParseSort(%q): not ok", name)
		}
		want := wantOrder(fx.all, srt)
		for _, size := range []int{1, 2, 3, 7, 10, 50, 51, 1000} {
			t.Run(fmt.Sprintf("%s/size=%d", name, size), func(t *testing.T) {
				got, total := walkPages(t, fx.s, fsm.ListQuery{Sort: srt}, size)
				if total != len(want) {
					t.Errorf("total: got %d, want %d", total, len(want))
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages:\ngot  %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestState_ListWorkspaces_filter(t *testing.T) {
	fx := newListFixture(t)
	match := func(pred func(w *fsm.Workspace) bool) []*fsm.Workspace {
		var out []*fsm.Workspace
		for _, w := range fx.all {
			if pred(w) {
				out = append(out, w)
			}
		}
		return out
	}
	named := func(ns ...string) func(w *fsm.Workspace) bool {
		return func(w *fsm.Workspace) bool { return slices.Contains(ns, w.Name) }
	}
	has := func(sub string) func(w *fsm.Workspace) bool {
		return func(w *fsm.Workspace) bool { return strings.Contains(w.Name, sub) }
	}
	tests := []struct {
		name   string
		filter string
		want   []*fsm.Workspace
	}{
		{"exact name", `name:"ml-team"`, match(named("ml-team"))},
		{"exact name missing", `name:"nope"`, nil},
		{"exact name and created_by", `name:"ml-team" created_by:"carol"`, match(named("ml-team"))},
		{"exact name, other created_by", `name:"ml-team" created_by:"alice"`, nil},
		{"exact name and contains", `name:"ml-team" AND name~"team"`, match(named("ml-team"))},
		{"exact name, contains misses", `name:"ml-team" name~"x"`, nil},
		{"exact name or another", `name:"ml-team" OR name:"ml"`, match(named("ml-team", "ml"))},
		{"contains", `name~"ml-"`, match(has("ml-"))},
		{"contains, case-insensitive", `name~"TEAM"`, match(has("team"))},
		{"contains underscore", `name~"m_-x"`, match(named("ma-x", "m1-x"))},
		{"contains all", `name~"%"`, fx.all},
		{"contains escaped percent", `name~"ml\%"`, nil},
		{"contains escaped underscore", `name~"m\_-x"`, nil},
		{"contains nothing", `name~"zz"`, nil},
		{"created_by", `created_by:"alice"`, match(func(w *fsm.Workspace) bool { return w.CreatedBy == "alice" })},
		{"created_by null", `created_by:null`, match(func(w *fsm.Workspace) bool { return w.CreatedBy == "" })},
		{"not created_by skips the empty", `-created_by:"alice"`, match(func(w *fsm.Workspace) bool { return w.CreatedBy != "alice" && w.CreatedBy != "" })},
		{"created_by and contains", `created_by:"bob" name~"ws-0"`, match(func(w *fsm.Workspace) bool {
			return w.CreatedBy == "bob" && strings.HasPrefix(w.Name, "ws-0")
		})},
		{"name in", `name IN ["ml", "team", "nope"]`, match(named("ml", "team"))},
		{"name range", `name>="m" name<"n"`, match(func(w *fsm.Workspace) bool { return w.Name >= "m" && w.Name < "n" })},
	}
	for _, tt := range tests {
		for _, sortName := range allSorts {
			srt, _ := fsm.ParseSort(sortName)
			want := wantOrder(tt.want, srt)
			for _, size := range []int{1, 2, 5, 100} {
				t.Run(fmt.Sprintf("%s/%s/size=%d", tt.name, sortName, size), func(t *testing.T) {
					got, total := walkPages(t, fx.s, fsm.ListQuery{Sort: srt, Filter: mustFilter(t, tt.filter)}, size)
					if total != len(want) {
						t.Errorf("total: got %d, want %d", total, len(want))
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages:\ngot  %v\nwant %v", got, want)
					}
				})
			}
		}
	}
}

func TestState_ListWorkspaces_edges(t *testing.T) {
	fx := newListFixture(t)
	tests := []struct {
		name      string
		q         fsm.ListQuery
		wantLen   int
		wantTotal int
	}{
		{"offset past the end", fsm.ListQuery{Offset: 51, Limit: 10}, 0, 51},
		{"offset far past the end", fsm.ListQuery{Offset: 1 << 40, Limit: 10}, 0, 51},
		{"last partial page", fsm.ListQuery{Offset: 50, Limit: 10}, 1, 51},
		{"zero limit", fsm.ListQuery{Limit: 0}, 0, 51},
		{"filtered offset past the end", fsm.ListQuery{Filter: mustFilter(t, `name~"ml"`), Offset: 4, Limit: 10}, 0, 4},
		{"exact name second page", fsm.ListQuery{Filter: mustFilter(t, `name:"ml"`), Offset: 1, Limit: 10}, 0, 1},
		{"exact name zero limit", fsm.ListQuery{Filter: mustFilter(t, `name:"ml"`), Limit: 0}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, total := fx.s.ListWorkspaces(tt.q)
			if ws == nil || len(ws) != tt.wantLen || total != tt.wantTotal {
				t.Errorf("got %d records (nil %v) of %d, want %d of %d", len(ws), ws == nil, total, tt.wantLen, tt.wantTotal)
			}
		})
	}
	t.Run("empty state", func(t *testing.T) {
		s := fsm.New(fsm.Options{}).State()
		for _, name := range allSorts {
			srt, _ := fsm.ParseSort(name)
			ws, total := s.ListWorkspaces(fsm.ListQuery{Sort: srt, Limit: 10})
			if len(ws) != 0 || total != 0 {
				t.Errorf("%s: got %d of %d, want 0 of 0", name, len(ws), total)
			}
		}
	})
}

// mustFilter parses a filter in the text syntax.
func mustFilter(t testing.TB, text string) *filter.Expr {
	t.Helper()
	e, err := filter.ParseText(text)
	if err != nil {
		t.Fatalf("ParseText(%q): %v", text, err)
	}
	return e
}

func TestParseSort(t *testing.T) {
	for _, name := range allSorts {
		t.Run(name, func(t *testing.T) {
			s, ok := fsm.ParseSort(name)
			if !ok {
				t.Fatalf("ParseSort(%q): not ok", name)
			}
			if got := s.String(); got != name {
				t.Errorf("String: got %q, want %q", got, name)
			}
			if want := strings.HasPrefix(name, "-"); s.Desc != want {
				t.Errorf("Desc: got %v, want %v", s.Desc, want)
			}
		})
	}
	for _, bad := range []string{"", "-", "--name", "name-", "Name", "created", "id", " name", "+name"} {
		t.Run("bad/"+bad, func(t *testing.T) {
			if s, ok := fsm.ParseSort(bad); ok {
				t.Errorf("ParseSort(%q): got %v, true; want not ok", bad, s)
			}
		})
	}
	t.Run("default", func(t *testing.T) {
		if got := fsm.DefaultSort.String(); got != "-created_at" {
			t.Errorf("DefaultSort: got %q, want -created_at", got)
		}
	})
}
