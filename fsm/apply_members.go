package fsm

import "slices"

func memberNotFound(ws, principal string) *Error {
	return errorf(CodeNotFound, "Member '%s' not found in workspace '%s'", principal, ws)
}

func lastAdmin(ws string) *Error {
	return errorf(CodeConflict, "Workspace '%s' must keep at least one Admin", ws)
}

func lastPlatformAdmin() *Error {
	return errorf(CodeConflict, "The cluster must keep at least one PlatformAdmin: grant PlatformAdmin to another principal on workspace '%s' first", SystemWorkspace)
}

// losesLastPlatformAdmin reports whether replacing the binding old of
// workspace ws by one with roles (nil: removing it) would leave no
// binding holding PlatformAdmin on system.
func (s *State) losesLastPlatformAdmin(ws string, old *RoleBinding, roles []string) bool {
	return ws == SystemWorkspace && slices.Contains(old.Roles, RolePlatformAdmin) &&
		!slices.Contains(roles, RolePlatformAdmin) && s.platformAdminCount() == 1
}

// memberPre checks what every membership command needs: the workspace
// exists and the caller is its Admin.
func (s *State) memberPre(ws string, c *Caller) *Error {
	if _, ok := s.Workspace(ws); !ok {
		return workspaceNotFound(ws)
	}
	if !s.Allowed(ws, c, RoleAdmin) {
		return s.refuse(ws, c)
	}
	return nil
}

// Member returns one principal's binding in a workspace.
func (s *State) Member(ws, principal string) (*RoleBinding, bool) {
	return s.roles.Get(&RoleBinding{Workspace: ws, Principal: principal})
}

func (s *State) applyAddMember(idx uint64, c *AddMember) Result {
	if c.Principal == "" || len(c.Principal) > MaxEntityNameLen {
		return Result{Err: invalid("principal", "principal must be 1 to %d bytes", MaxEntityNameLen)}
	}
	if len(c.Roles) == 0 {
		return Result{Err: invalid("roles", "roles must not be empty")}
	}
	roles, err := normaliseRoles(c.Workspace, c.Roles, c.v1)
	if err != nil {
		return Result{Err: err}
	}
	if err := s.memberPre(c.Workspace, c.Caller); err != nil {
		return Result{Err: err}
	}
	if old, ok := s.Member(c.Workspace, c.Principal); ok {
		if c.v1 {
			return Result{Err: errorf(CodeAlreadyExists, "Principal '%s' is already a member of workspace '%s'", c.Principal, c.Workspace)}
		}
		// Version 2: add the roles the principal lacks, keep the others.
		merged, _ := normaliseRoles(c.Workspace, append(slices.Clone(old.Roles), roles...), false)
		b := &RoleBinding{Workspace: c.Workspace, Principal: c.Principal, Roles: merged, GrantedAt: c.At, GrantedBy: c.By, Index: idx}
		s.roles.Set(b)
		return Result{Member: b, Created: true}
	}
	b := &RoleBinding{Workspace: c.Workspace, Principal: c.Principal, Roles: roles, GrantedAt: c.At, GrantedBy: c.By, Index: idx}
	s.roles.Set(b)
	return Result{Member: b, Created: true}
}

func (s *State) applySetMemberRoles(idx uint64, c *SetMemberRoles) Result {
	roles, err := normaliseRoles(c.Workspace, c.Roles, c.v1)
	if err != nil {
		return Result{Err: err}
	}
	if err := s.memberPre(c.Workspace, c.Caller); err != nil {
		return Result{Err: err}
	}
	old, ok := s.Member(c.Workspace, c.Principal)
	if !ok {
		if c.v1 {
			return Result{Err: memberNotFound(c.Workspace, c.Principal)}
		}
		if c.Principal == "" || len(c.Principal) > MaxEntityNameLen {
			return Result{Err: invalid("principal", "principal must be 1 to %d bytes", MaxEntityNameLen)}
		}
		// Version 2: a principal without roles gets these (none: nothing
		// to do).
		b := &RoleBinding{Workspace: c.Workspace, Principal: c.Principal, Roles: roles, GrantedAt: c.At, GrantedBy: c.By, Index: idx}
		if len(roles) > 0 {
			s.roles.Set(b)
		}
		return Result{Member: b, Created: len(roles) > 0}
	}
	if slices.Contains(old.Roles, RoleAdmin) && !slices.Contains(roles, RoleAdmin) && s.adminCount(c.Workspace) == 1 {
		return Result{Err: lastAdmin(c.Workspace)}
	}
	if s.losesLastPlatformAdmin(c.Workspace, old, roles) {
		return Result{Err: lastPlatformAdmin()}
	}
	b := &RoleBinding{Workspace: c.Workspace, Principal: c.Principal, Roles: roles, GrantedAt: c.At, GrantedBy: c.By, Index: idx}
	if len(roles) == 0 { // version 2 only: [] removes every role
		s.roles.Delete(old)
		return Result{Member: b}
	}
	s.roles.Set(b)
	return Result{Member: b}
}

func (s *State) applyRemoveMember(_ uint64, c *RemoveMember) Result {
	if err := s.memberPre(c.Workspace, c.Caller); err != nil {
		return Result{Err: err}
	}
	old, ok := s.Member(c.Workspace, c.Principal)
	if !ok {
		return Result{Err: memberNotFound(c.Workspace, c.Principal)}
	}
	if slices.Contains(old.Roles, RoleAdmin) && s.adminCount(c.Workspace) == 1 {
		return Result{Err: lastAdmin(c.Workspace)}
	}
	if s.losesLastPlatformAdmin(c.Workspace, old, nil) {
		return Result{Err: lastPlatformAdmin()}
	}
	s.roles.Delete(old)
	return Result{Member: old}
}
