package httpapi

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// projectRoutes registers the projects API (see API.md "Projects").
// Projects take the same bodies, list parameters and errors as workspaces,
// and share their decoding and page building.
func (s *Server) projectRoutes(r *mux.Router) {
	ps := client.BasePath + "/workspaces/{ws}/projects"
	s.route(r, ps, get(s.listProjects), propose(http.MethodPost, s.createProject))
	s.route(r, ps+"/{name}", get(s.getProject), propose(http.MethodPut, s.updateProject), propose(http.MethodDelete, s.deleteProject))
}

// projectDTO is the wire form of a project.
func projectDTO(p *fsm.Project) client.Project {
	return client.Project{ID: p.ID, Name: p.Name, Workspace: p.Workspace, Description: p.Description,
		CreatedAt: client.Time{Time: p.CreatedAt}, CreatedBy: p.CreatedBy,
		UpdatedAt: client.Time{Time: p.UpdatedAt}, UpdatedBy: p.UpdatedBy}
}

// projectNotFound is the state machine's not-found error for a project,
// for the reads the edge answers itself.
func projectNotFound(ws, name string) error {
	return &fsm.Error{Code: fsm.CodeNotFound, Msg: "Project '" + name + "' not found in workspace '" + ws + "'"}
}

// pathWorkspace reads {ws}; a name that cannot exist is a 404 without
// bothering the leader.
func pathWorkspace(r *http.Request) (string, error) {
	ws, ok := pathVar(r, "ws")
	if !ok || fsm.ValidateName(ws) != "" {
		return "", workspaceNotFound(ws)
	}
	return ws, nil
}

// commit proposes c and answers with status and the body out makes from
// the result.
func (s *Server) commit(w http.ResponseWriter, r *http.Request, body []byte, c fsm.Command, status int, out func(fsm.Result) any) (reply, error) {
	res, err := s.apply(w, r, body, c)
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: status, index: res.Index, body: out(res)}, nil
}

func resultProject(res fsm.Result) any { return projectDTO(res.Project) }

// createProject: POST /workspaces/{ws}/projects {"name","description"?}.
func (s *Server) createProject(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	pws, _ := pathVar(r, "ws")
	in, is := decodeCreate(body, pws) // the same body as a workspace's
	if err := is.err(); err != nil {
		return reply{}, err
	}
	ws, err := pathWorkspace(r)
	if err != nil {
		return reply{}, err
	}
	c := &fsm.CreateProject{ID: uuid.NewString(), Workspace: ws, Name: in.Name, Description: in.Description,
		At: now(), By: principal(r)}
	return s.commit(w, r, body, c, http.StatusCreated, resultProject)
}

// listProjects: GET /workspaces/{ws}/projects, with the page, sort and
// filter parameters of the workspace list.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) (reply, error) {
	ro, p, err := parseSortedList(r)
	if err != nil {
		return reply{}, err
	}
	return s.readIn(w, r, ro, func(st *fsm.State, ws string) (any, error) {
		list, total := st.ListProjects(ws, p.listQuery())
		return sortedPage(p, list, total, projectDTO), nil
	})
}

// getProject: GET /workspaces/{ws}/projects/{name}.
func (s *Server) getProject(w http.ResponseWriter, r *http.Request) (reply, error) {
	ro, err := parseReadOnly(r)
	if err != nil {
		return reply{}, err
	}
	return s.readIn(w, r, ro, func(st *fsm.State, ws string) (any, error) {
		name, _ := pathVar(r, "name")
		p, ok := st.Project(ws, name)
		if !ok {
			return nil, projectNotFound(ws, name)
		}
		return projectDTO(p), nil
	})
}

// updateProject: PUT /workspaces/{ws}/projects/{name} {"description"}, as
// updateWorkspace.
func (s *Server) updateProject(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	name, _ := pathVar(r, "name")
	pws, _ := pathVar(r, "ws")
	in, is := decodeUpdate(body, "project", name, pws)
	if err := is.err(); err != nil {
		return reply{}, err
	}
	ws, err := pathWorkspace(r)
	if err != nil {
		return reply{}, err
	}
	c := &fsm.UpdateProject{Workspace: ws, Name: name, Description: in.Description, DescriptionSet: in.DescriptionSet,
		At: now(), By: principal(r)}
	return s.commit(w, r, body, c, http.StatusOK, resultProject)
}

// deleteProject: DELETE /workspaces/{ws}/projects/{name}; refused while
// entity references name the project.
func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, err := pathWorkspace(r)
	if err != nil {
		return reply{}, err
	}
	name, _ := pathVar(r, "name")
	c := &fsm.DeleteProject{Workspace: ws, Name: name, At: now(), By: principal(r)}
	return s.commit(w, r, body, c, http.StatusOK, func(res fsm.Result) any {
		at := c.At
		if res.Replayed && !res.At.IsZero() {
			at = res.At // the first answer's time
		}
		return client.DeleteResponse{Message: "Project deleted", ID: name, DeletedAt: client.Time{Time: at}}
	})
}
