package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

// Finding 6: on the base commit a restore refused by raft because a
// configuration change was uncommitted came back as ErrOutcomeUnknown
// (HTTP 503 outcome_unknown, "it may have been applied") though nothing
// happened, and a leadership-transfer timeout as an unclassified error
// (HTTP 500).
func TestMapRaftError_refusalsAreRetryable(t *testing.T) {
	// The exact texts raft v1.8.0 builds.
	pending := fmt.Errorf("cannot restore snapshot now, wait until the configuration entry at %v has been applied (have applied %v)", 12, 11)
	timeout := fmt.Errorf("leadership transfer timeout")
	for _, proposed := range []bool{true, false} {
		err := mapRaftError(pending, proposed)
		if !errors.Is(err, ErrConfigChangePending) || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("restore refused for a pending configuration (proposed %v): got %v, want ErrConfigChangePending and not ErrOutcomeUnknown", proposed, err)
		}
	}
	if err := mapRaftError(timeout, false); !errors.Is(err, ErrTransferTimeout) {
		t.Errorf("transfer timeout: got %v, want ErrTransferTimeout", err)
	}
	// The rest is unchanged.
	if err := mapRaftError(raft.ErrLeadershipLost, true); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("leadership lost after proposing: got %v", err)
	}
}

// TestRaftErrorTexts fails when the raft module stops using the texts
// raft_errors.go recognises (an upgrade changed them).
func TestRaftErrorTexts(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hashicorp/raft").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	src := ""
	for _, f := range []string{"raft.go", "snapshot.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("reading raft source: %v", err)
		}
		src += string(b)
	}
	for _, text := range []string{raftConfigPendingText, raftTransferTimeoutText} {
		if !strings.Contains(src, text) {
			t.Errorf("raft no longer says %q: update raft_errors.go", text)
		}
	}
}
