package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

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

// Restore replaces the whole cluster's state with a snapshot stream (leader
// only). The stream is spooled to a temporary file and verified completely
// (format version, every record, checksum) before raft sees it, so a
// corrupt or foreign snapshot is refused with the cluster unchanged. raft
// then installs it on the leader and, through the log hole it leaves, on
// every follower.
func (n *Node) Restore(ctx context.Context, r io.Reader) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	f, err := os.CreateTemp(n.cfg.DataDir, "restore-*.snap")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size, err := io.Copy(f, r)
	if err != nil {
		return fmt.Errorf("reading snapshot: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := fsm.ReadSnapshot(f); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: size}
	if err := n.raft.Restore(meta, f, timeoutFrom(ctx, time.Minute)); err != nil {
		return mapRaftError(err, true)
	}
	n.cfg.Logger.Info("restored cluster state from a snapshot", "bytes", size)
	return nil
}
