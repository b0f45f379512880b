package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// Finding 6: raft's refusals that leave everything unchanged are retryable
// 503s (code unavailable, with Retry-After), not outcome_unknown or 500.
func TestToAnswer_raftRefusals(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		fmt.Errorf("%w: cannot restore snapshot now, wait until the configuration entry at 12 has been applied (have applied 11)", cluster.ErrConfigChangePending),
		fmt.Errorf("%w: leadership transfer timeout", cluster.ErrTransferTimeout),
	} {
		a := toAnswer(err)
		if a.status != http.StatusServiceUnavailable || a.code != codeUnavailable || !a.retry {
			t.Errorf("%v: got %d %s retry=%v, want 503 unavailable with Retry-After", err, a.status, a.code, a.retry)
		}
	}
}

// Through the handlers: a restore refused for a pending configuration
// change and a transfer that timed out.
func TestAdmin_raftRefusalsOverHTTP(t *testing.T) {
	t.Parallel()
	rc := &refusingCluster{fakeCluster: &fakeCluster{isLeader: always(true), fsm: fsm.New(fsm.Options{})}}
	cfg := DefaultConfig()
	cfg.Cluster = rc
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(func() { hs.Close(); _ = api.Close() })
	for path, r := range map[string]response{
		clusterRestorePath:  doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterRestorePath, "x", "Content-Type", "application/octet-stream"),
		clusterTransferPath: doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil),
	} {
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != codeUnavailable || r.header.Get("Retry-After") == "" {
			t.Errorf("POST %s: got %s %v, want 503 unavailable with Retry-After", path, r, r.header)
		}
	}
}

// refusingCluster is a leader whose raft refuses restores (configuration
// change pending) and whose leadership transfers time out.
type refusingCluster struct{ *fakeCluster }

func (c *refusingCluster) Restore(context.Context, io.Reader, cluster.RestoreOptions) (cluster.RestoreResult, error) {
	return cluster.RestoreResult{}, fmt.Errorf("%w: cannot restore snapshot now, wait until the configuration entry at 12 has been applied (have applied 11)", cluster.ErrConfigChangePending)
}

func (c *refusingCluster) TransferLeadership(context.Context) error {
	return fmt.Errorf("%w: leadership transfer timeout", cluster.ErrTransferTimeout)
}
