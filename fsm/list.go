package fsm

import (
	"strings"

	"github.com/tidwall/btree"
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

// Filter selects list results. An empty field does not filter.
type Filter struct {
	Name      string // exact name
	NameLike  string // SQL LIKE pattern on name: % any run, _ one character, \ escapes
	CreatedBy string // exact principal
	HasName   bool   // Name was given (it may not be empty, but be explicit)
	HasLike   bool
	HasBy     bool
}

// IsZero reports whether the filter selects everything.
func (f Filter) IsZero() bool { return !f.HasName && !f.HasLike && !f.HasBy }

func (f Filter) match(name, createdBy string) bool {
	if f.HasName && name != f.Name {
		return false
	}
	if f.HasBy && createdBy != f.CreatedBy {
		return false
	}
	if f.HasLike && !Like(f.NameLike, name) {
		return false
	}
	return true
}

// ListQuery is one page request of a list call.
type ListQuery struct {
	Sort   Sort
	Filter Filter
	Offset int
	Limit  int
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

// page returns the records of one page and the number of matching records.
// Unfiltered lists are answered from the counted trees in O(limit·log n);
// a filter costs one pass over the candidates (a name-prefix range when the
// LIKE pattern starts with a literal and the order is by name).
func page[T any](t sortedTrees[T], q ListQuery, key func(T) (name, createdBy string), probe func(name string) T) ([]T, int) {
	tr := t.tree(q.Sort.Field)
	if q.Filter.IsZero() {
		n := tr.Len()
		if q.Offset >= n || q.Limit <= 0 {
			return []T{}, n
		}
		end := min(n, q.Offset+q.Limit)
		out := make([]T, 0, end-q.Offset)
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
	if q.Filter.HasName {
		v, ok := t.byName.Get(probe(q.Filter.Name))
		if !ok {
			return []T{}, 0
		}
		name, by := key(v)
		if !q.Filter.match(name, by) {
			return []T{}, 0
		}
		if q.Offset > 0 || q.Limit <= 0 {
			return []T{}, 1
		}
		return []T{v}, 1
	}
	out := []T{}
	total := 0
	visit := func(v T) bool {
		name, by := key(v)
		if q.Filter.match(name, by) {
			if total >= q.Offset && len(out) < q.Limit {
				out = append(out, v)
			}
			total++
		}
		return true
	}
	prefix := ""
	if q.Filter.HasLike {
		prefix = likePrefix(q.Filter.NameLike)
	}
	switch {
	case prefix != "" && q.Sort.Field == SortName && !q.Sort.Desc:
		t.byName.Ascend(probe(prefix), func(v T) bool {
			name, _ := key(v)
			return strings.HasPrefix(name, prefix) && visit(v)
		})
	case prefix != "" && q.Sort.Field == SortName:
		// Descending: start after the last name with the prefix.
		t.byName.Descend(probe(prefix+"\xff"), func(v T) bool {
			name, _ := key(v)
			return strings.HasPrefix(name, prefix) && visit(v)
		})
	case q.Sort.Desc:
		tr.Reverse(visit)
	default:
		tr.Scan(visit)
	}
	return out, total
}

func wsKey(w *Workspace) (string, string) { return w.Name, w.CreatedBy }
func wsProbe(name string) *Workspace     { return &Workspace{Name: name} }

func (s *State) workspaceTrees() sortedTrees[*Workspace] {
	return sortedTrees[*Workspace]{byName: s.wsByName, byCreated: s.wsByCreated, byUpdated: s.wsByUpdated}
}

// ListWorkspaces returns one page of workspaces and the number that match
// the filter.
func (s *State) ListWorkspaces(q ListQuery) ([]*Workspace, int) {
	return page(s.workspaceTrees(), q, wsKey, wsProbe)
}

// likePrefix returns the literal prefix of a LIKE pattern.
func likePrefix(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '_':
			return b.String()
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteByte(p[i])
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Like reports whether s matches the SQL LIKE pattern p: % matches any run
// of characters (also none), _ exactly one character, and \ makes the next
// character literal. Matching is on runes and case-sensitive.
func Like(p, s string) bool {
	pr, sr := []rune(p), []rune(s)
	// Iterative wildcard matching with backtracking to the last %.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(sr) {
		if pi < len(pr) {
			c := pr[pi]
			switch {
			case c == '%':
				starP, starS = pi, si
				pi++
				continue
			case c == '_':
				pi++
				si++
				continue
			case c == '\\' && pi+1 < len(pr):
				if pr[pi+1] == sr[si] {
					pi += 2
					si++
					continue
				}
			case c == sr[si]:
				pi++
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}
