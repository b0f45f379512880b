package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

func FuzzDecodeCreateBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"ml-team"}`,
		`{"name":"ml-team","description":"d"}`,
		`{"name":"ml-team","description":null}`,
		`{"name":"Bad Name"}`,
		`{"name":5}`,
		`{"name":null}`,
		`{"name":"a","extra":[1,2,{"x":null}]}`,
		`{"name":"a","name":"b"}`,
		`{"name":"\ud800"}`,
		`{"name":"a\u0000"}`,
		`{"name":`,
		`[]`,
		`null`,
		``,
		`"x"`,
		`{"description":"` + strings.Repeat("x", 5000) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, is := decodeCreateWorkspace(body)
		if len(is) > 0 {
			for _, i := range is {
				if len(i.Loc) == 0 || i.Loc[0] != "body" || i.Type == "" || i.Msg == "" {
					t.Fatalf("malformed issue %+v", i)
				}
			}
			return
		}
		if msg := fsm.ValidateName(in.Name); msg != "" {
			t.Fatalf("no issues but name %q is invalid: %s", in.Name, msg)
		}
		if in.Description != nil {
			if msg := fsm.ValidateDescription(*in.Description); msg != "" {
				t.Fatalf("no issues but description is invalid: %s", msg)
			}
		}
	})
}

func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"",
		"page=2&page_size=10",
		"page=0&page_size=1001",
		"page=-1&page_size=-1",
		"page=99999999999999999999999&page_size=1000",
		"page=%zz&page_size=%",
		"sort=-name&filter[name][$like]=ml-%25",
		"filter=%7B%22name%22%3A%7B%22%24like%22%3A%22ml-%25%22%7D%7D",
		"filter={\"created_by\":5}",
		"filter[name]=a&filter[name][$like]=b",
		"filter[foo]=x&&&=&page",
		"filter=name%3A%22ml%22%20OR%20-(created_at%3E%3D%222025-01-01T00%3A00%3A00%2B02%3A00%22)",
		"search=name~%22a%22&filter[name][$in]=a,b",
		"consistency=stale&page=1;page_size=3",
		"page=+7&page_size= 12 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q := parseQuery(raw)
		var is issues
		p := parseList(&q, true, &is)
		if p.page < 1 || p.pageSize < 1 || p.pageSize > maxPageSize {
			t.Fatalf("page %d page_size %d out of bounds for %q", p.page, p.pageSize, raw)
		}
		if off := p.offset(); off < 0 {
			t.Fatalf("negative offset %d for %q", off, raw)
		}
		pg := p.pagination(0, 5)
		if pg.TotalPages < 1 {
			t.Fatalf("total_pages %d for 5 results", pg.TotalPages)
		}
		for _, i := range is {
			if len(i.Loc) != 2 || i.Loc[0] != "query" {
				t.Fatalf("malformed issue %+v", i)
			}
		}
		f, err := parseFilter(&q)
		var fe *filter.Error
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("filter error %T %v for %q, want *filter.Error", err, err, raw)
		}
		_ = filterEcho(f)
	})
}

func FuzzHandler(f *testing.F) {
	for _, s := range []struct{ method, path, body string }{
		{"GET", "/apis/entities/v2/workspaces", ""},
		{"GET", "/apis/entities/v2/workspaces?page=0&sort=x&filter=%7B", ""},
		{"GET", "/apis/entities/v2/workspaces?consistency=linearizable&filter[name][$like]=%25", ""},
		{"POST", "/apis/entities/v2/workspaces", `{"name":"fz"}`},
		{"POST", "/apis/entities/v2/workspaces?wait_role_propagation=1", `{"name":"Bad","x":1}`},
		{"PUT", "/apis/entities/v2/workspaces/fz", `{"description":null}`},
		{"PUT", "/apis/entities/v2/workspaces/fz", `{"name":"other"}`},
		{"DELETE", "/apis/entities/v2/workspaces/fz", ""},
		{"DELETE", "/apis/entities/v2/workspaces/default", ""},
		{"PUT", "/apis/entities/v2/workspaces/default/entity-refs/models/a%2Fb", ""},
		{"DELETE", "/apis/entities/v2/workspaces/default/entity-refs/models/a/b", ""},
		{"GET", "/apis/entities/v2/workspaces/default/entity-refs?entity_type=models&page_size=1", ""},
		{"GET", "/apis/entities/v2/workspaces/default/usage", ""},
		{"PATCH", "/apis/entities/v2/workspaces/x", "{}"},
		{"GET", "/v1/cluster/status", ""},
		{"GET", "/v1/cluster/members", ""},
		{"GET", "/v1/cluster/read-index", ""},
		{"GET", "/readyz", ""},
		{"GET", "/%2e%2e/x//y", ""},
	} {
		f.Add(s.method, s.path, []byte(s.body))
	}
	ts := newTestServer(f)
	h := ts.api.Handler()
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if !utf8.ValidString(path) {
			return
		}
		req, err := http.NewRequest(method, "http://wsd"+path, strings.NewReader(string(body)))
		if err != nil || req.URL.Host != "wsd" {
			return // not a request a client could send
		}
		req.RequestURI = req.URL.RequestURI()
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json") // else a 415 before any decoding
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code := rec.Code
		if code == http.StatusInternalServerError || !(code/100 == 2 || code/100 == 4 || code == http.StatusServiceUnavailable) {
			t.Fatalf("%s %q (body %q): status %d %s", method, path, body, code, rec.Body)
		}
		if rec.Header().Get("X-Wsd-Index") == "" || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s %q: headers %v", method, path, rec.Header())
		}
	})
}
