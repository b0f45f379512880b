package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// captured is a request as a fake leader saw it.
type captured struct {
	method, uri, body string
	header            http.Header
}

// captureLeader is a fake leader that records requests and answers with
// answer.
func captureLeader(t *testing.T, answer http.HandlerFunc) (*httptest.Server, func() []captured) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []captured
	)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Method, r.RequestURI, string(b), r.Header.Clone()})
		mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// dropAfterRead is a fake leader that reads the request and closes the
// connection without answering.
func dropAfterRead(t *testing.T) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

func closedURL(t *testing.T) string {
	t.Helper()
	return "http://" + freeAddr(t)
}

// A follower answers a write itself: it builds the command and the leader
// applies it (over the peer service in a real cluster).
func TestServer_writeThroughFollower(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	hs, _ := newFakeServer(t, followerOf(leader, 20*time.Millisecond))

	r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"via-follower"}`)
	if r.code != http.StatusCreated || !strings.Contains(string(r.body), `"name":"via-follower"`) {
		t.Fatalf("create via follower: %s", r)
	}
	// The answer is the follower's own, with the index of the command.
	if r.header.Get(client.HeaderLastContact) != "20" || r.header.Get(client.HeaderKnownLeader) != "true" || r.index(t) == 0 {
		t.Fatalf("headers %v: want the follower's", r.header)
	}
	if g := leader.do(t, http.MethodGet, base+"/workspaces/via-follower", nil); g.code != http.StatusOK {
		t.Fatalf("not on the leader: %s", g)
	}
	// Domain errors decided by the leader's state machine come back typed.
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"via-follower"}`).
		wantError(t, http.StatusConflict, "already_exists", `{"detail":"Workspace 'via-follower' already exists"}`)
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"Bad"}`).
		wantError(t, http.StatusUnprocessableEntity, "invalid", "")
}

// The receiving node decides ids, timestamps and the deadline; the
// command reaches Apply with a deadline.
func TestServer_writeBuiltOnReceiver(t *testing.T) {
	t.Parallel()
	var got atomic.Pointer[fsm.CreateWorkspace]
	var hadDeadline atomic.Bool
	f := &fakeCluster{leader: leaderAt(closedURL(t)), applyFn: func(ctx context.Context, c fsm.Command) (fsm.Result, error) {
		_, ok := ctx.Deadline()
		hadDeadline.Store(ok)
		cw := c.(*fsm.CreateWorkspace)
		got.Store(cw)
		ws := &fsm.Workspace{ID: cw.ID, Name: cw.Name, CreatedAt: cw.At, UpdatedAt: cw.At}
		return fsm.Result{Index: 42, Workspace: ws}, nil
	}}
	hs, _ := newFakeServer(t, f)
	r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"built"}`)
	if r.code != http.StatusCreated || r.index(t) != 42 {
		t.Fatalf("got %s", r)
	}
	c := got.Load()
	if c == nil || c.ID == "" || c.At.IsZero() || c.Name != "built" || !hadDeadline.Load() {
		t.Fatalf("command %+v, deadline %v", c, hadDeadline.Load())
	}
}

// Apply's error classes become their answers: not applied (retry) or
// outcome unknown (read first).
func TestServer_writeFailureClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err        error
		code       string
		retryAfter string
	}{
		{cluster.ErrNoLeader, "no_leader", "1"},
		{cluster.ErrNotLeader, "no_leader", "1"},
		{cluster.ErrDeadline, "unavailable", "1"},
		{cluster.ErrShutdown, "unavailable", "1"},
		{cluster.ErrOutcomeUnknown, "outcome_unknown", ""},
		{errors.Join(cluster.ErrOutcomeUnknown, cluster.ErrShutdown), "outcome_unknown", ""},
	} {
		f := &fakeCluster{applyFn: func(context.Context, fsm.Command) (fsm.Result, error) { return fsm.Result{}, tc.err }}
		hs, _ := newFakeServer(t, f)
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != tc.code || r.header.Get("Retry-After") != tc.retryAfter {
			t.Errorf("%v: got %s %v, want 503 %s Retry-After %q", tc.err, r, r.header, tc.code, tc.retryAfter)
		}
	}
}

// Admin calls that only the leader can carry out are still proxied as
// HTTP requests, intact.
func TestServer_adminProxyRequestIntact(t *testing.T) {
	t.Parallel()
	leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Custom", "kept")
		w.Header().Set(client.HeaderIndex, "77")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "short and stout")
	})
	f := &fakeCluster{leader: leaderAt(leader.URL)}
	hs, _ := newFakeServer(t, f)

	path := clusterTransferPath + "?x=1"
	r := doURL(t, hs.Client(), http.MethodPost, hs.URL+path, `{"any":"body"}`,
		"Authorization", "Bearer tok", "X-Request-Id", "rid-1", "Connection", "X-Hop", "X-Hop", "dropped")
	if r.code != http.StatusTeapot || string(r.body) != "short and stout" || r.header.Get("X-Custom") != "kept" ||
		r.header.Get(client.HeaderIndex) != "77" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("answer not passed back unchanged: %s %v", r, r.header)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("leader got %d requests, want 1", len(reqs))
	}
	c := reqs[0]
	if c.method != http.MethodPost || c.uri != path || c.body != `{"any":"body"}` {
		t.Fatalf("leader got %s %s %q", c.method, c.uri, c.body)
	}
	if c.header.Get("Authorization") != "Bearer tok" || c.header.Get("X-Request-Id") != "rid-1" || c.header.Get(hopsHeader) != "1" {
		t.Fatalf("leader got headers %v", c.header)
	}
	if c.header.Get("X-Hop") != "" {
		t.Fatalf("hop-by-hop header X-Hop was forwarded: %v", c.header)
	}
	// Entities API writes are never proxied.
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
	if n := len(got()); n != 1 {
		t.Fatalf("leader got %d requests, want 1", n)
	}
}

func TestServer_adminProxyFailures(t *testing.T) {
	t.Parallel()
	t.Run("hop limit", func(t *testing.T) {
		leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {})
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL)})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil, hopsHeader, "2")
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
		if len(got()) != 0 {
			t.Fatal("forwarded past the hop limit")
		}
		doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil, hopsHeader, "1")
		if reqs := got(); len(reqs) != 1 || reqs[0].header.Get(hopsHeader) != "2" {
			t.Fatalf("leader got %+v", reqs)
		}
	})
	t.Run("no leader within the wait", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{}, func(c *Config) { c.LeaderWait = 250 * time.Millisecond })
		start := time.Now()
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil)
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Fatalf("answered after %s, before the leader wait", el)
		}
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("leader unreachable", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(closedURL(t))})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("sent but unanswered", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(dropAfterRead(t).URL), lastContact: time.Hour})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "outcome_unknown" || r.header.Get("Retry-After") != "" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	// The deadline passes while the leader holds the write: it may have
	// acted, so the answer must not say that nothing happened.
	t.Run("deadline passes after sending", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-time.After(30 * time.Second):
			}
		})
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL)})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil, client.HeaderTimeout, "300ms")
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "outcome_unknown" || r.header.Get("Retry-After") != "" {
			t.Fatalf("got %s %v", r, r.header)
		}
		if len(got()) != 1 {
			t.Fatalf("leader got %d requests, want 1", len(got()))
		}
	})
}

func TestServer_readsOnFollower(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "on-leader")

	t.Run("default read from a stale follower waits for the leader's read index", func(t *testing.T) {
		var asked atomic.Int32
		f := &fakeCluster{leader: leaderAt(leader.URL), lastContact: 6 * time.Second, readIndexFn: func(context.Context) (uint64, error) {
			asked.Add(1)
			return 1 << 40, nil
		}}
		hs, _ := newFakeServer(t, f)
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "unavailable" || asked.Load() != 1 {
			t.Fatalf("got %s %v (asked %d)", r, r.header, asked.Load())
		}
		// Caught up (it shares the leader's state), it answers itself.
		hs, _ = newFakeServer(t, followerOf(leader, 6*time.Second))
		for _, q := range []string{"/on-leader", "", "?consistency=default"} {
			if r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces"+q, nil); r.code != http.StatusOK || !strings.Contains(string(r.body), "on-leader") ||
				r.header.Get(client.HeaderLastContact) != "6000" {
				t.Fatalf("read%s: %s %v", q, r, r.header)
			}
		}
	})
	t.Run("default read from a fresh follower is local", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL), lastContact: 4 * time.Second})
		doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader", nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'on-leader' not found"}`)
	})
	t.Run("stale read is local without a leader", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{lastContact: time.Duration(1<<63 - 1)})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader?consistency=stale", nil)
		r.wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'on-leader' not found"}`)
		if r.header.Get(client.HeaderKnownLeader) != "false" || r.header.Get(client.HeaderLastContact) != "-1" {
			t.Fatalf("headers %v", r.header)
		}
	})
	t.Run("default read without a leader is 503 no_leader", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{lastContact: time.Minute})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("linearizable read on a follower uses the leader's read index", func(t *testing.T) {
		hs, _ := newFakeServer(t, followerOf(leader, time.Millisecond))
		w := leader.do(t, http.MethodPost, base+"/workspaces", `{"name":"lin"}`)
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/lin?consistency=linearizable", nil)
		if r.code != http.StatusOK || r.index(t) < w.index(t) || r.header.Get(client.HeaderLastContact) != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("linearizable read without a reachable leader", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(closedURL(t))})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces?consistency=linearizable", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
}

// TestServer_adminProxyPooled checks that proxied admin calls reuse
// connections to the leader instead of dialing each time.
func TestServer_adminProxyPooled(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	leader := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	leader.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	leader.Start()
	t.Cleanup(leader.Close)
	hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL)})
	for range 20 {
		if r := doURL(t, hs.Client(), http.MethodPost, hs.URL+clusterTransferPath, nil); r.code != http.StatusOK {
			t.Fatal(r)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections to the leader for 20 sequential calls, want 1", n)
	}
}
