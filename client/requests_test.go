package client_test

import (
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// TestClient_requests checks the method, path, query and body each call
// puts on the wire.
func TestClient_requests(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete && r.URL.Path != client.BasePath+"/workspaces/ml-team":
			writeJSON(w, http.StatusOK, map[string]string{"message": "released"})
		case r.Method == http.MethodDelete:
			writeJSON(w, http.StatusOK, client.DeleteResponse{Message: "Workspace deleted", ID: "ml-team"})
		default:
			writeJSON(w, http.StatusOK, map[string]any{})
		}
	})
	c := newClient(t, f.URL)
	desc := "ML"
	tests := []struct {
		name       string
		call       func() error
		wantMethod string
		wantPath   string // escaped path
		wantQuery  url.Values
		wantBody   string
	}{
		{"create", func() error {
			_, err := c.CreateWorkspace(ctxT(t), "ml-team", client.WithDescription("ML team"))
			return err
		}, "POST", "/apis/entities/v2/workspaces", nil, `{"name":"ml-team","description":"ML team"}`},
		{"create without description", func() error {
			_, err := c.CreateWorkspace(ctxT(t), "ml-team")
			return err
		}, "POST", "/apis/entities/v2/workspaces", nil, `{"name":"ml-team"}`},
		{"get", func() error {
			_, err := c.GetWorkspace(ctxT(t), "ml-team", client.WithConsistency(client.ConsistencyLinearizable))
			return err
		}, "GET", "/apis/entities/v2/workspaces/ml-team", url.Values{"consistency": {"linearizable"}}, ""},
		{"list", func() error {
			_, err := c.ListWorkspaces(ctxT(t), client.ListOptions{
				Page: 2, PageSize: 10, Sort: "name",
				Filter: map[string]string{"name[$like]": "ml-%", "created_by": "alice"},
			})
			return err
		}, "GET", "/apis/entities/v2/workspaces", url.Values{
			"page": {"2"}, "page_size": {"10"}, "sort": {"name"},
			"filter[name][$like]": {"ml-%"}, "filter[created_by]": {"alice"},
		}, ""},
		{"list defaults", func() error {
			_, err := c.ListWorkspaces(ctxT(t), client.ListOptions{Filter: map[string]string{"name": "x"}}, client.WithConsistency("stale"))
			return err
		}, "GET", "/apis/entities/v2/workspaces", url.Values{"filter[name]": {"x"}, "consistency": {"stale"}}, ""},
		{"update", func() error {
			_, err := c.UpdateWorkspace(ctxT(t), "ml-team", &desc)
			return err
		}, "PUT", "/apis/entities/v2/workspaces/ml-team", nil, `{"description":"ML"}`},
		{"update clears", func() error {
			_, err := c.UpdateWorkspace(ctxT(t), "ml-team", nil)
			return err
		}, "PUT", "/apis/entities/v2/workspaces/ml-team", nil, `{"description":null}`},
		{"delete", func() error {
			_, err := c.DeleteWorkspace(ctxT(t), "ml-team")
			return err
		}, "DELETE", "/apis/entities/v2/workspaces/ml-team", nil, ""},
		{"acquire with slash and project", func() error {
			_, _, err := c.AcquireRef(ctxT(t), "ml-team", "models", "meta/llama 3", client.InProject("p1"))
			return err
		}, "PUT", "/apis/entities/v2/workspaces/ml-team/entity-refs/models/meta%2Fllama%203", url.Values{"project": {"p1"}}, ""},
		{"release", func() error {
			return c.ReleaseRef(ctxT(t), "ml-team", "models", "a/b")
		}, "DELETE", "/apis/entities/v2/workspaces/ml-team/entity-refs/models/a%2Fb", nil, ""},
		{"list refs", func() error {
			_, err := c.ListRefs(ctxT(t), "ml-team", client.RefListOptions{EntityType: "models", Page: 1, PageSize: 5})
			return err
		}, "GET", "/apis/entities/v2/workspaces/ml-team/entity-refs", url.Values{"entity_type": {"models"}, "page": {"1"}, "page_size": {"5"}}, ""},
		{"usage", func() error {
			_, err := c.Usage(ctxT(t), "ml-team")
			return err
		}, "GET", "/apis/entities/v2/workspaces/ml-team/usage", nil, ""},
		{"create project", func() error {
			_, err := c.CreateProject(ctxT(t), "ml-team", "llm", client.WithDescription("LLMs"))
			return err
		}, "POST", "/apis/entities/v2/workspaces/ml-team/projects", nil, `{"name":"llm","description":"LLMs"}`},
		{"get project", func() error {
			_, err := c.GetProject(ctxT(t), "ml-team", "llm", client.WithConsistency(client.ConsistencyStale))
			return err
		}, "GET", "/apis/entities/v2/workspaces/ml-team/projects/llm", url.Values{"consistency": {"stale"}}, ""},
		{"list projects", func() error {
			_, err := c.ListProjects(ctxT(t), "ml-team", client.ListOptions{
				Page: 3, PageSize: 7, Sort: "-name", Filter: map[string]string{"name[$like]": "l%"},
			}, client.WithConsistency(client.ConsistencyLinearizable))
			return err
		}, "GET", "/apis/entities/v2/workspaces/ml-team/projects", url.Values{
			"page": {"3"}, "page_size": {"7"}, "sort": {"-name"}, "filter[name][$like]": {"l%"}, "consistency": {"linearizable"},
		}, ""},
		{"update project", func() error {
			_, err := c.UpdateProject(ctxT(t), "ml-team", "llm", &desc)
			return err
		}, "PUT", "/apis/entities/v2/workspaces/ml-team/projects/llm", nil, `{"description":"ML"}`},
		{"update project clears", func() error {
			_, err := c.UpdateProject(ctxT(t), "ml-team", "llm", nil)
			return err
		}, "PUT", "/apis/entities/v2/workspaces/ml-team/projects/llm", nil, `{"description":null}`},
		{"delete project", func() error {
			_, err := c.DeleteProject(ctxT(t), "ml-team", "llm")
			return err
		}, "DELETE", "/apis/entities/v2/workspaces/ml-team/projects/llm", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(f.requests())
			if err := tt.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != n+1 {
				t.Fatalf("server got %d requests, want 1", len(reqs)-n)
			}
			r := reqs[n]
			if r.Method != tt.wantMethod {
				t.Errorf("method = %s, want %s", r.Method, tt.wantMethod)
			}
			if got := r.URL.EscapedPath(); got != tt.wantPath {
				t.Errorf("path = %s, want %s", got, tt.wantPath)
			}
			if tt.wantQuery == nil {
				tt.wantQuery = url.Values{}
			}
			if got := r.URL.Query(); got.Encode() != tt.wantQuery.Encode() {
				t.Errorf("query = %s, want %s", got.Encode(), tt.wantQuery.Encode())
			}
			if gotBody := f.body(n); gotBody != tt.wantBody {
				t.Errorf("body = %s, want %s", gotBody, tt.wantBody)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
		})
	}
}

func TestClient_headers(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, workspace("a"))
	})
	tests := []struct {
		name, token, agent      string
		wantAuth, wantUserAgent string
	}{
		{"token", "s3cret", "svc/1.0", "Bearer s3cret", "svc/1.0"},
		{"no token", "", "", "", client.DefaultUserAgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := client.Config{Endpoints: []string{f.URL}, Token: tt.token, UserAgent: tt.agent}
			c, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			n := len(f.requests())
			if _, err := c.GetWorkspace(ctxT(t), "a"); err != nil {
				t.Fatal(err)
			}
			r := f.requests()[n]
			if got := r.Header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
			if got := r.Header.Get("User-Agent"); got != tt.wantUserAgent {
				t.Errorf("User-Agent = %q, want %q", got, tt.wantUserAgent)
			}
		})
	}
}

func TestClient_acquireCreated(t *testing.T) {
	var held atomic.Bool
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusOK
		if held.CompareAndSwap(false, true) {
			status = http.StatusCreated
		}
		writeJSON(w, status, client.EntityRef{Workspace: "w", EntityType: "models", EntityName: "m"})
	})
	c := newClient(t, f.URL)
	for i, want := range []bool{true, false} {
		ref, created, err := c.AcquireRef(ctxT(t), "w", "models", "m")
		if err != nil {
			t.Fatal(err)
		}
		if created != want || ref.EntityName != "m" {
			t.Errorf("acquire #%d: created = %v, name %q; want %v, \"m\"", i+1, created, ref.EntityName, want)
		}
	}
}

// The client sends the highest X-Wsd-Index it has seen as X-Wsd-Min-Index
// on reads, never on writes.
func TestClient_readYourWrites(t *testing.T) {
	var index atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		idx := index.Add(7)
		if r.Method == http.MethodPost {
			w.Header().Set(client.HeaderIndex, strconv.FormatInt(idx, 10))
			writeJSON(w, http.StatusCreated, workspace("a"))
			return
		}
		// A read answered from an older index must not lower it.
		w.Header().Set(client.HeaderIndex, "3")
		writeJSON(w, http.StatusOK, workspace("a"))
	})
	c := newClient(t, f.URL)
	if _, err := c.GetWorkspace(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[0].Header.Get(client.HeaderMinIndex); got != "" {
		t.Errorf("first read sent %s = %q, want none", client.HeaderMinIndex, got)
	}
	if _, err := c.CreateWorkspace(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	if got := c.LastIndex(); got != 14 {
		t.Fatalf("LastIndex = %d, want 14", got)
	}
	if got := f.requests()[1].Header.Get(client.HeaderMinIndex); got != "" {
		t.Errorf("write sent %s = %q, want none", client.HeaderMinIndex, got)
	}
	tests := []struct {
		name string
		opts []client.ReadOption
		want string
	}{
		{"automatic", nil, "14"},
		{"lower explicit", []client.ReadOption{client.WithMinIndex(5)}, "14"},
		{"higher explicit", []client.ReadOption{client.WithMinIndex(100)}, "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(f.requests())
			if _, err := c.GetWorkspace(ctxT(t), "a", tt.opts...); err != nil {
				t.Fatal(err)
			}
			if got := f.requests()[n].Header.Get(client.HeaderMinIndex); got != tt.want {
				t.Errorf("%s = %q, want %q", client.HeaderMinIndex, got, tt.want)
			}
			if got := c.LastIndex(); got != 14 {
				t.Errorf("LastIndex = %d, want 14 (an older answer must not lower it)", got)
			}
		})
	}
}

func TestClient_existOK(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			writeError(w, http.StatusConflict, client.CodeAlreadyExists, "Workspace 'a' already exists")
			return
		}
		writeJSON(w, http.StatusOK, workspace("a"))
	})
	c := newClient(t, f.URL)
	if _, err := c.CreateWorkspace(ctxT(t), "a"); !errors.Is(err, client.ErrAlreadyExists) {
		t.Fatalf("create without ExistOK: err = %v, want ErrAlreadyExists", err)
	}
	ws, err := c.CreateWorkspace(ctxT(t), "a", client.ExistOK())
	if err != nil || ws.ID != "id-a" {
		t.Fatalf("create with ExistOK = %+v, %v; want the existing workspace", ws, err)
	}
}

func TestClient_iterators(t *testing.T) {
	const total, size = 7, 3
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		p := client.Pagination{Page: page, PageSize: size, TotalResults: total, TotalPages: (total + size - 1) / size}
		var names []string
		for i := (page - 1) * size; i < min(page*size, total); i++ {
			names = append(names, "w"+strconv.Itoa(i))
		}
		p.CurrentPageSize = len(names)
		if r.URL.Path == client.BasePath+"/workspaces" || strings.HasSuffix(r.URL.Path, "/projects") {
			out := client.WorkspacePage{Pagination: p, Data: []client.Workspace{}}
			for _, n := range names {
				out.Data = append(out.Data, workspace(n))
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
		out := client.EntityRefPage{Pagination: p, Data: []client.EntityRef{}}
		for _, n := range names {
			out.Data = append(out.Data, client.EntityRef{EntityType: "models", EntityName: n})
		}
		writeJSON(w, http.StatusOK, out)
	})
	c := newClient(t, f.URL)
	tests := []struct {
		name  string
		names func(stopAfter int) ([]string, error)
	}{
		{"workspaces", func(stopAfter int) ([]string, error) {
			return collect(c.Workspaces(ctxT(t), client.ListOptions{PageSize: size}), func(w client.Workspace) string { return w.Name }, stopAfter)
		}},
		{"projects", func(stopAfter int) ([]string, error) {
			return collect(c.Projects(ctxT(t), "w", client.ListOptions{PageSize: size}), func(p client.Project) string { return p.Name }, stopAfter)
		}},
		{"refs", func(stopAfter int) ([]string, error) {
			return collect(c.Refs(ctxT(t), "w", client.RefListOptions{PageSize: size}), func(r client.EntityRef) string { return r.EntityName }, stopAfter)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(f.requests())
			got, err := tt.names(-1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != total || got[0] != "w0" || got[total-1] != "w6" {
				t.Errorf("iterated %v, want w0..w6", got)
			}
			if calls := len(f.requests()) - n; calls != 3 {
				t.Errorf("pages fetched = %d, want 3", calls)
			}
			n = len(f.requests())
			got, _ = tt.names(2)
			if len(got) != 2 {
				t.Errorf("stopped iteration yielded %v, want 2 items", got)
			}
			if calls := len(f.requests()) - n; calls != 1 {
				t.Errorf("pages fetched after early stop = %d, want 1", calls)
			}
		})
	}
}

// collect iterates over seq, keeping the name of each item, until an
// error or, when stopAfter > 0, after stopAfter items.
func collect[T any](seq iter.Seq2[T, error], name func(T) string, stopAfter int) ([]string, error) {
	var got []string
	for v, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, name(v))
		if len(got) == stopAfter {
			break
		}
	}
	return got, nil
}

func TestClient_iteratorError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, client.CodeNotFound, "Workspace 'w' not found")
	})
	c := newClient(t, f.URL)
	var errs []error
	for _, err := range c.Refs(ctxT(t), "w", client.RefListOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], client.ErrNotFound) {
		t.Fatalf("iteration yielded errors %v, want one ErrNotFound", errs)
	}
}

func TestClient_SyncEndpoints(t *testing.T) {
	var (
		mu      sync.Mutex
		members []client.ClusterMember
	)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != client.MembersPath {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, http.StatusOK, client.ClusterMembers{Members: members})
	})
	mu.Lock()
	members = []client.ClusterMember{
		{ID: "n1", HTTPAddr: "http://10.0.0.1:8080"},
		{ID: "n2", HTTPAddr: f.URL},
		{ID: "n3", HTTPAddr: ""},
	}
	mu.Unlock()
	c := newClient(t, f.URL)
	if err := c.SyncEndpoints(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := c.Endpoints()
	want := []string{f.URL, "http://10.0.0.1:8080"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Endpoints() = %v, want %v (current one first)", got, want)
	}
	mu.Lock()
	members = nil
	mu.Unlock()
	if err := c.SyncEndpoints(ctxT(t)); err == nil {
		t.Error("SyncEndpoints with no members: err = nil, want an error")
	}
	if got := c.Endpoints(); len(got) != 2 {
		t.Errorf("Endpoints() after failed sync = %v, want unchanged", got)
	}
}

func TestTime_roundTrip(t *testing.T) {
	in := `{"created_at":"2026-11-26T17:40:00.123456Z"}`
	var v struct {
		CreatedAt client.Time `json:"created_at"`
	}
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 26, 17, 40, 0, 123456000, time.UTC)
	if !v.CreatedAt.Equal(want) {
		t.Errorf("parsed %v, want %v", v.CreatedAt, want)
	}
	out, _ := json.Marshal(v)
	if string(out) != in {
		t.Errorf("marshalled %s, want %s", out, in)
	}
}
