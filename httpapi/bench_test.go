package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The handler benchmarks measure the API's own cost per read, without the
// network: routing, consistency, lookup and encoding.
func benchHandler(b *testing.B, path string) {
	ts := newTestServer(b)
	ts.create(b, "bench")
	h := ts.api.Handler()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

func BenchmarkHandler_getWorkspace(b *testing.B) {
	benchHandler(b, base+"/workspaces/bench")
}

func BenchmarkHandler_listWorkspaces(b *testing.B) {
	benchHandler(b, base+"/workspaces?page_size=10&sort=name")
}
