package client

import (
	"context"
	"net/http"
)

// Roles of the wire contract. Each includes the ones before it among
// Viewer, Editor and Admin; WorkspaceCreator, PlatformAdmin and JobRunner
// exist only on the system workspace.
const (
	RoleViewer           = "Viewer"
	RoleEditor           = "Editor"
	RoleAdmin            = "Admin"
	RoleWorkspaceCreator = "WorkspaceCreator"
	RolePlatformAdmin    = "PlatformAdmin"
	// RoleJobRunner is, like the two above, a role of the system
	// workspace (API.md).
	RoleJobRunner = "JobRunner"
)

// Everyone is the principal that names every authenticated caller.
const Everyone = "*"

// Member is one principal's role binding in a workspace. A principal is a
// user id (the token's subject), an email, a group name or Everyone.
type Member struct {
	Principal string   `json:"principal"`
	Roles     []string `json:"roles"`
	GrantedAt Time     `json:"granted_at"`
	GrantedBy string   `json:"granted_by"`
}

// MemberList is the body of GET /workspaces/{ws}/members.
type MemberList struct {
	Data []Member `json:"data"`
}

// AddMemberRequest is the body of POST /workspaces/{ws}/members. No roles
// means Editor.
type AddMemberRequest struct {
	Principal string   `json:"principal"`
	Roles     []string `json:"roles,omitempty"`
}

// SetMemberRolesRequest is the body of PUT /workspaces/{ws}/members/{principal}.
type SetMemberRolesRequest struct {
	Roles []string `json:"roles"`
}

// MemberRemoved is the body of a successful
// DELETE /workspaces/{ws}/members/{principal}.
type MemberRemoved struct {
	ID           string `json:"id"`
	Message      string `json:"message"`
	DeletedCount int    `json:"deleted_count"`
}

func membersPath(ws string) string { return workspacePath(ws) + "/members" }

// memberPath escapes the principal as one path segment: it may contain
// "/", "@" or be "*".
func memberPath(ws, principal string) string {
	return membersPath(ws) + "/" + seg(principal)
}

// WorkspaceMembers lists the role bindings of workspace ws, by principal
// (Viewer needed). (Members lists the servers of the cluster.)
func (c *Client) WorkspaceMembers(ctx context.Context, ws string, opts ...ReadOption) ([]Member, error) {
	ro := newReadOptions(opts)
	var l MemberList
	_, err := c.do(ctx, call{
		method: http.MethodGet,
		path:   membersPath(ws),
		query:  ro.query(nil),
		read:   true,
		opts:   ro,
	}, &l)
	if err != nil {
		return nil, err
	}
	return l.Data, nil
}

// AddMember grants principal roles in workspace ws (Admin needed); no
// roles means Editor. It fails with ErrAlreadyExists when the principal
// already is a member (use SetMemberRoles), with ErrInvalid for a role
// that does not exist in ws, and with ErrForbidden.
func (c *Client) AddMember(ctx context.Context, ws, principal string, roles ...string) (*Member, error) {
	var m Member
	_, err := c.do(ctx, call{
		method: http.MethodPost,
		path:   membersPath(ws),
		body:   AddMemberRequest{Principal: principal, Roles: roles},
	}, &m)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// SetMemberRoles replaces the roles of an existing member (Admin needed).
// It fails with ErrNotFound when principal is not a member, and with
// ErrConflict when the change would leave ws without an Admin.
func (c *Client) SetMemberRoles(ctx context.Context, ws, principal string, roles ...string) (*Member, error) {
	var m Member
	_, err := c.do(ctx, call{
		method: http.MethodPut,
		path:   memberPath(ws, principal),
		body:   SetMemberRolesRequest{Roles: roles},
	}, &m)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// RemoveMember removes principal's binding from ws (Admin needed). It
// fails with ErrNotFound when principal is not a member, and with
// ErrConflict when it is the last Admin.
func (c *Client) RemoveMember(ctx context.Context, ws, principal string) (*MemberRemoved, error) {
	var out MemberRemoved
	_, err := c.do(ctx, call{
		method: http.MethodDelete,
		path:   memberPath(ws, principal),
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
