package httpapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
		Headers map[string]json.RawMessage `json:"headers"`
	} `json:"components"`
}

func fetchOpenAPI(t *testing.T, ts *testServer) (openAPIDoc, []byte) {
	t.Helper()
	r := ts.do(t, http.MethodGet, openAPIPath, nil)
	if r.code != http.StatusOK {
		t.Fatalf("GET %s: %s", openAPIPath, r)
	}
	var doc openAPIDoc
	r.decode(t, &doc)
	return doc, r.body
}

// routeMethods walks the API router and returns each path template with
// the methods its route answers.
func routeMethods(t *testing.T, s *Server) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := s.router().(*mux.Router).Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		sw, ok := route.GetHandler().(*methodSwitch)
		if !ok {
			t.Fatalf("route %s: handler is %T, want *methodSwitch (a server without metrics)", tmpl, route.GetHandler())
		}
		out[tmpl] = sw.methods
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every route registered on the router, with every method it answers, is
// in the document.
func TestOpenAPI_documentsEveryRoute(t *testing.T) {
	ts := newTestServer(t)
	doc, _ := fetchOpenAPI(t, ts)
	routes := routeMethods(t, ts.api)
	if len(routes) < 10 {
		t.Fatalf("walked %d routes, want the whole API", len(routes))
	}
	for tmpl, methods := range routes {
		p := openAPIPathOf(tmpl)
		item, ok := doc.Paths[p]
		if !ok {
			t.Errorf("route %s (%v) is not documented: add it to apiCatalog in openapi.go", tmpl, methods)
			continue
		}
		for _, m := range methods {
			if _, ok := item[strings.ToLower(m)]; !ok {
				t.Errorf("%s %s is not documented", m, p)
			}
		}
	}
}

// samplePath fills a documented path's parameters with values that exist
// nowhere, so probing it changes nothing.
func samplePath(p string) string {
	return templateParam.ReplaceAllStringFunc(p, func(string) string { return "probe-x" })
}

// Every documented path and method is served: a request to it reaches a
// handler, never the JSON 404 of an unknown path nor a 405.
func TestOpenAPI_everyDocumentedPathIsServed(t *testing.T) {
	ts := newTestServer(t)
	doc, _ := fetchOpenAPI(t, ts)
	external := map[string]bool{}
	for _, e := range apiCatalog() {
		if e.external {
			external[openAPIPathOf(e.path)] = true
		}
	}
	var paths []string
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if external[p] {
			continue // served by cmd/wsd next to this router; the e2e suite checks it
		}
		for m := range doc.Paths[p] {
			method := strings.ToUpper(m)
			t.Run(method+" "+p, func(t *testing.T) {
				var body any
				if method == http.MethodPost || method == http.MethodPut {
					body = "{}"
				}
				r := ts.do(t, method, samplePath(p), body)
				if r.code == http.StatusMethodNotAllowed {
					t.Fatalf("405: the route does not answer %s (Allow: %s)", method, r.header.Get("Allow"))
				}
				if r.code == http.StatusNotFound {
					var e struct {
						Detail any `json:"detail"`
					}
					_ = json.Unmarshal(r.body, &e)
					if e.Detail == errRouteNotFound.detail {
						t.Fatalf("no route serves the documented path: %s", r)
					}
				}
			})
		}
	}
}

// The document is well formed: OpenAPI 3.1, every reference resolves, and
// operation ids are unique.
func TestOpenAPI_wellFormed(t *testing.T) {
	ts := newTestServer(t)
	doc, raw := fetchOpenAPI(t, ts)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	var all any
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				kind, name, _ := strings.Cut(strings.TrimPrefix(r, "#/components/"), "/")
				var found bool
				switch kind {
				case "schemas":
					_, found = doc.Components.Schemas[name]
				case "headers":
					_, found = doc.Components.Headers[name]
				}
				if !found {
					t.Errorf("%s: $ref %q does not resolve", path, r)
				}
			}
			if id, ok := v["operationId"].(string); ok {
				if prev, dup := ids[id]; dup {
					t.Errorf("operationId %q used by %s and %s", id, prev, path)
				}
				ids[id] = path
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path+"/[]", c)
			}
		}
	}
	walk("#", all)
	for p, item := range doc.Paths {
		for m, raw := range item {
			var o struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &o); err != nil || len(o.Responses) == 0 {
				t.Errorf("%s %s: no responses (err %v)", m, p, err)
			}
		}
	}
}

func TestPathShape(t *testing.T) {
	tests := []struct{ tmpl, shape, oa string }{
		{"/a/{ws}/b/{entity_name:.+}", "/a/{}/b/{}", "/a/{ws}/b/{entity_name}"},
		{"/healthz", "/healthz", "/healthz"},
		{"/a/{name}", "/a/{}", "/a/{name}"},
	}
	for _, tt := range tests {
		if got := pathShape(tt.tmpl); got != tt.shape {
			t.Errorf("pathShape(%q) = %q, want %q", tt.tmpl, got, tt.shape)
		}
		if got := openAPIPathOf(tt.tmpl); got != tt.oa {
			t.Errorf("openAPIPathOf(%q) = %q, want %q", tt.tmpl, got, tt.oa)
		}
	}
}
