package fsm

import (
	"strings"

	"github.com/tidwall/btree"

	"github.com/wsd-dev/wsd/filter"
)

// SortField is a column a list can be ordered by.
type SortField uint8

// Sort fields of the list calls.
const (
	SortCreatedAt SortField = iota
	SortUpdatedAt
	SortName
)

// Sort is an order: a field and a direction. Ties on a timestamp are broken
// by name in the same direction, so pages never overlap or skip.
type Sort struct {
	Field SortField
	Desc  bool
}

// DefaultSort is the order of a list call without ?sort= (-created_at).
var DefaultSort = Sort{Field: SortCreatedAt, Desc: true}

// ParseSort parses created_at, -created_at, updated_at, -updated_at, name,
// -name. ok is false for anything else.
func ParseSort(s string) (Sort, bool) {
	desc := strings.HasPrefix(s, "-")
	switch strings.TrimPrefix(s, "-") {
	case "created_at":
		return Sort{SortCreatedAt, desc}, true
	case "updated_at":
		return Sort{SortUpdatedAt, desc}, true
	case "name":
		return Sort{SortName, desc}, true
	}
	return Sort{}, false
}

// String renders the sort the way the API echoes it.
func (s Sort) String() string {
	name := [...]string{"created_at", "updated_at", "name"}[s.Field]
	if s.Desc {
		return "-" + name
	}
	return name
}

// ListQuery is one page request of a list call.
type ListQuery struct {
	Sort Sort
	// Filter selects records; nil selects all. It is parsed (and so
	// compiled) once per request by the filter package.
	Filter *filter.Expr
	Offset int
	Limit  int
	// Visible, when set, hides the records it returns false for: they are
	// neither listed nor counted, as if they did not exist. Nil shows
	// everything. Used for State.VisibleTo; it makes the page a filtered
	// one (a pass over the candidates).
	Visible func(*Workspace) bool
}

// sortedTrees are the per-order trees of one record type.
type sortedTrees[T any] struct {
	byName, byCreated, byUpdated *btree.BTreeG[T]
}

func (t sortedTrees[T]) tree(f SortField) *btree.BTreeG[T] {
	switch f {
	case SortName:
		return t.byName
	case SortUpdatedAt:
		return t.byUpdated
	}
	return t.byCreated
}

// scope is the set of records one list call ranges over: a whole table
// (workspaces) or the slice of a table that belongs to one parent (the
// projects of one workspace). All three trees order the scope's records
// contiguously.
type scope[T any] struct {
	trees sortedTrees[T]
	// whole means the trees hold exactly the scope: counted positions
	// (GetAt) serve unfiltered pages in O(limit·log n).
	whole bool
	// size is the number of records in the scope.
	size int
	// first returns the pivot where iteration in order (f, desc) starts.
	first func(f SortField, desc bool) T
	// in reports whether a record belongs to the scope.
	in func(T) bool
	// rec returns the fields filters look at.
	rec func(T) filter.Record
	// probe returns a record that sorts like the scope's record named name
	// in the by-name tree.
	probe func(name string) T
	// visible applies ListQuery.Visible to a record; nil when the record
	// type is not subject to it.
	visible func(q ListQuery, v T) bool
}

// shown reports whether q's visibility predicate lets v be listed.
func (sc scope[T]) shown(q ListQuery, v T) bool {
	return q.Visible == nil || sc.visible == nil || sc.visible(q, v)
}

// walk visits the scope's records of tree tr in order until visit returns
// false.
func (sc scope[T]) walk(tr *btree.BTreeG[T], f SortField, desc bool, visit func(T) bool) {
	if sc.whole {
		if desc {
			tr.Reverse(visit)
		} else {
			tr.Scan(visit)
		}
		return
	}
	inVisit := func(v T) bool { return sc.in(v) && visit(v) }
	if desc {
		tr.Descend(sc.first(f, true), inVisit)
	} else {
		tr.Ascend(sc.first(f, false), inVisit)
	}
}

// page returns the records of one page and the number of matching records.
// Unfiltered pages of a whole table come from the counted trees; a filter
// that fixes the name (name:"x", alone or ANDed) looks that one record up;
// other pages walk the scope in order, a filter costing one pass over the
// candidates.
func page[T any](sc scope[T], q ListQuery) ([]T, int) {
	q.Offset = max(q.Offset, 0)
	q.Limit = min(max(q.Limit, 0), sc.size+1, 1<<30)
	tr := sc.trees.tree(q.Sort.Field)
	if q.Filter == nil && (q.Visible == nil || sc.visible == nil) {
		n := sc.size
		if q.Offset >= n || q.Limit <= 0 {
			return []T{}, n
		}
		end := min(n, q.Offset+q.Limit)
		out := make([]T, 0, end-q.Offset)
		if sc.whole {
			for i := q.Offset; i < end; i++ {
				j := i
				if q.Sort.Desc {
					j = n - 1 - i
				}
				v, _ := tr.GetAt(j)
				out = append(out, v)
			}
			return out, n
		}
		skipped := 0
		sc.walk(tr, q.Sort.Field, q.Sort.Desc, func(v T) bool {
			if skipped < q.Offset {
				skipped++
				return true
			}
			out = append(out, v)
			return len(out) < end-q.Offset
		})
		return out, n
	}
	if name, ok := q.Filter.ExactName(); ok {
		v, ok := sc.trees.byName.Get(sc.probe(name))
		if !ok {
			return []T{}, 0
		}
		if !sc.shown(q, v) {
			return []T{}, 0
		}
		if r := sc.rec(v); !q.Filter.Match(&r) {
			return []T{}, 0
		}
		if q.Offset > 0 || q.Limit <= 0 {
			return []T{}, 1
		}
		return []T{v}, 1
	}
	out := []T{}
	total := 0
	// Visibility first: the filter only ever runs over what the caller
	// may see.
	sc.walk(tr, q.Sort.Field, q.Sort.Desc, func(v T) bool {
		if !sc.shown(q, v) {
			return true
		}
		if r := sc.rec(v); q.Filter.Match(&r) {
			if total >= q.Offset && len(out) < q.Limit {
				out = append(out, v)
			}
			total++
		}
		return true
	})
	return out, total
}

func (s *State) workspaceScope() scope[*Workspace] {
	return scope[*Workspace]{
		trees: sortedTrees[*Workspace]{byName: s.wsByName, byCreated: s.wsByCreated, byUpdated: s.wsByUpdated},
		whole: true,
		size:  s.wsByName.Len(),
		rec:   workspaceRecord,
		probe: func(name string) *Workspace { return &Workspace{Name: name} },
		visible: func(q ListQuery, w *Workspace) bool {
			return q.Visible(w)
		},
	}
}

// ListWorkspaces returns one page of workspaces and the number that match
// the filter (and q.Visible, when set).
func (s *State) ListWorkspaces(q ListQuery) ([]*Workspace, int) {
	return page(s.workspaceScope(), q)
}

// workspaceRecord is what a filter sees of w.
func workspaceRecord(w *Workspace) filter.Record {
	return filter.Record{ID: w.ID, Name: w.Name, Description: w.Description,
		CreatedAt: w.CreatedAt, CreatedBy: w.CreatedBy, UpdatedAt: w.UpdatedAt, UpdatedBy: w.UpdatedBy}
}
