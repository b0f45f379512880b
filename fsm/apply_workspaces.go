package fsm

import (
	"fmt"
	"sort"
	"strings"
)

func (s *State) putWorkspace(old, w *Workspace) {
	if old != nil && !old.UpdatedAt.Equal(w.UpdatedAt) {
		s.wsByUpdated.Delete(old)
	}
	s.wsByName.Set(w)
	s.wsByID.Set(w)
	s.wsByCreated.Set(w)
	s.wsByUpdated.Set(w)
}

func (s *State) deleteWorkspace(w *Workspace) {
	s.wsByName.Delete(w)
	s.wsByID.Delete(w)
	s.wsByCreated.Delete(w)
	s.wsByUpdated.Delete(w)
	s.usage.Delete(&usageRecord{workspace: w.Name})
	for _, b := range s.RoleBindings(w.Name) {
		s.roles.Delete(b)
	}
}

func (s *State) applyInit(idx uint64, c *Init) Result {
	if c.DefaultID == "" || c.SystemID == "" || c.DefaultID == c.SystemID {
		return Result{Err: invalid("id", "init needs two distinct workspace ids")}
	}
	if c.At.IsZero() {
		return Result{Err: invalid("at", "init needs a timestamp")}
	}
	builtins := []struct{ name, id, desc string }{
		{DefaultWorkspace, c.DefaultID, DefaultDescription},
		{SystemWorkspace, c.SystemID, SystemDescription},
	}
	// Check both ids before creating either, so a refused Init writes
	// nothing.
	for _, b := range builtins {
		if _, ok := s.Workspace(b.name); ok {
			continue
		}
		if _, ok := s.WorkspaceByID(b.id); ok {
			return Result{Err: errorf(CodeConflict, "Workspace id '%s' is already in use", b.id)}
		}
	}
	for _, b := range builtins {
		if _, ok := s.Workspace(b.name); ok {
			continue
		}
		desc := b.desc
		s.putWorkspace(nil, &Workspace{
			ID: b.id, Name: b.name, Description: &desc,
			CreatedAt: c.At, CreatedBy: c.By, UpdatedAt: c.At, UpdatedBy: c.By, Index: idx,
		})
	}
	if !s.initialized {
		seed := func(ws, principal string, roles ...string) {
			if _, ok := s.roles.Get(&RoleBinding{Workspace: ws, Principal: principal}); ok {
				return
			}
			s.roles.Set(&RoleBinding{Workspace: ws, Principal: principal, Roles: roles, GrantedAt: c.At, GrantedBy: c.By, Index: idx})
		}
		seed(DefaultWorkspace, Everyone, RoleEditor)
		seed(SystemWorkspace, Everyone, RoleViewer, RoleWorkspaceCreator)
		if c.AdminPrincipal != "" {
			seed(SystemWorkspace, c.AdminPrincipal, RolePlatformAdmin)
		}
	}
	s.initialized = true
	return Result{}
}

func (s *State) applyCreateWorkspace(idx uint64, c *CreateWorkspace) Result {
	if msg := ValidateName(c.Name); msg != "" {
		return Result{Err: invalid("name", "Workspace name %s", msg)}
	}
	if c.Description != nil {
		if msg := ValidateDescription(*c.Description); msg != "" {
			return Result{Err: invalid("description", "Description %s", msg)}
		}
	}
	if c.ID == "" || c.At.IsZero() {
		return Result{Err: invalid("id", "create needs an id and a timestamp")}
	}
	if !s.CanCreateWorkspace(c.Caller) {
		return Result{Err: forbidden()}
	}
	if _, ok := s.Workspace(c.Name); ok {
		return Result{Err: errorf(CodeAlreadyExists, "Workspace '%s' already exists", c.Name)}
	}
	if _, ok := s.WorkspaceByID(c.ID); ok {
		return Result{Err: errorf(CodeConflict, "Workspace id '%s' is already in use", c.ID)}
	}
	w := &Workspace{
		ID: c.ID, Name: c.Name, Description: c.Description,
		CreatedAt: c.At, CreatedBy: c.By, UpdatedAt: c.At, UpdatedBy: c.By, Index: idx,
	}
	s.putWorkspace(nil, w)
	if c.Caller != nil && c.Caller.ID != "" {
		// The creator becomes Admin in the same committed write.
		s.roles.Set(&RoleBinding{Workspace: c.Name, Principal: c.Caller.ID, Roles: []string{RoleAdmin}, GrantedAt: c.At, GrantedBy: c.By, Index: idx})
	}
	return Result{Workspace: w, Created: true}
}

func (s *State) applyUpdateWorkspace(idx uint64, c *UpdateWorkspace) Result {
	old, ok := s.Workspace(c.Name)
	if !ok {
		return Result{Err: workspaceNotFound(c.Name)}
	}
	if !s.Allowed(c.Name, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Name, c.Caller)}
	}
	if c.DescriptionSet && c.Description != nil {
		if msg := ValidateDescription(*c.Description); msg != "" {
			return Result{Err: invalid("description", "Description %s", msg)}
		}
	}
	if c.At.IsZero() {
		return Result{Err: invalid("at", "update needs a timestamp")}
	}
	w := *old
	if c.DescriptionSet {
		w.Description = c.Description
	}
	w.UpdatedAt, w.UpdatedBy, w.Index = c.At, c.By, idx
	s.putWorkspace(old, &w)
	return Result{Workspace: &w}
}

func (s *State) applyDeleteWorkspace(idx uint64, c *DeleteWorkspace) Result {
	w, ok := s.Workspace(c.Name)
	if !ok {
		return Result{Err: workspaceNotFound(c.Name)}
	}
	if !s.Allowed(c.Name, c.Caller, RoleAdmin) {
		return Result{Err: s.refuse(c.Name, c.Caller)}
	}
	if IsBuiltin(c.Name) {
		return Result{Err: errorf(CodeBuiltin, "Workspace '%s' is a built-in workspace and cannot be deleted", c.Name)}
	}
	if u := s.Usage(c.Name); u.Total > 0 {
		return Result{Err: &Error{Code: CodeNotEmpty, Msg: notEmptyMessage(c.Name, u)}}
	}
	s.deleteWorkspace(w)
	return Result{Workspace: w}
}

// notEmptyMessage renders e.g. "Workspace 'ml-team' is not empty: 3 entities
// remain (datasets: 1, models: 2). Remove all entities before deleting."
func notEmptyMessage(name string, u Usage) string {
	types := make([]string, 0, len(u.ByType))
	for t := range u.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s: %d", t, u.ByType[t])
	}
	noun := "entities remain"
	if u.Total == 1 {
		noun = "entity remains"
	}
	return fmt.Sprintf("Workspace '%s' is not empty: %d %s (%s). Remove all entities before deleting.",
		name, u.Total, noun, strings.Join(parts, ", "))
}
