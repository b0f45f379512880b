package fsm

import "github.com/wsd-dev/wsd/filter"

func projectNotFound(ws, name string) *Error {
	return errorf(CodeNotFound, "Project '%s' not found in workspace '%s'", name, ws)
}

func (s *State) putProject(old, p *Project) {
	if old != nil && !old.UpdatedAt.Equal(p.UpdatedAt) {
		s.projByUpdated.Delete(old)
	}
	s.projByName.Set(p)
	s.projByID.Set(p)
	s.projByCreated.Set(p)
	s.projByUpdated.Set(p)
}

func (s *State) deleteProject(p *Project) {
	s.projByName.Delete(p)
	s.projByID.Delete(p)
	s.projByCreated.Delete(p)
	s.projByUpdated.Delete(p)
}

// addProjectRefs moves the count of references naming a project.
func (s *State) addProjectRefs(ws, project string, delta int) {
	if project == "" {
		return
	}
	key := &projectRefs{workspace: ws, project: project}
	n := delta
	if old, ok := s.projRefs.Get(key); ok {
		n += old.count
	}
	if n <= 0 {
		s.projRefs.Delete(key)
		return
	}
	s.projRefs.Set(&projectRefs{workspace: ws, project: project, count: n})
}

func (s *State) applyCreateProject(idx uint64, c *CreateProject) Result {
	if msg := ValidateName(c.Name); msg != "" {
		return Result{Err: invalid("name", "Project name %s", msg)}
	}
	if c.Description != nil {
		if msg := ValidateDescription(*c.Description); msg != "" {
			return Result{Err: invalid("description", "Description %s", msg)}
		}
	}
	if c.ID == "" || c.At.IsZero() {
		return Result{Err: invalid("id", "create needs an id and a timestamp")}
	}
	if _, ok := s.Workspace(c.Workspace); !ok {
		return Result{Err: workspaceNotFound(c.Workspace)}
	}
	if !s.Allowed(c.Workspace, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Workspace, c.Caller)}
	}
	if _, ok := s.Project(c.Workspace, c.Name); ok {
		return Result{Err: errorf(CodeAlreadyExists, "Project '%s' already exists in workspace '%s'.", c.Name, c.Workspace)}
	}
	if _, ok := s.projByID.Get(&Project{ID: c.ID}); ok {
		return Result{Err: errorf(CodeConflict, "Project id '%s' is already in use", c.ID)}
	}
	p := &Project{
		ID: c.ID, Workspace: c.Workspace, Name: c.Name, Description: c.Description,
		CreatedAt: c.At, CreatedBy: c.By, UpdatedAt: c.At, UpdatedBy: c.By, Index: idx,
	}
	s.putProject(nil, p)
	s.addUsage(c.Workspace, ProjectEntityType, 1)
	return Result{Project: p, Created: true}
}

func (s *State) applyUpdateProject(idx uint64, c *UpdateProject) Result {
	if _, ok := s.Workspace(c.Workspace); !ok {
		return Result{Err: workspaceNotFound(c.Workspace)}
	}
	if !s.Allowed(c.Workspace, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Workspace, c.Caller)}
	}
	old, ok := s.Project(c.Workspace, c.Name)
	if !ok {
		return Result{Err: projectNotFound(c.Workspace, c.Name)}
	}
	if c.DescriptionSet && c.Description != nil {
		if msg := ValidateDescription(*c.Description); msg != "" {
			return Result{Err: invalid("description", "Description %s", msg)}
		}
	}
	if c.At.IsZero() {
		return Result{Err: invalid("at", "update needs a timestamp")}
	}
	p := *old
	if c.DescriptionSet {
		p.Description = c.Description
	}
	p.UpdatedAt, p.UpdatedBy, p.Index = c.At, c.By, idx
	s.putProject(old, &p)
	return Result{Project: &p}
}

func (s *State) applyDeleteProject(_ uint64, c *DeleteProject) Result {
	if _, ok := s.Workspace(c.Workspace); !ok {
		return Result{Err: workspaceNotFound(c.Workspace)}
	}
	if !s.Allowed(c.Workspace, c.Caller, RoleEditor) {
		return Result{Err: s.refuse(c.Workspace, c.Caller)}
	}
	p, ok := s.Project(c.Workspace, c.Name)
	if !ok {
		return Result{Err: projectNotFound(c.Workspace, c.Name)}
	}
	if n := s.ProjectRefCount(c.Workspace, c.Name); n > 0 {
		noun := "entity references name it"
		if n == 1 {
			noun = "entity reference names it"
		}
		return Result{Err: errorf(CodeNotEmpty, "Project '%s' in workspace '%s' cannot be deleted: %d %s. Release them before deleting.", c.Name, c.Workspace, n, noun)}
	}
	s.deleteProject(p)
	s.addUsage(c.Workspace, ProjectEntityType, -1)
	return Result{Project: p}
}

// Project returns one project of a workspace.
func (s *State) Project(ws, name string) (*Project, bool) {
	return s.projByName.Get(&Project{Workspace: ws, Name: name})
}

// ProjectCount is the number of projects in all workspaces.
func (s *State) ProjectCount() int { return s.projByName.Len() }

// ProjectRefCount is the number of entity references naming a project.
func (s *State) ProjectRefCount(ws, name string) int {
	r, ok := s.projRefs.Get(&projectRefs{workspace: ws, project: name})
	if !ok {
		return 0
	}
	return r.count
}

func (s *State) projectScope(ws string) scope[*Project] {
	return scope[*Project]{
		trees: sortedTrees[*Project]{byName: s.projByName, byCreated: s.projByCreated, byUpdated: s.projByUpdated},
		size:  s.Usage(ws).ByType[ProjectEntityType],
		first: func(_ SortField, desc bool) *Project {
			if desc {
				// Sorts after every project of ws in all three orders.
				return &Project{Workspace: ws + "\x00"}
			}
			return &Project{Workspace: ws}
		},
		in:    func(p *Project) bool { return p.Workspace == ws },
		rec:   projectRecord,
		probe: func(name string) *Project { return &Project{Workspace: ws, Name: name} },
	}
}

// ListProjects returns one page of a workspace's projects and the number
// that match the filter; same sorts and filters as ListWorkspaces.
func (s *State) ListProjects(ws string, q ListQuery) ([]*Project, int) {
	return page(s.projectScope(ws), q)
}

// projectRecord is what a filter sees of p.
func projectRecord(p *Project) filter.Record {
	return filter.Record{ID: p.ID, Name: p.Name, Description: p.Description,
		CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy, UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy}
}
