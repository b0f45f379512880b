package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// Deadlines under partitions (issue 12, findings 1 and 2): a request is
// answered within its deadline, and a write whose client gave up is never
// applied after a newer acknowledged write.

// deadlineMargin is how much later than its deadline an answer may come
// (scheduling on a loaded machine, the answer's trip back).
const deadlineMargin = 1500 * time.Millisecond

// timedAnswer is one write's answer and how long it took.
type timedAnswer struct {
	status  int
	code    string
	index   uint64
	err     error
	took    time.Duration
	gaveUp  time.Time // when the client had its answer or gave up
	node    string
	payload string
}

func (a timedAnswer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s via %s: %v after %v", a.payload, a.node, a.err, a.took.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s via %s: %d %s (index %d) after %v", a.payload, a.node, a.status, a.code, a.index, a.took.Round(time.Millisecond))
}

// updateDesc sets workspace ws's description through n, sending
// X-Wsd-Timeout deadline and giving up after clientTimeout.
func updateDesc(n *node, ws, desc string, deadline, clientTimeout time.Duration) timedAnswer {
	body, _ := json.Marshal(map[string]any{"description": desc})
	req, _ := http.NewRequest(http.MethodPut, n.url()+base+"/workspaces/"+ws, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(client.HeaderTimeout, deadline.String())
	hc := &http.Client{Timeout: clientTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	resp, err := hc.Do(req)
	a := timedAnswer{node: n.id, payload: desc}
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		a.status, a.code, err = resp.StatusCode, resp.Header.Get(client.HeaderErrorCode), rerr
		a.index, _ = strconv.ParseUint(resp.Header.Get(client.HeaderIndex), 10, 64)
		if a.status != http.StatusOK && a.code == "" {
			a.code = strings.TrimSpace(string(b))
		}
	}
	a.err, a.gaveUp = err, time.Now()
	a.took = a.gaveUp.Sub(start)
	return a
}

// leaderAmong waits until the given nodes agree on a leader that is one
// of them, and returns it.
func (c *testCluster) leaderAmong(nodes ...*node) *node {
	c.t.Helper()
	var found *node
	eventually(c.t, 30*time.Second, "a leader among the connected nodes", func() error {
		found = nil
		var agreed string
		for _, n := range nodes {
			s, err := c.status(n)
			if err != nil {
				return err
			}
			if s.Leader == nil {
				return fmt.Errorf("%s knows no leader", n.id)
			}
			if agreed != "" && s.Leader.ID != agreed {
				return fmt.Errorf("%s says leader %s, others %s", n.id, s.Leader.ID, agreed)
			}
			agreed = s.Leader.ID
		}
		for _, n := range nodes {
			if n.id == agreed {
				found = n
			}
		}
		if found == nil {
			return fmt.Errorf("leader %s is not among the connected nodes", agreed)
		}
		return nil
	})
	return found
}

// description reads ws's description with a linearizable read through n.
func (c *testCluster) description(n *node, ws string) (string, error) {
	var w wsBody
	if err := c.getJSON(n.url()+base+"/workspaces/"+ws+"?consistency=linearizable", &w); err != nil {
		return "", err
	}
	if w.Description == nil {
		return "", nil
	}
	return *w.Description, nil
}

// TestDeadline_healThenCut: the old leader is cut off while writes go
// through the followers and are abandoned by their clients; the survivors
// elect a leader and acknowledge a newer write; the old leader is healed
// and, once caught up, the new leader is cut. Every write must be
// answered within its deadline (plus deadlineMargin), and no abandoned
// write may take effect after the newer acknowledged one.
func TestDeadline_healThenCut(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3, netns: true})
	old := c.leader()
	fs := c.followers(old)
	const ws = "deadlines"
	if r, err := c.do(http.MethodPost, old.url()+base+"/workspaces", map[string]any{"name": ws, "description": "v1"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create: %v %v", r, err)
	}
	// Writes through every follower, so that each holds pooled
	// connections to the leader when the cut comes.
	for i := range 4 {
		for _, f := range fs {
			if a := updateDesc(f, ws, fmt.Sprintf("warm-%s-%d", f.id, i), 5*time.Second, 10*time.Second); a.status != http.StatusOK {
				t.Fatalf("warm-up write: %v", a)
			}
		}
	}
	c.sameDigest(20 * time.Second)

	// Cut the leader off and write through the followers right away,
	// while they still forward to it. The clients give up after 3s.
	if err := c.net.isolate(c, old); err != nil {
		t.Fatal(err)
	}
	const deadline = 3 * time.Second
	var (
		mu        sync.Mutex
		abandoned []timedAnswer
		wg        sync.WaitGroup
	)
	for _, f := range fs {
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := updateDesc(f, ws, fmt.Sprintf("v2-%s-%d", f.id, i), deadline, deadline+deadlineMargin)
				mu.Lock()
				abandoned = append(abandoned, a)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	lastGiveUp := time.Time{}
	for _, a := range abandoned {
		t.Logf("during the cut: %v", a)
		if a.status == http.StatusOK {
			continue // acknowledged by a new leader: not abandoned
		}
		if a.gaveUp.After(lastGiveUp) {
			lastGiveUp = a.gaveUp
		}
		if a.err != nil {
			t.Errorf("finding 1: no answer within the %v deadline + %v: %v", deadline, deadlineMargin, a)
		}
	}

	// The followers elect a new leader, which acknowledges v3, started
	// after every abandoned write was given up.
	leader := c.leaderAmong(fs...)
	if time.Now().Before(lastGiveUp) {
		t.Fatal("clock went backwards")
	}
	v3 := updateDesc(leader, ws, "v3", 5*time.Second, 10*time.Second)
	if v3.status != http.StatusOK {
		t.Fatalf("v3 through the new leader %s: %v", leader.id, v3)
	}
	t.Logf("acknowledged after the cut: %v", v3)

	// Heal; once the old leader has caught up, cut the new leader.
	if err := c.net.heal(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, old.id+" caught up", func() error {
		s, err := c.status(old)
		if err != nil {
			return err
		}
		if s.FSMIndex < v3.index {
			return fmt.Errorf("%s at %d, v3 at %d", old.id, s.FSMIndex, v3.index)
		}
		return nil
	})
	if d, err := c.description(old, ws); err != nil || d != "v3" {
		t.Errorf("finding 2: after the heal the description is %q (%v), want the acknowledged v3", d, err)
	}
	if err := c.net.isolate(c, leader); err != nil {
		t.Fatal(err)
	}
	var rest []*node
	for _, n := range c.nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	// Right away, and again once a leader is known, a write through each
	// remaining node is answered within its deadline.
	var answers []timedAnswer
	for _, n := range rest {
		answers = append(answers, updateDesc(n, ws, "v4-early-"+n.id, deadline, 20*time.Second))
	}
	now := c.leaderAmong(rest...)
	t.Logf("after cutting %s, %s leads", leader.id, now.id)
	for _, n := range rest {
		answers = append(answers, updateDesc(n, ws, "v4-"+n.id, deadline, 20*time.Second))
	}
	for _, a := range answers {
		t.Logf("after the second cut: %v", a)
		if a.err != nil || a.took > deadline+deadlineMargin {
			t.Errorf("finding 1: a write waited %v, past its %v deadline + %v: %v", a.took.Round(time.Millisecond), deadline, deadlineMargin, a)
		}
	}
	if err := c.net.heal(); err != nil {
		t.Fatal(err)
	}
	c.leader()
	c.sameDigest(30 * time.Second)
	// Never an abandoned write after v3: the description is v3 or one of
	// the later writes.
	d, err := c.description(c.leader(), ws)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(d, "v2-") {
		t.Errorf("finding 2: the abandoned write %q took effect after the acknowledged v3 (index %d)", d, v3.index)
	}
	t.Logf("final description %q", d)
}
