package fsm_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

func TestFSM_Apply_acquireRef(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))

	r := a.ok(acquire("ws", "models", "llama/3", 2))
	if !r.Created {
		t.Errorf("first acquire Created: got false, want true")
	}
	want := fsm.EntityRef{Workspace: "ws", EntityType: "models", EntityName: "llama/3", CreatedAt: at(2), CreatedBy: "svc", Index: a.last()}
	if r.Ref == nil || *r.Ref != want {
		t.Fatalf("ref: got %+v, want %+v", r.Ref, want)
	}
	first := r.Ref
	digest := a.state().Digest()

	t.Run("again", func(t *testing.T) {
		a := a.T(t)
		r := a.ok(acquire("ws", "models", "llama/3", 50))
		if r.Created {
			t.Errorf("Created: got true, want false")
		}
		if r.Ref != first || !r.Ref.CreatedAt.Equal(at(2)) {
			t.Errorf("ref: got %+v, want the first one %+v", r.Ref, first)
		}
		if got := a.state().Digest(); got != digest {
			t.Errorf("digest after repeated acquire: got %s, want %s", got, digest)
		}
	})
	t.Run("longest name and type", func(t *testing.T) {
		a := a.T(t)
		a.ok(acquire("ws", "t"+strings.Repeat("_", 62), strings.Repeat("n", 255), 3))
	})
	if got := a.state().RefCount(); got != 2 {
		t.Errorf("RefCount: got %d, want 2", got)
	}
	if got, ok := a.state().Ref("ws", "models", "llama/3"); !ok || got != first {
		t.Errorf("State.Ref: got %v, %v; want the first ref", got, ok)
	}
}

func TestFSM_Apply_acquireRefRefused(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	tests := []struct {
		name  string
		cmd   *fsm.AcquireRef
		code  fsm.Code
		field string
		msg   string
	}{
		{"workspace missing", acquire("nope", "models", "m", 2), fsm.CodeNotFound, "", "Workspace 'nope' not found"},
		{"project missing", &fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m", Project: "p", At: at(2)}, fsm.CodeNotFound, "", "Project 'p' not found in workspace 'ws'"},
		{"empty type", acquire("ws", "", "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"type uppercase", acquire("ws", "Models", "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"type leading digit", acquire("ws", "1models", "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"type with slash", acquire("ws", "a/b", "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"type 64 characters", acquire("ws", "t"+strings.Repeat("a", 63), "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"type reserved", acquire("ws", fsm.ProjectEntityType, "m", 2), fsm.CodeInvalid, "entity_type", ""},
		{"empty name", acquire("ws", "models", "", 2), fsm.CodeInvalid, "entity_name", ""},
		{"name 256 bytes", acquire("ws", "models", strings.Repeat("n", 256), 2), fsm.CodeInvalid, "entity_name", ""},
		{"name with newline", acquire("ws", "models", "a\nb", 2), fsm.CodeInvalid, "entity_name", ""},
		{"name with DEL", acquire("ws", "models", "a\x7fb", 2), fsm.CodeInvalid, "entity_name", ""},
		{"name with C1 control", acquire("ws", "models", "a\u0085b", 2), fsm.CodeInvalid, "entity_name", ""},
		{"zero timestamp", &fsm.AcquireRef{Workspace: "ws", EntityType: "models", EntityName: "m"}, fsm.CodeInvalid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(tt.cmd, tt.code)
			if tt.field != "" && e.Field != tt.field {
				t.Errorf("Field: got %q, want %q", e.Field, tt.field)
			}
			if tt.msg != "" && e.Msg != tt.msg {
				t.Errorf("message: got %q, want %q", e.Msg, tt.msg)
			}
		})
	}
	if got := a.state().RefCount(); got != 0 {
		t.Errorf("RefCount: got %d, want 0", got)
	}
}

func TestFSM_Apply_releaseRef(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(acquire("ws", "models", "m", 2))
	a.ok(acquire("ws", "models", "n", 3))

	r := a.ok(release("ws", "models", "m"))
	if r.Ref == nil || r.Ref.EntityName != "m" || r.Created {
		t.Errorf("Result: got %+v, want the released ref and Created false", r)
	}
	if _, ok := a.state().Ref("ws", "models", "m"); ok {
		t.Errorf("Ref after release: found, want gone")
	}
	if got := a.state().Usage("ws"); got.Total != 1 || got.ByType["models"] != 1 {
		t.Errorf("Usage after release: got %+v, want 1 model", got)
	}

	tests := []struct {
		name string
		cmd  *fsm.ReleaseRef
		code fsm.Code
		msg  string
	}{
		{"not held", release("ws", "models", "m"), fsm.CodeNotFound, "Entity reference 'models/m' not found in workspace 'ws'"},
		{"other type", release("ws", "datasets", "n"), fsm.CodeNotFound, ""},
		{"workspace missing", release("nope", "models", "n"), fsm.CodeNotFound, "Workspace 'nope' not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			e := a.refused(tt.cmd, tt.code)
			if tt.msg != "" && e.Msg != tt.msg {
				t.Errorf("message: got %q, want %q", e.Msg, tt.msg)
			}
		})
	}

	t.Run("reacquire after release", func(t *testing.T) {
		a := a.T(t)
		r := a.ok(acquire("ws", "models", "m", 9))
		if !r.Created || !r.Ref.CreatedAt.Equal(at(9)) {
			t.Errorf("reacquire: got Created %v at %v, want true at %v", r.Created, r.Ref.CreatedAt, at(9))
		}
	})
}

func TestState_Usage(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(createWS("other", 1))
	a.ok(acquire("ws", "models", "a", 2))
	a.ok(acquire("ws", "models", "b", 2))
	a.ok(acquire("ws", "datasets", "a", 2))
	a.ok(acquire("other", "models", "a", 2))
	a.ok(&fsm.CreateProject{ID: "p1", Workspace: "ws", Name: "p", At: at(3)})

	tests := []struct {
		ws        string
		wantTotal int
		wantBy    map[string]int
	}{
		{"ws", 4, map[string]int{"models": 2, "datasets": 1, "projects": 1}},
		{"other", 1, map[string]int{"models": 1}},
		{"default", 0, map[string]int{}},
		{"missing", 0, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.ws, func(t *testing.T) {
			u := a.state().Usage(tt.ws)
			if u.Total != tt.wantTotal || !maps.Equal(u.ByType, tt.wantBy) {
				t.Errorf("Usage(%q): got %+v, want total %d by %v", tt.ws, u, tt.wantTotal, tt.wantBy)
			}
			if u.ByType == nil {
				t.Errorf("Usage(%q).ByType: got nil, want a map", tt.ws)
			}
		})
	}
	t.Run("copy", func(t *testing.T) {
		u := a.state().Usage("ws")
		u.ByType["models"] = 100
		if got := a.state().Usage("ws").ByType["models"]; got != 2 {
			t.Errorf("Usage after modifying a returned map: got %d, want 2", got)
		}
	})
}

func refNames(refs []*fsm.EntityRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.EntityType + "/" + r.EntityName
	}
	return out
}

func TestState_ListRefs(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	a.ok(createWS("ws-a", 1)) // sorts right after ws: must not leak into its pages
	a.ok(createWS("empty", 1))
	var all, models []string
	for i := range 7 {
		n := fmt.Sprintf("m%02d", i)
		a.ok(acquire("ws", "models", n, 2))
		models = append(models, "models/"+n)
	}
	for i := range 4 {
		n := fmt.Sprintf("d%02d", i)
		a.ok(acquire("ws", "datasets", n, 2))
		all = append(all, "datasets/"+n)
	}
	all = append(all, models...)
	a.ok(acquire("ws-a", "models", "x", 2))
	a.ok(acquire("ws-a", "datasets", "x", 2))
	// Projects count in usage, but they are not references.
	a.ok(&fsm.CreateProject{ID: "p1", Workspace: "ws", Name: "p1", At: at(3)})
	a.ok(&fsm.CreateProject{ID: "p2", Workspace: "ws", Name: "p2", At: at(3)})
	s := a.state()

	for _, tt := range []struct {
		ws, typ string
		want    []string
	}{
		{"ws", "", all},
		{"ws", "models", models},
		{"ws", "datasets", all[:4]},
		{"ws", "jobs", nil},
		{"ws", fsm.ProjectEntityType, nil},
		{"empty", "", nil},
		{"missing", "", nil},
	} {
		for _, size := range []int{1, 2, 3, 5, 100} {
			t.Run(fmt.Sprintf("%s/%s/size=%d", tt.ws, tt.typ, size), func(t *testing.T) {
				var got []string
				for off := 0; ; off += size {
					page, total := s.ListRefs(tt.ws, tt.typ, off, size)
					if total != len(tt.want) {
						t.Fatalf("total at offset %d: got %d, want %d", off, total, len(tt.want))
					}
					if page == nil {
						t.Fatalf("page at offset %d: got nil, want a slice", off)
					}
					if len(page) > size {
						t.Fatalf("page at offset %d: got %d refs, want at most %d", off, len(page), size)
					}
					if len(page) == 0 {
						break
					}
					got = append(got, refNames(page)...)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("all pages: got %v, want %v", got, tt.want)
				}
			})
		}
	}
	t.Run("offset past the end", func(t *testing.T) {
		page, total := s.ListRefs("ws", "", 100, 10)
		if len(page) != 0 || total != len(all) {
			t.Errorf("got %d refs of %d, want 0 of %d", len(page), total, len(all))
		}
	})
	t.Run("zero limit", func(t *testing.T) {
		page, total := s.ListRefs("ws", "", 0, 0)
		if len(page) != 0 || total != len(all) {
			t.Errorf("got %d refs of %d, want 0 of %d", len(page), total, len(all))
		}
	})
}
