package fsm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Result is what Apply returns for one command entry. Err is a domain
// *Error when the command was refused; state is then unchanged.
type Result struct {
	Index     uint64
	Workspace *Workspace
	Ref       *EntityRef
	Project   *Project
	Member    *RoleBinding
	Created   bool
	// Replayed: the entry carried an idempotency key already used for the
	// same request; nothing was applied and this is the first answer.
	Replayed bool
	// At, on a replay, is the time of the command first applied (the
	// time a delete answer reports).
	At  time.Time
	Err error
}

// Observer receives apply measurements; the metrics layer implements it.
type Observer interface {
	ObserveApply(entries int, d time.Duration)
}

// SnapshotObserver is an optional interface of an Observer: it receives the
// size and duration of every snapshot raft persists.
type SnapshotObserver interface {
	ObserveSnapshot(bytes int64, d time.Duration)
}

// Options configure an FSM.
type Options struct {
	Logger   *slog.Logger
	Observer Observer
}

// FSM is the raft state machine. Apply, ApplyBatch, Snapshot and Restore are
// called by raft from one goroutine; State and WaitForIndex may be called
// from any goroutine at any time and never block Apply.
type FSM struct {
	log *slog.Logger
	obs Observer

	mu     sync.Mutex // serialises writers; readers never take it
	master *State     // writer's copy, never seen by readers
	cur    atomic.Pointer[State]
}

var _ raft.BatchingFSM = (*FSM)(nil)

// New returns an empty FSM.
func New(opts Options) *FSM {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &FSM{log: opts.Logger, obs: opts.Observer, master: newState()}
	f.cur.Store(f.master.freeze())
	return f
}

// State returns the newest published state.
func (f *FSM) State() *State { return f.cur.Load() }

// WaitForIndex returns a state whose Index is at least idx, waiting for it
// to be applied until ctx is done.
func (f *FSM) WaitForIndex(ctx context.Context, idx uint64) (*State, error) {
	s := f.cur.Load()
	for s.index < idx {
		select {
		case <-s.next:
			s = f.cur.Load()
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
	return s, nil
}

// Apply applies one log entry.
func (f *FSM) Apply(l *raft.Log) any {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

// ApplyBatch applies committed entries in order and publishes one new state
// for the whole batch.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	start := time.Now()
	f.mu.Lock()
	out := make([]any, len(logs))
	for i, l := range logs {
		out[i] = f.applyEntry(l)
	}
	f.publishLocked()
	f.mu.Unlock()
	if f.obs != nil {
		f.obs.ObserveApply(len(logs), time.Since(start))
	}
	return out
}

func (f *FSM) applyEntry(l *raft.Log) any {
	s := f.master
	if l.Index > s.index {
		s.index = l.Index
	}
	if l.Type != raft.LogCommand {
		return nil
	}
	c, err := Decode(l.Data)
	if err != nil {
		var u *UnknownCommandError
		if errors.As(err, &u) && u.Ignorable() {
			f.log.Warn("skipping log entry this binary does not understand", "index", l.Index, "err", err)
			return Result{Index: l.Index, Err: errorf(CodeUnsupported, "%s", err)}
		}
		// Applying anything else would let this node diverge from its
		// peers. Stop here: an operator upgrades the binary and the node
		// resumes from its log.
		panic(fmt.Sprintf("wsd: cannot apply log entry %d: %v", l.Index, err))
	}
	r := s.apply(l.Index, c)
	r.Index = l.Index
	return r
}

// apply dispatches one decoded command. Every apply function checks all
// its preconditions before its first write, so a refused command changes
// nothing.
func (s *State) apply(idx uint64, c Command) Result {
	switch c := c.(type) {
	case *Init:
		return s.applyInit(idx, c)
	case *CreateWorkspace:
		return s.applyCreateWorkspace(idx, c)
	case *UpdateWorkspace:
		return s.applyUpdateWorkspace(idx, c)
	case *DeleteWorkspace:
		return s.applyDeleteWorkspace(idx, c)
	case *AcquireRef:
		return s.applyAcquireRef(idx, c)
	case *ReleaseRef:
		return s.applyReleaseRef(idx, c)
	case *CreateProject:
		return s.applyCreateProject(idx, c)
	case *UpdateProject:
		return s.applyUpdateProject(idx, c)
	case *DeleteProject:
		return s.applyDeleteProject(idx, c)
	case *AddMember:
		return s.applyAddMember(idx, c)
	case *SetMemberRoles:
		return s.applySetMemberRoles(idx, c)
	case *RemoveMember:
		return s.applyRemoveMember(idx, c)
	case *Restored:
		return s.applyRestored(idx, c)
	case *Keyed:
		return s.applyKeyed(idx, c)
	case *ClusterSettings:
		return s.applyClusterSettings(c)
	}
	panic(fmt.Sprintf("wsd: no apply function for %T", c))
}

func (f *FSM) publishLocked() {
	old := f.cur.Swap(f.master.freeze())
	close(old.next)
}

// Snapshot captures the current state; Persist streams it.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	snap := &fsmSnapshot{state: f.cur.Load()}
	if o, ok := f.obs.(SnapshotObserver); ok {
		snap.obs = o
	}
	return snap, nil
}

// Restore replaces the whole state with a snapshot stream. The stream is
// read and verified completely before anything changes: a corrupt,
// truncated or foreign snapshot returns an error and the live state stays.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	s, err := ReadSnapshot(rc)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A restored backup may carry an older index than this node has
	// applied; keep the index monotonic so read-your-writes waits never go
	// backwards. The content is what the snapshot says.
	s.index = max(s.index, f.master.index)
	f.master = s
	f.publishLocked()
	return nil
}

type fsmSnapshot struct {
	state *State
	obs   SnapshotObserver // nil: not observed
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	start := time.Now()
	cw := &countingWriter{w: sink}
	if err := s.state.WriteSnapshot(cw); err != nil {
		_ = sink.Cancel()
		return err
	}
	if err := sink.Close(); err != nil {
		return err
	}
	if s.obs != nil {
		s.obs.ObserveSnapshot(cw.n, time.Since(start))
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *fsmSnapshot) Release() {}
