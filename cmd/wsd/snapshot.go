package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/wsd-dev/wsd/fsm"
)

// snapshotSaveCmd: wsd snapshot save FILE. The node streams a consistent
// snapshot (taken by the leader); it is written to a temporary file next to
// FILE, synced, verified completely (format, every record, checksum) and
// only then renamed to FILE, so FILE is never a partial or corrupt
// snapshot.
func snapshotSaveCmd(ctx context.Context, a *adminClient, args []string, stdout io.Writer) error {
	path := args[0]
	resp, err := a.call(ctx, http.MethodGet, "/v1/cluster/snapshot", nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	size, err := io.Copy(tmp, resp.Body)
	if err != nil {
		return fmt.Errorf("receiving the snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	st, err := fsm.ReadSnapshot(tmp)
	if err != nil {
		return fmt.Errorf("the snapshot received is not valid (%d bytes): %w", size, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	keep = true
	fmt.Fprintf(stdout, "Saved snapshot at index %d to %s: %d bytes, %d workspaces, %d entity references, digest %s\n",
		st.Index(), path, size, st.WorkspaceCount(), st.RefCount(), st.Digest())
	return nil
}

// snapshotRestoreCmd: wsd snapshot restore FILE. The file is streamed to
// the node, which forwards it to the leader; the leader verifies all of it
// before replacing the whole cluster's state. A corrupt or foreign
// snapshot is refused and the cluster stays as it was.
func snapshotRestoreCmd(ctx context.Context, a *adminClient, args []string, stdout io.Writer) error {
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	resp, err := a.call(ctx, http.MethodPost, "/v1/cluster/restore", f, fi.Size())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Message string `json:"message"`
		Index   uint64 `json:"index"`
		Digest  string `json:"digest"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	fmt.Fprintf(stdout, "%s (%s, %d bytes): index %d, digest %s\n", out.Message, args[0], fi.Size(), out.Index, out.Digest)
	return nil
}
