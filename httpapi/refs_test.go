package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

type refJSON struct {
	Workspace  string `json:"workspace"`
	EntityType string `json:"entity_type"`
	EntityName string `json:"entity_name"`
	Project    string `json:"project"`
	CreatedAt  string `json:"created_at"`
	CreatedBy  string `json:"created_by"`
}

type refPageJSON struct {
	Data       []refJSON `json:"data"`
	Pagination struct {
		Page            int `json:"page"`
		PageSize        int `json:"page_size"`
		CurrentPageSize int `json:"current_page_size"`
		TotalPages      int `json:"total_pages"`
		TotalResults    int `json:"total_results"`
	} `json:"pagination"`
}

func TestServer_acquireReleaseRef(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	refs := base + "/workspaces/ml-team/entity-refs/"

	t.Run("201 new then 200 already held", func(t *testing.T) {
		r := ts.do(t, http.MethodPut, refs+"models/llama", nil)
		if r.code != http.StatusCreated {
			t.Fatalf("first acquire: %s", r)
		}
		var raw map[string]any
		r.decode(t, &raw)
		if len(raw) != 5 {
			t.Fatalf("keys %v, want workspace entity_type entity_name created_at created_by", raw)
		}
		var first refJSON
		r.decode(t, &first)
		if first.Workspace != "ml-team" || first.EntityType != "models" || first.EntityName != "llama" || !timeRE.MatchString(first.CreatedAt) || first.CreatedBy != "" {
			t.Fatalf("got %+v", first)
		}
		r = ts.do(t, http.MethodPut, refs+"models/llama", nil)
		var again refJSON
		r.decode(t, &again)
		if r.code != http.StatusOK || again != first {
			t.Fatalf("second acquire: %s, want 200 with %+v", r, first)
		}
	})

	t.Run("entity name with a slash", func(t *testing.T) {
		r := ts.do(t, http.MethodPut, refs+"datasets/org%2Fdata%2Fv1", nil)
		var ref refJSON
		r.decode(t, &ref)
		if r.code != http.StatusCreated || ref.EntityName != "org/data/v1" {
			t.Fatalf("escaped: %s", r)
		}
		// The same name sent with literal slashes is the same reference.
		if r := ts.do(t, http.MethodPut, refs+"datasets/org/data/v1", nil); r.code != http.StatusOK {
			t.Fatalf("literal slashes: %s, want 200 already held", r)
		}
		// Dots and double slashes are kept, never cleaned into a redirect.
		r = ts.do(t, http.MethodPut, refs+"datasets/a%2F..%2F%2Fb", nil)
		r.decode(t, &ref)
		if r.code != http.StatusCreated || ref.EntityName != "a/..//b" {
			t.Fatalf("dots: %s", r)
		}
		for _, p := range []string{"datasets/org%2Fdata%2Fv1", "datasets/a%2F..%2F%2Fb"} {
			if r := ts.do(t, http.MethodDelete, refs+p, nil); r.code != http.StatusOK {
				t.Fatalf("release %s: %s", p, r)
			}
		}
	})

	t.Run("release answers the released reference", func(t *testing.T) {
		ts.acquire(t, "ml-team", "models", "to-release")
		r := ts.do(t, http.MethodDelete, refs+"models/to-release", nil)
		var ref refJSON
		r.decode(t, &ref)
		if r.code != http.StatusOK || ref.EntityName != "to-release" || ref.EntityType != "models" || ref.Workspace != "ml-team" {
			t.Fatalf("got %s", r)
		}
		ts.do(t, http.MethodDelete, refs+"models/to-release", nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Entity reference 'models/to-release' not found in workspace 'ml-team'"}`)
	})

	t.Run("project is passed through", func(t *testing.T) {
		ts.do(t, http.MethodPut, refs+"models/in-project?project=p1", nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Project 'p1' not found in workspace 'ml-team'"}`)
	})

	long := strings.Repeat("n", 256)
	for _, tc := range []struct {
		name, method, path string
		code               int
		errCode, want      string
	}{
		{"acquire in a missing workspace", http.MethodPut, base + "/workspaces/nope/entity-refs/models/m", 404, "not_found",
			`{"detail":"Workspace 'nope' not found"}`},
		{"acquire in an invalid workspace name", http.MethodPut, base + "/workspaces/No_Pe/entity-refs/models/m", 404, "not_found",
			`{"detail":"Workspace 'No_Pe' not found"}`},
		{"release in a missing workspace", http.MethodDelete, base + "/workspaces/nope/entity-refs/models/m", 404, "not_found",
			`{"detail":"Workspace 'nope' not found"}`},
		{"release not held", http.MethodDelete, refs + "models/never", 404, "not_found",
			`{"detail":"Entity reference 'models/never' not found in workspace 'ml-team'"}`},
		{"bad type", http.MethodPut, refs + "Models/m", 422, "invalid",
			`{"detail":[{"loc":["path","entity_type"],"msg":"String should match pattern '^[a-z][a-z0-9_-]{0,62}$' (entity type must start with a lowercase letter)","type":"string_pattern_mismatch","input":"Models"}]}`},
		{"bad type character", http.MethodDelete, refs + "mod.els/m", 422, "invalid",
			`{"detail":[{"loc":["path","entity_type"],"msg":"String should match pattern '^[a-z][a-z0-9_-]{0,62}$' (entity type must contain only lowercase letters, digits, '_' and '-')","type":"string_pattern_mismatch","input":"mod.els"}]}`},
		{"reserved type", http.MethodPut, refs + "projects/p", 422, "invalid",
			`{"detail":[{"loc":["path","entity_type"],"msg":"Value error, 'projects' is reserved for the workspace's projects","type":"value_error","input":"projects"}]}`},
		{"type too long", http.MethodPut, refs + "t" + strings.Repeat("x", 63) + "/m", 422, "invalid",
			`{"detail":[{"loc":["path","entity_type"],"msg":"String should have at most 63 characters","type":"string_too_long","input":"t` + strings.Repeat("x", 63) + `"}]}`},
		{"control character in name", http.MethodPut, refs + "models/a%01b", 422, "invalid",
			`{"detail":[{"loc":["path","entity_name"],"msg":"Value error, entity name must not contain control characters","type":"value_error","input":"a\u0001b"}]}`},
		{"name too long", http.MethodPut, refs + "models/" + long, 422, "invalid",
			`{"detail":[{"loc":["path","entity_name"],"msg":"String should have at most 255 bytes","type":"string_too_long","input":"` + long + `"}]}`},
		{"bad type and name", http.MethodPut, base + "/workspaces/nope/entity-refs/9/a%7Fb", 422, "invalid",
			`{"detail":[` +
				`{"loc":["path","entity_type"],"msg":"String should match pattern '^[a-z][a-z0-9_-]{0,62}$' (entity type must start with a lowercase letter)","type":"string_pattern_mismatch","input":"9"},` +
				`{"loc":["path","entity_name"],"msg":"Value error, entity name must not contain control characters","type":"value_error","input":"a\u007fb"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, tc.method, tc.path, nil).wantError(t, tc.code, tc.errCode, tc.want)
		})
	}
}

func TestServer_listRefsAndUsage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ml-team")
	ts.create(t, "empty")
	for _, ref := range [][2]string{{"models", "b"}, {"datasets", "z"}, {"models", "a"}, {"models", "c%2Fd"}, {"evals", "e"}} {
		ts.acquire(t, "ml-team", ref[0], ref[1])
	}
	list := func(t *testing.T, ws, query string) refPageJSON {
		t.Helper()
		r := ts.do(t, http.MethodGet, base+"/workspaces/"+ws+"/entity-refs?"+query, nil)
		if r.code != http.StatusOK {
			t.Fatalf("list: %s", r)
		}
		var p refPageJSON
		r.decode(t, &p)
		if p.Data == nil {
			t.Fatalf("data is null: %s", r)
		}
		return p
	}
	keys := func(p refPageJSON) []string {
		out := []string{}
		for _, r := range p.Data {
			out = append(out, r.EntityType+"/"+r.EntityName)
		}
		return out
	}

	t.Run("sorted by type then name", func(t *testing.T) {
		p := list(t, "ml-team", "")
		want := []string{"datasets/z", "evals/e", "models/a", "models/b", "models/c/d"}
		if !slices.Equal(keys(p), want) {
			t.Fatalf("got %v, want %v", keys(p), want)
		}
		if p.Pagination.Page != 1 || p.Pagination.PageSize != 100 || p.Pagination.CurrentPageSize != 5 || p.Pagination.TotalPages != 1 || p.Pagination.TotalResults != 5 {
			t.Fatalf("pagination %+v", p.Pagination)
		}
	})
	t.Run("pages", func(t *testing.T) {
		var all []string
		for page := 1; page <= 3; page++ {
			p := list(t, "ml-team", "page_size=2&page="+string(rune('0'+page)))
			if p.Pagination.TotalPages != 3 || p.Pagination.TotalResults != 5 {
				t.Fatalf("pagination %+v", p.Pagination)
			}
			all = append(all, keys(p)...)
		}
		if want := []string{"datasets/z", "evals/e", "models/a", "models/b", "models/c/d"}; !slices.Equal(all, want) {
			t.Fatalf("paged %v, want %v", all, want)
		}
		if p := list(t, "ml-team", "page=4&page_size=2"); len(p.Data) != 0 || p.Pagination.CurrentPageSize != 0 {
			t.Fatalf("past the end: %+v", p)
		}
	})
	t.Run("by type", func(t *testing.T) {
		p := list(t, "ml-team", "entity_type=models&page_size=2")
		if !slices.Equal(keys(p), []string{"models/a", "models/b"}) || p.Pagination.TotalResults != 3 || p.Pagination.TotalPages != 2 {
			t.Fatalf("got %v %+v", keys(p), p.Pagination)
		}
		if p := list(t, "ml-team", "entity_type=nothing"); len(p.Data) != 0 || p.Pagination.TotalResults != 0 || p.Pagination.TotalPages != 0 {
			t.Fatalf("unknown type: %+v", p)
		}
	})
	t.Run("empty workspace", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, base+"/workspaces/empty/entity-refs", nil)
		r.want(t, http.StatusOK, `{"data":[],"pagination":{"page":1,"page_size":100,"current_page_size":0,"total_pages":0,"total_results":0}}`)
	})
	t.Run("usage", func(t *testing.T) {
		ts.do(t, http.MethodGet, base+"/workspaces/ml-team/usage", nil).
			want(t, http.StatusOK, `{"workspace":"ml-team","total":5,"by_type":{"datasets":1,"evals":1,"models":3}}`)
		ts.do(t, http.MethodGet, base+"/workspaces/empty/usage", nil).
			want(t, http.StatusOK, `{"workspace":"empty","total":0,"by_type":{}}`)
	})
	for _, tc := range []struct{ name, path, code, want string }{
		{"list in a missing workspace", "/workspaces/nope/entity-refs", "not_found", `{"detail":"Workspace 'nope' not found"}`},
		{"usage of a missing workspace", "/workspaces/nope/usage", "not_found", `{"detail":"Workspace 'nope' not found"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, http.MethodGet, base+tc.path, nil).wantError(t, http.StatusNotFound, tc.code, tc.want)
		})
	}
	t.Run("422", func(t *testing.T) {
		ts.do(t, http.MethodGet, base+"/workspaces/ml-team/entity-refs?page_size=1001&entity_type=Bad", nil).
			wantError(t, http.StatusUnprocessableEntity, "invalid", `{"detail":[`+
				`{"loc":["query","page_size"],"msg":"Input should be less than or equal to 1000","type":"less_than_equal","input":"1001"},`+
				`{"loc":["query","entity_type"],"msg":"String should match pattern '^[a-z][a-z0-9_-]{0,62}$' (entity type must start with a lowercase letter)","type":"string_pattern_mismatch","input":"Bad"}]}`)
	})
}
