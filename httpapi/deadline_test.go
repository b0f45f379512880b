package httpapi

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"3s": 3 * time.Second, "1500ms": 1500 * time.Millisecond, "2.5": 2500 * time.Millisecond, " 1m ": time.Minute, "0.001": time.Millisecond,
	} {
		if got, ok := parseTimeout(in); !ok || got != want {
			t.Errorf("parseTimeout(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "0s", "-1s", "-3", "soon", "1e300", "NaN", "Inf"} {
		if got, ok := parseTimeout(in); ok {
			t.Errorf("parseTimeout(%q) = %v, want refused", in, got)
		}
	}
}

// Every entities API request gets a deadline: the header's, clamped, or
// the default; a bad header is a 422 naming it.
func TestServer_requestDeadline(t *testing.T) {
	t.Parallel()
	var left atomic.Int64
	f := &fakeCluster{applyFn: func(ctx context.Context, c fsm.Command) (fsm.Result, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			left.Store(-1)
			return fsm.Result{}, cluster.ErrNoLeader
		}
		left.Store(int64(time.Until(dl)))
		return fsm.Result{}, cluster.ErrNoLeader
	}}
	hs, _ := newFakeServer(t, f, func(c *Config) {
		c.DefaultTimeout = 4 * time.Second
		c.MaxTimeout = 8 * time.Second
	})
	for _, tc := range []struct {
		header   string
		min, max time.Duration
	}{
		{"", 3 * time.Second, 4 * time.Second},
		{"2s", time.Second, 2 * time.Second},
		{"1.5", 500 * time.Millisecond, 1500 * time.Millisecond},
		{"1h", 7 * time.Second, 8 * time.Second},
		{"1ns", 0, MinTimeout},
	} {
		var hdr []string
		if tc.header != "" {
			hdr = []string{client.HeaderTimeout, tc.header}
		}
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`, hdr...)
		got := time.Duration(left.Load())
		if r.code != http.StatusServiceUnavailable || got <= tc.min || got > tc.max {
			t.Errorf("X-Wsd-Timeout %q: %s, deadline in %v, want in (%v, %v]", tc.header, r, got, tc.min, tc.max)
		}
	}
	for _, bad := range []string{"soon", "-2s", "0"} {
		doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`, client.HeaderTimeout, bad).
			wantError(t, http.StatusUnprocessableEntity, "invalid", `{"detail":[{"type":"duration_parsing","loc":["header","X-Wsd-Timeout"],"msg":"Input should be a positive duration such as '3s' or '1500ms', or a number of seconds","input":"`+bad+`"}]}`)
	}
}

// A request that waits (here a read waiting for an index that never
// comes) is answered by its deadline.
func TestServer_deadlineBoundsWaits(t *testing.T) {
	t.Parallel()
	f := &fakeCluster{leader: leaderAt(closedURL(t)), readIndexFn: func(ctx context.Context) (uint64, error) {
		<-ctx.Done()
		return 0, cluster.ErrNoLeader
	}}
	hs, _ := newFakeServer(t, f, func(c *Config) {
		c.LeaderWait = time.Minute
		c.MinIndexWait = time.Minute
	})
	start := time.Now()
	r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces?consistency=linearizable", nil, client.HeaderTimeout, "300ms")
	if el := time.Since(start); r.code != http.StatusServiceUnavailable || el < 300*time.Millisecond || el > 5*time.Second {
		t.Fatalf("answered %s after %v, want 503 at the 300ms deadline", r, el)
	}
}
