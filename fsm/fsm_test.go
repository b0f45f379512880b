package fsm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// Readers must see consistent states while Apply runs: run with -race.
func TestFSM_State_concurrentReaders(t *testing.T) {
	a := newInitialized(t)
	const batches, perBatch = 60, 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	wOne := mustFilter(t, `name~"w-1"`)
	for g := range 6 {
		wg.Go(func() {
			var last uint64
			for ctx.Err() == nil {
				s := a.f.State()
				if s.Index() < last {
					report(fmt.Errorf("reader %d: index went back from %d to %d", g, last, s.Index()))
					return
				}
				last = s.Index()
				// Every created workspace holds one ref, in the same batch:
				// a consistent view never shows one without the other.
				ws, total := s.ListWorkspaces(fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortCreatedAt, Desc: g%2 == 0}, Limit: 50})
				if total != s.WorkspaceCount() || total != s.RefCount()+2 {
					report(fmt.Errorf("reader %d: %d listed, %d counted, %d refs", g, total, s.WorkspaceCount(), s.RefCount()))
					return
				}
				for _, w := range ws {
					if got, ok := s.Workspace(w.Name); !ok || got != w {
						report(fmt.Errorf("reader %d: Workspace(%q) disagrees with the list", g, w.Name))
						return
					}
					if !fsm.IsBuiltin(w.Name) && s.Usage(w.Name).Total != 1 {
						report(fmt.Errorf("reader %d: Usage(%q) = %d, want 1", g, w.Name, s.Usage(w.Name).Total))
						return
					}
				}
				filtered, _ := s.ListWorkspaces(fsm.ListQuery{Filter: wOne, Limit: 10})
				for _, w := range filtered {
					if !strings.HasPrefix(w.Name, "w-1") {
						report(fmt.Errorf("reader %d: filter w-1 listed %q", g, w.Name))
						return
					}
				}
				if s.Digest() == "" {
					report(fmt.Errorf("reader %d: empty digest", g))
					return
				}
			}
		})
	}
	for b := range batches {
		var cmds []fsm.Command
		for i := range perBatch / 2 {
			name := fmt.Sprintf("w-%d-%d", b, i)
			cmds = append(cmds, createWS(name, b), acquire(name, "models", "m", b))
		}
		for i, r := range a.batch(cmds...) {
			if r.Err != nil {
				t.Fatalf("batch %d entry %d: %v", b, i, r.Err)
			}
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := a.state().WorkspaceCount(), 2+batches*perBatch/2; got != want {
		t.Errorf("WorkspaceCount: got %d, want %d", got, want)
	}
}

// A State held by a reader does not change when later entries are applied.
func TestFSM_State_immutable(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("a", 1))
	old := a.state()
	oldSnap := snapshotBytes(t, old)
	a.ok(&fsm.UpdateWorkspace{Name: "a", Description: ptr("x"), DescriptionSet: true, At: at(5)})
	a.ok(createWS("b", 2))
	a.ok(acquire("a", "models", "m", 3))
	a.ok(createWS("c", 2))
	a.ok(&fsm.DeleteWorkspace{Name: "c"})
	if got := snapshotBytes(t, old); string(got) != string(oldSnap) {
		t.Errorf("an old State changed after later applies")
	}
	if w, _ := old.Workspace("a"); w.Description != nil {
		t.Errorf("old State sees the new description %q", *w.Description)
	}
	select {
	case <-old.Changed():
	default:
		t.Errorf("Changed of an old State: not closed, want closed")
	}
	select {
	case <-a.state().Changed():
		t.Errorf("Changed of the newest State: closed, want open")
	default:
	}
}

func TestFSM_WaitForIndex(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("a", 1))

	t.Run("already applied", func(t *testing.T) {
		for _, idx := range []uint64{0, 1, a.last()} {
			s, err := a.f.WaitForIndex(context.Background(), idx)
			if err != nil || s.Index() < idx {
				t.Errorf("WaitForIndex(%d): got index %d, %v; want at least %d, nil", idx, s.Index(), err, idx)
			}
		}
	})
	t.Run("waits for a later apply", func(t *testing.T) {
		a := a.T(t)
		want := a.last() + 3
		got := make(chan *fsm.State, 1)
		go func() {
			s, err := a.f.WaitForIndex(context.Background(), want)
			if err != nil {
				t.Errorf("WaitForIndex: %v", err)
			}
			got <- s
		}()
		a.ok(createWS("b", 2))
		a.ok(createWS("c", 2))
		select {
		case s := <-got:
			t.Fatalf("WaitForIndex(%d) returned early at index %d", want, s.Index())
		case <-time.After(20 * time.Millisecond):
		}
		a.ok(createWS("d", 2))
		select {
		case s := <-got:
			if s.Index() < want {
				t.Errorf("Index: got %d, want at least %d", s.Index(), want)
			}
			if _, ok := s.Workspace("d"); !ok {
				t.Errorf("state returned by WaitForIndex does not hold the entry at %d", want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("WaitForIndex(%d) did not return after the apply", want)
		}
	})
	t.Run("woken by a restore", func(t *testing.T) {
		f := fsm.New(fsm.Options{})
		src := smallState(t)
		done := make(chan error, 1)
		go func() {
			_, err := f.WaitForIndex(context.Background(), src.Index())
			done <- err
		}()
		if err := f.Restore(nopCloser(snapshotBytes(t, src))); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("WaitForIndex: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("WaitForIndex did not return after the restore")
		}
	})
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 10*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() {
				s, err := a.f.WaitForIndex(ctx, a.last()+100)
				if s == nil {
					t.Errorf("WaitForIndex returned a nil state")
				}
				done <- err
			}()
			a.f.Apply(&raft.Log{Index: a.last() + 1, Type: raft.LogNoop}) // not enough
			if tt.want == context.Canceled {
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Errorf("WaitForIndex: got %v, want %v", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("WaitForIndex did not return after the context ended")
			}
		})
	}
}
