package client_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

// TestEnsure_reportsCreated: EnsureWorkspace and EnsureProject say
// whether the call created the record; a taken name reads it back.
func TestEnsure_reportsCreated(t *testing.T) {
	var posts atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if posts.Add(1)%2 == 1 {
				writeJSON(w, http.StatusCreated, workspace("a"))
				return
			}
			writeError(w, http.StatusConflict, client.CodeAlreadyExists, "Workspace 'a' already exists")
			return
		}
		writeJSON(w, http.StatusOK, workspace("a"))
	})
	c := newClient(t, f.URL)
	ctx := ctxT(t)
	opts := make([]client.CreateOption, 1, 4) // spare capacity must not be written
	opts[0] = client.WithDescription("d")
	ws, created, err := c.EnsureWorkspace(ctx, "a", opts...)
	if err != nil || !created || ws.Name != "a" {
		t.Fatalf("first EnsureWorkspace = %+v, %v, %v; want a, created", ws, created, err)
	}
	ws, created, err = c.EnsureWorkspace(ctx, "a", opts...)
	if err != nil || created || ws.Name != "a" {
		t.Fatalf("second EnsureWorkspace = %+v, %v, %v; want a, not created", ws, created, err)
	}
	if _, err := c.CreateWorkspace(ctx, "a", opts...); err != nil {
		t.Fatalf("CreateWorkspace after Ensure with the same options: %v", err)
	}
	if _, err := c.CreateWorkspace(ctx, "a", opts...); !errors.Is(err, client.ErrAlreadyExists) {
		t.Fatalf("CreateWorkspace without ExistOK on a taken name: %v, want ErrAlreadyExists (Ensure must not leak ExistOK into the caller's options)", err)
	}
	posts.Store(0)
	if _, created, err := c.EnsureProject(ctx, "ws", "p"); err != nil || !created {
		t.Errorf("first EnsureProject: created %v, %v; want true", created, err)
	}
	if _, created, err := c.EnsureProject(ctx, "ws", "p"); err != nil || created {
		t.Errorf("second EnsureProject: created %v, %v; want false", created, err)
	}
}
