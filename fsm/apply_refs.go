package fsm

func (s *State) addUsage(workspace, entityType string, delta int) {
	old, ok := s.usage.Get(&usageRecord{workspace: workspace})
	u := &usageRecord{workspace: workspace, byType: map[string]int{}}
	if ok {
		u.total = old.total
		for k, v := range old.byType {
			u.byType[k] = v
		}
	}
	u.total += delta
	u.byType[entityType] += delta
	if u.byType[entityType] <= 0 {
		delete(u.byType, entityType)
	}
	if u.total <= 0 {
		s.usage.Delete(u)
		return
	}
	s.usage.Set(u)
}

func refNotFound(c *ReleaseRef) *Error {
	return errorf(CodeNotFound, "Entity reference '%s/%s' not found in workspace '%s'", c.EntityType, c.EntityName, c.Workspace)
}

func (s *State) applyAcquireRef(idx uint64, c *AcquireRef) Result {
	if msg := ValidateEntityType(c.EntityType); msg != "" {
		return Result{Err: invalid("entity_type", "Entity type %s", msg)}
	}
	if msg := ValidateEntityName(c.EntityName); msg != "" {
		return Result{Err: invalid("entity_name", "Entity name %s", msg)}
	}
	if _, ok := s.Workspace(c.Workspace); !ok {
		return Result{Err: workspaceNotFound(c.Workspace)}
	}
	if !s.Allowed(c.Workspace, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Workspace, c.Caller)}
	}
	if c.Project != "" {
		if _, ok := s.Project(c.Workspace, c.Project); !ok {
			return Result{Err: projectNotFound(c.Workspace, c.Project)}
		}
	}
	if r, ok := s.Ref(c.Workspace, c.EntityType, c.EntityName); ok {
		if r.Project != c.Project {
			return Result{Err: errorf(CodeConflict, "Entity reference '%s/%s' in workspace '%s' is already held for project '%s'", c.EntityType, c.EntityName, c.Workspace, r.Project)}
		}
		return Result{Ref: r}
	}
	if c.At.IsZero() {
		return Result{Err: invalid("at", "acquire needs a timestamp")}
	}
	r := &EntityRef{
		Workspace: c.Workspace, EntityType: c.EntityType, EntityName: c.EntityName,
		Project: c.Project, CreatedAt: c.At, CreatedBy: c.By, Index: idx,
	}
	s.refs.Set(r)
	s.addUsage(c.Workspace, c.EntityType, 1)
	s.addProjectRefs(c.Workspace, c.Project, 1)
	return Result{Ref: r, Created: true}
}

func (s *State) applyReleaseRef(_ uint64, c *ReleaseRef) Result {
	if _, ok := s.Workspace(c.Workspace); !ok {
		return Result{Err: workspaceNotFound(c.Workspace)}
	}
	if !s.Allowed(c.Workspace, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Workspace, c.Caller)}
	}
	r, ok := s.Ref(c.Workspace, c.EntityType, c.EntityName)
	if !ok {
		return Result{Err: refNotFound(c)}
	}
	s.refs.Delete(r)
	s.addUsage(c.Workspace, c.EntityType, -1)
	s.addProjectRefs(c.Workspace, r.Project, -1)
	return Result{Ref: r}
}
