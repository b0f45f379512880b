package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// FuzzRequestHeaders sends reads and writes with arbitrary X-Wsd-Min-Index,
// consistency, Content-Type, forwarding-hops, paging and filter values to
// a node: every answer is a 2xx, a 4xx or a 503 with the JSON error body,
// never a 500.
func FuzzRequestHeaders(f *testing.F) {
	for _, s := range []struct{ minIndex, consistency, contentType, hops, q string }{
		{"1", "default", "application/json", "", "page=1"},
		{"18446744073709551615", "linearizable", "text/plain", "999", "page_size=0"},
		{"-1", "stale", "application/json; charset=utf-8", "-1", "filter[name][$like]=%25"},
		{"abc", "bogus", "application/json; charset=latin1", "abc", "filter=%7B"},
		{" 7 ", "", "multipart/form-data; boundary=x", "1", strings.Repeat("filter[created_by]=x&", 40)},
	} {
		f.Add(s.minIndex, s.consistency, s.contentType, s.hops, s.q, true)
	}
	ts := newTestServer(f, func(c *Config) { c.MinIndexWait = time.Millisecond })
	h := ts.api.Handler()
	f.Fuzz(func(t *testing.T, minIndex, consistency, contentType, hops, q string, write bool) {
		method, path, body := http.MethodGet, "/apis/entities/v2/workspaces", ""
		if write {
			method, path, body = http.MethodPut, "/apis/entities/v2/workspaces/default", `{"description":"d"}`
		}
		target := "http://wsd" + path + "?consistency=" + consistency + "&" + q
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range map[string]string{client.HeaderMinIndex: minIndex, "Content-Type": contentType, hopsHeader: hops} {
			if v != "" {
				req.Header[k] = []string{v}
			}
		}
		req.RequestURI = req.URL.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		c := rec.Code
		if !(c/100 == 2 || c/100 == 4 || c == http.StatusServiceUnavailable) {
			t.Fatalf("%s %q min %q ct %q hops %q: %d %s", method, target, minIndex, contentType, hops, c, rec.Body)
		}
		if c >= 400 {
			var e struct {
				Detail json.RawMessage `json:"detail"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || len(e.Detail) == 0 {
				t.Fatalf("%d without the error body: %q", c, rec.Body)
			}
		}
	})
}
