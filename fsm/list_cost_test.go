package fsm_test

import (
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
	for _, f := range []fsm.Filter{
		{CreatedBy: "nobody", HasBy: true},
		{NameLike: "%zz%", HasLike: true},
		{NameLike: "%" + strings.Repeat("_", 70), HasLike: true},
	} {
		for _, srt := range []string{"-created_at", "name", "-updated_at"} {
			s, _ := fsm.ParseSort(srt)
			calls := 0
			list, total := st.ListWorkspaces(fsm.ListQuery{Sort: s, Filter: f, Limit: 10, Visible: func(*fsm.Workspace) bool {
				calls++
				return false
			}})
			if len(list) != 0 || total != 0 {
				t.Errorf("%+v %s: %d listed, total %d; want nothing (nothing is visible)", f, srt, len(list), total)
			}
			if calls != n {
				t.Errorf("%+v %s: visibility asked %d times, want %d (once per record, before the filter)", f, srt, calls, n)
			}
		}
	}
}
