package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wsd-dev/wsd/client"
)

// recorder is a server that answers every call with a workspace (or an
// empty page) and records the requests.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Clone(context.Background()))
		r.body = append(r.body, b.String())
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/workspaces") {
			_ = json.NewEncoder(w).Encode(client.WorkspacePage{Data: []client.Workspace{}})
			return
		}
		_ = json.NewEncoder(w).Encode(client.Workspace{Name: "ml-team"})
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) last() (*http.Request, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1], r.body[len(r.body)-1]
}

func runWith(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(stdin), getenv: func(k string) string { return env[k] }}
	code := runCLI(context.Background(), c, args)
	return stdout.String(), stderr.String(), code
}

// TestNMP_tokenEnvironment: the token comes from --token, then
// NMP_ACCESS_TOKEN, NEMO_WORKLOAD_TOKEN, NEMO_WORKLOAD_TOKEN_FILE and
// finally NMP_TOKEN.
func TestNMP_tokenEnvironment(t *testing.T) {
	r := newRecorder(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"NMP_BASE_URL": r.URL, "NMP_ACCESS_TOKEN": "access", "NEMO_WORKLOAD_TOKEN": "workload",
		"NEMO_WORKLOAD_TOKEN_FILE": file, "NMP_TOKEN": "legacy"}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name  string
		env   map[string]string
		extra []string
		want  string
	}{
		{"flag first", all, []string{"--token", "flag"}, "Bearer flag"},
		{"NMP_ACCESS_TOKEN", all, nil, "Bearer access"},
		{"NEMO_WORKLOAD_TOKEN", without("NMP_ACCESS_TOKEN"), nil, "Bearer workload"},
		{"NEMO_WORKLOAD_TOKEN_FILE", without("NMP_ACCESS_TOKEN", "NEMO_WORKLOAD_TOKEN"), nil, "Bearer from-file"},
		{"NMP_TOKEN", without("NMP_ACCESS_TOKEN", "NEMO_WORKLOAD_TOKEN", "NEMO_WORKLOAD_TOKEN_FILE"), nil, "Bearer legacy"},
		{"none", map[string]string{"NMP_BASE_URL": r.URL}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, stderr, code := runWith(t, tt.env, "", append([]string{"workspaces", "get", "ml-team"}, tt.extra...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if req, _ := r.last(); req.Header.Get("Authorization") != tt.want {
				t.Errorf("Authorization = %q, want %q", req.Header.Get("Authorization"), tt.want)
			}
		})
	}
}

// TestNMP_filterPassedThrough: a filter expression reaches the server
// byte for byte as ?filter=; the bracket form is sent as filter[...].
func TestNMP_filterPassedThrough(t *testing.T) {
	r := newRecorder(t)
	env := map[string]string{"NMP_BASE_URL": r.URL}
	for _, expr := range []string{
		`name:"ml-team"`,
		`name~"team" AND -created_by:"bob" OR (created_at>="2025-01-01T10:00:00+02:00")`,
		`name IN ["a","b\"c"]`,
		`{"name":{"$like":"ml"}}`,
		`description:null`,
	} {
		if _, stderr, code := runWith(t, env, "", "workspaces", "list", "--filter", expr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		req, _ := r.last()
		if got := req.URL.Query()["filter"]; len(got) != 1 || got[0] != expr {
			t.Errorf("--filter %s: sent filter=%q", expr, got)
		}
	}
	if _, stderr, code := runWith(t, env, "", "projects", "list", "--workspace", "w", "--filter", "name[$like]=ml", "--filter", "created_by=alice"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	req, _ := r.last()
	q := req.URL.Query()
	if q.Get("filter[name][$like]") != "ml" || q.Get("filter[created_by]") != "alice" || q.Has("filter") {
		t.Errorf("bracket filters sent as %q", req.URL.RawQuery)
	}
}

// TestNMP_inputFromStdin: --input-file - reads the body from stdin;
// flags win over its fields.
func TestNMP_inputFromStdin(t *testing.T) {
	r := newRecorder(t)
	env := map[string]string{"NMP_BASE_URL": r.URL}
	if _, stderr, code := runWith(t, env, "name: ml-team\ndescription: from stdin\n", "workspaces", "create", "--input-file", "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, body := r.last(); body != `{"name":"ml-team","description":"from stdin"}` {
		t.Errorf("body = %s", body)
	}
	if _, stderr, code := runWith(t, env, `{"name":"ml-team","description":"in"}`, "workspaces", "create", "--input-file", "-", "--description", "flag"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, body := r.last(); body != `{"name":"ml-team","description":"flag"}` {
		t.Errorf("body = %s, want the flag's description", body)
	}
	if _, stderr, code := runWith(t, env, `{"description":null,"id":"x"}`, "workspaces", "update", "ml-team", "--input-file", "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if req, body := r.last(); req.Method != http.MethodPut || body != `{"description":null}` {
		t.Errorf("%s body = %s, want a PUT clearing the description", req.Method, body)
	}
}
