package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

func names(p pageJSON) []string {
	out := make([]string, len(p.Data))
	for i, w := range p.Data {
		out[i] = w.Name
	}
	return out
}

func (ts *testServer) list(t *testing.T, rawQuery string) pageJSON {
	t.Helper()
	r := ts.do(t, http.MethodGet, base+"/workspaces?"+rawQuery, nil)
	if r.code != http.StatusOK {
		t.Fatalf("list ?%s: %s", rawQuery, r)
	}
	var p pageJSON
	r.decode(t, &p)
	if p.Data == nil {
		t.Fatalf("list ?%s: data is null, want a list", rawQuery)
	}
	return p
}

func TestServer_listWorkspaces(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	// Created back to back; the built-ins share one timestamp, so every
	// timestamp order has a tie to break by name.
	created := []string{"ml-b", "ml-a", "data-x", "ml-c", "zeta", "alpha"}
	for _, n := range created {
		ts.create(t, n)
	}
	// Updating moves ml-a last in updated_at order.
	if r := ts.do(t, http.MethodPut, base+"/workspaces/ml-a", `{"description":"touched"}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	all := ts.list(t, "page_size=1000")
	if all.Pagination.TotalResults != 8 {
		t.Fatalf("total = %d, want 8 (6 created and 2 built-ins)", all.Pagination.TotalResults)
	}

	t.Run("default page", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, base+"/workspaces", nil)
		var p pageJSON
		r.decode(t, &p)
		if p.Sort != "-created_at" || string(p.Filter) != "null" {
			t.Fatalf("sort %q filter %s, want -created_at and null", p.Sort, p.Filter)
		}
		want := `{"page":1,"page_size":100,"current_page_size":8,"total_pages":1,"total_results":8}`
		if got := fmt.Sprintf(`{"page":%d,"page_size":%d,"current_page_size":%d,"total_pages":%d,"total_results":%d}`,
			p.Pagination.Page, p.Pagination.PageSize, p.Pagination.CurrentPageSize, p.Pagination.TotalPages, p.Pagination.TotalResults); got != want {
			t.Fatalf("pagination %s, want %s", got, want)
		}
		if !strings.Contains(string(r.body), `"pagination":{"page":1,"page_size":100,"current_page_size":8,"total_pages":1,"total_results":8}`) {
			t.Fatalf("body %s lacks the exact pagination object", r.body)
		}
	})

	t.Run("every sort, ties broken by name, pages never overlap", func(t *testing.T) {
		byKey := func(key func(w wsJSON) string, desc bool) []string {
			ws := slices.Clone(all.Data)
			sort.Slice(ws, func(i, j int) bool {
				ki, kj := key(ws[i]), key(ws[j])
				if ki != kj {
					return (ki < kj) != desc
				}
				return (ws[i].Name < ws[j].Name) != desc
			})
			return names(pageJSON{Data: ws})
		}
		created := func(w wsJSON) string { return w.CreatedAt }
		updated := func(w wsJSON) string { return w.UpdatedAt }
		name := func(w wsJSON) string { return w.Name }
		for _, tc := range []struct {
			sort string
			want []string
		}{
			{"created_at", byKey(created, false)},
			{"-created_at", byKey(created, true)},
			{"updated_at", byKey(updated, false)},
			{"-updated_at", byKey(updated, true)},
			{"name", byKey(name, false)},
			{"-name", byKey(name, true)},
		} {
			t.Run(tc.sort, func(t *testing.T) {
				p := ts.list(t, "sort="+tc.sort)
				if p.Sort != tc.sort || !slices.Equal(names(p), tc.want) {
					t.Fatalf("sort=%s: %v (echo %q), want %v", tc.sort, names(p), p.Sort, tc.want)
				}
				var paged []string
				for page := 1; page <= 3; page++ {
					pp := ts.list(t, fmt.Sprintf("sort=%s&page=%d&page_size=3", tc.sort, page))
					if pp.Pagination.TotalPages != 3 || pp.Pagination.Page != page || pp.Pagination.CurrentPageSize != len(pp.Data) {
						t.Fatalf("page %d pagination %+v", page, pp.Pagination)
					}
					paged = append(paged, names(pp)...)
				}
				if !slices.Equal(paged, tc.want) {
					t.Fatalf("pages of 3 = %v, want %v", paged, tc.want)
				}
			})
		}
		// The tie itself: the built-ins were created at the same instant.
		if p := ts.list(t, "sort=created_at&page_size=2"); !slices.Equal(names(p), []string{"default", "system"}) {
			t.Fatalf("created_at first two = %v, want [default system]", names(p))
		}
		if p := ts.list(t, "sort=-created_at&page=4&page_size=2"); !slices.Equal(names(p), []string{"system", "default"}) {
			t.Fatalf("-created_at last two = %v, want [system default]", names(p))
		}
		if p := ts.list(t, "sort=updated_at&page=8&page_size=1"); !slices.Equal(names(p), []string{"ml-a"}) {
			t.Fatalf("updated_at last = %v, want [ml-a]", names(p))
		}
	})

	t.Run("page past the end", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, base+"/workspaces?page=5&page_size=3", nil)
		r.want(t, http.StatusOK, "")
		if !strings.Contains(string(r.body), `"data":[]`) ||
			!strings.Contains(string(r.body), `"pagination":{"page":5,"page_size":3,"current_page_size":0,"total_pages":3,"total_results":8}`) {
			t.Fatalf("got %s", r.body)
		}
		if p := ts.list(t, "page=99999999999"); len(p.Data) != 0 {
			t.Fatalf("huge page: %v", names(p))
		}
	})

	t.Run("filters", func(t *testing.T) {
		q := func(s string) string { return url.PathEscape(s) }
		for _, tc := range []struct {
			name, query, echo string
			want              []string
		}{
			{"exact name", "filter[name]=ml-a", `{"name":"ml-a"}`, []string{"ml-a"}},
			{"exact name, escaped brackets", "filter%5Bname%5D=zeta", `{"name":"zeta"}`, []string{"zeta"}},
			{"exact name, no match", "filter[name]=ml", `{"name":"ml"}`, []string{}},
			{"like", "filter[name][$like]=ml-%25", `{"name":{"$like":"ml-%"}}`, []string{"ml-a", "ml-b", "ml-c"}},
			{"like one char", "filter[name][$like]=ml-_", `{"name":{"$like":"ml-_"}}`, []string{"ml-a", "ml-b", "ml-c"}},
			{"like suffix", "filter[name][$like]=%25a", `{"name":{"$like":"%a"}}`, []string{"alpha", "data-x", "default", "ml-a", "zeta"}},
			{"created_by", "filter[created_by]=", `{"created_by":""}`, names(ts.list(t, "sort=name"))},
			{"created_by nobody", "filter[created_by]=alice", `{"created_by":"alice"}`, []string{}},
			{"json like", "filter=" + q(`{"name":{"$like":"ml-%"}}`), `{"name":{"$like":"ml-%"}}`, []string{"ml-a", "ml-b", "ml-c"}},
			{"json exact", "filter=" + q(`{"name":"data-x"}`), `{"name":"data-x"}`, []string{"data-x"}},
			{"json created_by", "filter=" + q(`{"created_by":"alice"}`), `{"created_by":"alice"}`, []string{}},
			{"json empty", "filter=" + q(`{}`), `null`, names(ts.list(t, "sort=name"))},
			{"like and created_by", "filter[name][$like]=%25t%25&filter[created_by]=", `{"name":{"$like":"%t%"},"created_by":""}`, []string{"data-x", "default", "system", "zeta"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := ts.list(t, tc.query+"&sort=name")
				if !slices.Equal(names(p), tc.want) {
					t.Fatalf("got %v, want %v", names(p), tc.want)
				}
				if p.Pagination.TotalResults != len(tc.want) {
					t.Fatalf("total_results %d, want %d", p.Pagination.TotalResults, len(tc.want))
				}
				r := ts.do(t, http.MethodGet, base+"/workspaces?"+tc.query, nil)
				var echo struct {
					Filter json.RawMessage `json:"filter"`
				}
				r.decode(t, &echo)
				jsonEqual(t, echo.Filter, tc.echo)
			})
		}
	})

	t.Run("unknown parameters are ignored", func(t *testing.T) {
		if p := ts.list(t, "foo=bar&sortt=x&filterx=1"); len(p.Data) != 8 {
			t.Fatalf("got %d workspaces", len(p.Data))
		}
	})

	t.Run("422", func(t *testing.T) {
		const sortMsg = "Input should be 'created_at', '-created_at', 'updated_at', '-updated_at', 'name' or '-name'"
		for _, tc := range []struct{ name, query, want string }{
			{"page_size 0", "page_size=0",
				`{"detail":[{"loc":["query","page_size"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal","input":"0"}]}`},
			{"page_size 1001", "page_size=1001",
				`{"detail":[{"loc":["query","page_size"],"msg":"Input should be less than or equal to 1000","type":"less_than_equal","input":"1001"}]}`},
			{"page 0", "page=0",
				`{"detail":[{"loc":["query","page"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal","input":"0"}]}`},
			{"page negative", "page=-2",
				`{"detail":[{"loc":["query","page"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal","input":"-2"}]}`},
			{"page not an integer", "page=two",
				`{"detail":[{"loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing","input":"two"}]}`},
			{"page_size float", "page_size=1.5",
				`{"detail":[{"loc":["query","page_size"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing","input":"1.5"}]}`},
			{"page empty", "page=",
				`{"detail":[{"loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing","input":""}]}`},
			{"bad sort", "sort=size",
				`{"detail":[{"loc":["query","sort"],"msg":"` + sortMsg + `","type":"literal_error","input":"size"}]}`},
			{"sort with two dashes", "sort=--name",
				`{"detail":[{"loc":["query","sort"],"msg":"` + sortMsg + `","type":"literal_error","input":"--name"}]}`},
			{"every problem at once", "page=x&page_size=0&sort=bad",
				`{"detail":[` +
					`{"loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing","input":"x"},` +
					`{"loc":["query","page_size"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal","input":"0"},` +
					`{"loc":["query","sort"],"msg":"` + sortMsg + `","type":"literal_error","input":"bad"}]}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ts.do(t, http.MethodGet, base+"/workspaces?"+tc.query, nil).wantError(t, http.StatusUnprocessableEntity, "invalid", tc.want)
			})
		}
	})
}
