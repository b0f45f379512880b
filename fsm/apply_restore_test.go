package fsm_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

// A user restore may install a snapshot whose content was saved at an
// older index than this node has applied: the index never goes back, the
// content is the snapshot's, and the Restored entry that follows moves the
// index to its own without changing the content.
func TestFSM_Restore_olderSnapshotKeepsIndexMonotonic(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("saved", 1))
	old := snapshotBytes(t, a.state()) // at index 2
	savedDigest := a.state().Digest()
	for i := range 20 {
		a.ok(acquire("saved", "models", "m"+string(rune('a'+i)), i))
	}
	applied := a.last()
	if err := a.f.Restore(io.NopCloser(bytes.NewReader(old))); err != nil {
		t.Fatal(err)
	}
	st := a.state()
	if st.Index() != applied {
		t.Fatalf("index after restoring a snapshot of index 2 = %d, want %d (never backwards)", st.Index(), applied)
	}
	if st.Digest() != savedDigest {
		t.Fatal("restored content differs from the snapshot's")
	}
	*a.idx += 1024 // the hole raft leaves for the restored snapshot
	r := a.ok(&fsm.Restored{SnapshotIndex: a.last(), Digest: savedDigest, At: at(50), By: "root"})
	if st := a.state(); st.Index() != r.Index || r.Index != applied+1025 || st.Digest() != savedDigest {
		t.Fatalf("after Restored at %d: index %d (result %d), digest changed %v", applied+1025, st.Index(), r.Index, st.Digest() != savedDigest)
	}
}

// WriteSnapshotAt records the given index and nothing else changes: a
// restored snapshot installed at raft index i publishes its state at i.
func TestState_WriteSnapshotAt(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("w", 1))
	var buf bytes.Buffer
	if err := a.state().WriteSnapshotAt(&buf, 4242); err != nil {
		t.Fatal(err)
	}
	st, err := fsm.ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Index() != 4242 || st.Digest() != a.state().Digest() {
		t.Fatalf("index %d, same digest %v; want 4242 and the same content", st.Index(), st.Digest() == a.state().Digest())
	}
	f := fsm.New(fsm.Options{})
	var again bytes.Buffer
	if err := st.WriteSnapshot(&again); err != nil {
		t.Fatal(err)
	}
	if err := f.Restore(io.NopCloser(&again)); err != nil {
		t.Fatal(err)
	}
	if f.State().Index() != 4242 {
		t.Fatalf("a fresh node installs it at %d, want 4242", f.State().Index())
	}
}
