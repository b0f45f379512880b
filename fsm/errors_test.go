package fsm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

func TestError_Is(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(acquire("ws", "models", "m", 2))

	sentinels := []*fsm.Error{
		fsm.ErrNotFound, fsm.ErrAlreadyExists, fsm.ErrNotEmpty, fsm.ErrBuiltin,
		fsm.ErrConflict, fsm.ErrInvalid, fsm.ErrUnsupported, fsm.ErrForbidden,
	}
	tests := []struct {
		name string
		cmd  fsm.Command
		want *fsm.Error
	}{
		{"not found", &fsm.DeleteWorkspace{Name: "nope"}, fsm.ErrNotFound},
		{"already exists", createWS("ws", 3), fsm.ErrAlreadyExists},
		{"not empty", &fsm.DeleteWorkspace{Name: "ws"}, fsm.ErrNotEmpty},
		{"builtin", &fsm.DeleteWorkspace{Name: "system"}, fsm.ErrBuiltin},
		{"conflict", &fsm.CreateWorkspace{ID: "id-ws", Name: "other", At: at(3)}, fsm.ErrConflict},
		{"invalid", createWS("Bad Name", 3), fsm.ErrInvalid},
		{"forbidden", &fsm.DeleteWorkspace{Name: "system", Caller: bob}, fsm.ErrForbidden}, // bob sees system (Viewer for *)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			err := a.apply(tt.cmd).Err
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(%v, code %s): got %v, want %v", err, s.Code, got, want)
				}
			}
			wrapped := fmt.Errorf("cluster: apply: %w", err)
			if !errors.Is(wrapped, tt.want) {
				t.Errorf("errors.Is through a wrap: got false, want true")
			}
			var e *fsm.Error
			if !errors.As(wrapped, &e) || e.Code != tt.want.Code || e.Error() == "" {
				t.Errorf("errors.As: got %v, want a *fsm.Error with code %s and a message", e, tt.want.Code)
			}
		})
	}
	t.Run("two real errors do not match", func(t *testing.T) {
		a1 := &fsm.Error{Code: fsm.CodeNotFound, Msg: "Workspace 'a' not found"}
		a2 := &fsm.Error{Code: fsm.CodeNotFound, Msg: "Workspace 'b' not found"}
		if errors.Is(a1, a2) {
			t.Errorf("errors.Is(a1, a2): got true, want false (only sentinels match by code)")
		}
	})
}
