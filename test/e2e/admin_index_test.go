package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// raftSplitCluster starts size nodes in network namespaces where each node
// serves raft on a second address of its own (raftIP), apart from HTTP and
// gossip, so that a test can cut raft traffic between nodes while their
// HTTP calls to each other (forwarding, read index) still go through.
func raftSplitCluster(t *testing.T, size int) (*testCluster, map[*node]string) {
	t.Helper()
	wsd, _ := testserver.Build(t)
	c := &testCluster{t: t, wsd: wsd, http: &http.Client{Timeout: 10 * time.Second}}
	c.net = newNetnsNet(t)
	opts := clusterOpts{size: size, bootstrapExpect: size, deadServerTimeout: time.Minute}
	raftIP := map[*node]string{}
	for i := range size {
		n := c.newNode(fmt.Sprintf("n%d", i+1), opts)
		ip := c.net.subnet(100 + i)
		if err := ipCmd("-n", n.netns, "addr", "add", ip+"/24", "dev", "eth0"); err != nil {
			t.Fatal(err)
		}
		// Later flags win: no single advertise host, raft on its own
		// address (every address is advertised as it listens).
		n.extraArgs = append(n.extraArgs, "--advertise=", "--raft-addr="+ip+":"+strconv.Itoa(n.raftPort))
		raftIP[n] = ip
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(c.stopAll)
	for _, n := range c.nodes {
		c.start(n)
	}
	c.waitReady(c.nodes...)
	return c, raftIP
}

// cutRaft blackholes the raft traffic between n and every other node,
// both ways; heal restores it.
func (c *testCluster) cutRaft(n *node, raftIP map[*node]string) {
	c.t.Helper()
	for _, o := range c.nodes {
		if o == n {
			continue
		}
		for _, p := range [][2]string{{n.netns, raftIP[o]}, {o.netns, raftIP[n]}} {
			if err := ipCmd("-n", p[0], "route", "add", "blackhole", p[1]+"/32"); err != nil {
				c.t.Fatal(err)
			}
			c.net.mu.Lock()
			c.net.routes = append(c.net.routes, p)
			c.net.mu.Unlock()
		}
	}
}

// probe reads workspace probe from n with the given query and headers and
// returns the HTTP status and, on 200, its description.
func (c *testCluster) probe(n *node, query string, hdr ...string) (int, string, uint64) {
	r, err := c.do(http.MethodGet, n.url()+base+"/workspaces/probe"+query, nil, hdr...)
	if err != nil {
		return 0, err.Error(), 0
	}
	if r.code != http.StatusOK {
		return r.code, string(r.body), 0
	}
	var w struct {
		Description *string `json:"description"`
	}
	if err := json.Unmarshal(r.body, &w); err != nil || w.Description == nil {
		return 0, fmt.Sprintf("probe answer %s: %v", r.body, err), 0
	}
	return r.code, *w.Description, indexOf(r)
}

// Finding 4: after a restore, a follower that is cut off from raft (it
// still reaches the leader over HTTP) never answers a linearizable read,
// or a read at the index the restore answered (X-Wsd-Min-Index), with the
// state from before the restore: it waits and gives up with 503. Once
// raft reaches it again it serves the restored state at the same index as
// every other node.
func TestAdmin_restoreMovesIndex(t *testing.T) {
	c, raftIP := raftSplitCluster(t, 3)
	leader := c.leader()
	fs := c.followers(leader)
	cut := fs[0]
	mustDo(t, c, http.MethodPost, leader.url()+base+"/workspaces", map[string]any{"name": "probe", "description": "backup"}, http.StatusCreated)
	r := mustDo(t, c, http.MethodGet, leader.url()+"/v1/cluster/snapshot", nil, http.StatusOK)
	backup := r.body
	mustDo(t, c, http.MethodPut, leader.url()+base+"/workspaces/probe", map[string]any{"description": "pre-restore"}, http.StatusOK)
	c.sameDigest(15 * time.Second)
	if code, d, _ := c.probe(cut, "?consistency=stale"); code != http.StatusOK || d != "pre-restore" {
		t.Fatalf("%s before the cut: %d %q", cut.id, code, d)
	}

	c.cutRaft(cut, raftIP)
	req, _ := http.NewRequest(http.MethodPost, leader.url()+"/v1/cluster/restore", bytes.NewReader(backup))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Index uint64 `json:"index"`
	}
	derr := json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || derr != nil {
		t.Fatalf("restore: %d %v", resp.StatusCode, derr)
	}
	st, err := c.status(cut)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restore answered index %d; %s (cut off from raft) is at %d", out.Index, cut.id, st.FSMIndex)
	if out.Index <= st.FSMIndex {
		t.Errorf("the restore's index %d does not move past %d, the index of the pre-restore state %s holds", out.Index, st.FSMIndex, cut.id)
	}
	code, d, lidx := c.probe(leader, "?consistency=linearizable")
	if code != http.StatusOK || d != "backup" || lidx < out.Index {
		t.Fatalf("linearizable read on the leader: %d %q at %d, want the restored state at %d or later", code, d, lidx, out.Index)
	}
	// The three reads run at once: each may wait up to the node's
	// min-index wait (5s) before its 503.
	type read struct {
		name, query string
		hdr         []string
		code        int
		desc        string
		idx         uint64
	}
	reads := []*read{
		{name: "at the restore's index", hdr: []string{client.HeaderMinIndex, strconv.FormatUint(out.Index, 10)}},
		{name: "linearizable", query: "?consistency=linearizable"},
		{name: "stale at the leader's linearizable index", query: "?consistency=stale", hdr: []string{client.HeaderMinIndex, strconv.FormatUint(lidx, 10)}},
	}
	var wg sync.WaitGroup
	for _, k := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.code, k.desc, k.idx = c.probe(cut, k.query, k.hdr...)
		}()
	}
	wg.Wait()
	for _, k := range reads {
		t.Logf("%s read on %s: %d %.80q (index %d)", k.name, cut.id, k.code, k.desc, k.idx)
		switch {
		case k.code == http.StatusOK && k.desc == "pre-restore":
			t.Errorf("%s read on %s served the pre-restore state at index %d", k.name, cut.id, k.idx)
		case k.code == http.StatusOK && k.desc != "backup":
			t.Errorf("%s read on %s: %q", k.name, cut.id, k.desc)
		case k.code != http.StatusOK && k.code != http.StatusServiceUnavailable:
			t.Errorf("%s read on %s: %d %s, want 503 or the restored state", k.name, cut.id, k.code, k.desc)
		}
	}

	if err := c.net.heal(); err != nil {
		t.Fatal(err)
	}
	c.sameDigest(30 * time.Second)
	if code, d, idx := c.probe(cut, "", client.HeaderMinIndex, strconv.FormatUint(out.Index, 10)); code != http.StatusOK || d != "backup" || idx < out.Index {
		t.Fatalf("%s after healing: %d %q at %d", cut.id, code, d, idx)
	}
}
