package fsm_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

const benchWorkspaces = 100_000

var (
	bigOnce sync.Once
	bigFSM  *fsm.FSM
)

// bigState returns an FSM holding 100k workspaces (built once per run),
// created ten per second so that timestamps tie.
func bigState(b *testing.B) *fsm.FSM {
	b.Helper()
	bigOnce.Do(func() {
		f := fsm.New(fsm.Options{})
		f.Apply(logEntry(b, 1, initCmd()))
		idx := uint64(1)
		logs := make([]*raft.Log, 0, 1000)
		for i := range benchWorkspaces {
			idx++
			name := fmt.Sprintf("ws-%06d", i)
			logs = append(logs, logEntry(b, idx, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(i / 10), By: "bench"}))
			if len(logs) == cap(logs) {
				f.ApplyBatch(logs)
				logs = logs[:0]
			}
		}
		f.ApplyBatch(logs)
		bigFSM = f
	})
	if got := bigFSM.State().WorkspaceCount(); got != benchWorkspaces+2 {
		b.Fatalf("WorkspaceCount: got %d, want %d", got, benchWorkspaces+2)
	}
	return bigFSM
}

func BenchmarkApplyCreate(b *testing.B) {
	const batch = 64
	f := fsm.New(fsm.Options{})
	f.Apply(logEntry(b, 1, initCmd()))
	idx := uint64(1)
	logs := make([]*raft.Log, batch)
	var entries int
	var applying time.Duration
	for b.Loop() {
		b.StopTimer()
		for i := range logs {
			idx++
			name := fmt.Sprintf("w-%d", idx)
			logs[i] = logEntry(b, idx, &fsm.CreateWorkspace{ID: "id-" + name, Name: name, At: at(int(idx)), By: "bench"})
		}
		b.StartTimer()
		start := time.Now()
		for _, r := range f.ApplyBatch(logs) {
			if r.(fsm.Result).Err != nil {
				b.Fatalf("apply: %v", r.(fsm.Result).Err)
			}
		}
		applying += time.Since(start)
		entries += batch
	}
	b.ReportMetric(float64(entries)/applying.Seconds(), "entries/s")
}

func BenchmarkGetWorkspace(b *testing.B) {
	f := bigState(b)
	names := make([]string, benchWorkspaces)
	for i := range names {
		names[i] = fmt.Sprintf("ws-%06d", (i*7919)%benchWorkspaces)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			name := names[i%benchWorkspaces]
			if _, ok := f.State().Workspace(name); !ok {
				b.Errorf("Workspace(%q): not found", name)
				return
			}
			i++
		}
	})
}

func BenchmarkListPage(b *testing.B) {
	f := bigState(b)
	q := fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortCreatedAt, Desc: true}, Offset: 499 * 100, Limit: 100}
	b.ResetTimer()
	for b.Loop() {
		ws, total := f.State().ListWorkspaces(q)
		if len(ws) != 100 || total != benchWorkspaces+2 {
			b.Fatalf("page 500: got %d of %d, want 100 of %d", len(ws), total, benchWorkspaces+2)
		}
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkSnapshot100k(b *testing.B) {
	s := bigState(b).State()
	var size int64
	b.ResetTimer()
	for b.Loop() {
		w := &countingWriter{}
		if err := s.WriteSnapshot(w); err != nil {
			b.Fatalf("WriteSnapshot: %v", err)
		}
		size = w.n
	}
	b.SetBytes(size)
	b.ReportMetric(float64(size), "bytes")
}
