package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// The tests in this file run the built nmp binary against a real wsd.

type result struct {
	stdout, stderr string
	code           int
}

// nmp runs the binary with NMP_BASE_URL pointing at baseURL.
func nmp(t *testing.T, bin, baseURL string, args ...string) result {
	t.Helper()
	return nmpEnv(t, bin, baseURL, nil, args...)
}

// nmpEnv runs the binary like nmp, with env ("KEY=value") added to the
// environment.
func nmpEnv(t *testing.T, bin, baseURL string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "NMP_BASE_URL="+baseURL, "NMP_TOKEN=", "NMP_WORKSPACE="), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run nmp %q: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func TestNMP_workspaces(t *testing.T) {
	_, bin := testserver.Build(t)
	srv := testserver.Start(t, testserver.Options{})

	decodeWorkspace := func(t *testing.T, r result) client.Workspace {
		t.Helper()
		var ws client.Workspace
		if err := json.Unmarshal([]byte(r.stdout), &ws); err != nil {
			t.Fatalf("stdout is not a workspace: %v\n%s", err, r.stdout)
		}
		return ws
	}
	steps := []step{
		{name: "create", args: []string{"workspaces", "create", "--name", "ml-team", "--description", "Machine Learning Team workspace", "-f", "table"},
			wantStdout: []string{"NAME", "ml-team", "Machine Learning Team workspace"}},
		{name: "create json", args: []string{"workspaces", "create", "--name", "ml-ops", "-o", "json"},
			check: func(t *testing.T, r result) {
				ws := decodeWorkspace(t, r)
				if ws.Name != "ml-ops" || ws.ID == "" || ws.Description != nil {
					t.Errorf("created %+v, want ml-ops with an id and no description", ws)
				}
			}},
		{name: "create taken", args: []string{"workspaces", "create", "--name", "ml-team"},
			wantCode: 1, wantStderr: []string{"Workspace 'ml-team' already exists"}},
		{name: "create taken exist-ok", args: []string{"workspaces", "create", "--name", "ml-team", "--exist-ok", "-o", "json"},
			check: func(t *testing.T, r result) {
				if ws := decodeWorkspace(t, r); ws.Name != "ml-team" {
					t.Errorf("exist-ok returned %+v, want ml-team", ws)
				}
			}},
		{name: "create bad name", args: []string{"workspaces", "create", "--name", "Bad Name"},
			wantCode: 1, wantStderr: []string{"body.name: "}},
		{name: "list json", args: []string{"workspaces", "list", "-o", "json"},
			check: func(t *testing.T, r result) {
				var p client.WorkspacePage
				if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
					t.Fatalf("stdout is not a page: %v\n%s", err, r.stdout)
				}
				got := names(p.Data)
				for _, want := range []string{"ml-team", "ml-ops", "default", "system"} {
					if !slices.Contains(got, want) {
						t.Errorf("listed %v, want it to contain %s", got, want)
					}
				}
				if p.Pagination.TotalResults != 4 || p.Pagination.Page != 1 || p.Sort != "-created_at" {
					t.Errorf("pagination, sort = %+v, %q; want 4 results on page 1, -created_at", p.Pagination, p.Sort)
				}
			}},
		{name: "list yaml", args: []string{"workspaces", "list", "--output", "yaml", "--sort", "name"},
			check: func(t *testing.T, r result) {
				var p struct {
					Data []struct {
						Name        string  `yaml:"name"`
						ID          string  `yaml:"id"`
						Description *string `yaml:"description"`
						CreatedAt   string  `yaml:"created_at"`
					} `yaml:"data"`
					Pagination struct {
						TotalResults int `yaml:"total_results"`
					} `yaml:"pagination"`
					Sort string `yaml:"sort"`
				}
				if err := yaml.Unmarshal([]byte(r.stdout), &p); err != nil {
					t.Fatalf("stdout is not YAML: %v\n%s", err, r.stdout)
				}
				var got []string
				for _, w := range p.Data {
					got = append(got, w.Name)
					if w.ID == "" || w.CreatedAt == "" {
						t.Errorf("yaml item %+v lacks id or created_at", w)
					}
				}
				if want := []string{"default", "ml-ops", "ml-team", "system"}; !slices.Equal(got, want) {
					t.Errorf("yaml names = %v, want %v", got, want)
				}
				if p.Pagination.TotalResults != 4 || p.Sort != "name" {
					t.Errorf("yaml total_results, sort = %d, %q; want 4, name", p.Pagination.TotalResults, p.Sort)
				}
			}},
		{name: "list table", args: []string{"workspaces", "list", "--sort", "name", "--output-format", "table"},
			check: func(t *testing.T, r result) {
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if len(lines) != 5 {
					t.Fatalf("table has %d lines, want header and 4 rows:\n%s", len(lines), r.stdout)
				}
				if h := strings.Fields(lines[0]); !slices.Equal(h, []string{"NAME", "ID", "DESCRIPTION", "CREATED_AT", "UPDATED_AT"}) {
					t.Errorf("header = %q, want NAME ID DESCRIPTION CREATED_AT UPDATED_AT", h)
				}
				if !strings.HasPrefix(lines[3], "ml-team ") || !strings.Contains(lines[3], "Machine Learning Team workspace") {
					t.Errorf("row 3 = %q, want ml-team with its description", lines[3])
				}
				// Columns are aligned: ID starts at the same offset on every line.
				col := strings.Index(lines[0], "ID")
				for _, l := range lines[1:] {
					if l[col-1] != ' ' || l[col] == ' ' {
						t.Errorf("line %q is not aligned with the header at column %d", l, col)
					}
				}
			}},
		{name: "list filter like", args: []string{"workspaces", "list", "--filter", "name[$like]=ml-%", "-o", "json", "--sort", "name"},
			check: func(t *testing.T, r result) {
				var p client.WorkspacePage
				if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
					t.Fatal(err)
				}
				if got := names(p.Data); !slices.Equal(got, []string{"ml-ops", "ml-team"}) {
					t.Errorf("filtered names = %v, want [ml-ops ml-team]", got)
				}
			}},
		{name: "list filter exact", args: []string{"workspaces", "list", "--filter", "name=ml-ops", "-o", "json"},
			check: func(t *testing.T, r result) {
				var p client.WorkspacePage
				if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
					t.Fatal(err)
				}
				if got := names(p.Data); !slices.Equal(got, []string{"ml-ops"}) {
					t.Errorf("filtered names = %v, want [ml-ops]", got)
				}
			}},
		{name: "list page", args: []string{"workspaces", "list", "--page", "2", "--page-size", "3", "--sort", "name", "-o", "json"},
			check: func(t *testing.T, r result) {
				var p client.WorkspacePage
				if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
					t.Fatal(err)
				}
				if got := names(p.Data); !slices.Equal(got, []string{"system"}) || p.Pagination.TotalPages != 2 {
					t.Errorf("page 2 = %v of %d pages, want [system] of 2", got, p.Pagination.TotalPages)
				}
			}},
		{name: "list all pages", args: []string{"workspaces", "list", "--all-pages", "--page-size", "1", "--sort", "name", "-o", "json"},
			check: func(t *testing.T, r result) {
				var wss []client.Workspace
				if err := json.Unmarshal([]byte(r.stdout), &wss); err != nil {
					t.Fatalf("stdout is not a list: %v\n%s", err, r.stdout)
				}
				if got := names(wss); !slices.Equal(got, []string{"default", "ml-ops", "ml-team", "system"}) {
					t.Errorf("all pages = %v, want every workspace by name", got)
				}
			}},
		{name: "list bad page size", args: []string{"workspaces", "list", "--page-size", "5000"},
			wantCode: 1, wantStderr: []string{"query.page_size: "}},
		{name: "get json flags last", args: []string{"workspaces", "get", "ml-team", "-o", "json"},
			check: func(t *testing.T, r result) {
				ws := decodeWorkspace(t, r)
				if ws.Name != "ml-team" || ws.Description == nil || *ws.Description != "Machine Learning Team workspace" {
					t.Errorf("got %+v, want ml-team with its description", ws)
				}
			}},
		{name: "get table", args: []string{"workspaces", "get", "ml-team"}, env: []string{"NMP_OUTPUT_FORMAT=table"}, wantStdout: []string{"NAME", "ml-team"}},
		{name: "get piped is json", args: []string{"workspaces", "get", "ml-team"},
			check: func(t *testing.T, r result) {
				if ws := decodeWorkspace(t, r); ws.Name != "ml-team" {
					t.Errorf("got %+v, want ml-team as JSON (stdout is not a terminal)", ws)
				}
			}},
		{name: "update", args: []string{"workspaces", "update", "ml-team", "--description", "ML team", "-o", "json"},
			check: func(t *testing.T, r result) {
				if ws := decodeWorkspace(t, r); ws.Description == nil || *ws.Description != "ML team" {
					t.Errorf("updated %+v, want description \"ML team\"", ws)
				}
			}},
		{name: "update missing", args: []string{"workspaces", "update", "nope", "--description", "x"},
			wantCode: 1, wantStderr: []string{"Workspace 'nope' not found"}},
		{name: "acquire ref", args: []string{"refs", "acquire", "ml-team", "models", "meta/llama-3", "-o", "json"},
			wantStdout: []string{`"entity_name": "meta/llama-3"`}},
		{name: "list refs", args: []string{"refs", "list", "ml-team", "-o", "table"}, wantStdout: []string{"ENTITY_TYPE", "models", "meta/llama-3"}},
		{name: "usage", args: []string{"workspaces", "usage", "ml-team", "-o", "yaml"}, wantStdout: []string{"total: 1", "models: 1"}},
		{name: "delete while ref held", args: []string{"workspaces", "delete", "ml-team"},
			wantCode: 1, wantStderr: []string{"Workspace 'ml-team' is not empty"}},
		{name: "release ref", args: []string{"refs", "release", "ml-team", "models", "meta/llama-3"}, wantStdout: []string{"Reference released"}},
		{name: "delete", args: []string{"workspaces", "delete", "ml-team", "-o", "json"},
			check: func(t *testing.T, r result) {
				var d client.DeleteResponse
				if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
					t.Fatal(err)
				}
				if d.Message != "Workspace deleted" || d.ID != "ml-team" {
					t.Errorf("delete = %+v, want message \"Workspace deleted\", id ml-team", d)
				}
			}},
		{name: "get deleted", args: []string{"workspaces", "get", "ml-team"},
			wantCode: 1, wantStderr: []string{"Workspace 'ml-team' not found"}},
		{name: "get missing", args: []string{"workspaces", "get", "x"},
			wantCode: 1, wantStderr: []string{"Workspace 'x' not found"}},
		{name: "delete builtin", args: []string{"workspaces", "delete", "default"}, wantCode: 1},
		{name: "global flag before command", args: []string{"--base-url", srv.URL, "-o", "json", "workspaces", "get", "ml-ops"},
			wantStdout: []string{`"name": "ml-ops"`}},
		{name: "several endpoints, first dead", args: []string{"workspaces", "get", "ml-ops", "--base-url", "http://127.0.0.1:1," + srv.URL},
			wantStdout: []string{"ml-ops"}},
		{name: "version", args: []string{"version"}, wantStdout: []string{"nmp "}},
	}
	runSteps(t, bin, srv.URL, steps)
}

// step is one run of nmp in a sequence of runs against one server.
type step struct {
	name       string
	args       []string
	env        []string // added to the environment
	wantCode   int
	wantStdout []string // substrings
	wantStderr []string // substrings
	check      func(t *testing.T, r result)
}

// runSteps runs the steps in order, each as a subtest.
func runSteps(t *testing.T, bin, baseURL string, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := nmpEnv(t, bin, baseURL, st.env, st.args...)
			if r.code != st.wantCode {
				t.Fatalf("nmp %q: exit code %d, want %d\nstdout: %s\nstderr: %s", st.args, r.code, st.wantCode, r.stdout, r.stderr)
			}
			for _, s := range st.wantStdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout = %q, want it to contain %q", r.stdout, s)
				}
			}
			for _, s := range st.wantStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, s)
				}
			}
			if st.check != nil {
				st.check(t, r)
			}
		})
	}
}

func TestNMP_unreachable(t *testing.T) {
	_, bin := testserver.Build(t)
	r := nmp(t, bin, "http://127.0.0.1:1", "workspaces", "list", "--timeout", "5s")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("exit code %d, stderr %q; want 1 and the connection error", r.code, r.stderr)
	}
}

func names(wss []client.Workspace) []string {
	var out []string
	for _, w := range wss {
		out = append(out, w.Name)
	}
	return out
}
