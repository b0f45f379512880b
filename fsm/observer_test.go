package fsm_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/fsm"
)

// recorder is an Observer that also observes snapshots.
type recorder struct {
	applies   int
	snapBytes []int64
}

func (r *recorder) ObserveApply(int, time.Duration) { r.applies++ }

func (r *recorder) ObserveSnapshot(bytes int64, _ time.Duration) {
	r.snapBytes = append(r.snapBytes, bytes)
}

// bufferSink is a raft.SnapshotSink in memory.
type bufferSink struct{ bytes.Buffer }

func (s *bufferSink) Close() error  { return nil }
func (s *bufferSink) ID() string    { return "buffer" }
func (s *bufferSink) Cancel() error { return nil }

func TestFSM_Persist_observesSnapshot(t *testing.T) {
	obs := &recorder{}
	f := fsm.New(fsm.Options{Observer: obs})
	f.Apply(logEntry(t, 1, initCmd()))
	f.Apply(logEntry(t, 2, createWS("ml-team", 1)))
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink bufferSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if len(obs.snapBytes) != 1 || obs.snapBytes[0] != int64(sink.Len()) {
		t.Fatalf("observed snapshots %v, want one of %d bytes", obs.snapBytes, sink.Len())
	}
	if obs.applies != 2 {
		t.Errorf("observed %d applies, want 2", obs.applies)
	}
	// A failed persist is not observed.
	snap, _ = f.Snapshot()
	if err := snap.Persist(&failingSink{limit: 10}); err == nil {
		t.Fatal("Persist to a failing sink: got nil")
	}
	if len(obs.snapBytes) != 1 {
		t.Errorf("a failed persist was observed: %v", obs.snapBytes)
	}
}
