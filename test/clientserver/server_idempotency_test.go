package clientserver_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// loseFirstAnswer is a proxy in front of upstream that passes the first
// POST on, lets the server apply it, and then drops the connection instead
// of returning the answer: the client's write has an unknown outcome.
func loseFirstAnswer(t *testing.T, upstream string) (url string, posts *atomic.Int32) {
	t.Helper()
	posts = new(atomic.Int32)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(data)
	}))
	t.Cleanup(p.Close)
	return p.URL, posts
}

// A create whose answer was lost is retried with the same idempotency key
// and answered 201 with the workspace it created, once; not 409.
func TestServer_createRetriedAfterLostAnswer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := ctxT(t)

	url, posts := loseFirstAnswer(t, srv.URL)
	c := newClient(t, url)
	ws, err := c.CreateWorkspace(ctx, "lost-answer")
	if err != nil {
		t.Fatalf("create: %v, want the first answer (201) after a retry", err)
	}
	if got := posts.Load(); got != 2 {
		t.Fatalf("the proxy saw %d POSTs, want 2 (the lost one and the retry)", got)
	}
	direct := newClient(t, srv.URL)
	got, err := direct.GetWorkspace(ctx, "lost-answer")
	if err != nil || got.ID != ws.ID {
		t.Fatalf("workspace on the server = %+v, %v; want the one the retry reported (%s)", got, err, ws.ID)
	}
	list, err := direct.ListWorkspaces(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range list.Data {
		if w.Name == "lost-answer" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d workspaces named lost-answer, want 1", n)
	}

	// Without keys the same loss is an unknown outcome the caller sees.
	url2, _ := loseFirstAnswer(t, srv.URL)
	noKeys := newClientWith(t, func(c *client.Config) { c.NoIdempotencyKeys = true }, url2)
	if _, err := noKeys.CreateWorkspace(ctx, "lost-answer-2"); !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Fatalf("without keys: err = %v, want ErrOutcomeUnknown", err)
	}
}
