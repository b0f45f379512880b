package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

func TestWrite_idempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	key := client.HeaderIdempotencyKey

	first := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"once"}`, key, "k-123")
	if first.code != http.StatusCreated || first.header.Get(client.HeaderIdempotentReplay) != "" {
		t.Fatalf("first: %s %v", first, first.header)
	}
	again := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"once"}`, key, "k-123")
	if again.code != http.StatusCreated || again.header.Get(client.HeaderIdempotentReplay) != "true" {
		t.Fatalf("retry: %s %v, want 201 replayed", again, again.header)
	}
	var w1, w2 wsJSON
	first.decode(t, &w1)
	again.decode(t, &w2)
	if w1 != w2 {
		t.Fatalf("retry answered %+v, want the first answer %+v", w2, w1)
	}
	if n := ts.node.FSM().State().WorkspaceCount(); n != 3 {
		t.Fatalf("workspaces = %d, want 3 (built-ins and one create)", n)
	}

	t.Run("same key, another request", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"other"}`, key, "k-123")
		if r.code != http.StatusConflict || r.header.Get(client.HeaderErrorCode) != "conflict" ||
			!strings.Contains(string(r.body), "Idempotency-Key 'k-123' was already used for a different request") {
			t.Fatalf("got %s", r)
		}
		if _, ok := ts.node.FSM().State().Workspace("other"); ok {
			t.Fatal("applied anyway")
		}
	})
	t.Run("without a key nothing changes", func(t *testing.T) {
		ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"once"}`).wantError(t, http.StatusConflict, "already_exists",
			`{"detail":"Workspace 'once' already exists"}`)
	})
	t.Run("a delete retried after it succeeded answers as the first time", func(t *testing.T) {
		ts.create(t, "doomed")
		d1 := ts.do(t, http.MethodDelete, base+"/workspaces/doomed", nil, key, "del-1")
		d1.want(t, http.StatusOK, "")
		r := ts.do(t, http.MethodDelete, base+"/workspaces/doomed", nil, key, "del-1")
		if r.code != http.StatusOK || r.header.Get(client.HeaderIdempotentReplay) != "true" {
			t.Fatalf("retried delete: %s, want 200 replayed (not 404)", r)
		}
		if string(r.body) != string(d1.body) {
			t.Fatalf("retried delete answered %s, want the first answer %s", r.body, d1.body)
		}
	})
	for _, bad := range []string{"", "a b", "ключ", strings.Repeat("k", 129)} {
		t.Run("bad key "+bad, func(t *testing.T) {
			r := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"bad-key"}`, key, bad)
			if r.code != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"loc":["header","Idempotency-Key"]`) {
				t.Fatalf("got %s", r)
			}
		})
	}
}
