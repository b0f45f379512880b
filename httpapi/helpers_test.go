package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/wsd-dev/wsd/internal/testserver"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

const base = client.BasePath

// testServer is the API of a real single-node cluster behind a real HTTP
// server.
type testServer struct {
	URL  string
	node *cluster.Node
	api  *Server
	http *http.Client
}

// freeAddr returns a free loopback address (testserver.FreeAddr).
func freeAddr(t testing.TB) string {
	t.Helper()
	return testserver.FreeAddr(t)
}

// swapHandler serves whatever handler was last stored, 503 before that.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

// newTestServer starts a single-node cluster and its API; opts adjust the
// API config. Everything is closed when the test ends.
func newTestServer(t testing.TB, opts ...func(*Config)) *testServer {
	t.Helper()
	sw := &swapHandler{}
	hs := httptest.NewServer(sw)
	f := fsm.New(fsm.Options{})
	node, err := cluster.Open(cluster.Config{
		NodeID:            "n1",
		DataDir:           t.TempDir(),
		RaftAddr:          freeAddr(t),
		HTTPAdvertise:     hs.URL,
		BootstrapExpect:   1,
		ApplyTimeout:      5 * time.Second,
		SnapshotThreshold: 8192,
		SnapshotInterval:  time.Minute,
	}, f)
	if err != nil {
		hs.Close()
		t.Fatalf("cluster.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := node.Close(); err != nil {
			t.Errorf("node.Close: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !node.Ready() {
		if time.Now().After(deadline) {
			hs.Close()
			t.Fatalf("node not ready: %+v", node.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg := DefaultConfig()
	cfg.Cluster = node
	for _, o := range opts {
		o(&cfg)
	}
	api, err := New(cfg)
	if err != nil {
		hs.Close()
		t.Fatalf("New: %v", err)
	}
	sw.set(api.Handler())
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		hs.Close()
		_ = api.Close()
		c.CloseIdleConnections()
	})
	return &testServer{URL: hs.URL, node: node, api: api, http: c}
}

// response is a complete HTTP answer.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// do sends a request. body is sent as is when it is a string or []byte
// and as JSON otherwise; hdr are header name/value pairs.
func (ts *testServer) do(t testing.TB, method, path string, body any, hdr ...string) response {
	t.Helper()
	return doURL(t, ts.http, method, ts.URL+path, body, hdr...)
}

func doURL(t testing.TB, c *http.Client, method, url string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) String() string {
	return strconv.Itoa(r.code) + " " + string(r.body)
}

// index is the X-Wsd-Index of the answer.
func (r response) index(t testing.TB) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(r.header.Get(client.HeaderIndex), 10, 64)
	if err != nil {
		t.Fatalf("X-Wsd-Index %q: %v", r.header.Get(client.HeaderIndex), err)
	}
	return n
}

// decode unmarshals the body into v.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r, err)
	}
}

// want checks the status and that the body equals wantJSON as JSON.
func (r response) want(t testing.TB, code int, wantJSON string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status = %d, want %d (body %s)", r.code, code, r.body)
	}
	if wantJSON == "" {
		return
	}
	var got, want any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatalf("bad want JSON %q: %v", wantJSON, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body = %s\nwant   %s", bytes.TrimSpace(r.body), wantJSON)
	}
}

// jsonEqual checks that got and wantJSON are the same JSON value.
func jsonEqual(t testing.TB, got []byte, wantJSON string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(wantJSON), &w); err != nil {
		t.Fatalf("bad want JSON %q: %v", wantJSON, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", bytes.TrimSpace(got), wantJSON)
	}
}

// wantError checks an error answer: status, X-Wsd-Error-Code and body.
func (r response) wantError(t testing.TB, code int, errCode, wantJSON string) {
	t.Helper()
	r.want(t, code, wantJSON)
	if got := r.header.Get(client.HeaderErrorCode); got != errCode {
		t.Fatalf("%s = %q, want %q", client.HeaderErrorCode, got, errCode)
	}
}

// wsJSON is a workspace as the tests read it.
type wsJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"created_at"`
	CreatedBy   string  `json:"created_by"`
	UpdatedAt   string  `json:"updated_at"`
	UpdatedBy   string  `json:"updated_by"`
}

type pageJSON struct {
	Data       []wsJSON          `json:"data"`
	Pagination client.Pagination `json:"pagination"`
	Sort       string            `json:"sort"`
	Filter     json.RawMessage   `json:"filter"`
}

func (ts *testServer) create(t testing.TB, name string) wsJSON {
	t.Helper()
	r := ts.do(t, http.MethodPost, base+"/workspaces", map[string]any{"name": name})
	if r.code != http.StatusCreated {
		t.Fatalf("create %s: %s", name, r)
	}
	var w wsJSON
	r.decode(t, &w)
	return w
}

func (ts *testServer) acquire(t testing.TB, ws, typ, name string) {
	t.Helper()
	r := ts.do(t, http.MethodPut, base+"/workspaces/"+ws+"/entity-refs/"+typ+"/"+name, nil)
	if r.code != http.StatusCreated {
		t.Fatalf("acquire %s/%s in %s: %s", typ, name, ws, r)
	}
}

func ptr[T any](v T) *T { return &v }

// fakeCluster is a hand-written Cluster for the paths a single real node
// cannot take (following, losing leadership). Nil funcs give a healthy
// follower view.
type fakeCluster struct {
	fsm         *fsm.FSM
	isLeader    func() bool
	leader      func() (cluster.Peer, bool)
	lastContact time.Duration
	applyFn     func(ctx context.Context, c fsm.Command) (fsm.Result, error)
	// behind makes a node lag the leader's commit index by more than
	// cluster.MaxApplyLag, however fresh its heartbeats.
	behind bool
	// readIndexFn answers LinearizableIndex on a follower (nil: no
	// leader can be reached).
	readIndexFn func(ctx context.Context) (uint64, error)
	admission   error
}

// followerOf is a fake follower of the real single-node cluster behind
// ts, caught up with it (it shares its FSM): its writes and read indexes
// go to ts's node, as the peer service would carry them.
func followerOf(ts *testServer, lastContact time.Duration) *fakeCluster {
	return &fakeCluster{
		fsm:         ts.node.FSM(),
		leader:      leaderAt(ts.URL),
		lastContact: lastContact,
		applyFn:     ts.node.Apply,
		readIndexFn: ts.node.ReadIndex,
	}
}

func (f *fakeCluster) Apply(ctx context.Context, c fsm.Command) (fsm.Result, error) {
	if f.applyFn != nil {
		return f.applyFn(ctx, c)
	}
	return fsm.Result{}, cluster.ErrNoLeader
}

func (f *fakeCluster) IsLeader() bool { return f.isLeader != nil && f.isLeader() }

func (f *fakeCluster) Leader() (cluster.Peer, bool) {
	if f.leader == nil {
		return cluster.Peer{}, false
	}
	return f.leader()
}

func (f *fakeCluster) LastContact() time.Duration { return f.lastContact }

func (f *fakeCluster) FreshEnough(maxStale time.Duration) bool {
	return !f.behind && (f.IsLeader() || f.lastContact <= maxStale)
}

func (f *fakeCluster) ReadIndex(context.Context) (uint64, error) {
	if !f.IsLeader() {
		return 0, cluster.ErrNotLeader
	}
	return f.fsm.State().Index(), nil
}

func (f *fakeCluster) LinearizableIndex(ctx context.Context) (uint64, error) {
	if f.IsLeader() {
		return f.ReadIndex(ctx)
	}
	if f.readIndexFn != nil {
		return f.readIndexFn(ctx)
	}
	return 0, cluster.ErrNoLeader
}

func (f *fakeCluster) WaitApplied(ctx context.Context, idx uint64) (*fsm.State, error) {
	return f.fsm.WaitForIndex(ctx, idx)
}

func (f *fakeCluster) Ready() bool { return true }

func (f *fakeCluster) Admission() error { return f.admission }
func (f *fakeCluster) StatusWith(cluster.StatusOptions) cluster.Status {
	return cluster.Status{ID: "fake"}
}
func (f *fakeCluster) Members() ([]cluster.Member, error) { return nil, nil }
func (f *fakeCluster) FSM() *fsm.FSM                      { return f.fsm }

// The admin calls are leader-only (or, for Leave, not exercised with a
// fake): the fake refuses them as a follower would.
func (f *fakeCluster) Restore(context.Context, io.Reader, cluster.RestoreOptions) (cluster.RestoreResult, error) {
	return cluster.RestoreResult{}, cluster.ErrNotLeader
}
func (f *fakeCluster) Leave(context.Context) error                { return cluster.ErrNotLeader }
func (f *fakeCluster) RemoveServer(context.Context, string) error { return cluster.ErrNotLeader }
func (f *fakeCluster) TransferLeadership(context.Context) error   { return cluster.ErrNotLeader }

// leaderAt is a Leader func naming a leader at base URL url.
func leaderAt(url string) func() (cluster.Peer, bool) {
	return func() (cluster.Peer, bool) { return cluster.Peer{ID: "leader", HTTPAddr: url}, true }
}

func always(v bool) func() bool { return func() bool { return v } }

// newFakeServer serves the API of a fake node on a real HTTP server, with
// short waits (opts may change them).
func newFakeServer(t testing.TB, f *fakeCluster, opts ...func(*Config)) (*httptest.Server, *Server) {
	t.Helper()
	if f.fsm == nil {
		f.fsm = fsm.New(fsm.Options{})
	}
	cfg := DefaultConfig()
	cfg.Cluster = f
	cfg.LeaderWait = 200 * time.Millisecond
	cfg.MinIndexWait = 200 * time.Millisecond
	for _, o := range opts {
		o(&cfg)
	}
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = api.Close()
	})
	return hs, api
}
