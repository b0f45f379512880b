package fsm

import (
	"slices"
	"sort"
)

// Role names of the wire contract.
const (
	RoleViewer           = "Viewer"
	RoleEditor           = "Editor"
	RoleAdmin            = "Admin"
	RoleWorkspaceCreator = "WorkspaceCreator"
	RolePlatformAdmin    = "PlatformAdmin"
	// RoleJobRunner is known on system (issue 15, the platform's role for
	// job runners); wsd grants nothing with it.
	RoleJobRunner = "JobRunner"
)

// Everyone is the principal a binding uses to mean every authenticated
// user.
const Everyone = "*"

// Caller is who issued a command or a read, as authenticated at the edge.
// A nil *Caller means authentication is off: everything is allowed, but
// only in a cluster whose recorded auth mode is AuthNone (or not recorded
// yet); in a cluster with authentication a nil Caller is allowed nothing,
// so a node mis-started without authentication cannot write. For
// writes the caller travels inside the command, so the decision is made in
// Apply against the bindings at that log index: a role revoked at index i
// can never authorise a write committed after i.
type Caller struct {
	ID     string   `json:"id"`
	Email  string   `json:"email,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Names lists every principal a binding may name to match this caller.
func (c *Caller) Names() []string {
	names := make([]string, 0, 3+len(c.Groups))
	names = append(names, c.ID)
	if c.Email != "" {
		names = append(names, c.Email)
	}
	names = append(names, c.Groups...)
	return append(names, Everyone)
}

// Principal is the name recorded in created_by/updated_by/granted_by: the
// email when the token has one, else the subject.
func (c *Caller) Principal() string {
	if c == nil {
		return ""
	}
	if c.Email != "" {
		return c.Email
	}
	return c.ID
}

// ValidRole reports whether role may be granted in workspace ws.
func ValidRole(ws, role string) bool {
	switch role {
	case RoleViewer, RoleEditor, RoleAdmin:
		return true
	case RoleWorkspaceCreator, RolePlatformAdmin, RoleJobRunner:
		return ws == SystemWorkspace
	}
	return false
}

// rank orders the per-workspace roles; each includes those below it.
func rank(role string) int {
	switch role {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// roleSet is what one caller holds in one workspace.
type roleSet struct {
	level   int // highest of Viewer/Editor/Admin
	creator bool
}

func (s *State) rolesIn(ws string, c *Caller) roleSet {
	var rs roleSet
	for _, name := range c.Names() {
		b, ok := s.roles.Get(&RoleBinding{Workspace: ws, Principal: name})
		if !ok {
			continue
		}
		for _, r := range b.Roles {
			rs.level = max(rs.level, rank(r))
			if r == RoleWorkspaceCreator {
				rs.creator = true
			}
		}
	}
	return rs
}

// IsPlatformAdmin reports whether c holds PlatformAdmin on system.
func (s *State) IsPlatformAdmin(c *Caller) bool {
	if c == nil {
		return s.anonymousAllowed()
	}
	for _, name := range c.Names() {
		if b, ok := s.roles.Get(&RoleBinding{Workspace: SystemWorkspace, Principal: name}); ok && slices.Contains(b.Roles, RolePlatformAdmin) {
			return true
		}
	}
	return false
}

// Allowed reports whether c holds at least role need (Viewer, Editor or
// Admin) in ws. PlatformAdmin may do anything anywhere; the system
// workspace is read-only for everyone else.
func (s *State) Allowed(ws string, c *Caller, need string) bool {
	if c == nil {
		return s.anonymousAllowed()
	}
	if s.IsPlatformAdmin(c) {
		return true
	}
	if ws == SystemWorkspace && rank(need) > rank(RoleViewer) {
		return false
	}
	return s.rolesIn(ws, c).level >= rank(need)
}

// CanCreateWorkspace reports whether c may create workspaces.
func (s *State) CanCreateWorkspace(c *Caller) bool {
	if c == nil {
		return s.anonymousAllowed()
	}
	return s.IsPlatformAdmin(c) || s.rolesIn(SystemWorkspace, c).creator
}

// VisibleTo returns a predicate for the workspaces c may see (holds any
// role in), or nil when c sees everything.
func (s *State) VisibleTo(c *Caller) func(*Workspace) bool {
	if c == nil {
		if s.anonymousAllowed() {
			return nil
		}
		return func(*Workspace) bool { return false }
	}
	if s.IsPlatformAdmin(c) {
		return nil
	}
	return func(w *Workspace) bool { return s.sees(w.Name, c) }
}

// CanSee reports whether c may see workspace ws at all: c holds a role in
// it (or is a PlatformAdmin, or authentication is off). A caller who may
// not see a workspace is answered as if it did not exist.
func (s *State) CanSee(ws string, c *Caller) bool {
	return c == nil || s.IsPlatformAdmin(c) || s.sees(ws, c)
}

func (s *State) sees(ws string, c *Caller) bool {
	rs := s.rolesIn(ws, c)
	return rs.level > 0 || (ws == SystemWorkspace && rs.creator)
}

func forbidden() *Error { return &Error{Code: CodeForbidden, Msg: "Forbidden"} }

// refuse is the error for a caller without the role a command needs in
// the existing workspace ws: Forbidden when the caller may see ws, and
// the same not-found error as for a missing workspace when it may not,
// so that a non-member cannot tell which names exist. (It only shapes a
// refusal: the state is unchanged either way.)
func (s *State) refuse(ws string, c *Caller) *Error {
	if s.CanSee(ws, c) {
		return forbidden()
	}
	return workspaceNotFound(ws)
}

// adminCount counts bindings of ws that hold Admin.
func (s *State) adminCount(ws string) int {
	n := 0
	for _, b := range s.RoleBindings(ws) {
		if slices.Contains(b.Roles, RoleAdmin) {
			n++
		}
	}
	return n
}

// HasPlatformAdmin reports whether some binding holds PlatformAdmin on
// the system workspace.
func (s *State) HasPlatformAdmin() bool { return s.platformAdminCount() > 0 }

// platformAdminCount counts bindings of the system workspace that hold
// PlatformAdmin.
func (s *State) platformAdminCount() int {
	n := 0
	for _, b := range s.RoleBindings(SystemWorkspace) {
		if slices.Contains(b.Roles, RolePlatformAdmin) {
			n++
		}
	}
	return n
}

// normaliseRoles validates, de-duplicates and sorts roles.
// v1 applies the rules of the version 1 member commands: no empty list,
// no JobRunner.
func normaliseRoles(ws string, roles []string, v1 bool) ([]string, *Error) {
	if len(roles) == 0 && v1 {
		return nil, invalid("roles", "roles must not be empty")
	}
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		if !ValidRole(ws, r) || v1 && r == RoleJobRunner {
			return nil, invalid("roles", "unknown role '%s' for workspace '%s'", r, ws)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out, nil
}
