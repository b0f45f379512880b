package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

func TestConfig_Validate(t *testing.T) {
	c := Config{}
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted a config without a cluster")
	}
	c = Config{Cluster: &fakeCluster{}, MaxStale: -time.Second}
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted a negative max stale")
	}
	c = Config{Cluster: &fakeCluster{}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.MaxStale != d.MaxStale || c.LeaderWait != d.LeaderWait || c.MinIndexWait != d.MinIndexWait || c.MaxBodyBytes != 64<<10 || c.Logger == nil {
		t.Fatalf("zero fields not defaulted: %+v", c)
	}
	if d.MaxStale != 5*time.Second || d.LeaderWait != 7*time.Second || d.MinIndexWait != 5*time.Second {
		t.Fatalf("defaults %+v", d)
	}
}

func TestServer_routing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
		want         string
	}{
		{http.MethodDelete, base + "/workspaces", 405, "GET, POST", `{"detail":"Method Not Allowed"}`},
		{http.MethodPatch, base + "/workspaces/x", 405, "GET, PUT, DELETE", `{"detail":"Method Not Allowed"}`},
		{http.MethodPost, base + "/workspaces/x/entity-refs/models/m", 405, "PUT, DELETE", `{"detail":"Method Not Allowed"}`},
		{http.MethodPost, base + "/workspaces/x/usage", 405, "GET", `{"detail":"Method Not Allowed"}`},
		{http.MethodPost, "/healthz", 405, "GET", `{"detail":"Method Not Allowed"}`},
		{http.MethodGet, "/nope", 404, "", `{"detail":"Not Found"}`},
		{http.MethodGet, base + "/workspaces/", 404, "", `{"detail":"Not Found"}`},
		{http.MethodGet, base + "/workspaces/x/entity-refs/models", 404, "", `{"detail":"Not Found"}`},
		{http.MethodGet, base + "/projects", 404, "", `{"detail":"Not Found"}`},
		{http.MethodPost, "/apis/entities/v1/workspaces", 404, "", `{"detail":"Not Found"}`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, nil)
			code := "not_found"
			if tc.code == 405 {
				code = "invalid"
			}
			r.wantError(t, tc.code, code, tc.want)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestServer_healthAndCluster(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.do(t, http.MethodGet, "/healthz", nil).want(t, http.StatusOK, `{"status":"ok"}`)
	ts.do(t, http.MethodGet, "/readyz", nil).want(t, http.StatusOK, `{"status":"ok"}`)

	r := ts.do(t, http.MethodGet, "/v1/cluster/status", nil)
	var st struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Leader *struct {
			ID       string `json:"id"`
			HTTPAddr string `json:"http_addr"`
		} `json:"leader"`
		FSMIndex uint64 `json:"fsm_index"`
		Ready    bool   `json:"ready"`
	}
	r.decode(t, &st)
	if r.code != 200 || st.ID != "n1" || st.State != "Leader" || st.Leader == nil || st.Leader.HTTPAddr != ts.URL || !st.Ready || st.FSMIndex == 0 {
		t.Fatalf("status: %s", r)
	}

	r = ts.do(t, http.MethodGet, "/v1/cluster/members", nil)
	r.want(t, http.StatusOK, "")
	var ms client.ClusterMembers
	r.decode(t, &ms)
	if len(ms.Members) != 1 || ms.Members[0].ID != "n1" || ms.Members[0].HTTPAddr != ts.URL || !ms.Members[0].Leader || ms.Members[0].Suffrage != "voter" {
		t.Fatalf("members: %s", r)
	}
	if !strings.Contains(string(r.body), `"http_addr":"`+ts.URL+`"`) {
		t.Fatalf("members body lacks http_addr: %s", r.body)
	}

	// The read index is the peer service's (cluster.PeerPathPrefix), not
	// the public API's.
	ts.do(t, http.MethodGet, "/v1/cluster/read-index", nil).wantError(t, http.StatusNotFound, "not_found", "")
}

func TestServer_readConsistency(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *Config) { c.MinIndexWait = 300 * time.Millisecond })
	w := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"fresh"}`)
	if w.code != http.StatusCreated {
		t.Fatal(w)
	}
	idx := w.index(t)

	for _, level := range []string{"default", "stale", "linearizable"} {
		t.Run(level, func(t *testing.T) {
			for _, path := range []string{"/workspaces/fresh", "/workspaces", "/workspaces/fresh/entity-refs", "/workspaces/fresh/usage"} {
				r := ts.do(t, http.MethodGet, base+path+"?consistency="+level, nil)
				if r.code != http.StatusOK || r.index(t) < idx {
					t.Fatalf("%s: %s at index %s, want 200 at >= %d", path, r, r.header.Get(client.HeaderIndex), idx)
				}
			}
		})
	}
	t.Run("min index already applied", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, base+"/workspaces/fresh", nil, client.HeaderMinIndex, strconv.FormatUint(idx, 10))
		if r.code != http.StatusOK || r.index(t) < idx {
			t.Fatalf("got %s", r)
		}
	})
	t.Run("min index in the future", func(t *testing.T) {
		start := time.Now()
		future := strconv.FormatUint(idx+1000, 10) // ahead, but within maxMinIndexAhead
		r := ts.do(t, http.MethodGet, base+"/workspaces/fresh", nil, client.HeaderMinIndex, future)
		if el := time.Since(start); el < 300*time.Millisecond || el > 5*time.Second {
			t.Fatalf("answered after %s, want after the 300ms wait", el)
		}
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "unavailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("got %s %v, want 503 unavailable with Retry-After", r, r.header)
		}
		var e client.ErrorBody
		r.decode(t, &e)
		if !strings.Contains(e.Detail, future) {
			t.Fatalf("detail %q does not name the index", e.Detail)
		}
	})
	t.Run("min index far in the future", func(t *testing.T) {
		// Beyond any index the cluster can have committed: refused at
		// once (issue 11: it held every such request for MinIndexWait).
		r := ts.do(t, http.MethodGet, base+"/workspaces/fresh", nil, client.HeaderMinIndex, "18446744073709551615")
		if r.code != http.StatusUnprocessableEntity || r.header.Get(client.HeaderErrorCode) != "invalid" {
			t.Fatalf("got %s, want 422 invalid", r)
		}
	})
	t.Run("min index arriving within the wait", func(t *testing.T) {
		// A fake node whose log is applied by hand, so the write lands
		// during the wait however slow the machine is.
		f := &fakeCluster{isLeader: always(true)}
		hs, _ := newFakeServer(t, f, func(c *Config) { c.MinIndexWait = 10 * time.Second })
		done := make(chan response, 1)
		go func() {
			done <- doURL(t, hs.Client(), http.MethodGet, hs.URL+base+"/workspaces/default", nil, client.HeaderMinIndex, "3")
		}()
		time.Sleep(50 * time.Millisecond)
		data, err := fsm.Encode(&fsm.Init{DefaultID: "d", SystemID: "s", At: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		f.fsm.Apply(&raft.Log{Index: 3, Type: raft.LogCommand, Data: data})
		if r := <-done; r.code != http.StatusOK || r.index(t) != 3 {
			t.Fatalf("got %s at %s, want 200 at index 3", r, r.header.Get(client.HeaderIndex))
		}
	})
	for _, tc := range []struct{ name, query, header, want string }{
		{"bogus consistency", "?consistency=bogus", "",
			`{"detail":[{"loc":["query","consistency"],"msg":"Input should be 'default', 'stale' or 'linearizable'","type":"literal_error","input":"bogus"}]}`},
		{"bad min index", "", "abc",
			`{"detail":[{"loc":["header","X-Wsd-Min-Index"],"msg":"Input should be a valid non-negative integer, unable to parse string as an integer","type":"int_parsing","input":"abc"}]}`},
		{"negative min index", "", "-1",
			`{"detail":[{"loc":["header","X-Wsd-Min-Index"],"msg":"Input should be a valid non-negative integer, unable to parse string as an integer","type":"int_parsing","input":"-1"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.header != "" {
				hdr = []string{client.HeaderMinIndex, tc.header}
			}
			for _, path := range []string{"/workspaces", "/workspaces/fresh", "/workspaces/fresh/entity-refs", "/workspaces/fresh/usage"} {
				ts.do(t, http.MethodGet, base+path+tc.query, nil, hdr...).wantError(t, http.StatusUnprocessableEntity, "invalid", tc.want)
			}
		})
	}
}

func TestServer_metrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ts := newTestServer(t, func(c *Config) { c.Registerer = reg })
	ts.do(t, http.MethodGet, base+"/workspaces/default", nil)
	ts.do(t, http.MethodGet, base+"/workspaces/nope", nil)
	ts.do(t, http.MethodGet, "/nope", nil)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	var histograms int
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "wsd_http_requests_total":
				counts[labels["route"]+" "+labels["method"]+" "+labels["code"]] += m.GetCounter().GetValue()
			case "wsd_http_request_duration_seconds":
				histograms++
			}
		}
	}
	for _, k := range []string{base + "/workspaces/{name} GET 200", base + "/workspaces/{name} GET 404", "unmatched GET 404"} {
		if counts[k] != 1 {
			t.Errorf("wsd_http_requests_total{%s} = %v, want 1 (all: %v)", k, counts[k], counts)
		}
	}
	if histograms == 0 {
		t.Error("no wsd_http_request_duration_seconds series")
	}
	// A second server on the same registry is refused, not a panic.
	cfg := DefaultConfig()
	cfg.Cluster = ts.node
	cfg.Registerer = reg
	if _, err := New(cfg); err == nil {
		t.Error("New registered the metrics twice")
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServer_errorMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		err       error
		code      int
		errCode   string
		retry     bool
		detailHas string
		logged    bool
	}{
		{"outcome unknown", fmt.Errorf("apply: %w", cluster.ErrOutcomeUnknown), 503, "outcome_unknown", false, "may or may not have been applied", false},
		{"no leader", cluster.ErrNoLeader, 503, "no_leader", true, "No leader", false},
		{"deadline", context.DeadlineExceeded, 503, "unavailable", true, "in time", false},
		{"domain forbidden", &fsm.Error{Code: fsm.CodeForbidden, Msg: "Forbidden"}, 403, "forbidden", false, "Forbidden", false},
		{"domain conflict", &fsm.Error{Code: fsm.CodeConflict, Msg: "in use"}, 409, "conflict", false, "in use", false},
		{"domain unsupported", &fsm.Error{Code: fsm.CodeUnsupported, Msg: "skipped"}, 409, "conflict", false, "skipped", false},
		{"unknown domain code", &fsm.Error{Code: "brand_new", Msg: "?"}, 500, "internal", false, "Internal Server Error", true},
		{"anything else", fmt.Errorf("disk: %w", errors.New("full")), 500, "internal", false, "Internal Server Error", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncBuffer{}
			f := &fakeCluster{isLeader: always(true), applyFn: func(context.Context, fsm.Command) (fsm.Result, error) {
				return fsm.Result{Index: 42}, tc.err
			}}
			hs, _ := newFakeServer(t, f, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
			r := doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`)
			if r.code != tc.code || r.header.Get(client.HeaderErrorCode) != tc.errCode {
				t.Fatalf("got %s code %q, want %d %s", r, r.header.Get(client.HeaderErrorCode), tc.code, tc.errCode)
			}
			if (r.header.Get("Retry-After") != "") != tc.retry {
				t.Fatalf("Retry-After %q, want set=%v", r.header.Get("Retry-After"), tc.retry)
			}
			var e client.ErrorBody
			r.decode(t, &e)
			if !strings.Contains(e.Detail, tc.detailHas) {
				t.Fatalf("detail %q, want it to contain %q", e.Detail, tc.detailHas)
			}
			if got := strings.Contains(logs.String(), "request failed"); got != tc.logged {
				t.Fatalf("logged = %v, want %v: %s", got, tc.logged, logs)
			}
			if r.index(t) != 42 {
				t.Fatalf("X-Wsd-Index %d, want the result's 42", r.index(t))
			}
		})
	}
	t.Run("domain invalid is a list-form 422", func(t *testing.T) {
		f := &fakeCluster{isLeader: always(true), applyFn: func(context.Context, fsm.Command) (fsm.Result, error) {
			return fsm.Result{}, &fsm.Error{Code: fsm.CodeInvalid, Field: "description", Msg: "Description must be at most 4096 bytes"}
		}}
		hs, _ := newFakeServer(t, f)
		doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`).
			wantError(t, 422, "invalid", `{"detail":[{"loc":["body","description"],"msg":"Description must be at most 4096 bytes","type":"value_error"}]}`)
	})
	t.Run("panic is a logged 500", func(t *testing.T) {
		logs := &syncBuffer{}
		f := &fakeCluster{isLeader: always(true), applyFn: func(context.Context, fsm.Command) (fsm.Result, error) {
			panic("boom")
		}}
		hs, _ := newFakeServer(t, f, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		doURL(t, hs.Client(), http.MethodPost, hs.URL+base+"/workspaces", `{"name":"x"}`).
			wantError(t, 500, "internal", `{"detail":"Internal Server Error"}`)
		if !strings.Contains(logs.String(), "boom") {
			t.Fatalf("panic not logged: %s", logs)
		}
		// The server still works.
		doURL(t, hs.Client(), http.MethodGet, hs.URL+"/healthz", nil).want(t, 200, `{"status":"ok"}`)
	})
}

// TestServer_commands checks the commands the handlers build: ids,
// timestamps, principal and the update's description semantics.
func TestServer_commands(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		cmds []fsm.Command
	)
	f := &fakeCluster{isLeader: always(true), applyFn: func(_ context.Context, c fsm.Command) (fsm.Result, error) {
		mu.Lock()
		cmds = append(cmds, c)
		mu.Unlock()
		return fsm.Result{Index: 7, Workspace: &fsm.Workspace{Name: "x"}, Ref: &fsm.EntityRef{}, Created: true}, nil
	}}
	hs, _ := newFakeServer(t, f)
	before := time.Now().UTC()
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, "/workspaces", `{"name":"x","description":"d"}`},
		{http.MethodPost, "/workspaces", `{"name":"y"}`},
		{http.MethodPut, "/workspaces/x", `{}`},
		{http.MethodPut, "/workspaces/x", `{"description":null}`},
		{http.MethodPut, "/workspaces/x", `{"description":"new"}`},
		{http.MethodPut, "/workspaces/x/entity-refs/models/a%2Fb?project=p", ``},
	} {
		if r := doURL(t, hs.Client(), req.method, hs.URL+base+req.path, req.body); r.code/100 != 2 {
			t.Fatalf("%s %s: %s", req.method, req.path, r)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	c0, c1 := cmds[0].(*fsm.CreateWorkspace), cmds[1].(*fsm.CreateWorkspace)
	if c0.ID == "" || c0.ID == c1.ID || c0.Name != "x" || *c0.Description != "d" || c1.Description != nil || c0.By != "" {
		t.Fatalf("creates %+v %+v", c0, c1)
	}
	if c0.At.Before(before.Truncate(time.Microsecond)) || c0.At.Location() != time.UTC || c0.At.Nanosecond()%1000 != 0 {
		t.Fatalf("create timestamp %v: want UTC, now, microsecond precision", c0.At)
	}
	u0, u1, u2 := cmds[2].(*fsm.UpdateWorkspace), cmds[3].(*fsm.UpdateWorkspace), cmds[4].(*fsm.UpdateWorkspace)
	if u0.DescriptionSet || !u1.DescriptionSet || u1.Description != nil || !u2.DescriptionSet || *u2.Description != "new" {
		t.Fatalf("updates %+v %+v %+v", u0, u1, u2)
	}
	a := cmds[5].(*fsm.AcquireRef)
	if a.Workspace != "x" || a.EntityType != "models" || a.EntityName != "a/b" || a.Project != "p" {
		t.Fatalf("acquire %+v", a)
	}
}
