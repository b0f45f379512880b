package fsm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

// TestState_List_visibilityFirst checks that a filtered list asks the
// visibility predicate about every record it walks, before the filter: a
// filter that matches nothing still costs one visibility check per record,
// and the filter is never evaluated for a record the caller may not see
// (issue 11: the filter ran first, so anyone's pattern was matched against
// every workspace).
func TestState_List_visibilityFirst(t *testing.T) {
	fx := newListFixture(t)
	st := fx.s
	n := st.WorkspaceCount()
	for _, text := range []string{
		`created_by:"nobody"`,
		`name~"zz"`,
		`name~"` + strings.Repeat("_", 70) + `"`,
		`-name:null OR description~"x" OR -(created_at<"2000-01-01T00:00:00+02:00")`,
	} {
		f := mustFilter(t, text)
		for _, srt := range []string{"-created_at", "name", "-updated_at"} {
			s, _ := fsm.ParseSort(srt)
			calls := 0
			list, total := st.ListWorkspaces(fsm.ListQuery{Sort: s, Filter: f, Limit: 10, Visible: func(*fsm.Workspace) bool {
				calls++
				return false
			}})
			if len(list) != 0 || total != 0 {
				t.Errorf("%s %s: %d listed, total %d; want nothing (nothing is visible)", text, srt, len(list), total)
			}
			if calls != n {
				t.Errorf("%s %s: visibility asked %d times, want %d (once per record, before the filter)", text, srt, calls, n)
			}
		}
	}
}

// BenchmarkList_likeWorstCase lists 5,000 workspaces with 63-character
// names against $like patterns built to make a backtracking matcher work
// hardest: the cost per call is bounded by the names, not the pattern
// (issue 11 measured 32 s of CPU for a 1 MB pattern over 5,000
// workspaces).
func BenchmarkList_likeWorstCase(b *testing.B) {
	a := newInitialized(b)
	var cmds []fsm.Command
	for i := range 5000 {
		name := strings.Repeat("a", 58) + fmt.Sprintf("-%04d", i)
		cmds = append(cmds, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(i)})
	}
	a.batch(cmds...)
	st := a.state()
	for _, bc := range []struct{ name, pat string }{
		{"256 chars, 32 wildcards", strings.Repeat("%a", 31) + "%b" + strings.Repeat("_", 192)},
		{"63 chars, backtracking", strings.Repeat("%a", 31) + "%b"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := fsm.ListQuery{Filter: mustFilter(b, `name~"`+bc.pat+`"`), Limit: 100}
			for b.Loop() {
				st.ListWorkspaces(q)
			}
		})
	}
}

// BenchmarkList_textFilter lists 5,000 workspaces through a filter that
// uses every kind of node (contains, null, negation, OR, a timestamp with
// an offset, IN): the cost per record is bounded by the clauses, and the
// walk allocates nothing per record (see -benchmem).
func BenchmarkList_textFilter(b *testing.B) {
	a := newInitialized(b)
	var cmds []fsm.Command
	for i := range 5000 {
		name := fmt.Sprintf("ws-%04d", i)
		cmds = append(cmds, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(i), By: "alice"})
	}
	a.batch(cmds...)
	st := a.state()
	f := mustFilter(b, `(name~"9_9" OR description:null) -created_by:"bob" created_at>="2000-01-01T00:00:00+02:00" name NOT IN ["ws-0001","ws-0002"]`)
	q := fsm.ListQuery{Filter: f, Limit: 100}
	b.ReportAllocs()
	for b.Loop() {
		st.ListWorkspaces(q)
	}
}
