package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

type statusJSON struct {
	ID       string  `json:"id"`
	FSMIndex uint64  `json:"fsm_index"`
	Digest   *string `json:"digest"`
}

func (ts *testServer) digest(t *testing.T) string {
	t.Helper()
	var st statusJSON
	r := ts.do(t, http.MethodGet, clusterStatusPath, nil)
	if r.code != http.StatusOK {
		t.Fatalf("status: %s", r)
	}
	r.decode(t, &st)
	if st.Digest == nil || *st.Digest == "" {
		t.Fatalf("status without digest: %s", r)
	}
	return *st.Digest
}

// saveSnapshot fetches GET /v1/cluster/snapshot from url and checks it is a
// valid snapshot.
func saveSnapshot(t *testing.T, c *http.Client, url string) ([]byte, *fsm.State) {
	t.Helper()
	r := doURL(t, c, http.MethodGet, url+clusterSnapshotPath, nil)
	if r.code != http.StatusOK {
		t.Fatalf("snapshot: %s", r)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream", ct)
	}
	st, err := fsm.ReadSnapshot(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("the snapshot served does not read back: %v", err)
	}
	if got, want := r.header.Get("Content-Disposition"), `attachment; filename="wsd-`+strconv.FormatUint(st.Index(), 10)+`.snap"`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	if got := r.index(t); got != st.Index() {
		t.Errorf("X-Wsd-Index = %d, want the snapshot's index %d", got, st.Index())
	}
	return r.body, st
}

func TestServer_clusterStatus_digest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.digest(t)
	tests := []struct {
		query      string
		code       int
		wantDigest bool
	}{
		{"", http.StatusOK, true},
		{"?digest=true", http.StatusOK, true},
		{"?digest=false", http.StatusOK, false},
		{"?digest=0", http.StatusOK, false},
		{"?digest=maybe", http.StatusUnprocessableEntity, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := ts.do(t, http.MethodGet, clusterStatusPath+tt.query, nil)
			if r.code != tt.code {
				t.Fatalf("status = %s, want %d", r, tt.code)
			}
			if r.code != http.StatusOK {
				r.wantError(t, tt.code, codeInvalid, `{"detail":[{"loc":["query","digest"],"msg":"Input should be a valid boolean, unable to interpret input","type":"bool_parsing","input":"maybe"}]}`)
				return
			}
			var st statusJSON
			r.decode(t, &st)
			if got := st.Digest != nil; got != tt.wantDigest {
				t.Fatalf("digest present = %v, want %v (%s)", got, tt.wantDigest, r)
			}
		})
	}
}

func TestServer_snapshotRestore_roundTrip(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.acquire(t, "ml-team", "models", "llama")
	saved := ts.digest(t)
	snap, st := saveSnapshot(t, ts.http, ts.URL)
	if st.Digest() != saved {
		t.Fatalf("snapshot digest %s, want the cluster's %s", st.Digest(), saved)
	}

	ts.create(t, "later")
	if ts.digest(t) == saved {
		t.Fatal("digest unchanged by a write")
	}
	r := ts.do(t, http.MethodPost, clusterRestorePath, snap, octet...)
	if r.code != http.StatusOK {
		t.Fatalf("restore: %s", r)
	}
	var out restoreBody
	r.decode(t, &out)
	if out.Digest != saved {
		t.Errorf("restore answered digest %s, want %s", out.Digest, saved)
	}
	if got := ts.digest(t); got != saved {
		t.Fatalf("digest after restore = %s, want the saved %s", got, saved)
	}
	ts.do(t, http.MethodGet, base+"/workspaces/later", nil).wantError(t, http.StatusNotFound, codeNotFound, `{"detail":"Workspace 'later' not found"}`)
	// The cluster keeps working on the restored state.
	ts.create(t, "after-restore")
}

// foreignSnapshots derives refused variants of a valid snapshot.
func foreignSnapshots(snap []byte) map[string][]byte {
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(snap)) }
	return map[string][]byte{
		"flipped byte":     mod(func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }),
		"wrong magic":      mod(func(b []byte) []byte { copy(b, "NOTSNAP\n"); return b }),
		"format version 3": mod(func(b []byte) []byte { b[8], b[9] = 0, 3; return b }),
		"truncated":        snap[:len(snap)-10],
		"trailing data":    append(bytes.Clone(snap), 0),
		"empty":            {},
		"json":             []byte(`{"workspaces":[]}`),
	}
}

func TestServer_restore_refused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	snap, _ := saveSnapshot(t, ts.http, ts.URL)
	ts.create(t, "second")
	before := ts.digest(t)
	for name, b := range foreignSnapshots(snap) {
		t.Run(name, func(t *testing.T) {
			r := ts.do(t, http.MethodPost, clusterRestorePath, b, octet...)
			if r.code != http.StatusUnprocessableEntity || r.header.Get(client.HeaderErrorCode) != codeInvalid {
				t.Fatalf("restore = %s (%s), want 422 invalid", r, r.header.Get(client.HeaderErrorCode))
			}
			var e client.ValidationErrorBody
			r.decode(t, &e)
			if len(e.Detail) != 1 || e.Detail[0].Type != "snapshot_invalid" || e.Detail[0].Loc[0] != "body" {
				t.Fatalf("detail = %+v, want one snapshot_invalid issue on the body", e.Detail)
			}
			if got := ts.digest(t); got != before {
				t.Fatalf("digest changed by a refused restore: %s, want %s", got, before)
			}
		})
	}
}

// A follower streams snapshots from the leader and streams restores to it,
// and counts what it forwarded.
func TestServer_snapshotRestore_throughFollower(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "ml-team")
	reg := prometheus.NewRegistry()
	hs, _ := newFakeServer(t, &fakeCluster{fsm: leader.node.FSM(), leader: leaderAt(leader.URL), lastContact: time.Millisecond},
		func(c *Config) { c.Registerer = reg })
	c := &http.Client{}
	defer c.CloseIdleConnections()

	saved := leader.digest(t)
	snap, _ := saveSnapshot(t, c, hs.URL)
	leader.create(t, "later")

	r := doURL(t, c, http.MethodPost, hs.URL+clusterRestorePath, foreignSnapshots(snap)["flipped byte"], octet...)
	if r.code != http.StatusUnprocessableEntity {
		t.Fatalf("corrupt restore through a follower = %s, want 422", r)
	}
	r = doURL(t, c, http.MethodPost, hs.URL+clusterRestorePath, snap, octet...)
	if r.code != http.StatusOK {
		t.Fatalf("restore through a follower = %s", r)
	}
	if got := leader.digest(t); got != saved {
		t.Fatalf("digest after restore = %s, want %s", got, saved)
	}
	if got := gathered(t, reg, "wsd_http_forwarded_requests_total", "outcome", forwardOK); got != 3 {
		t.Errorf("forwarded ok = %v, want 3", got)
	}
	if got := gathered(t, reg, "wsd_http_forward_duration_seconds", "", ""); got != 3 {
		t.Errorf("forward duration count = %v, want 3", got)
	}
}

// gathered returns the value of a counter (or the sample count of a
// histogram) in reg, from the series whose label has value (any series
// when label is empty).
func gathered(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					match = true
				}
			}
			if !match {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s{%s=%q} in the registry", name, label, value)
	return 0
}

func TestServer_adminCalls(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	hs, _ := newFakeServer(t, &fakeCluster{leader: leaderAt(leader.URL), lastContact: time.Millisecond})
	noLeader, _ := newFakeServer(t, &fakeCluster{})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	id := leader.node.ID()
	tests := []struct {
		name, url, method, path string
		code                    int
		errCode, body           string
	}{
		{"leave only voter", leader.URL, http.MethodPost, clusterLeavePath, http.StatusConflict, codeConflict,
			`{"detail":"Server '` + id + `' is the only voter of its cluster and cannot leave it"}`},
		{"transfer only voter", leader.URL, http.MethodPost, clusterTransferPath, http.StatusConflict, codeConflict,
			`{"detail":"Server '` + id + `' is the only voter: there is no one to hand leadership to"}`},
		{"transfer through follower", hs.URL, http.MethodPost, clusterTransferPath, http.StatusConflict, codeConflict, ""},
		{"remove unknown", leader.URL, http.MethodDelete, clusterMembersPath + "/ghost", http.StatusNotFound, codeNotFound,
			`{"detail":"Server 'ghost' is not a member of the cluster"}`},
		{"remove unknown through follower", hs.URL, http.MethodDelete, clusterMembersPath + "/ghost", http.StatusNotFound, codeNotFound,
			`{"detail":"Server 'ghost' is not a member of the cluster"}`},
		{"remove the leader", leader.URL, http.MethodDelete, clusterMembersPath + "/" + id, http.StatusConflict, codeConflict, ""},
		{"snapshot without leader", noLeader.URL, http.MethodGet, clusterSnapshotPath, http.StatusServiceUnavailable, codeNoLeader, ""},
		{"restore without leader", noLeader.URL, http.MethodPost, clusterRestorePath, http.StatusServiceUnavailable, codeNoLeader, ""},
		{"wrong method", leader.URL, http.MethodGet, clusterLeavePath, http.StatusMethodNotAllowed, codeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doURL(t, c, tt.method, tt.url+tt.path, nil, octet...)
			r.wantError(t, tt.code, tt.errCode, tt.body)
		})
	}
	var ms client.ClusterMembers
	doURL(t, c, http.MethodGet, leader.URL+clusterMembersPath, nil).decode(t, &ms)
	if len(ms.Members) != 1 || ms.Members[0].ID != id || !ms.Members[0].Leader {
		t.Fatalf("members after refused admin calls = %+v, want only %s, leading", ms.Members, id)
	}
}

func TestForwardOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, forwardOK},
		{errProxied, forwardOK},
		{unreachableLeader("x"), forwardNoLeader},
		{errTooManyHops, forwardNoLeader},
		{outcomeUnknown("x"), forwardOutcomeUnknown},
		{unavailable("x"), forwardUnavailable},
		{cluster.ErrNoLeader, forwardNoLeader},
		{context.Canceled, forwardCanceled},
		{errPanic, forwardError},
	}
	for _, tt := range tests {
		if got := forwardOutcome(tt.err); got != tt.want {
			t.Errorf("forwardOutcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
