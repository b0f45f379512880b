package httpapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDeadlines_streamProgress checks that a stream whose reader stops
// reading is cut off after StreamProgress without progress, although the
// server's WriteTimeout is far away, and that the handler returns (no
// goroutine held): issue 11, a snapshot download never read.
func TestDeadlines_streamProgress(t *testing.T) {
	_, api := newFakeServer(t, &fakeCluster{isLeader: always(true)}, func(c *Config) { c.StreamProgress = 200 * time.Millisecond })
	done := make(chan error, 1)
	stream := api.deadlines(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("s", 1<<20))
		for range 1024 { // 1 GiB: far more than the socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: stream, WriteTimeout: time.Hour}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET "+clusterSnapshotPath+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Read the headers only, then stop reading.
	if _, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("1 GiB written to a reader that reads nothing")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream is still held a minute after its reader stopped reading")
	}
}

// TestDeadlines_requestTimeout checks that every other request has a
// deadline on its context.
func TestDeadlines_requestTimeout(t *testing.T) {
	_, api := newFakeServer(t, &fakeCluster{isLeader: always(true)}, func(c *Config) { c.MaxTimeout = time.Minute })
	for _, p := range []string{"/apis/entities/v2/workspaces", clusterSnapshotPath} {
		var dl time.Time
		var ok bool
		h := api.deadlines(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { dl, ok = r.Context().Deadline() }))
		r, _ := http.NewRequest(http.MethodGet, "http://x"+p, nil)
		h.ServeHTTP(discard{}, r)
		if stream := p == clusterSnapshotPath; ok == stream || (!stream && time.Until(dl) > time.Minute) {
			t.Errorf("%s: deadline %v (set %v)", p, dl, ok)
		}
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
