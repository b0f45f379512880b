package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/wsd-dev/wsd/auth"
	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// Authentication and authorization at the HTTP edge.
//
// Who is calling is decided here, on the node that receives the request:
// authenticate runs before anything else of a request under the base path
// and stores the caller in the request context. A request forwarded to the
// leader keeps its Authorization (and trusted principal) headers, so the
// leader authenticates it again; identity never travels in a header this
// service sets itself.
//
// What the caller may do is decided against replicated state:
//   - writes: every command proposed by apply carries the caller
//     (fsm.Caller, nil with authentication off), and Apply checks it
//     against the role bindings at the command's own log index;
//   - reads: handlers call authorizeRead (Viewer in the workspace; readIn
//     does it for every read inside a workspace) or visibleTo (the
//     workspace list) with the one *fsm.State they answer from, after
//     checking that the workspace exists.

// Errors decided by authentication and read authorization.
var (
	errUnauthorized = &httpError{status: http.StatusUnauthorized, code: codeUnauthorized, detail: "Unauthorized"}
	errForbidden    = &httpError{status: http.StatusForbidden, code: codeForbidden, detail: "Forbidden"}
)

// hdrBearer is the WWW-Authenticate challenge of a 401.
var hdrBearer = []string{"Bearer"}

// callerKey is the request context key of the authenticated caller.
type callerKey struct{}

// underBasePath reports whether path is part of the entities API.
func underBasePath(path string) bool {
	return path == client.BasePath || strings.HasPrefix(path, client.BasePath+"/")
}

// authenticate wraps a handler of the route table: with authentication
// on, a request under the base path or to the cluster API (needsAuth) must
// present valid credentials or is answered 401 (with WWW-Authenticate:
// Bearer) before it is routed on, forwarded or read; the caller is stored
// for callerOf. Calls to the cluster admin API are logged, refused ones
// too (audit). With authentication off next is returned as is and every
// caller is nil.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if !s.cfg.AuthEnabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if level, ok := auditLevel(r); ok {
			a := &adminAudit{ResponseWriter: w}
			defer s.audit(r, a, level)
			w = a
		}
		if !needsAuth(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.cfg.Authenticator.Authenticate(r)
		if err == nil && p.IsAnonymous() {
			// An authenticator that lets anonymous callers through is
			// misconfigured for authentication on: refuse, never allow.
			err = auth.ErrNoCredentials
		}
		if err != nil {
			if !errors.Is(err, auth.ErrNoCredentials) && !errors.Is(err, auth.ErrInvalidCredentials) {
				s.log.Warn("authentication failed", "method", r.Method, "path", r.URL.Path, "err", err)
			} else {
				s.log.Debug("request refused: not authenticated", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			w.Header()["Www-Authenticate"] = hdrBearer
			s.writeError(w, r, 0, errUnauthorized)
			return
		}
		c := &fsm.Caller{ID: p.ID, Email: p.Email, Groups: p.Groups}
		if a, ok := w.(*adminAudit); ok {
			a.caller = c
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// callerOf returns the authenticated caller of r, or nil when
// authentication is off (nil allows everything).
func callerOf(r *http.Request) *fsm.Caller {
	c, _ := r.Context().Value(callerKey{}).(*fsm.Caller)
	return c
}

// principal is the caller recorded in created_by, updated_by and
// granted_by: the email when the credential has one, else the subject,
// and "" when authentication is off.
func principal(r *http.Request) string { return callerOf(r).Principal() }

// authorizeRead refuses a read of workspace ws, answered from st, by a
// caller without at least Viewer in it: 403 when the caller may see ws,
// and the very 404 of a missing workspace when it may not (a non-member
// cannot tell which names exist). Call it after checking that ws exists
// in st. Every read of something inside a workspace (the workspace
// itself, its usage, entity references, members and projects) goes
// through it.
func (s *Server) authorizeRead(r *http.Request, st *fsm.State, ws string) error {
	c := callerOf(r)
	switch {
	case st.Allowed(ws, c, fsm.RoleViewer):
		return nil
	case !st.CanSee(ws, c):
		return workspaceNotFound(ws)
	}
	return errForbidden
}

// visibleTo is the predicate of the workspaces r's caller may see in st
// (those it holds a role in), for fsm.ListQuery.Visible; nil when it sees
// all of them.
func visibleTo(r *http.Request, st *fsm.State) func(*fsm.Workspace) bool {
	return st.VisibleTo(callerOf(r))
}

// setCaller puts r's caller into the write command c, so that Apply
// decides the write against the role bindings at its log index. apply
// calls it for every command it proposes; a command type with a Caller
// field must be listed here (TestSetCaller_everyCommand checks it).
func setCaller(c fsm.Command, caller *fsm.Caller) {
	switch c := c.(type) {
	case *fsm.CreateWorkspace:
		c.Caller = caller
	case *fsm.UpdateWorkspace:
		c.Caller = caller
	case *fsm.DeleteWorkspace:
		c.Caller = caller
	case *fsm.AcquireRef:
		c.Caller = caller
	case *fsm.ReleaseRef:
		c.Caller = caller
	case *fsm.CreateProject:
		c.Caller = caller
	case *fsm.UpdateProject:
		c.Caller = caller
	case *fsm.DeleteProject:
		c.Caller = caller
	case *fsm.AddMember:
		c.Caller = caller
	case *fsm.SetMemberRoles:
		c.Caller = caller
	case *fsm.RemoveMember:
		c.Caller = caller
	}
}
