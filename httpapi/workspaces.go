package httpapi

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// workspaceDTO is the wire form of a workspace.
func workspaceDTO(w *fsm.Workspace) client.Workspace {
	return client.Workspace{
		ID:          w.ID,
		Name:        w.Name,
		Description: w.Description,
		CreatedAt:   client.Time{Time: w.CreatedAt},
		CreatedBy:   w.CreatedBy,
		UpdatedAt:   client.Time{Time: w.UpdatedAt},
		UpdatedBy:   w.UpdatedBy,
	}
}

// apply hands c, built on this node and carrying r's caller (see
// setCaller), to Cluster.Apply, which proposes it on the leader wherever
// it is, within the request's deadline (deadline.go). A write carrying an
// Idempotency-Key is wrapped in fsm.Keyed first (idempotency.go).
func (s *Server) apply(w http.ResponseWriter, r *http.Request, body []byte, c fsm.Command) (fsm.Result, error) {
	setCaller(c, callerOf(r))
	c, err := withIdempotencyKey(r, body, c)
	if err != nil {
		return fsm.Result{}, err
	}
	res, err := s.c.Apply(r.Context(), c)
	if res.Replayed {
		w.Header().Set(client.HeaderIdempotentReplay, "true")
	}
	return res, err
}

// createWorkspace: POST /workspaces. ?wait_role_propagation= is accepted
// and ignored: role bindings commit with the workspace.
func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	in, is := decodeCreateWorkspace(body)
	if err := is.err(); err != nil {
		return reply{}, err
	}
	res, err := s.apply(w, r, body, &fsm.CreateWorkspace{
		ID:          uuid.NewString(),
		Name:        in.Name,
		Description: in.Description,
		At:          now(),
		By:          principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: http.StatusCreated, index: res.Index, body: workspaceDTO(res.Workspace)}, nil
}

// listWorkspaces: GET /workspaces.
func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) (reply, error) {
	ro, p, err := parseSortedList(r)
	if err != nil {
		return reply{}, err
	}
	st, err := s.readState(w, r, ro)
	if err != nil {
		return reply{}, err
	}
	lq := p.listQuery()
	lq.Visible = visibleTo(r, st) // only what the caller holds a role in, counted alike
	list, total := st.ListWorkspaces(lq)
	return reply{status: http.StatusOK, index: st.Index(), body: sortedPage(p, list, total, workspaceDTO)}, nil
}

// getWorkspace: GET /workspaces/{name}.
func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) (reply, error) {
	q := parseQuery(r.URL.RawQuery)
	var is issues
	ro := parseReadOpts(r, &q, &is)
	if err := is.err(); err != nil {
		return reply{}, err
	}
	st, err := s.readState(w, r, ro)
	if err != nil {
		return reply{}, err
	}
	name, _ := pathVar(r, "name")
	ws, ok := st.Workspace(name)
	if !ok {
		return reply{index: st.Index()}, workspaceNotFound(name)
	}
	if err := s.authorizeRead(r, st, name); err != nil {
		return reply{index: st.Index()}, err
	}
	return reply{status: http.StatusOK, index: st.Index(), body: workspaceDTO(ws)}, nil
}

// updateWorkspace: PUT /workspaces/{name} {"description"}. An absent
// description is left as it is, null clears it; a name other than the
// path's is refused.
func (s *Server) updateWorkspace(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	name, ok := pathVar(r, "name")
	in, is := decodeUpdateWorkspace(body, name)
	if err := is.err(); err != nil {
		return reply{}, err
	}
	if !ok || fsm.ValidateName(name) != "" {
		return reply{}, workspaceNotFound(name)
	}
	res, err := s.apply(w, r, body, &fsm.UpdateWorkspace{
		Name:           name,
		Description:    in.Description,
		DescriptionSet: in.DescriptionSet,
		At:             now(),
		By:             principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: http.StatusOK, index: res.Index, body: workspaceDTO(res.Workspace)}, nil
}

// deleteWorkspace: DELETE /workspaces/{name}.
func (s *Server) deleteWorkspace(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	name, ok := pathVar(r, "name")
	if !ok || fsm.ValidateName(name) != "" {
		return reply{}, workspaceNotFound(name)
	}
	at := now()
	res, err := s.apply(w, r, body, &fsm.DeleteWorkspace{Name: name, At: at, By: principal(r)})
	if err != nil {
		return reply{index: res.Index}, err
	}
	if res.Replayed && !res.At.IsZero() {
		at = res.At // the first answer's time
	}
	return reply{status: http.StatusOK, index: res.Index, body: client.DeleteResponse{
		Message:   "Workspace deleted",
		ID:        name,
		DeletedAt: client.Time{Time: at},
	}}, nil
}
