package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsd-dev/wsd/auth"
	"github.com/wsd-dev/wsd/client"
)

// projJSON is a project as the tests read it: a workspace's fields and
// the workspace it is in.
type projJSON struct {
	wsJSON
	Workspace string `json:"workspace"`
}

// projPageJSON is a page of projects as the tests read it.
type projPageJSON = client.Page[projJSON]

func projNames(p projPageJSON) []string {
	out := []string{}
	for _, pr := range p.Data {
		out = append(out, pr.Name)
	}
	return out
}

// projects is the path of workspace ws's projects, or of one of them.
func projects(ws string, name ...string) string {
	return base + "/workspaces/" + strings.Join(append([]string{ws, "projects"}, name...), "/")
}

func (ts *testServer) createProject(t testing.TB, ws, name string) projJSON {
	t.Helper()
	r := ts.do(t, http.MethodPost, projects(ws), map[string]any{"name": name})
	if r.code != http.StatusCreated {
		t.Fatalf("create project %s in %s: %s", name, ws, r)
	}
	var p projJSON
	r.decode(t, &p)
	return p
}

func (ts *testServer) listProjects(t testing.TB, ws, rawQuery string) projPageJSON {
	t.Helper()
	r := ts.do(t, http.MethodGet, projects(ws)+"?"+rawQuery, nil)
	if r.code != http.StatusOK {
		t.Fatalf("list projects of %s ?%s: %s", ws, rawQuery, r)
	}
	var p projPageJSON
	r.decode(t, &p)
	if p.Data == nil {
		t.Fatalf("list projects of %s ?%s: data is null, want a list", ws, rawQuery)
	}
	return p
}

func TestServer_createProject(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.create(t, "other")

	t.Run("201 project object", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, projects("ml-team"), `{"name":"llm","description":"Language models"}`)
		var raw map[string]json.RawMessage
		r.decode(t, &raw)
		keys := slices.Sorted(maps.Keys(raw))
		if want := []string{"created_at", "created_by", "description", "id", "name", "updated_at", "updated_by", "workspace"}; r.code != http.StatusCreated || !slices.Equal(keys, want) {
			t.Fatalf("got %s with keys %v, want 201 with keys %v", r, keys, want)
		}
		var p projJSON
		r.decode(t, &p)
		if _, err := uuid.Parse(p.ID); err != nil {
			t.Errorf("id %q is not a UUID: %v", p.ID, err)
		}
		if p.Name != "llm" || p.Workspace != "ml-team" || p.Description == nil || *p.Description != "Language models" {
			t.Errorf("got %+v, want llm in ml-team with its description", p)
		}
		if !timeRE.MatchString(p.CreatedAt) || p.CreatedAt != p.UpdatedAt || p.CreatedBy != "" || p.UpdatedBy != "" {
			t.Errorf("created %q/%q updated %q/%q: want equal RFC 3339 UTC times and empty principals (auth off)", p.CreatedAt, p.CreatedBy, p.UpdatedAt, p.UpdatedBy)
		}
	})

	t.Run("description null when unset", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, projects("ml-team"), `{"name":"bare"}`)
		if r.code != http.StatusCreated || !strings.Contains(string(r.body), `"description":null`) {
			t.Fatalf("got %s, want 201 with description null", r)
		}
	})

	t.Run("409 in one workspace, fine in another", func(t *testing.T) {
		first := ts.createProject(t, "ml-team", "shared")
		ts.do(t, http.MethodPost, projects("ml-team"), `{"name":"shared"}`).
			wantError(t, http.StatusConflict, "already_exists", `{"detail":"Project 'shared' already exists in workspace 'ml-team'."}`)
		second := ts.createProject(t, "other", "shared")
		if second.ID == first.ID || second.Workspace != "other" {
			t.Fatalf("same name in other: %+v, want a new id in workspace other (first %s)", second, first.ID)
		}
		// A project may share its name with a workspace.
		ts.createProject(t, "other", "ml-team")
	})

}

func TestServer_getProject(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.create(t, "other")
	created := ts.createProject(t, "ml-team", "llm")
	ts.createProject(t, "other", "only-other")

	for _, level := range []string{"", "?consistency=default", "?consistency=stale", "?consistency=linearizable"} {
		r := ts.do(t, http.MethodGet, projects("ml-team", "llm")+level, nil)
		var got projJSON
		r.decode(t, &got)
		if r.code != http.StatusOK || got != created {
			t.Fatalf("get%s: %s, want 200 %+v", level, r, created)
		}
	}
}

func TestServer_projectReadYourWrites(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *Config) { c.MinIndexWait = 300 * time.Millisecond })
	ts.create(t, "ml-team")
	w := ts.do(t, http.MethodPost, projects("ml-team"), `{"name":"fresh"}`)
	if w.code != http.StatusCreated {
		t.Fatal(w)
	}
	idx := strconv.FormatUint(w.index(t), 10)
	for _, path := range []string{projects("ml-team", "fresh"), projects("ml-team")} {
		if r := ts.do(t, http.MethodGet, path, nil, client.HeaderMinIndex, idx); r.code != http.StatusOK || r.index(t) < w.index(t) {
			t.Fatalf("%s with min index %s: %s at %s", path, idx, r, r.header.Get(client.HeaderIndex))
		}
		r := ts.do(t, http.MethodGet, path, nil, client.HeaderMinIndex, strconv.FormatUint(w.index(t)+1000, 10))
		if r.code != http.StatusServiceUnavailable || r.header.Get(client.HeaderErrorCode) != "unavailable" {
			t.Fatalf("%s with a future min index: %s, want 503 unavailable", path, r)
		}
	}
}

func TestServer_updateProject(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	created := ts.createProject(t, "ml-team", "llm")
	path := projects("ml-team", "llm")

	for _, step := range []struct {
		name, body string
		want       *string
	}{
		{"set", `{"description":"first"}`, ptr("first")},
		{"absent leaves it", `{}`, ptr("first")},
		{"same name is fine", `{"name":"llm","description":"second"}`, ptr("second")},
		{"null clears", `{"description":null}`, nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			r := ts.do(t, http.MethodPut, path, step.body)
			var p projJSON
			r.decode(t, &p)
			if r.code != http.StatusOK || (p.Description == nil) != (step.want == nil) || (p.Description != nil && *p.Description != *step.want) {
				t.Fatalf("got %s, want 200 with description %v", r, step.want)
			}
			if p.ID != created.ID || p.Workspace != "ml-team" || p.CreatedAt != created.CreatedAt || p.UpdatedAt < created.UpdatedAt {
				t.Fatalf("got %+v, want the same project (created %+v) with a later updated_at", p, created)
			}
		})
	}
	var got projJSON
	ts.do(t, http.MethodGet, path, nil).decode(t, &got)
	if got.Description != nil || got.UpdatedAt == created.UpdatedAt {
		t.Fatalf("after updates: %+v, want no description and a new updated_at", got)
	}
}

// TestServer_projectsAndReferences covers deletes: of a project while
// references name it, and of a workspace while it holds projects.
func TestServer_projectsAndReferences(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.createProject(t, "ml-team", "llm")
	refs := base + "/workspaces/ml-team/entity-refs/"

	t.Run("a reference shows its project", func(t *testing.T) {
		r := ts.do(t, http.MethodPut, refs+"models/m1?project=llm", nil)
		var ref refJSON
		r.decode(t, &ref)
		if r.code != http.StatusCreated || ref.Project != "llm" || !strings.Contains(string(r.body), `"project":"llm"`) {
			t.Fatalf("acquire with project: %s, want 201 with \"project\":\"llm\"", r)
		}
		if r := ts.do(t, http.MethodPut, refs+"models/m1?project=llm", nil); r.code != http.StatusOK {
			t.Fatalf("acquire again: %s, want 200", r)
		}
		// A reference without a project has no project key.
		r = ts.do(t, http.MethodPut, refs+"models/plain", nil)
		if r.code != http.StatusCreated || strings.Contains(string(r.body), `"project"`) {
			t.Fatalf("acquire without project: %s, want 201 without a project key", r)
		}
		var page refPageJSON
		ts.do(t, http.MethodGet, base+"/workspaces/ml-team/entity-refs?entity_type=models", nil).decode(t, &page)
		if len(page.Data) != 2 || page.Data[0].Project != "llm" || page.Data[1].Project != "" {
			t.Fatalf("listed %+v, want m1 in llm and plain in none", page.Data)
		}
	})

	for _, tc := range []struct {
		name, path string
		code       int
		errCode    string
		want       string
	}{
		{"missing project", refs + "models/m9?project=nope", 404, "not_found", `{"detail":"Project 'nope' not found in workspace 'ml-team'"}`},
		{"project of another workspace", base + "/workspaces/default/entity-refs/models/m9?project=llm", 404, "not_found",
			`{"detail":"Project 'llm' not found in workspace 'default'"}`},
		{"held for another project", refs + "models/plain?project=llm", 409, "conflict",
			`{"detail":"Entity reference 'models/plain' in workspace 'ml-team' is already held for project ''"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, http.MethodPut, tc.path, nil).wantError(t, tc.code, tc.errCode, tc.want)
		})
	}

	t.Run("usage counts projects", func(t *testing.T) {
		ts.do(t, http.MethodGet, base+"/workspaces/ml-team/usage", nil).
			want(t, http.StatusOK, `{"workspace":"ml-team","total":3,"by_type":{"models":2,"projects":1}}`)
	})

	t.Run("workspace delete refused while a project exists", func(t *testing.T) {
		ts.create(t, "holder")
		ts.createProject(t, "holder", "only")
		ts.do(t, http.MethodDelete, base+"/workspaces/holder", nil).
			wantError(t, http.StatusConflict, "not_empty",
				`{"detail":"Workspace 'holder' is not empty: 1 entity remains (projects: 1). Remove all entities before deleting."}`)
		ts.do(t, http.MethodDelete, projects("holder", "only"), nil).want(t, http.StatusOK, "")
		ts.do(t, http.MethodDelete, base+"/workspaces/holder", nil).want(t, http.StatusOK, "")
	})

	t.Run("project delete refused while references name it", func(t *testing.T) {
		if r := ts.do(t, http.MethodPut, refs+"datasets/d1?project=llm", nil); r.code != http.StatusCreated {
			t.Fatalf("acquire d1 in llm: %s", r)
		}
		ts.do(t, http.MethodDelete, projects("ml-team", "llm"), nil).
			wantError(t, http.StatusConflict, "not_empty",
				`{"detail":"Project 'llm' in workspace 'ml-team' cannot be deleted: 2 entity references name it. Release them before deleting."}`)
		ts.do(t, http.MethodDelete, refs+"models/m1", nil).want(t, http.StatusOK, "")
		ts.do(t, http.MethodDelete, projects("ml-team", "llm"), nil).
			wantError(t, http.StatusConflict, "not_empty",
				`{"detail":"Project 'llm' in workspace 'ml-team' cannot be deleted: 1 entity reference names it. Release them before deleting."}`)
		ts.do(t, http.MethodDelete, refs+"datasets/d1", nil).want(t, http.StatusOK, "")

		r := ts.do(t, http.MethodDelete, projects("ml-team", "llm"), nil)
		var del map[string]string
		r.decode(t, &del)
		at := del["deleted_at"]
		delete(del, "deleted_at")
		if r.code != http.StatusOK || !timeRE.MatchString(at) || !maps.Equal(del, map[string]string{"message": "Project deleted", "id": "llm"}) {
			t.Fatalf("delete after release: %s, want 200 Project deleted with id llm and deleted_at", r)
		}
		ts.do(t, http.MethodGet, projects("ml-team", "llm"), nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Project 'llm' not found in workspace 'ml-team'"}`)
		ts.do(t, http.MethodPut, refs+"models/late?project=llm", nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Project 'llm' not found in workspace 'ml-team'"}`)
		ts.do(t, http.MethodGet, base+"/workspaces/ml-team/usage", nil).
			want(t, http.StatusOK, `{"workspace":"ml-team","total":1,"by_type":{"models":1}}`)
	})
}

func TestServer_listProjects(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.create(t, "other")
	ts.create(t, "empty")
	created := []string{"ml-b", "ml-a", "data-x", "ml-c", "zeta", "alpha"}
	for _, n := range created {
		ts.createProject(t, "ml-team", n)
	}
	// Projects of other workspaces, some with the same names, never show.
	for _, n := range []string{"ml-a", "ml-z", "beta"} {
		ts.createProject(t, "other", n)
	}
	ts.createProject(t, "default", "ml-d")
	// Updating moves ml-a last in updated_at order.
	if r := ts.do(t, http.MethodPut, projects("ml-team", "ml-a"), `{"description":"touched"}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	all := ts.listProjects(t, "ml-team", "page_size=1000")

	t.Run("default page", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, projects("ml-team"), nil)
		var p projPageJSON
		r.decode(t, &p)
		if p.Sort != "-created_at" || p.Filter != nil || len(p.Data) != 6 || !strings.Contains(string(r.body), `"filter":null`) {
			t.Fatalf("got %s, want the 6 projects of ml-team, sort -created_at and filter null", r)
		}
		if !strings.Contains(string(r.body), `"pagination":{"page":1,"page_size":100,"current_page_size":6,"total_pages":1,"total_results":6}`) {
			t.Fatalf("body %s lacks the exact pagination object", r.body)
		}
		for _, pr := range p.Data {
			if pr.Workspace != "ml-team" {
				t.Fatalf("listed %+v from another workspace", pr)
			}
		}
		ts.do(t, http.MethodGet, projects("empty"), nil).want(t, http.StatusOK,
			`{"data":[],"pagination":{"page":1,"page_size":100,"current_page_size":0,"total_pages":0,"total_results":0},"sort":"-created_at","filter":null}`)
	})

	t.Run("every sort, pages never overlap", func(t *testing.T) {
		sorted := func(key func(p projJSON) string, desc bool) []string {
			ps := slices.Clone(all.Data)
			sort.Slice(ps, func(i, j int) bool {
				if ki, kj := key(ps[i]), key(ps[j]); ki != kj {
					return (ki < kj) != desc
				}
				return (ps[i].Name < ps[j].Name) != desc
			})
			return projNames(projPageJSON{Data: ps})
		}
		keys := map[string]func(p projJSON) string{
			"created_at": func(p projJSON) string { return p.CreatedAt },
			"updated_at": func(p projJSON) string { return p.UpdatedAt },
			"name":       func(p projJSON) string { return p.Name },
		}
		for _, s := range []string{"created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"} {
			t.Run(s, func(t *testing.T) {
				want := sorted(keys[strings.TrimPrefix(s, "-")], strings.HasPrefix(s, "-"))
				if p := ts.listProjects(t, "ml-team", "sort="+s); p.Sort != s || !slices.Equal(projNames(p), want) {
					t.Fatalf("sort=%s: %v (echo %q), want %v", s, projNames(p), p.Sort, want)
				}
				var paged []string
				for page := 1; page <= 3; page++ {
					p := ts.listProjects(t, "ml-team", fmt.Sprintf("sort=%s&page=%d&page_size=2", s, page))
					if p.Pagination.TotalPages != 3 || p.Pagination.TotalResults != 6 || p.Pagination.CurrentPageSize != 2 {
						t.Fatalf("page %d: pagination %+v", page, p.Pagination)
					}
					paged = append(paged, projNames(p)...)
				}
				if !slices.Equal(paged, want) {
					t.Fatalf("pages of 2 = %v, want %v", paged, want)
				}
			})
		}
		if got := sorted(keys["updated_at"], false); got[len(got)-1] != "ml-a" {
			t.Fatalf("updated_at order %v, want ml-a last", got)
		}
	})

	t.Run("page past the end", func(t *testing.T) {
		p := ts.listProjects(t, "ml-team", "page=4&page_size=2")
		if len(p.Data) != 0 || p.Pagination.TotalPages != 3 || p.Pagination.TotalResults != 6 {
			t.Fatalf("got %+v", p)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			name, query, echo string
			want              []string
		}{
			{"exact name", "filter[name]=ml-a", `{"name":"ml-a"}`, []string{"ml-a"}},
			{"exact name of another workspace's project", "filter[name]=ml-z", `{"name":"ml-z"}`, []string{}},
			{"like", "filter[name][$like]=ml-%25", `{"name":{"$like":"ml-%"}}`, []string{"ml-a", "ml-b", "ml-c"}},
			{"like one char", "filter[name][$like]=_eta", `{"name":{"$like":"_eta"}}`, []string{"zeta"}},
			{"like is contains, case-insensitive", "filter[name][$like]=ETA", `{"name":{"$like":"ETA"}}`, []string{"zeta"}},
			{"created_by", "filter[created_by]=", `{"created_by":""}`, []string{"alpha", "data-x", "ml-a", "ml-b", "ml-c", "zeta"}},
			{"created_by nobody", "filter[created_by]=alice", `{"created_by":"alice"}`, []string{}},
			{"json like", "filter=" + url.QueryEscape(`{"name":{"$like":"%a"}}`), `{"name":{"$like":"%a"}}`, []string{"alpha", "data-x", "ml-a", "zeta"}},
			{"text", "filter=" + url.QueryEscape(`name~"a" -name:"data-x"`), `{"name":{"$like":"a"},"$not":{"name":"data-x"}}`, []string{"alpha", "ml-a", "zeta"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := ts.listProjects(t, "ml-team", tc.query+"&sort=name")
				if !slices.Equal(projNames(p), tc.want) || p.Pagination.TotalResults != len(tc.want) {
					t.Fatalf("got %v (total %d), want %v", projNames(p), p.Pagination.TotalResults, tc.want)
				}
				echo, err := json.Marshal(p.Filter)
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, echo, tc.echo)
			})
		}
	})

	t.Run("other workspaces list their own", func(t *testing.T) {
		if p := ts.listProjects(t, "other", "sort=name"); !slices.Equal(projNames(p), []string{"beta", "ml-a", "ml-z"}) || p.Pagination.TotalResults != 3 {
			t.Fatalf("other: %v (%+v)", projNames(p), p.Pagination)
		}
		if p := ts.listProjects(t, "default", ""); !slices.Equal(projNames(p), []string{"ml-d"}) {
			t.Fatalf("default: %v", projNames(p))
		}
	})

	t.Run("404 missing workspace", func(t *testing.T) {
		ts.do(t, http.MethodGet, projects("nope"), nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'nope' not found"}`)
	})

	t.Run("400 bad filter", func(t *testing.T) {
		ts.do(t, http.MethodGet, projects("ml-team")+"?filter[owner]=bob", nil).
			wantError(t, http.StatusBadRequest, "invalid", `{"detail":"Invalid filter query: unknown field 'owner' in parameter 'filter[owner]' (fields: id, name, description, created_at, created_by, updated_at, updated_by)"}`)
	})

	t.Run("422", func(t *testing.T) {
		// The parameters' 422 comes first; the filter is then not read.
		ts.do(t, http.MethodGet, projects("ml-team")+"?page_size=0&sort=size&filter[owner]=bob&consistency=x", nil).
			wantError(t, http.StatusUnprocessableEntity, "invalid", `{"detail":[`+
				`{"loc":["query","consistency"],"msg":"Input should be 'default', 'stale' or 'linearizable'","type":"literal_error","input":"x"},`+
				`{"loc":["query","page_size"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal","input":"0"},`+
				`{"loc":["query","sort"],"msg":"Input should be 'created_at', '-created_at', 'updated_at', '-updated_at', 'name' or '-name'","type":"literal_error","input":"size"}]}`)
	})
}

func TestServer_projectRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range []struct{ path, allow string }{
		{projects("ml-team"), "GET, POST"},
		{projects("ml-team", "p"), "GET, PUT, DELETE"},
	} {
		r := ts.do(t, http.MethodPatch, tc.path, `{}`)
		r.wantError(t, http.StatusMethodNotAllowed, "invalid", `{"detail":"Method Not Allowed"}`)
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("PATCH %s: Allow = %q, want %q", tc.path, got, tc.allow)
		}
	}
	// Every write moves the index; reads reflect it.
	ts.create(t, "ml-team")
	var last uint64
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, projects("ml-team"), `{"name":"p"}`},
		{http.MethodPut, projects("ml-team", "p"), `{"description":"d"}`},
		{http.MethodDelete, projects("ml-team", "p"), ``},
	} {
		r := ts.do(t, req.method, req.path, req.body)
		if r.code/100 != 2 || r.index(t) <= last {
			t.Fatalf("%s %s: %s at index %d, want 2xx after %d", req.method, req.path, r, r.index(t), last)
		}
		last = r.index(t)
		if g := ts.do(t, http.MethodGet, projects("ml-team"), nil); g.index(t) < last {
			t.Fatalf("list at index %d, before the write's %d", g.index(t), last)
		}
	}
}

// TestServer_projectsThroughFollower: a follower builds project writes and
// has the leader apply them, and a stale follower's reads wait for the
// leader's read index.
func TestServer_projectsThroughFollower(t *testing.T) {
	t.Parallel()
	leader := newTestServer(t)
	leader.create(t, "ml-team")
	hs, _ := newFakeServer(t, followerOf(leader, 6*time.Second))
	via := func(method, path, body string) response {
		return doURL(t, hs.Client(), method, hs.URL+path, body)
	}

	if r := via(http.MethodPost, projects("ml-team"), `{"name":"p"}`); r.code != http.StatusCreated || r.header.Get(client.HeaderLastContact) != "6000" {
		t.Fatalf("create via follower: %s %v, want the follower's own 201", r, r.header)
	}
	via(http.MethodPost, projects("ml-team"), `{"name":"p"}`).
		wantError(t, http.StatusConflict, "already_exists", `{"detail":"Project 'p' already exists in workspace 'ml-team'."}`)
	if r := via(http.MethodPut, projects("ml-team", "p"), `{"description":"d"}`); r.code != http.StatusOK {
		t.Fatalf("update via follower: %s", r)
	}
	// The follower is stale: these reads wait for the leader's read index.
	if r := via(http.MethodGet, projects("ml-team", "p"), ""); r.code != http.StatusOK || !strings.Contains(string(r.body), `"description":"d"`) {
		t.Fatalf("get via stale follower: %s", r)
	}
	if r := via(http.MethodGet, projects("ml-team"), ""); r.code != http.StatusOK || !strings.Contains(string(r.body), `"total_results":1`) {
		t.Fatalf("list via stale follower: %s", r)
	}
	if r := via(http.MethodDelete, projects("ml-team", "p"), ""); r.code != http.StatusOK {
		t.Fatalf("delete via follower: %s", r)
	}
	leader.do(t, http.MethodGet, projects("ml-team", "p"), nil).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Project 'p' not found in workspace 'ml-team'"}`)
}

// userHeader names the caller for headerAuth.
const userHeader = "X-Test-User"

// headerAuth authenticates the user named in userHeader.
type headerAuth struct{}

func (headerAuth) Authenticate(r *http.Request) (auth.Principal, error) {
	if id := r.Header.Get(userHeader); id != "" {
		return auth.Principal{ID: id}, nil
	}
	return auth.Anonymous, auth.ErrNoCredentials
}

// TestServer_projectRoles: reading projects needs Viewer in the
// workspace, writing them Editor. Everyone is Editor in default and
// Viewer in system; a workspace's creator is its Admin.
func TestServer_projectRoles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *Config) { c.AuthEnabled, c.Authenticator = true, headerAuth{} })
	as := func(user string) []string { return []string{userHeader, user} }
	if r := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"alices"}`, as("alice")...); r.code != http.StatusCreated {
		t.Fatalf("alice creates her workspace: %s", r)
	}
	var p projJSON
	r := ts.do(t, http.MethodPost, projects("alices"), `{"name":"p"}`, as("alice")...)
	r.decode(t, &p)
	if r.code != http.StatusCreated || p.CreatedBy != "alice" || p.UpdatedBy != "alice" {
		t.Fatalf("alice creates a project: %s, want 201 created by alice", r)
	}
	const forbidden = `{"detail":"Forbidden"}`
	for _, tc := range []struct {
		name, user, method, path, body string
		code                           int
	}{
		{"admin reads", "alice", http.MethodGet, projects("alices", "p"), "", 200},
		{"admin lists", "alice", http.MethodGet, projects("alices"), "", 200},
		{"admin updates", "alice", http.MethodPut, projects("alices", "p"), `{"description":"d"}`, 200},
		{"non-member cannot read", "bob", http.MethodGet, projects("alices", "p"), "", 404},
		{"non-member cannot list", "bob", http.MethodGet, projects("alices"), "", 404},
		{"non-member cannot create", "bob", http.MethodPost, projects("alices"), `{"name":"q"}`, 404},
		{"non-member cannot update", "bob", http.MethodPut, projects("alices", "p"), `{"description":"x"}`, 404},
		{"non-member cannot delete", "bob", http.MethodDelete, projects("alices", "p"), "", 404},
		{"editor creates in default", "bob", http.MethodPost, projects("default"), `{"name":"bobs"}`, 201},
		{"editor deletes in default", "bob", http.MethodDelete, projects("default", "bobs"), "", 200},
		{"viewer lists in system", "bob", http.MethodGet, projects("system"), "", 200},
		{"viewer cannot create in system", "bob", http.MethodPost, projects("system"), `{"name":"q"}`, 403},
		{"anonymous", "", http.MethodGet, projects("default"), "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.user != "" {
				hdr = as(tc.user)
			}
			r := ts.do(t, tc.method, tc.path, tc.body, hdr...)
			switch tc.code {
			case http.StatusForbidden:
				r.wantError(t, tc.code, "forbidden", forbidden)
			case http.StatusNotFound: // a non-member sees no workspace (issue 11)
				r.wantError(t, tc.code, "not_found", `{"detail":"Workspace 'alices' not found"}`)
			case http.StatusUnauthorized:
				r.wantError(t, tc.code, "unauthorized", `{"detail":"Unauthorized"}`)
			default:
				r.want(t, tc.code, "")
			}
		})
	}
	// A missing workspace stays a 404 for everyone.
	ts.do(t, http.MethodGet, projects("nope"), nil, as("bob")...).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'nope' not found"}`)
}

// TestServer_projectErrors: every refusal of the projects API, with its
// status, error code and exact body.
func TestServer_projectErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.create(t, "other")
	ts.createProject(t, "ml-team", "llm")
	ts.createProject(t, "other", "only-other")
	const (
		pat      = `String should match pattern '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'`
		noWS     = `{"detail":"Workspace 'nope' not found"}`
		noLLM    = `{"detail":"Project 'nope' not found in workspace 'ml-team'"}`
		extraWS  = `{"detail":[{"loc":["body","workspace"],"msg":"Value error, a project is created in the workspace of the path ('ml-team')","type":"value_error","input":"other"}]}`
		notFound = "not_found"
		invalid  = "invalid"
	)
	llm, list := projects("ml-team", "llm"), projects("ml-team")
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		errCode, want            string
	}{
		// POST /workspaces/{ws}/projects
		{"create in a missing workspace", "POST", projects("nope"), `{"name":"p"}`, 404, notFound, noWS},
		{"create in a workspace name that cannot exist", "POST", projects("No_Pe"), `{"name":"p"}`, 404, notFound,
			`{"detail":"Workspace 'No_Pe' not found"}`},
		{"create a taken name", "POST", list, `{"name":"llm"}`, 409, "already_exists",
			`{"detail":"Project 'llm' already exists in workspace 'ml-team'."}`},
		{"create a bad name", "POST", list, `{"name":"Bad Name"}`, 422, invalid,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must start with a lowercase letter)","type":"string_pattern_mismatch","input":"Bad Name"}]}`},
		{"create without a name", "POST", list, `{"description":"d"}`, 422, invalid,
			`{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}`},
		{"create in another workspace than the path's", "POST", list, `{"name":"okay","workspace":"other"}`, 422, invalid, extraWS},
		{"create with malformed JSON", "POST", list, `{"name":`, 422, invalid,
			`{"detail":[{"loc":["body"],"msg":"JSON decode error: unexpected end of JSON input","type":"json_invalid"}]}`},
		{"create: validation before the workspace lookup", "POST", projects("nope"), `{"name":""}`, 422, invalid,
			`{"detail":[{"loc":["body","name"],"msg":"String should have at least 1 character","type":"string_too_short","input":""}]}`},
		{"create with a body over the limit", "POST", list, `{"name":"big","description":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "too_large",
			`{"detail":"Request body too large"}`},
		// GET /workspaces/{ws}/projects and /workspaces/{ws}/projects/{name}
		{"list a missing workspace", "GET", projects("nope"), "", 404, notFound, noWS},
		{"get a missing project", "GET", projects("ml-team", "nope"), "", 404, notFound, noLLM},
		{"get another workspace's project", "GET", projects("ml-team", "only-other"), "", 404, notFound,
			`{"detail":"Project 'only-other' not found in workspace 'ml-team'"}`},
		{"get in a missing workspace", "GET", projects("nope", "llm"), "", 404, notFound, noWS},
		{"get a name that cannot exist", "GET", projects("ml-team", "Bad%2Fname"), "", 404, notFound,
			`{"detail":"Project 'Bad/name' not found in workspace 'ml-team'"}`},
		{"get with a bad consistency", "GET", llm + "?consistency=bogus", "", 422, invalid,
			`{"detail":[{"loc":["query","consistency"],"msg":"Input should be 'default', 'stale' or 'linearizable'","type":"literal_error","input":"bogus"}]}`},
		// PUT /workspaces/{ws}/projects/{name}
		{"rename", "PUT", llm, `{"name":"other"}`, 422, invalid,
			`{"detail":[{"loc":["body","name"],"msg":"Value error, project names are immutable: cannot rename 'llm' to 'other'","type":"value_error","input":"other"}]}`},
		{"update that would move the project", "PUT", llm, `{"workspace":"other"}`, 422, invalid, `{"detail":[{"loc":["body","workspace"],"msg":"Value error, projects cannot move: 'llm' is in workspace 'ml-team'","type":"value_error","input":"other"}]}`},
		{"update a missing project", "PUT", projects("ml-team", "nope"), `{"description":"x"}`, 404, notFound, noLLM},
		{"update in a missing workspace", "PUT", projects("nope", "llm"), `{"description":"x"}`, 404, notFound, noWS},
		// DELETE /workspaces/{ws}/projects/{name}
		{"delete a missing project", "DELETE", projects("ml-team", "nope"), "", 404, notFound, noLLM},
		{"delete in a missing workspace", "DELETE", projects("nope", "llm"), "", 404, notFound, noWS},
		{"delete in a workspace name that cannot exist", "DELETE", projects("No_Pe", "llm"), "", 404, notFound,
			`{"detail":"Workspace 'No_Pe' not found"}`},
		// Other methods
		{"patch a project", "PATCH", llm, `{}`, 405, invalid, `{"detail":"Method Not Allowed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, tc.method, tc.path, tc.body).wantError(t, tc.code, tc.errCode, tc.want)
		})
	}
}
