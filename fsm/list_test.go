package fsm_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

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
	tests := []struct {
		name   string
		filter fsm.Filter
		want   []*fsm.Workspace
	}{
		{"exact name", fsm.Filter{Name: "ml-team", HasName: true}, match(named("ml-team"))},
		{"exact name missing", fsm.Filter{Name: "nope", HasName: true}, nil},
		{"exact name and created_by", fsm.Filter{Name: "ml-team", HasName: true, CreatedBy: "carol", HasBy: true}, match(named("ml-team"))},
		{"exact name, other created_by", fsm.Filter{Name: "ml-team", HasName: true, CreatedBy: "alice", HasBy: true}, nil},
		{"exact name and like", fsm.Filter{Name: "ml-team", HasName: true, NameLike: "%team", HasLike: true}, match(named("ml-team"))},
		{"exact name, like misses", fsm.Filter{Name: "ml-team", HasName: true, NameLike: "x%", HasLike: true}, nil},
		{"like prefix", fsm.Filter{NameLike: "ml-%", HasLike: true}, match(named("ml-team", "ml-a"))},
		{"like suffix", fsm.Filter{NameLike: "%team", HasLike: true}, match(named("ml-team", "data-team", "team", "mlteam"))},
		{"like underscore", fsm.Filter{NameLike: "m_-x", HasLike: true}, match(named("ma-x", "m1-x"))},
		{"like all", fsm.Filter{NameLike: "%", HasLike: true}, fx.all},
		{"like no wildcard", fsm.Filter{NameLike: "ml", HasLike: true}, match(named("ml"))},
		{"like escaped percent", fsm.Filter{NameLike: `ml\%`, HasLike: true}, nil},
		{"like escaped letters", fsm.Filter{NameLike: `\m\l-%`, HasLike: true}, match(named("ml-team", "ml-a"))},
		{"like escaped underscore", fsm.Filter{NameLike: `m\_-x`, HasLike: true}, nil},
		{"like prefix then underscore", fsm.Filter{NameLike: "ws-1_", HasLike: true}, match(func(w *fsm.Workspace) bool { return strings.HasPrefix(w.Name, "ws-1") })},
		{"like nothing", fsm.Filter{NameLike: "zz%", HasLike: true}, nil},
		{"created_by", fsm.Filter{CreatedBy: "alice", HasBy: true}, match(func(w *fsm.Workspace) bool { return w.CreatedBy == "alice" })},
		{"created_by empty", fsm.Filter{CreatedBy: "", HasBy: true}, match(func(w *fsm.Workspace) bool { return w.CreatedBy == "" })},
		{"created_by and like", fsm.Filter{CreatedBy: "bob", HasBy: true, NameLike: "ws-0%", HasLike: true}, match(func(w *fsm.Workspace) bool {
			return w.CreatedBy == "bob" && strings.HasPrefix(w.Name, "ws-0")
		})},
	}
	for _, tt := range tests {
		for _, sortName := range allSorts {
			srt, _ := fsm.ParseSort(sortName)
			want := wantOrder(tt.want, srt)
			for _, size := range []int{1, 2, 5, 100} {
				t.Run(fmt.Sprintf("%s/%s/size=%d", tt.name, sortName, size), func(t *testing.T) {
					got, total := walkPages(t, fx.s, fsm.ListQuery{Sort: srt, Filter: tt.filter}, size)
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
		{"filtered offset past the end", fsm.ListQuery{Filter: fsm.Filter{NameLike: "ml%", HasLike: true}, Offset: 4, Limit: 10}, 0, 4},
		{"exact name second page", fsm.ListQuery{Filter: fsm.Filter{Name: "ml", HasName: true}, Offset: 1, Limit: 10}, 0, 1},
		{"exact name zero limit", fsm.ListQuery{Filter: fsm.Filter{Name: "ml", HasName: true}, Limit: 0}, 0, 1},
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

func TestFilter_IsZero(t *testing.T) {
	tests := []struct {
		f    fsm.Filter
		want bool
	}{
		{fsm.Filter{}, true},
		{fsm.Filter{Name: "x"}, true}, // only the Has flags count
		{fsm.Filter{HasName: true}, false},
		{fsm.Filter{HasLike: true}, false},
		{fsm.Filter{HasBy: true}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			if got := tt.f.IsZero(); got != tt.want {
				t.Errorf("IsZero: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%", "", true},
		{"_", "", false},
		{"_", "a", true},
		{"_", "ab", false},
		{"__", "ab", true},
		{"ml-%", "ml-team", true},
		{"ml-%", "ml-", true},
		{"ml-%", "ml", false},
		{"ml-%", "xml-team", false},
		{"%team", "ml-team", true},
		{"%team", "team", true},
		{"%team", "teams", false},
		{"%-%", "ml-team", true},
		{"%-%", "mlteam", false},
		{"m_-x", "ma-x", true},
		{"m_-x", "m1-x", true},
		{"m_-x", "m-x", false},
		{"m_-x", "mab-x", false},
		{"%a%b%c%", "xaxbxcx", true},
		{"%a%b%c%", "xcxbxax", false},
		{"a%b", "ab", true},
		{"a%b", "axxb", true},
		{"a%b", "axxbx", false},
		{"a%b", "abab", true},
		{"%aab", "aaab", true},
		{"Ml", "ml", false},
		{`\%`, "%", true},
		{`\%`, "x", false},
		{`\%`, "", false},
		{`a\%`, "a%", true},
		{`a\%`, "ab", false},
		{`a\_`, "a_", true},
		{`a\_`, "ab", false},
		{`\\`, `\`, true},
		{`\\%`, `\x`, true},
		{`\a`, "a", true},
		{`a\`, `a\`, true},
		{`a\`, `a`, false},
		{`%\%`, "100%", true},
		{`%\%`, "100", false},
		{"_é_", "aéb", true},
		{"_", "é", true},
		{"é%", "éa", true},
		{"\xff", "\xfe", false},
		{"a_b", "a\xffb", true},
		{"\xff%", "\xff\xfe", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q~%q", tt.p, tt.s), func(t *testing.T) {
			if got := fsm.Like(tt.p, tt.s); got != tt.want {
				t.Errorf("Like(%q, %q): got %v, want %v", tt.p, tt.s, got, tt.want)
			}
		})
	}
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
