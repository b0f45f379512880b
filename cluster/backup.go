package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// Errors of a user restore.
var (
	// ErrRestoreInProgress: another restore is running on this node; one
	// runs at a time.
	ErrRestoreInProgress = errors.New("another restore is in progress")
	// ErrInsufficientStorage: the data directory's file system has not
	// room enough for the snapshot and a safety margin.
	ErrInsufficientStorage = errors.New("not enough free disk space for the snapshot")
	// ErrNoPlatformAdmin: the snapshot grants PlatformAdmin to no one
	// (refused when RestoreOptions.RequirePlatformAdmin is set).
	ErrNoPlatformAdmin = errors.New("the snapshot grants PlatformAdmin to no one")
)

// restoreIndexGap is how far past the last raft index a restored snapshot
// is installed (see Restore): room for entries appended between reading
// the last index and raft installing the snapshot.
const restoreIndexGap = 1024

// WriteSnapshot streams a consistent snapshot of the state: it first takes
// a read index (so the snapshot holds every write acknowledged before the
// call), waits until this node has applied it, then streams that immutable
// state. Only the leader can hand out the read index; others get
// ErrNotLeader and the caller forwards.
func (n *Node) WriteSnapshot(ctx context.Context, w io.Writer) error {
	idx, err := n.ReadIndex(ctx)
	if err != nil {
		return err
	}
	st, err := n.fsm.WaitForIndex(ctx, idx)
	if err != nil {
		return err
	}
	return st.WriteSnapshot(w)
}

// RestoreOptions describe a user restore.
type RestoreOptions struct {
	// Size is the snapshot's announced size in bytes, 0 when unknown; a
	// snapshot that cannot fit on disk is refused before it is read.
	Size int64
	// By is the principal restoring, recorded in the log.
	By string
	// RequirePlatformAdmin refuses (ErrNoPlatformAdmin) a snapshot in
	// which no one holds PlatformAdmin: with authentication on, restoring
	// it would leave no one able to administer the cluster.
	RequirePlatformAdmin bool
}

// RestoreResult is the outcome of a user restore.
type RestoreResult struct {
	// Index is the index of the Restored entry that follows the restored
	// state: every node that has applied it holds the restored state.
	Index uint64
	// SnapshotIndex is the raft index the restored state was installed at.
	SnapshotIndex uint64
	// Digest is the restored state's digest.
	Digest string
	// Bytes is the size of the snapshot raft stored.
	Bytes int64
}

// Restore replaces the whole cluster's state with a snapshot stream (leader
// only, one at a time: ErrRestoreInProgress otherwise).
//
// Nothing is written to disk before the whole stream is verified: it is
// read straight into a fresh in-memory state (fsm.ReadSnapshot checks the
// magic and format version first, then every record, the counts and the
// checksum), so a corrupt or foreign snapshot is refused with an error
// wrapping fsm.ErrSnapshotCorrupt, having cost no disk at all. A snapshot
// whose announced or actual size would not fit in the data directory with
// a margin is refused with ErrInsufficientStorage.
//
// The verified state is then handed to raft rewritten at the raft index it
// is installed at: a hole restoreIndexGap past the last log index, which
// no entry and no other state ever had. raft installs it on the leader and
// sends it to every follower that reaches the hole. Last, the leader
// commits a Restored entry after it, so the cluster's index moves past the
// restore: a read waiting for an index at or after the restore is never
// answered from the state before it, on any node.
func (n *Node) Restore(ctx context.Context, r io.Reader, opts RestoreOptions) (RestoreResult, error) {
	if !n.IsLeader() {
		return RestoreResult{}, ErrNotLeader
	}
	if !n.restoring.CompareAndSwap(false, true) {
		return RestoreResult{}, ErrRestoreInProgress
	}
	defer n.restoring.Store(false)
	if opts.Size > 0 {
		if err := n.checkDiskRoom(opts.Size); err != nil {
			return RestoreResult{}, err
		}
	}
	st, err := fsm.ReadSnapshot(r)
	if err != nil {
		return RestoreResult{}, err
	}
	st = n.keepClusterSettings(st)
	if opts.RequirePlatformAdmin && !st.HasPlatformAdmin() {
		return RestoreResult{}, ErrNoPlatformAdmin
	}
	if err := ctx.Err(); err != nil {
		return RestoreResult{}, err
	}
	at := n.raft.LastIndex() + restoreIndexGap
	var size countWriter
	if err := st.WriteSnapshotAt(&size, at); err != nil {
		return RestoreResult{}, err
	}
	if err := n.checkDiskRoom(int64(size)); err != nil {
		return RestoreResult{}, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(st.WriteSnapshotAt(pw, at)) }()
	// raft installs the snapshot at max(meta.Index, its last index) + 1.
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: int64(size), Index: at - 1}
	// raft.Restore waits on its own futures, which raft leaves unanswered
	// if it shuts down meanwhile: wait for it in a goroutine, bounded by the
	// node's stop signal (see await).
	done := make(chan error, 1)
	go func() { done <- n.raft.Restore(meta, pr, timeoutFrom(ctx, time.Minute)) }()
	select {
	case err = <-done:
	case <-n.stop:
		err = raft.ErrRaftShutdown
	}
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if raft stopped reading
	if err != nil {
		return RestoreResult{}, mapRaftError(err, true)
	}
	out := RestoreResult{SnapshotIndex: at, Digest: st.Digest(), Bytes: int64(size)}
	if got := n.raft.Stats()["last_snapshot_index"]; got != strconv.FormatUint(at, 10) {
		// More than restoreIndexGap entries were appended before raft
		// took the snapshot in: the state is right, its recorded index is
		// lower than raft's; the Restored entry below still moves every
		// node past the restore.
		n.cfg.Logger.Warn("restored snapshot installed at another index than planned", "planned", at, "raft", got)
	}
	n.cfg.Logger.Info("restored cluster state from a snapshot", "bytes", int64(size), "index", at, "by", opts.By)
	res, err := n.applyLocal(&fsm.Restored{
		SnapshotIndex: at, Digest: out.Digest,
		At: time.Now().UTC().Truncate(time.Microsecond), By: opts.By,
	}, timeoutFrom(ctx, n.cfg.ApplyTimeout))
	if err != nil {
		return out, fmt.Errorf("committing the restore marker: %w", err)
	}
	out.Index = res.Index
	return out, nil
}

// Restoring reports whether a user restore is running on this node.
func (n *Node) Restoring() bool { return n.restoring.Load() }

// countWriter counts bytes and discards them.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// checkDiskRoom refuses a snapshot of size bytes unless the data
// directory's file system has room for it and a margin (64 MiB or a tenth
// of the size, whichever is larger) for the log and other snapshots. When
// the free space cannot be read (unsupported platform) it does not refuse.
func (n *Node) checkDiskRoom(size int64) error {
	free, ok := diskFree(n.cfg.DataDir)
	if !ok {
		return nil
	}
	need := uint64(size) + max(uint64(64<<20), uint64(size)/10)
	if free < need {
		return fmt.Errorf("%w: %d bytes with margin needed, %d free in %s", ErrInsufficientStorage, need, free, n.cfg.DataDir)
	}
	return nil
}
