package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsd-dev/wsd/fsm"
)

var testGossipKey = []byte("0123456789abcdef0123456789abcdef")

func signedRequest(t *testing.T, key []byte, node, path string, body []byte, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	signPeer(r.Header, key, http.MethodPost, path, node, body, at)
	return r
}

func TestPeerAuth_verify(t *testing.T) {
	key := peerKey(testGossipKey)
	now := time.Now()
	body := []byte(`{"x":1}`)
	v := &peerVerifier{key: key}
	if id, err := v.verify(signedRequest(t, key, "n2", peerApplyPath, body, now), body, now); err != nil || id != "n2" {
		t.Fatalf("valid request: %q %v", id, err)
	}
	for _, tc := range []struct {
		name string
		req  *http.Request
		body []byte
		want error
	}{
		{"replay", signedRequest(t, key, "n2", peerApplyPath, body, now), body, errPeerReplay},
		{"other key", signedRequest(t, peerKey([]byte("another secret of 32 bytes......")), "n2", peerApplyPath, body, now.Add(time.Millisecond)), body, errPeerBadMAC},
		{"gossip key used directly", signedRequest(t, testGossipKey, "n2", peerApplyPath, body, now.Add(2*time.Millisecond)), body, errPeerBadMAC},
		{"body changed", signedRequest(t, key, "n2", peerApplyPath, body, now.Add(3*time.Millisecond)), []byte(`{"x":2}`), errPeerBadMAC},
		{"too old", signedRequest(t, key, "n2", peerApplyPath, body, now.Add(-maxPeerSkew-time.Second)), body, errPeerSkew},
		{"from the future", signedRequest(t, key, "n2", peerApplyPath, body, now.Add(maxPeerSkew+time.Second)), body, errPeerSkew},
		{"unsigned", signedRequest(t, nil, "n2", peerApplyPath, body, now), body, errPeerUnsigned},
	} {
		if _, err := v.verify(tc.req, tc.body, now); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another sender id or path under the same MAC does not verify.
	r := signedRequest(t, key, "n2", peerApplyPath, body, now.Add(4*time.Millisecond))
	r.Header.Set(headerPeerNode, "n3")
	if _, err := v.verify(r, body, now); !errors.Is(err, errPeerBadMAC) {
		t.Errorf("changed sender: %v", err)
	}
	r = signedRequest(t, key, "n2", peerLeavePath, body, now.Add(5*time.Millisecond))
	r.URL.Path = peerApplyPath
	if _, err := v.verify(r, body, now); !errors.Is(err, errPeerBadMAC) {
		t.Errorf("changed path: %v", err)
	}

	// Without a key: refused unless the cluster runs without
	// authentication.
	strict := &peerVerifier{}
	if _, err := strict.verify(signedRequest(t, nil, "n2", peerApplyPath, body, now), body, now); !errors.Is(err, errPeerNoKey) {
		t.Errorf("no key, strict: %v", err)
	}
	open := &peerVerifier{insecure: true}
	if id, err := open.verify(signedRequest(t, nil, "n2", peerApplyPath, body, now), body, now); err != nil || id != "n2" {
		t.Errorf("no key, insecure: %q %v", id, err)
	}
}

// swapHandler serves the handler set after the server started (a node's
// HTTP address must be known before the node is opened).
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

// startPeerServers opens count nodes that bootstrap together, each with
// its peer service on an HTTP server, sharing key as cluster secret.
func startPeerServers(t *testing.T, count int, key []byte) ([]*Node, []*httptest.Server) {
	t.Helper()
	gossipAddrs := make([]string, count)
	for i := range gossipAddrs {
		gossipAddrs[i] = freeAddr(t)
	}
	nodes := make([]*Node, count)
	servers := make([]*httptest.Server, count)
	for i := range nodes {
		sw := &swapHandler{}
		hs := httptest.NewServer(sw)
		servers[i] = hs
		cfg := DefaultConfig(t.TempDir())
		cfg.NodeID = fmt.Sprintf("n%d", i+1)
		cfg.RaftAddr = freeAddr(t)
		cfg.HTTPAdvertise = hs.URL
		cfg.GossipAddr = gossipAddrs[i]
		cfg.GossipKey = key
		cfg.GossipLocal = true
		cfg.Join = []string{gossipAddrs[(i+1)%count]}
		cfg.BootstrapExpect = count
		cfg.LeaderWait = 3 * time.Second
		n, err := Open(cfg, fsm.New(fsm.Options{}))
		if err != nil {
			t.Fatalf("Open %s: %v", cfg.NodeID, err)
		}
		h := n.PeerHandler()
		sw.h.Store(&h)
		nodes[i] = n
	}
	t.Cleanup(func() {
		for i, n := range nodes {
			n.Close()
			servers[i].Close()
		}
	})
	return nodes, servers
}

func newCreate(name string) *fsm.CreateWorkspace {
	return &fsm.CreateWorkspace{ID: uuid.NewString(), Name: name, At: time.Now().UTC().Truncate(time.Microsecond)}
}

// A follower's Apply goes to the leader over the peer service and comes
// back with the leader's result, domain errors typed; read indexes too.
func TestPeer_applyAndReadIndexThroughFollower(t *testing.T) {
	nodes, _ := startPeerServers(t, 3, testGossipKey)
	leader := waitLeader(t, nodes)
	var follower *Node
	for _, n := range nodes {
		if n != leader {
			follower = n
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := follower.Apply(ctx, newCreate("via-peer"))
	if err != nil || res.Workspace == nil || res.Workspace.Name != "via-peer" || res.Index == 0 {
		t.Fatalf("apply through %s: %+v %v", follower.ID(), res, err)
	}
	if _, ok := leader.FSM().State().Workspace("via-peer"); !ok {
		t.Fatal("not applied on the leader")
	}
	_, err = follower.Apply(ctx, newCreate("via-peer"))
	var fe *fsm.Error
	if !errors.As(err, &fe) || fe.Code != fsm.CodeAlreadyExists {
		t.Fatalf("second create: %v, want a typed already_exists", err)
	}
	idx, err := follower.LinearizableIndex(ctx)
	if err != nil || idx < res.Index {
		t.Fatalf("read index through %s: %d %v, want >= %d", follower.ID(), idx, err, res.Index)
	}

	// A deadline that has passed: nothing is sent or proposed.
	before := leader.FSM().State().Index()
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	if _, err := follower.Apply(past, newCreate("too-late")); !errors.Is(err, ErrDeadline) {
		t.Fatalf("apply after the deadline: %v, want ErrDeadline", err)
	}
	if _, ok := leader.FSM().State().Workspace("too-late"); ok || leader.FSM().State().Index() != before {
		t.Fatal("a write was applied after its deadline")
	}
}

// The leader refuses an apply that arrives after its deadline, and calls
// from outside the cluster: wrong key, or a sender that is not a member.
func TestPeer_leaderRefuses(t *testing.T) {
	nodes, servers := startPeerServers(t, 3, testGossipKey)
	leader := waitLeader(t, nodes)
	var base string
	for i, n := range nodes {
		if n == leader {
			base = servers[i].URL
		}
	}
	data, err := fsm.Encode(newCreate("refused"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(key []byte, sender string, in peerApplyRequest) (int, peerFailure) {
		t.Helper()
		body, _ := json.Marshal(in)
		req, _ := http.NewRequest(http.MethodPost, base+peerApplyPath, bytes.NewReader(body))
		signPeer(req.Header, key, http.MethodPost, peerApplyPath, sender, body, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var f peerFailure
		_ = json.NewDecoder(resp.Body).Decode(&f)
		return resp.StatusCode, f
	}
	live := peerApplyRequest{Command: data, DeadlineNS: time.Now().Add(5 * time.Second).UnixNano(), TimeoutNS: int64(5 * time.Second)}
	key := peerKey(testGossipKey)
	if code, f := post(peerKey([]byte("not the cluster secret, 32 bytes")), "n2", live); code != http.StatusForbidden || f.Code != peerCodeForbidden {
		t.Errorf("wrong key: %d %+v", code, f)
	}
	if code, f := post(key, "rogue", live); code != http.StatusForbidden || f.Code != peerCodeForbidden {
		t.Errorf("non-member: %d %+v", code, f)
	}
	if code, f := post(nil, "n2", live); code != http.StatusForbidden {
		t.Errorf("unsigned: %d %+v", code, f)
	}
	late := peerApplyRequest{Command: data, DeadlineNS: time.Now().Add(-time.Millisecond).UnixNano(), TimeoutNS: int64(5 * time.Second)}
	if code, f := post(key, "n2", late); code != http.StatusServiceUnavailable || f.Code != peerCodeDeadline {
		t.Errorf("late: %d %+v", code, f)
	}
	// The relative timeout bounds the deadline too (a leader whose clock
	// is behind).
	short := peerApplyRequest{Command: data, DeadlineNS: time.Now().Add(time.Hour).UnixNano(), TimeoutNS: -1}
	if code, f := post(key, "n2", short); code != http.StatusServiceUnavailable || f.Code != peerCodeDeadline {
		t.Errorf("no time left: %d %+v", code, f)
	}
	if _, ok := leader.FSM().State().Workspace("refused"); ok {
		t.Fatal("a refused apply was applied")
	}
	if code, f := post(key, "n2", live); code != http.StatusOK {
		t.Fatalf("a valid apply: %d %+v", code, f)
	}
	if _, ok := leader.FSM().State().Workspace("refused"); !ok {
		t.Fatal("a valid apply was not applied")
	}
}

// Leave hands the removal to the leader over the peer service; asking
// again once removed is answered as done.
func TestPeer_leaveHandOff(t *testing.T) {
	nodes, servers := startPeerServers(t, 3, testGossipKey)
	leader := waitLeader(t, nodes)
	var follower *Node
	var leaderURL string
	for i, n := range nodes {
		if n == leader {
			leaderURL = servers[i].URL
		} else if follower == nil {
			follower = n
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := follower.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	select {
	case <-follower.Left():
	default:
		t.Fatal("Left not closed after Leave")
	}
	ms, err := leader.Members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == follower.ID() {
			t.Fatalf("%s still a member after leaving: %+v", follower.ID(), ms)
		}
	}
	if err := follower.peer.leave(ctx, leaderURL); err != nil {
		t.Fatalf("leave again: %v", err)
	}
	// A removed server is refused everything else.
	if _, err := follower.peer.readIndex(ctx, leaderURL); !notApplied(err) {
		t.Fatalf("read index for a removed server: %v, want a refusal", err)
	}
}
