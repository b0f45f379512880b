package fsm

import "github.com/tidwall/btree"

// State is one immutable version of the replicated state, as of Index().
// The FSM publishes a new State after every applied batch; a reader that
// holds a *State sees a consistent view for as long as it keeps it, takes no
// lock and never blocks Apply. Values returned by State must not be modified.
type State struct {
	index       uint64
	initialized bool
	// clusterID and authMode are set once, by ClusterSettings.
	clusterID, authMode string

	// Workspaces, one tree per sort order. All hold the same *Workspace
	// values. The trees are counted, so page k of an unfiltered list is
	// found in O(log n) with GetAt.
	wsByName    *btree.BTreeG[*Workspace]
	wsByID      *btree.BTreeG[*Workspace]
	wsByCreated *btree.BTreeG[*Workspace]
	wsByUpdated *btree.BTreeG[*Workspace]

	// Projects, keyed by workspace first so one workspace's projects are
	// contiguous in every order.
	projByName    *btree.BTreeG[*Project]
	projByID      *btree.BTreeG[*Project]
	projByCreated *btree.BTreeG[*Project]
	projByUpdated *btree.BTreeG[*Project]
	projRefs      *btree.BTreeG[*projectRefs] // references naming a project

	refs  *btree.BTreeG[*EntityRef]   // by (workspace, type, name)
	usage *btree.BTreeG[*usageRecord] // by workspace
	roles *btree.BTreeG[*RoleBinding] // by (workspace, principal)

	// Remembered idempotency keys (see Keyed), by (principal, key) and by
	// log index; both hold the same values.
	idemByKey   *btree.BTreeG[*idemRecord]
	idemByIndex *btree.BTreeG[*idemRecord]

	// next is closed when a newer State is published.
	next chan struct{}
}

// projectRefs counts the references that name one project.
type projectRefs struct {
	workspace, project string
	count              int
}

// usageRecord is the entity count of one workspace; replaced, never mutated.
type usageRecord struct {
	workspace string
	total     int
	byType    map[string]int
}

const treeDegree = 32

func newTree[T any](less func(a, b T) bool) *btree.BTreeG[T] {
	return btree.NewBTreeGOptions(less, btree.Options{Degree: treeDegree, NoLocks: true})
}

func lessWsName(a, b *Workspace) bool { return a.Name < b.Name }
func lessWsID(a, b *Workspace) bool   { return a.ID < b.ID }
func lessWsCreated(a, b *Workspace) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.Name < b.Name
}
func lessWsUpdated(a, b *Workspace) bool {
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		return a.UpdatedAt.Before(b.UpdatedAt)
	}
	return a.Name < b.Name
}

func lessRef(a, b *EntityRef) bool {
	if a.Workspace != b.Workspace {
		return a.Workspace < b.Workspace
	}
	if a.EntityType != b.EntityType {
		return a.EntityType < b.EntityType
	}
	return a.EntityName < b.EntityName
}

func lessProjName(a, b *Project) bool {
	if a.Workspace != b.Workspace {
		return a.Workspace < b.Workspace
	}
	return a.Name < b.Name
}
func lessProjID(a, b *Project) bool { return a.ID < b.ID }
func lessProjCreated(a, b *Project) bool {
	if a.Workspace != b.Workspace {
		return a.Workspace < b.Workspace
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.Name < b.Name
}
func lessProjUpdated(a, b *Project) bool {
	if a.Workspace != b.Workspace {
		return a.Workspace < b.Workspace
	}
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		return a.UpdatedAt.Before(b.UpdatedAt)
	}
	return a.Name < b.Name
}
func lessProjRefs(a, b *projectRefs) bool {
	if a.workspace != b.workspace {
		return a.workspace < b.workspace
	}
	return a.project < b.project
}

func lessUsage(a, b *usageRecord) bool { return a.workspace < b.workspace }

func lessRole(a, b *RoleBinding) bool {
	if a.Workspace != b.Workspace {
		return a.Workspace < b.Workspace
	}
	return a.Principal < b.Principal
}

func newState() *State {
	return &State{
		wsByName:      newTree(lessWsName),
		wsByID:        newTree(lessWsID),
		wsByCreated:   newTree(lessWsCreated),
		wsByUpdated:   newTree(lessWsUpdated),
		projByName:    newTree(lessProjName),
		projByID:      newTree(lessProjID),
		projByCreated: newTree(lessProjCreated),
		projByUpdated: newTree(lessProjUpdated),
		projRefs:      newTree(lessProjRefs),
		refs:          newTree(lessRef),
		usage:         newTree(lessUsage),
		roles:         newTree(lessRole),
		idemByKey:     newTree(lessIdemKey),
		idemByIndex:   newTree(lessIdemIndex),
		next:          make(chan struct{}),
	}
}

// freeze returns an immutable copy of s for readers. The copy shares every
// node with s; s stays writable and copies a node before it first changes it.
func (s *State) freeze() *State {
	return &State{
		index:         s.index,
		initialized:   s.initialized,
		clusterID:     s.clusterID,
		authMode:      s.authMode,
		wsByName:      s.wsByName.IsoCopy(),
		wsByID:        s.wsByID.IsoCopy(),
		wsByCreated:   s.wsByCreated.IsoCopy(),
		wsByUpdated:   s.wsByUpdated.IsoCopy(),
		projByName:    s.projByName.IsoCopy(),
		projByID:      s.projByID.IsoCopy(),
		projByCreated: s.projByCreated.IsoCopy(),
		projByUpdated: s.projByUpdated.IsoCopy(),
		projRefs:      s.projRefs.IsoCopy(),
		refs:          s.refs.IsoCopy(),
		usage:         s.usage.IsoCopy(),
		roles:         s.roles.IsoCopy(),
		idemByKey:     s.idemByKey.IsoCopy(),
		idemByIndex:   s.idemByIndex.IsoCopy(),
		next:          make(chan struct{}),
	}
}

// Index is the log index of the last entry this state reflects.
func (s *State) Index() uint64 { return s.index }

// Initialized reports whether the Init command has been applied.
func (s *State) Initialized() bool { return s.initialized }

// Changed returns a channel closed once a newer state has been published.
func (s *State) Changed() <-chan struct{} { return s.next }

// Workspace returns the workspace with the given name.
func (s *State) Workspace(name string) (*Workspace, bool) {
	return s.wsByName.Get(&Workspace{Name: name})
}

// WorkspaceByID returns the workspace with the given id.
func (s *State) WorkspaceByID(id string) (*Workspace, bool) {
	return s.wsByID.Get(&Workspace{ID: id})
}

// WorkspaceCount is the number of workspaces, built-ins included.
func (s *State) WorkspaceCount() int { return s.wsByName.Len() }

// RefCount is the number of entity references held in all workspaces.
func (s *State) RefCount() int { return s.refs.Len() }

// Usage returns the entity counts of a workspace (zero when it holds none).
func (s *State) Usage(workspace string) Usage {
	u, ok := s.usage.Get(&usageRecord{workspace: workspace})
	if !ok {
		return Usage{ByType: map[string]int{}}
	}
	by := make(map[string]int, len(u.byType))
	for k, v := range u.byType {
		by[k] = v
	}
	return Usage{Total: u.total, ByType: by}
}

// Ref returns one entity reference.
func (s *State) Ref(workspace, entityType, entityName string) (*EntityRef, bool) {
	return s.refs.Get(&EntityRef{Workspace: workspace, EntityType: entityType, EntityName: entityName})
}

// ListRefs returns the references of a workspace in (type, name) order,
// optionally only those of one type, skipping offset and returning at most
// limit, together with the number of references that match.
func (s *State) ListRefs(workspace, entityType string, offset, limit int) ([]*EntityRef, int) {
	// Usage also counts the workspace's projects, which are not
	// references.
	u := s.Usage(workspace)
	var total int
	switch entityType {
	case "":
		total = u.Total - u.ByType[ProjectEntityType]
	case ProjectEntityType:
	default:
		total = u.ByType[entityType]
	}
	if offset >= total || limit <= 0 {
		return []*EntityRef{}, total
	}
	out := make([]*EntityRef, 0, min(limit, total-offset))
	skipped := 0
	s.refs.Ascend(&EntityRef{Workspace: workspace, EntityType: entityType}, func(r *EntityRef) bool {
		if r.Workspace != workspace || (entityType != "" && r.EntityType != entityType) {
			return false
		}
		if skipped < offset {
			skipped++
			return true
		}
		out = append(out, r)
		return len(out) < limit
	})
	return out, total
}

// RoleBindings returns every binding of one workspace, by principal.
func (s *State) RoleBindings(workspace string) []*RoleBinding {
	var out []*RoleBinding
	s.roles.Ascend(&RoleBinding{Workspace: workspace}, func(b *RoleBinding) bool {
		if b.Workspace != workspace {
			return false
		}
		out = append(out, b)
		return true
	})
	return out
}
