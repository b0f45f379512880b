package clientserver_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// tokenClient is a client that sends token as its bearer token.
func tokenClient(t *testing.T, url, token string) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{url}
	cfg.Token = token
	cfg.RetryBackoff = 10 * time.Millisecond
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestServer_members drives the members calls against a real wsd with
// OIDC authentication on.
func TestServer_members(t *testing.T) {
	iss := oidctest.New(t)
	srv := testserver.Start(t, testserver.Options{Args: []string{
		"--auth=oidc", "--oidc-issuer=" + iss.URL, "--oidc-audience=" + oidctest.Audience, "--admin-principal=root", "--insecure-cluster",
	}})
	ctx := ctxT(t)
	alice := tokenClient(t, srv.URL, iss.Token(t, "alice", "alice@example.com"))
	bob := tokenClient(t, srv.URL, iss.Token(t, "bob", "", "ml/devs"))
	root := tokenClient(t, srv.URL, iss.Token(t, "root", ""))
	anon := tokenClient(t, srv.URL, "")

	if _, err := anon.CreateWorkspace(ctx, "ml-team"); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("create without a token: err = %v, want ErrUnauthorized", err)
	}
	ws, err := alice.CreateWorkspace(ctx, "ml-team")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if ws.CreatedBy != "alice@example.com" {
		t.Errorf("created_by = %q, want alice@example.com", ws.CreatedBy)
	}
	if _, err := bob.GetWorkspace(ctx, "ml-team"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("get as a stranger: err = %v, want ErrNotFound (a hidden workspace is not found)", err)
	}

	m, err := alice.AddMember(ctx, "ml-team", "ml/devs")
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	if m.Principal != "ml/devs" || !slices.Equal(m.Roles, []string{client.RoleEditor}) || m.GrantedBy != "alice@example.com" || m.GrantedAt.IsZero() {
		t.Errorf("added = %+v, want ml/devs as Editor granted by alice@example.com", m)
	}
	// Adding an existing member merges its roles (API.md, issue 15).
	if _, err := alice.AddMember(ctx, "ml-team", "ml/devs", client.RoleViewer); err != nil {
		t.Errorf("add again: err = %v, want nil (roles merge)", err)
	}
	if _, err := alice.AddMember(ctx, "ml-team", "x", "Owner"); !errors.Is(err, client.ErrInvalid) {
		t.Errorf("add with an unknown role: err = %v, want ErrInvalid", err)
	}
	if _, _, err := bob.AcquireRef(ctx, "ml-team", "models", "m"); err != nil {
		t.Errorf("acquire as a group member with Editor: %v", err)
	}
	if _, err := bob.AddMember(ctx, "ml-team", "bob", client.RoleAdmin); !errors.Is(err, client.ErrForbidden) {
		t.Errorf("add as an Editor: err = %v, want ErrForbidden", err)
	}

	m, err = alice.SetMemberRoles(ctx, "ml-team", "ml/devs", client.RoleViewer)
	if err != nil || !slices.Equal(m.Roles, []string{client.RoleViewer}) {
		t.Fatalf("set roles: %+v, %v; want Viewer", m, err)
	}
	if _, _, err := bob.AcquireRef(ctx, "ml-team", "models", "n"); !errors.Is(err, client.ErrForbidden) {
		t.Errorf("acquire as a Viewer: err = %v, want ErrForbidden", err)
	}
	// Setting the roles of a principal without any grants them (issue 15).
	if _, err := alice.SetMemberRoles(ctx, "ml-team", "nobody", client.RoleViewer); err != nil {
		t.Errorf("set roles of a non-member: err = %v, want nil", err)
	}
	if _, err := alice.RemoveMember(ctx, "ml-team", "nobody"); err != nil {
		t.Errorf("remove nobody: %v", err)
	}
	if _, err := alice.SetMemberRoles(ctx, "ml-team", "alice", client.RoleEditor); !errors.Is(err, client.ErrConflict) {
		t.Errorf("demote the last Admin: err = %v, want ErrConflict", err)
	}

	members, err := bob.WorkspaceMembers(ctx, "ml-team")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Principal)
	}
	if !slices.Equal(names, []string{"alice", "ml/devs"}) {
		t.Errorf("members = %v, want [alice ml/devs]", names)
	}

	out, err := alice.RemoveMember(ctx, "ml-team", "ml/devs")
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if *out != (client.MemberRemoved{ID: "ml/devs", Message: "Member removed from workspace 'ml-team'", DeletedCount: 1}) {
		t.Errorf("remove = %+v", out)
	}
	if _, err := alice.RemoveMember(ctx, "ml-team", "ml/devs"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("remove again: err = %v, want ErrNotFound", err)
	}
	if _, err := alice.RemoveMember(ctx, "ml-team", "alice"); !errors.Is(err, client.ErrConflict) {
		t.Errorf("remove the last Admin: err = %v, want ErrConflict", err)
	}
	if _, err := bob.WorkspaceMembers(ctx, "ml-team"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("list after removal: err = %v, want ErrNotFound (the workspace is hidden from him)", err)
	}

	// The --admin-principal may do anything, anywhere.
	if _, err := root.AddMember(ctx, "system", "*", client.RoleViewer); err != nil {
		t.Errorf("add * to system (seeded at init; roles merge): err = %v", err)
	}
	if _, err := root.SetMemberRoles(ctx, "system", "*", client.RoleViewer); err != nil {
		t.Errorf("set the roles of * on system: %v", err)
	}
	if _, err := bob.CreateWorkspace(ctx, "bobs"); !errors.Is(err, client.ErrForbidden) {
		t.Errorf("create without WorkspaceCreator: err = %v, want ErrForbidden", err)
	}
}
