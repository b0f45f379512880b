package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzReadIndexAnswer feeds arbitrary answers of the leader's
// /v1/cluster/read-index to a follower: only a 200 whose body is a read
// index gives one, faithfully; anything else is an error the client sees
// as a 503 (never a 500), and nothing panics.
func FuzzReadIndexAnswer(f *testing.F) {
	f.Add(200, "", []byte(`{"index":42}`))
	f.Add(200, "", []byte(`{"index":-1}`))
	f.Add(200, "", []byte(`{"index":18446744073709551616}`))
	f.Add(503, "no_leader", []byte(`{"detail":"x"}`))
	f.Add(500, "internal", []byte(`{"detail":"x"}`))
	f.Add(200, "", []byte(`{"index":1}{"index":2}`))
	f.Add(200, "", []byte(strings.Repeat(" ", 5000)+`{"index":3}`))
	f.Add(200, "", []byte(`[`))
	var (
		mu   sync.Mutex
		code int
		hdr  string
		body []byte
	)
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		h := http.Header{}
		if hdr != "" {
			h.Set(client.HeaderErrorCode, hdr)
		}
		return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	fc := &fakeCluster{isLeader: always(false), leader: func() (cluster.Peer, bool) {
		return cluster.Peer{ID: "l", HTTPAddr: "http://leader"}, true
	}}
	_, api := newFakeServer(f, fc, func(c *Config) { c.ForwardTransport = tr })
	f.Fuzz(func(t *testing.T, c int, errCode string, b []byte) {
		if c < 100 || c > 999 {
			c = 200
		}
		mu.Lock()
		code, hdr, body = c, errCode, b
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req := httptest.NewRequest(http.MethodGet, "/apis/entities/v2/workspaces?consistency=linearizable", nil)
		idx, err := api.remoteReadIndex(ctx, req)
		if err != nil {
			if a := toAnswer(err); a.status != http.StatusServiceUnavailable {
				t.Fatalf("%d %q: error %v answers %d, want 503", c, b, err, a.status)
			}
			return
		}
		var want readIndexBody
		if c != 200 || json.NewDecoder(io.LimitReader(bytes.NewReader(b), 4096)).Decode(&want) != nil || idx != want.Index {
			t.Fatalf("%d %q: index %d", c, b, idx)
		}
	})
}

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
