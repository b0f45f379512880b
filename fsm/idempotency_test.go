package fsm_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

func keyed(key, principal, fp string, c fsm.Command) *fsm.Keyed {
	return &fsm.Keyed{Key: key, Principal: principal, Fingerprint: fp, Command: c}
}

// A retry carries new ids and timestamps (decided again at the edge) but
// the same key and fingerprint: it gets the first answer, and nothing is
// applied twice.
func TestKeyed_retryReturnsFirstAnswer(t *testing.T) {
	a := newInitialized(t)
	first := a.ok(keyed("k1", "alice", "fp-create-a", createWS("a", 1)))
	if first.Replayed || !first.Created && first.Workspace == nil {
		t.Fatalf("first: %+v", first)
	}
	count, digest := a.state().WorkspaceCount(), a.state().Digest()
	retry := createWS("a", 2)
	retry.ID = "another-id"
	again := a.ok(keyed("k1", "alice", "fp-create-a", retry))
	if !again.Replayed || again.Workspace == nil || again.Workspace.ID != first.Workspace.ID {
		t.Fatalf("retry: got %+v, want the first answer (workspace %s) replayed", again, first.Workspace.ID)
	}
	if a.state().WorkspaceCount() != count || a.state().Digest() != digest {
		t.Fatalf("the retry changed the state")
	}
	// The same key with another request is refused and changes nothing.
	r := a.apply(keyed("k1", "alice", "fp-create-b", createWS("b", 3)))
	wantCode(t, r.Err, fsm.CodeConflict)
	if !strings.Contains(r.Err.Error(), "Idempotency-Key 'k1' was already used for a different request") {
		t.Errorf("detail: %q", r.Err)
	}
	if _, ok := a.state().Workspace("b"); ok || a.state().Digest() != digest {
		t.Fatal("a refused key reuse changed the state")
	}
	// Keys are per principal: bob's k1 is his own.
	if r := a.ok(keyed("k1", "bob", "fp-create-b", createWS("b", 4))); r.Replayed {
		t.Fatal("bob's key k1 replayed alice's answer")
	}
}

// A refusal is an answer too: the retry gets the same refusal, replayed.
func TestKeyed_refusalIsRemembered(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("taken", 1))
	r1 := a.apply(keyed("k", "", "fp", createWS("taken", 2)))
	wantCode(t, r1.Err, fsm.CodeAlreadyExists)
	a.ok(&fsm.DeleteWorkspace{Name: "taken", At: at(3)})
	r2 := a.apply(keyed("k", "", "fp", createWS("taken", 4)))
	if !r2.Replayed || !errors.Is(r2.Err, fsm.ErrAlreadyExists) || r2.Err.Error() != r1.Err.Error() {
		t.Fatalf("retry after the name was freed: got %+v, want the first refusal replayed", r2)
	}
	if _, ok := a.state().Workspace("taken"); ok {
		t.Fatal("the retry was applied")
	}
}

// Keys are forgotten deterministically: by log distance and by count.
func TestKeyed_eviction(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		a := newInitialized(t)
		a.ok(keyed("old", "", "fp-old", acquire("default", "models", "m0", 1)))
		oldIdx := a.last()
		*a.idx = oldIdx + fsm.IdempotencyWindow - 2
		if r := a.ok(keyed("old", "", "fp-old", acquire("default", "models", "m0", 2))); !r.Replayed {
			t.Fatal("key forgotten inside the window")
		}
		if n := a.state().IdempotencyKeyCount(); n != 1 {
			t.Fatalf("keys = %d, want 1", n)
		}
		if r := a.ok(keyed("new", "", "fp-new", acquire("default", "models", "m1", 3))); r.Replayed {
			t.Fatal("new key replayed")
		}
		if a.last() != oldIdx+fsm.IdempotencyWindow {
			t.Fatalf("test setup: at %d", a.last())
		}
		if n := a.state().IdempotencyKeyCount(); n != 1 {
			t.Fatalf("keys = %d, want 1: the key IdempotencyWindow entries old is forgotten", n)
		}
	})
	t.Run("count", func(t *testing.T) {
		a := newInitialized(t)
		for i := range fsm.IdempotencyKeys + 1 {
			a.ok(keyed(fmt.Sprintf("k%d", i), "", "fp", acquire("default", "models", fmt.Sprintf("m%d", i), 1)))
		}
		if n := a.state().IdempotencyKeyCount(); n != fsm.IdempotencyKeys {
			t.Fatalf("keys = %d, want %d", n, fsm.IdempotencyKeys)
		}
		if r := a.ok(keyed("k1", "", "fp", acquire("default", "models", "m1", 2))); !r.Replayed {
			t.Fatal("k1 (second oldest) forgotten")
		}
		if r := a.ok(keyed("k0", "", "fp", acquire("default", "models", "m0", 2))); r.Replayed {
			t.Fatal("k0 (oldest) still remembered past the count bound")
		}
	})
}

// A keyed write is envelope 2, which a node that knows only envelope 1
// refuses; a write without a key stays envelope 1, byte for byte.
func TestKeyed_encoding(t *testing.T) {
	plain := mustEncode(t, createWS("a", 1))
	k := mustEncode(t, keyed("k", "alice", "fp", createWS("a", 1)))
	if plain[0] != fsm.EnvelopeVersion || k[0] != fsm.KeyedEnvelopeVersion || k[1] != plain[1] || k[2] != plain[2] {
		t.Fatalf("headers: plain %v keyed %v", plain[:3], k[:3])
	}
	if !bytes.HasSuffix(k, plain[3:]) {
		t.Fatalf("keyed payload does not end with the plain command")
	}
	c, err := fsm.Decode(k)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.(*fsm.Keyed)
	if !ok || got.Key != "k" || got.Principal != "alice" || got.Fingerprint != "fp" || got.Type() != fsm.CreateWorkspaceType {
		t.Fatalf("decoded %#v", c)
	}
	for _, bad := range []*fsm.Keyed{
		keyed("", "", "fp", createWS("a", 1)),
		keyed(strings.Repeat("k", fsm.MaxIdempotencyKeyLen+1), "", "fp", createWS("a", 1)),
		keyed("a b", "", "fp", createWS("a", 1)),
		keyed("k", "", "", createWS("a", 1)),
		keyed("k", "", "fp", keyed("k", "", "fp", createWS("a", 1))),
	} {
		if _, err := fsm.Encode(bad); err == nil {
			t.Errorf("Encode(%+v) accepted", bad)
		}
	}
}

func keyedState(tb testing.TB) *fsm.State {
	tb.Helper()
	logs := smallLog(tb)
	n := uint64(len(logs))
	logs = append(logs,
		logEntry(tb, n+1, keyed("0193a1c4-key-1", "alice", "9f86d081884c7d65", &fsm.CreateWorkspace{ID: "0193a1c4-0000-7000-8000-000000000009", Name: "keyed", At: at(70), By: "alice"})),
		logEntry(tb, n+2, keyed("0193a1c4-key-2", "bob", "60303ae22b998861", &fsm.DeleteWorkspace{Name: "ml-team", At: at(71), By: "bob"})),
	)
	f, _ := applyOneByOne(tb, logs)
	return f.State()
}

// TestState_WriteSnapshot_goldenV3 pins snapshot format version 3, the
// format of a state that remembers idempotency keys.
func TestState_WriteSnapshot_goldenV3(t *testing.T) {
	path := filepath.Join("testdata", "snapshot_v3.golden")
	st := keyedState(t)
	b := snapshotBytes(t, st)
	got := renderSnap(t, b)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if got != string(raw) {
		t.Errorf("snapshot format changed:\ngot\n%s\nwant\n%s", got, raw)
	}
	old := unrenderSnap(t, string(raw))
	s, err := fsm.ReadSnapshot(bytes.NewReader(old))
	if err != nil {
		t.Fatalf("ReadSnapshot(golden v2): %v", err)
	}
	sameAnswers(t, s, st)
	if s.IdempotencyKeyCount() != 2 {
		t.Fatalf("keys after restore = %d, want 2", s.IdempotencyKeyCount())
	}
	// The restored keys still answer retries.
	f := fsm.New(fsm.Options{})
	if err := f.Restore(nopCloser(old)); err != nil {
		t.Fatal(err)
	}
	v := f.Apply(&raft.Log{Index: 100, Term: 1, Type: raft.LogCommand, Data: mustEncode(t,
		keyed("0193a1c4-key-1", "alice", "9f86d081884c7d65", &fsm.CreateWorkspace{ID: "other", Name: "keyed", At: at(90), By: "alice"}))})
	if r := toResult(t, v); !r.Replayed || r.Workspace == nil || r.Workspace.ID != "0193a1c4-0000-7000-8000-000000000009" {
		t.Fatalf("retry after restore: %+v", r)
	}
}
