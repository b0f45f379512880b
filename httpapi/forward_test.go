package httpapi

import (
	"context"
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

func TestServer_forwardWriteThroughFollower(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	f := &fakeCluster{leader: leaderAt(leader.URL), lastContact: 20 * time.Millisecond}
	hs, _ := newFakeServer(t, f)

	r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"via-follower"}`)
	if r.code != http.StatusCreated || !strings.Contains(string(r.body), `"name":"via-follower"`) {
		t.Fatalf("create via follower: %s", r)
	}
	// The leader's answer comes back unchanged, its headers included.
	if r.header.Get(client.HeaderLastContact) != "0" || r.header.Get(client.HeaderKnownLeader) != "true" || r.index(t) == 0 {
		t.Fatalf("headers %v: want the leader's", r.header)
	}
	if g := leader.do(t, http.MethodGet, base+"/workspaces/via-follower", nil); g.code != http.StatusOK {
		t.Fatalf("not on the leader: %s", g)
	}
	// Errors decided by the leader come back as they are.
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"via-follower"}`).
		wantError(t, http.StatusConflict, "already_exists", `{"detail":"Workspace 'via-follower' already exists"}`)
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"Bad"}`).
		wantError(t, http.StatusUnprocessableEntity, "invalid", "")
	// A follower's own answers say what it knows.
	h := doURL(t, hs.Client(), http.MethodGet, hs.URL+"/healthz", nil)
	if h.header.Get(client.HeaderKnownLeader) != "true" || h.header.Get(client.HeaderLastContact) != "20" {
		t.Fatalf("follower headers %v", h.header)
	}
}

func TestServer_forwardRequestIntact(t *testing.T) {
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

	path := base + "/workspaces/ml/entity-refs/models/a%2Fb?project=p&x=1"
	r := doURL(t, hs.Client(), http.MethodPut, hs.URL+path, `{"any":"body"}`,
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
	if c.method != http.MethodPut || c.uri != path || c.body != `{"any":"body"}` {
		t.Fatalf("leader got %s %s %q", c.method, c.uri, c.body)
	}
	if c.header.Get("Authorization") != "Bearer tok" || c.header.Get("X-Request-Id") != "rid-1" || c.header.Get(hopsHeader) != "1" {
		t.Fatalf("leader got headers %v", c.header)
	}
	if c.header.Get("X-Hop") != "" {
		t.Fatalf("hop-by-hop header X-Hop was forwarded: %v", c.header)
	}

	// Every write method is forwarded.
	for _, m := range []string{http.MethodPost, http.MethodDelete} {
		doURL(t, hs.Client(), m, hs.URL+base+"/workspaces"+map[string]string{http.MethodPost: "", http.MethodDelete: "/x"}[m], `{}`)
	}
	if n := len(got()); n != 3 {
		t.Fatalf("leader got %d requests, want 3", n)
	}
	// A body over the limit is refused before it is forwarded.
	doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", strings.Repeat("x", 65<<10)).
		wantError(t, http.StatusRequestEntityTooLarge, "too_large", `{"detail":"Request body too large"}`)
	if n := len(got()); n != 3 {
		t.Fatalf("oversized body forwarded: leader got %d requests", n)
	}
}

func TestServer_forwardFailures(t *testing.T) {
	t.Parallel()
	t.Run("hop limit", func(t *testing.T) {
		leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {})
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL)})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`, hopsHeader, "2")
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
		if len(got()) != 0 {
			t.Fatal("forwarded past the hop limit")
		}
		// One hop less is still forwarded, with the count increased.
		doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`, hopsHeader, "1")
		if reqs := got(); len(reqs) != 1 || reqs[0].header.Get(hopsHeader) != "2" {
			t.Fatalf("leader got %+v", reqs)
		}
	})
	t.Run("no leader within the wait", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{}, func(c *Config) { c.LeaderWait = 250 * time.Millisecond })
		start := time.Now()
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Fatalf("answered after %s, before the leader wait", el)
		}
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" ||
			r.header.Get(client.HeaderKnownLeader) != "false" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("leader elected during the wait", func(t *testing.T) {
		leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
		var known atomic.Bool
		f := &fakeCluster{leader: func() (cluster.Peer, bool) {
			if !known.Load() {
				return cluster.Peer{}, false
			}
			return cluster.Peer{ID: "l", HTTPAddr: leader.URL}, true
		}}
		hs, _ := newFakeServer(t, f, func(c *Config) { c.LeaderWait = 5 * time.Second })
		time.AfterFunc(150*time.Millisecond, func() { known.Store(true) })
		if r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`); r.code != http.StatusCreated || len(got()) != 1 {
			t.Fatalf("got %s", r)
		}
	})
	t.Run("leader unreachable", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(closedURL(t))})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("write sent but unanswered", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(dropAfterRead(t).URL), lastContact: time.Hour})
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "outcome_unknown" || r.header.Get("Retry-After") != "" {
			t.Fatalf("got %s %v", r, r.header)
		}
		if !strings.Contains(string(r.body), "may or may not have been applied") {
			t.Fatalf("detail %s", r.body)
		}
		// A read that gets no answer is simply unavailable.
		r = doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "unavailable" {
			t.Fatalf("read: %s %v", r, r.header)
		}
	})
	t.Run("leadership lost before apply", func(t *testing.T) {
		leader, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"from":"new leader"}`)
		})
		var applies atomic.Int32
		f := &fakeCluster{
			isLeader: always(true),
			leader:   leaderAt(leader.URL),
			applyFn: func(context.Context, fsm.Command) (fsm.Result, error) {
				applies.Add(1)
				return fsm.Result{}, cluster.ErrNotLeader
			},
		}
		hs, _ := newFakeServer(t, f)
		r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"moved"}`)
		if r.code != http.StatusCreated || string(r.body) != `{"from":"new leader"}` {
			t.Fatalf("got %s", r)
		}
		if reqs := got(); applies.Load() != 1 || len(reqs) != 1 || reqs[0].body != `{"name":"moved"}` || reqs[0].header.Get(hopsHeader) != "1" {
			t.Fatalf("applies %d, leader got %+v", applies.Load(), reqs)
		}
	})
}

func TestServer_forwardReads(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "on-leader")

	t.Run("default read from a stale follower goes to the leader", func(t *testing.T) {
		// The follower's own state is empty: an answer about on-leader can
		// only come from the leader.
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL), lastContact: 6 * time.Second})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/on-leader", nil)
		if r.code != http.StatusOK || r.header.Get(client.HeaderLastContact) != "0" {
			t.Fatalf("got %s %v", r, r.header)
		}
		for _, q := range []string{"", "?consistency=default"} {
			if r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces"+q, nil); r.code != http.StatusOK || !strings.Contains(string(r.body), "on-leader") {
				t.Fatalf("list%s: %s", q, r)
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
	t.Run("default read without a leader waits, then 503", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{lastContact: time.Minute})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("linearizable read on a follower uses the leader's read index", func(t *testing.T) {
		// The follower shares the leader's FSM, like a caught-up replica.
		f := &fakeCluster{fsm: leader.node.FSM(), leader: leaderAt(leader.URL), lastContact: time.Millisecond}
		hs, _ := newFakeServer(t, f)
		w := leader.do(t, http.MethodPost, base+"/workspaces", `{"name":"lin"}`)
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/lin?consistency=linearizable", nil)
		if r.code != http.StatusOK || r.index(t) < w.index(t) || r.header.Get(client.HeaderLastContact) != "1" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("linearizable read waits for the read index", func(t *testing.T) {
		fake, got := captureLeader(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"index":999999}`)
		})
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(fake.URL)})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces?consistency=linearizable", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "unavailable" {
			t.Fatalf("got %s %v", r, r.header)
		}
		if reqs := got(); len(reqs) != 1 || reqs[0].uri != readIndexPath || reqs[0].method != http.MethodGet || reqs[0].header.Get(hopsHeader) != "1" {
			t.Fatalf("leader got %+v", reqs)
		}
	})
	t.Run("linearizable read without a reachable leader", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(closedURL(t))})
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces?consistency=linearizable", nil)
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "no_leader" {
			t.Fatalf("got %s %v", r, r.header)
		}
	})
	t.Run("read index on a follower is forwarded", func(t *testing.T) {
		hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL)})
		before := leader.node.FSM().State().Index()
		r := doURL(t, hs.Client(), http.MethodGet, hs.URL+readIndexPath, nil)
		var ri struct {
			Index uint64 `json:"index"`
		}
		r.decode(t, &ri)
		if r.code != http.StatusOK || ri.Index < before {
			t.Fatalf("got %s, want 200 with an index >= %d", r, before)
		}
	})
}

// TestServer_forwardPooled checks that forwarded requests reuse connections to
// the leader instead of dialing each time.
func TestServer_forwardPooled(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	leader := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
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
		if r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`); r.code != http.StatusCreated {
			t.Fatal(r)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections to the leader for 20 sequential writes, want 1", n)
	}
}
