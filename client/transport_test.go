package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// The tests in this file drive the client against httptest servers that
// speak the wire contract, to inject failures a real node cannot be made to
// produce on demand.

// fake is an httptest server that records the requests it gets.
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
}

func (f *fake) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

// body returns the body of the i-th request.
func (f *fake) body(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[i]
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// deadEndpoint is a URL on which nothing listens.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func newClient(t *testing.T, endpoints ...string) *client.Client {
	t.Helper()
	return newClientWith(t, func(*client.Config) {}, endpoints...)
}

func newClientWith(t *testing.T, mod func(*client.Config), endpoints ...string) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Endpoints = endpoints
	cfg.RetryBackoff = 10 * time.Millisecond
	mod(&cfg)
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, detail string) {
	if code != "" {
		w.Header().Set(client.HeaderErrorCode, code)
	}
	writeJSON(w, status, client.ErrorBody{Detail: detail})
}

func workspace(name string) client.Workspace {
	return client.Workspace{ID: "id-" + name, Name: name, CreatedAt: client.Time{Time: time.Now()}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNew_validation(t *testing.T) {
	tests := []struct {
		name      string
		endpoints []string
		wantErr   bool
	}{
		{"default", []string{"http://localhost:8080"}, false},
		{"https with path", []string{"https://wsd.example.com/prefix/"}, false},
		{"several", []string{"http://a:1", "http://b:2"}, false},
		{"none", nil, true},
		{"no scheme", []string{"localhost:8080"}, true},
		{"ftp", []string{"ftp://host"}, true},
		{"no host", []string{"http://"}, true},
		{"query", []string{"http://host?x=1"}, true},
		{"one bad", []string{"http://a:1", "::"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := client.DefaultConfig()
			cfg.Endpoints = tt.endpoints
			c, err := client.New(cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v, want error %v", tt.endpoints, err, tt.wantErr)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestClient_failover(t *testing.T) {
	live := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, workspace("ml-team"))
		case http.MethodPost:
			writeJSON(w, http.StatusCreated, workspace("ml-team"))
		}
	})
	tests := []struct {
		name string
		call func(context.Context, *client.Client) error
	}{
		{"read", func(ctx context.Context, c *client.Client) error {
			_, err := c.GetWorkspace(ctx, "ml-team")
			return err
		}},
		{"write not sent", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateWorkspace(ctx, "ml-team")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dead := deadEndpoint(t)
			c := newClient(t, dead, live.URL)
			before := len(live.requests())
			if err := tt.call(ctxT(t), c); err != nil {
				t.Fatalf("call with endpoints [dead, live]: %v", err)
			}
			if got := len(live.requests()) - before; got != 1 {
				t.Errorf("live endpoint got %d requests, want 1", got)
			}
			if got := c.Endpoints()[0]; got != live.URL {
				t.Errorf("current endpoint after failover = %s, want %s", got, live.URL)
			}
		})
	}
}

func TestClient_allEndpointsDead(t *testing.T) {
	c := newClient(t, deadEndpoint(t), deadEndpoint(t))
	_, err := c.GetWorkspace(ctxT(t), "x")
	if !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("err = %v is ErrOutcomeUnknown, want not (nothing was sent)", err)
	}
}

func TestClient_retryOn503(t *testing.T) {
	tests := []struct {
		name       string
		code       string // error code of the first answer
		write      bool
		wantCalls  int
		wantErr    error
		retryAfter string
		noKeys     bool
	}{
		{"read, no code", "", false, 2, nil, "", false},
		{"read, outcome unknown code", client.CodeOutcomeUnknown, false, 2, nil, "", false},
		{"write, no leader", client.CodeNoLeader, true, 2, nil, "1", false},
		{"write, unavailable", client.CodeUnavailable, true, 2, nil, "", false},
		{"write, cluster mismatch", client.CodeClusterMismatch, true, 2, nil, "", false},
		{"write without key, outcome unknown", client.CodeOutcomeUnknown, true, 1, client.ErrOutcomeUnknown, "", true},
		{"write with key, outcome unknown", client.CodeOutcomeUnknown, true, 2, nil, "", false},
		{"write, no code", "", true, 1, client.ErrUnavailable, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeError(w, http.StatusServiceUnavailable, tt.code, "no leader")
					return
				}
				writeJSON(w, http.StatusCreated, workspace("a"))
			})
			c := newClientWith(t, func(c *client.Config) { c.NoIdempotencyKeys = tt.noKeys }, f.URL)
			start := time.Now()
			var err error
			if tt.write {
				_, err = c.CreateWorkspace(ctxT(t), "a")
			} else {
				_, err = c.GetWorkspace(ctxT(t), "a")
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v, want success after a retry", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := int(n.Load()); got != tt.wantCalls {
				t.Errorf("server got %d requests, want %d", got, tt.wantCalls)
			}
			if tt.retryAfter != "" {
				if d := time.Since(start); d < 900*time.Millisecond {
					t.Errorf("retried after %s, want at least the Retry-After of 1s", d)
				}
			}
		})
	}
}

func TestClient_503RetryAfterBoundedByContext(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		writeError(w, http.StatusServiceUnavailable, client.CodeNoLeader, "no leader")
	})
	c := newClient(t, f.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetWorkspace(ctx, "a")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("call took %s, want it cut short by the 200ms context", d)
	}
	var se *client.StatusError
	if !errors.As(err, &se) || se.RetryAfter != 3*time.Second {
		t.Fatalf("err = %#v, want *StatusError with RetryAfter 3s", err)
	}
	if !errors.Is(err, client.ErrNoLeader) || !errors.Is(err, client.ErrUnavailable) {
		t.Errorf("err = %v, want ErrNoLeader and ErrUnavailable", err)
	}
}

func TestClient_maxRetries(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeError(w, http.StatusServiceUnavailable, client.CodeUnavailable, "busy")
	})
	tests := []struct {
		name       string
		maxRetries int
		wantCalls  int
	}{
		{"default", 0, 1 + client.DefaultMaxRetries},
		{"two", 2, 3},
		{"disabled", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.Store(0)
			cfg := client.DefaultConfig()
			cfg.Endpoints = []string{f.URL}
			cfg.MaxRetries = tt.maxRetries
			cfg.RetryBackoff = time.Millisecond
			c, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.GetWorkspace(ctxT(t), "a"); !errors.Is(err, client.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if got := int(n.Load()); got != tt.wantCalls {
				t.Errorf("server got %d requests, want %d", got, tt.wantCalls)
			}
		})
	}
}

// A connection that breaks after the request was sent leaves a write's
// outcome unknown: without an idempotency key it must not be repeated;
// with one it is repeated with the same key. A read is repeated.
func TestClient_connectionLostAfterSend(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		writeJSON(w, http.StatusOK, workspace("a"))
	})
	t.Run("write without key", func(t *testing.T) {
		n.Store(0)
		c := newClientWith(t, func(c *client.Config) { c.NoIdempotencyKeys = true }, f.URL)
		_, err := c.CreateWorkspace(ctxT(t), "a")
		if !errors.Is(err, client.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
		if errors.Is(err, client.ErrUnavailable) {
			t.Errorf("err = %v is ErrUnavailable, want not (it may have been applied)", err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("server got %d requests, want 1 (no retry)", got)
		}
	})
	t.Run("write with key", func(t *testing.T) {
		n.Store(0)
		before := len(f.requests())
		c := newClient(t, f.URL)
		if _, err := c.CreateWorkspace(ctxT(t), "a"); err != nil {
			t.Fatalf("err = %v, want success after a retry with the same key", err)
		}
		reqs := f.requests()[before:]
		if len(reqs) != 2 {
			t.Fatalf("server got %d requests, want 2", len(reqs))
		}
		k1, k2 := reqs[0].Header.Get(client.HeaderIdempotencyKey), reqs[1].Header.Get(client.HeaderIdempotencyKey)
		if k1 == "" || k1 != k2 {
			t.Fatalf("keys %q and %q, want one non-empty key on both attempts", k1, k2)
		}
	})
	t.Run("read", func(t *testing.T) {
		n.Store(0)
		c := newClient(t, f.URL)
		if _, err := c.GetWorkspace(ctxT(t), "a"); err != nil {
			t.Fatalf("err = %v, want success after a retry", err)
		}
		if got := n.Load(); got != 2 {
			t.Errorf("server got %d requests, want 2", got)
		}
	})
}

func TestClient_writeTimeoutAfterSend(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newClient(t, f.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.CreateWorkspace(ctx, "a")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want context.DeadlineExceeded and ErrOutcomeUnknown", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server got %d requests, want 1", got)
	}
}

func TestStatusError_decode(t *testing.T) {
	issues := []client.ValidationIssue{
		{Loc: []string{"body", "name"}, Msg: "String should match pattern", Type: "string_pattern_mismatch", Input: "Bad Name"},
		{Loc: []string{"body", "color"}, Msg: "Extra inputs are not permitted", Type: "extra_forbidden"},
	}
	tests := []struct {
		name       string
		status     int
		code       string
		body       string
		want       []error
		notWant    []error
		wantDetail string
		wantIssues int
	}{
		{"not found", 404, "not_found", `{"detail":"Workspace 'x' not found"}`,
			[]error{client.ErrNotFound}, []error{client.ErrConflict}, "Workspace 'x' not found", 0},
		{"already exists", 409, "already_exists", `{"detail":"Workspace 'x' already exists"}`,
			[]error{client.ErrAlreadyExists, client.ErrConflict}, []error{client.ErrNotEmpty}, "Workspace 'x' already exists", 0},
		{"not empty", 409, "not_empty", `{"detail":"Workspace 'x' is not empty: 1 entities remain (models: 1). Remove all entities before deleting."}`,
			[]error{client.ErrNotEmpty, client.ErrConflict}, []error{client.ErrAlreadyExists}, "Workspace 'x' is not empty: 1 entities remain (models: 1). Remove all entities before deleting.", 0},
		{"builtin", 409, "builtin", `{"detail":"Workspace 'default' is built-in"}`,
			[]error{client.ErrBuiltin, client.ErrConflict}, []error{client.ErrNotEmpty}, "Workspace 'default' is built-in", 0},
		{"conflict without code", 409, "", `{"detail":"conflict"}`,
			[]error{client.ErrConflict}, []error{client.ErrAlreadyExists, client.ErrNotEmpty}, "conflict", 0},
		{"validation list", 422, "invalid", mustJSON(t, client.ValidationErrorBody{Detail: issues}),
			[]error{client.ErrInvalid}, []error{client.ErrNotFound}, "body.name: String should match pattern; body.color: Extra inputs are not permitted", 2},
		{"validation without code", 422, "", mustJSON(t, client.ValidationErrorBody{Detail: issues[:1]}),
			[]error{client.ErrInvalid}, nil, "body.name: String should match pattern", 1},
		{"bad request", 400, "", `{"detail":"bad"}`, []error{client.ErrInvalid}, nil, "bad", 0},
		{"too large", 413, "too_large", `{"detail":"Request body too large"}`, []error{client.ErrTooLarge}, nil, "Request body too large", 0},
		{"unauthorized", 401, "unauthorized", `{"detail":"Unauthorized"}`, []error{client.ErrUnauthorized}, []error{client.ErrForbidden}, "Unauthorized", 0},
		{"forbidden", 403, "forbidden", `{"detail":"Forbidden"}`, []error{client.ErrForbidden}, []error{client.ErrUnauthorized}, "Forbidden", 0},
		{"code wins over status", 404, "already_exists", `{"detail":"odd"}`,
			[]error{client.ErrAlreadyExists}, []error{client.ErrNotFound}, "odd", 0},
		{"unknown code falls back to status", 404, "something_new", `{"detail":"gone"}`,
			[]error{client.ErrNotFound}, nil, "gone", 0},
		{"proxy page", 502, "", "<html>Bad Gateway</html>",
			nil, []error{client.ErrUnavailable, client.ErrNotFound, client.ErrInvalid}, "<html>Bad Gateway</html>", 0},
		{"empty body", 500, "", "", nil, []error{client.ErrUnavailable}, "Internal Server Error", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.code != "" {
					w.Header().Set(client.HeaderErrorCode, tt.code)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			c := newClient(t, f.URL)
			_, err := c.DeleteWorkspace(ctxT(t), "x")
			var se *client.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %#v, want *StatusError", err)
			}
			if se.StatusCode != tt.status || se.Code != tt.code {
				t.Errorf("status, code = %d, %q; want %d, %q", se.StatusCode, se.Code, tt.status, tt.code)
			}
			if se.Detail != tt.wantDetail {
				t.Errorf("Detail = %q, want %q", se.Detail, tt.wantDetail)
			}
			if len(se.Issues) != tt.wantIssues {
				t.Errorf("len(Issues) = %d, want %d", len(se.Issues), tt.wantIssues)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(err, %v) = false, want true", w)
				}
			}
			for _, w := range tt.notWant {
				if errors.Is(err, w) {
					t.Errorf("errors.Is(err, %v) = true, want false", w)
				}
			}
		})
	}
}

func TestStatusError_issueFields(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(client.HeaderErrorCode, client.CodeInvalid)
		writeJSON(w, 422, map[string]any{"detail": []map[string]any{
			{"loc": []string{"query", "page_size"}, "msg": "Input should be less than or equal to 1000", "type": "less_than_equal", "input": "5000"},
		}})
	})
	c := newClient(t, f.URL)
	_, err := c.ListWorkspaces(ctxT(t), client.ListOptions{PageSize: 5000})
	var se *client.StatusError
	if !errors.As(err, &se) || len(se.Issues) != 1 {
		t.Fatalf("err = %v, want *StatusError with one issue", err)
	}
	got := se.Issues[0]
	if strings.Join(got.Loc, ".") != "query.page_size" || got.Type != "less_than_equal" || got.Input != "5000" {
		t.Errorf("issue = %+v, want loc query.page_size, type less_than_equal, input 5000", got)
	}
	if s := client.FormatIssue(got); s != "query.page_size: Input should be less than or equal to 1000" {
		t.Errorf("FormatIssue = %q", s)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
