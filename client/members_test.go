package client_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

// TestMembers_paths: principals are escaped as one path segment.
func TestMembers_paths(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		writeJSON(w, http.StatusOK, client.Member{Principal: "p"})
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx := ctxT(t)
	_, _ = c.SetMemberRoles(ctx, "ws", "org/team devs", client.RoleAdmin)
	_, _ = c.RemoveMember(ctx, "ws", "*")
	_, _ = c.AddMember(ctx, "ws", "a@b.c")
	_, _ = c.WorkspaceMembers(ctx, "ws")
	want := []string{
		"PUT /apis/entities/v2/workspaces/ws/members/org%2Fteam%20devs",
		"DELETE /apis/entities/v2/workspaces/ws/members/%2A",
		"POST /apis/entities/v2/workspaces/ws/members",
		"GET /apis/entities/v2/workspaces/ws/members",
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("requests = %q\nwant       %q", got, want)
	}
}
