package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// memberRoutes registers the members API (see API.md "Members and roles").
// Listing needs Viewer in the workspace (checked by readIn, against the
// state read); adding, changing and removing members need Admin (checked by the
// state machine when the command applies).
func (s *Server) memberRoutes(r *mux.Router) {
	ms := client.BasePath + "/workspaces/{ws}/members"
	s.route(r, ms,
		get(s.listMembers),
		propose(http.MethodPost, s.addMember))
	// A principal may contain "/" (group paths): sent escaped it is one
	// segment, sent raw it still matches.
	s.route(r, ms+"/{principal:.+}",
		propose(http.MethodPut, s.setMemberRoles),
		propose(http.MethodDelete, s.deleteMember))
}

// defaultMemberRoles are the roles of a member added without any.
var defaultMemberRoles = []string{fsm.RoleEditor}

// memberDTO is the wire form of a role binding.
func memberDTO(b *fsm.RoleBinding) client.Member {
	return client.Member{
		Principal: b.Principal,
		Roles:     b.Roles,
		GrantedAt: client.Time{Time: b.GrantedAt},
		GrantedBy: b.GrantedBy,
	}
}

// memberNotFound is the state machine's message for a missing member.
func memberNotFound(ws, principal string) error {
	return &fsm.Error{Code: fsm.CodeNotFound, Msg: "Member '" + principal + "' not found in workspace '" + ws + "'"}
}

// listMembers: GET /workspaces/{ws}/members, by principal.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) (reply, error) {
	ro, err := parseReadOnly(r)
	if err != nil {
		return reply{}, err
	}
	return s.readIn(w, r, ro, func(st *fsm.State, ws string) (any, error) {
		bs := st.RoleBindings(ws)
		data := make([]client.Member, len(bs))
		for i, b := range bs {
			data[i] = memberDTO(b)
		}
		return client.MemberList{Data: data}, nil
	})
}

// addMember: POST /workspaces/{ws}/members {"principal","roles"?}. 201
// with the roles as sent; a principal that already is a member keeps its
// other roles and gains these (API.md, as the NeMo platform).
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, wsOK := pathVar(r, "ws")
	in, is := decodeMember(body, ws, true)
	if err := is.err(); err != nil {
		return reply{}, err
	}
	if !wsOK || fsm.ValidateName(ws) != "" {
		return reply{}, workspaceNotFound(ws)
	}
	res, err := s.apply(w, r, body, &fsm.AddMember{
		Workspace: ws,
		Principal: in.principal,
		Roles:     in.roles,
		At:        now(),
		By:        principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	m := memberDTO(res.Member)
	m.Roles = in.roles
	return reply{status: http.StatusCreated, index: res.Index, body: m}, nil
}

// memberPath reads {ws} and {principal}. A workspace name that cannot
// exist is a 404, and so is a principal that cannot be a member.
func memberPath(r *http.Request) (ws, member string, err error) {
	ws, ok := pathVar(r, "ws")
	if !ok || fsm.ValidateName(ws) != "" {
		return "", "", workspaceNotFound(ws)
	}
	member, ok = pathVar(r, "principal")
	if !ok || fsm.ValidateEntityName(member) != "" {
		return "", "", memberNotFound(ws, member)
	}
	return ws, member, nil
}

// setMemberRoles: PUT /workspaces/{ws}/members/{principal} {"roles"}:
// replaces the principal's roles, also when it holds none yet; [] removes
// them all. 409 when it would take Admin from the workspace's last Admin.
func (s *Server) setMemberRoles(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, _ := pathVar(r, "ws")
	pp, _ := pathVar(r, "principal")
	in, is := decodeMember(body, ws, false, pp)
	if in.roles == nil && len(is) == 0 {
		in.roles = []string{}
	}
	if err := is.err(); err != nil {
		return reply{}, err
	}
	ws, member, err := memberPath(r)
	if err != nil {
		return reply{}, err
	}
	// Setting roles may create the binding: refuse what may not be created.
	if !checkNewSegment(&is, "principal", member, "path", "principal") {
		return reply{}, is.err()
	}
	res, err := s.apply(w, r, body, &fsm.SetMemberRoles{
		Workspace: ws,
		Principal: member,
		Roles:     in.roles,
		At:        now(),
		By:        principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: http.StatusOK, index: res.Index, body: memberDTO(res.Member)}, nil
}

// deleteMember: DELETE /workspaces/{ws}/members/{principal}. 409 when the
// principal is the workspace's last Admin.
func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, member, err := memberPath(r)
	if err != nil {
		return reply{}, err
	}
	res, err := s.apply(w, r, body, &fsm.RemoveMember{
		Workspace: ws,
		Principal: member,
		At:        now(),
		By:        principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: http.StatusOK, index: res.Index, body: client.MemberRemoved{
		ID:           member,
		Message:      "Member removed from workspace '" + ws + "'",
		DeletedCount: len(res.Member.Roles),
	}}, nil
}

// memberBody is a decoded members request body.
type memberBody struct {
	principal string
	roles     []string
}

// decodeMember decodes {"principal","roles"?} (add, when withPrincipal)
// or {"roles"} (change). Roles are checked against the roles workspace ws
// can grant; add defaults them to Editor.
// On a change, a principal in the body must be the path's (pathPrincipal).
func decodeMember(body []byte, ws string, withPrincipal bool, pathPrincipal ...string) (memberBody, issues) {
	var (
		out               memberBody
		is                issues
		hasPrin, hasRoles bool
	)
	ok := decodeObject(body, &is, func(key string, raw json.RawMessage) {
		switch {
		case key == "principal" && withPrincipal:
			hasPrin = true
			if p, ok := decodeString(&is, raw, "body", "principal"); ok && checkPrincipal(&is, p, "body", "principal") &&
				checkNewSegment(&is, "principal", p, "body", "principal") {
				out.principal = p
			}
		case key == "roles":
			hasRoles = true
			out.roles = decodeRoles(&is, raw, ws, withPrincipal)
		case key == "principal" && len(pathPrincipal) > 0:
			checkPathField(&is, raw, key, pathPrincipal[0], fmt.Sprintf("the principal is the path's ('%s')", pathPrincipal[0]))
		}
	})
	if !ok {
		return out, is
	}
	if withPrincipal && !hasPrin {
		is.add("missing", "Field required", nil, "body", "principal")
	}
	switch {
	case !hasRoles && withPrincipal:
		out.roles = defaultMemberRoles
	case !hasRoles:
		is.add("missing", "Field required", nil, "body", "roles")
	}
	return out, is
}

// decodeRoles decodes a JSON list of roles that ws can grant, non-empty
// when nonEmpty (adding a member; setting [] removes every role).
func decodeRoles(is *issues, raw json.RawMessage, ws string, nonEmpty bool) []string {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		is.add("list_type", "Input should be a valid list", inputValue(raw), "body", "roles")
		return nil
	}
	if len(items) == 0 && nonEmpty {
		is.add("too_short", "List should have at least 1 item after validation, not 0", inputValue(raw), "body", "roles")
		return nil
	}
	valid := grantableRoles(ws)
	roles := make([]string, 0, len(items))
	for i, item := range items {
		loc := []string{"body", "roles", strconv.Itoa(i)}
		role, ok := decodeString(is, item, loc...)
		if !ok {
			continue
		}
		if !fsm.ValidRole(ws, role) {
			is.add("literal_error", "Input should be "+valid+fmt.Sprintf(" (unknown role '%s' for workspace '%s')", role, ws), role, loc...)
			continue
		}
		roles = append(roles, role)
	}
	return roles
}

// grantableRoles lists the roles ws can grant, quoted, for messages.
func grantableRoles(ws string) string {
	roles := []string{fsm.RoleViewer, fsm.RoleEditor, fsm.RoleAdmin}
	if fsm.ValidRole(ws, fsm.RolePlatformAdmin) {
		roles = append(roles, fsm.RoleWorkspaceCreator, fsm.RolePlatformAdmin, fsm.RoleJobRunner)
	}
	q := make([]string, len(roles))
	for i, r := range roles {
		q[i] = "'" + r + "'"
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// checkPrincipal reports a principal that could never name a caller: empty,
// too long, not UTF-8 or with control characters.
func checkPrincipal(is *issues, p string, loc ...string) bool {
	msg := fsm.ValidateEntityName(p)
	switch {
	case msg == "":
		return true
	case p == "":
		is.add("string_too_short", "String should have at least 1 character", p, loc...)
	case len(p) > fsm.MaxEntityNameLen:
		is.add("string_too_long", fmt.Sprintf("String should have at most %d bytes", fsm.MaxEntityNameLen), p, loc...)
	default:
		is.add("value_error", "Value error, principal "+msg, p, loc...)
	}
	return false
}
