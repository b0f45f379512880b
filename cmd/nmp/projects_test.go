package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// decodeJSON unmarshals the run's stdout into a new T.
func decodeJSON[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not the JSON wanted: %v\n%s", err, r.stdout)
	}
	return v
}

// named is a listed item that prints as its name, so that a list of them
// prints as [a b c].
type named struct {
	Name string `json:"name"`
}

func (n named) String() string { return n.Name }

// TestNMP_projects runs the built binary's projects commands against a
// real wsd.
func TestNMP_projects(t *testing.T) {
	_, bin := testserver.Build(t)
	srv := testserver.Start(t, testserver.Options{})
	inML := []string{"NMP_WORKSPACE=ml-team"}
	wantNames := func(want string) func(t *testing.T, r result) {
		return func(t *testing.T, r result) {
			if got := fmt.Sprint(decodeJSON[client.Page[named]](t, r).Data); got != want {
				t.Errorf("listed %s, want %s", got, want)
			}
		}
	}
	runSteps(t, bin, srv.URL, []step{
		{name: "create the workspace", args: []string{"workspaces", "create", "ml-team"}},
		{name: "create", args: []string{"projects", "create", "--workspace", "ml-team", "--name", "llm", "--description", "Language models", "-f", "table"},
			wantStdout: []string{"NAME", "WORKSPACE", "llm", "ml-team", "Language models"}},
		{name: "create json, workspace from NMP_WORKSPACE", args: []string{"projects", "create", "cv", "-o", "json"}, env: inML,
			check: func(t *testing.T, r result) {
				if p := decodeJSON[client.Project](t, r); p.Name != "cv" || p.Workspace != "ml-team" || p.ID == "" || p.Description != nil {
					t.Errorf("created %+v, want cv in ml-team with an id and no description", p)
				}
			}},
		{name: "create yaml, --workspace before the verb", args: []string{"projects", "--workspace", "ml-team", "create", "--name", "nlp", "-o", "yaml"},
			wantStdout: []string{"name: nlp\n", "workspace: ml-team\n"}},
		{name: "--workspace wins over NMP_WORKSPACE", args: []string{"projects", "get", "llm", "--workspace", "ml-team"}, env: []string{"NMP_WORKSPACE=nope"},
			wantStdout: []string{"llm"}},
		{name: "create taken", args: []string{"projects", "create", "llm"}, env: inML,
			wantCode: 1, wantStderr: []string{"Conflict: Project 'llm' already exists in workspace 'ml-team'.\n"}},
		{name: "create taken exist-ok", args: []string{"projects", "create", "llm", "--exist-ok", "-o", "json"}, env: inML,
			check: func(t *testing.T, r result) {
				if p := decodeJSON[client.Project](t, r); p.Name != "llm" || p.Description == nil || *p.Description != "Language models" {
					t.Errorf("exist-ok returned %+v, want the existing llm", p)
				}
			}},
		{name: "create in a missing workspace", args: []string{"projects", "create", "x", "--workspace", "nope"},
			wantCode: 1, wantStderr: []string{"Not found: Workspace 'nope' not found"}},
		{name: "create without a workspace", args: []string{"projects", "create", "x"},
			wantCode: 2, wantStderr: []string{"--workspace is required (or set NMP_WORKSPACE)", "Usage: nmp projects create"}},
		{name: "create bad name", args: []string{"projects", "create", "Bad Name"}, env: inML,
			wantCode: 1, wantStderr: []string{"body.name: "}},
		{name: "list json", args: []string{"projects", "list", "--sort", "name", "-o", "json"}, env: inML,
			check: wantNames("[cv llm nlp]")},
		{name: "list table", args: []string{"projects", "list", "--sort", "-name"}, env: append([]string{"NMP_OUTPUT_FORMAT=table"}, inML...),
			check: func(t *testing.T, r result) {
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if h := strings.Fields(lines[0]); !slices.Equal(h, []string{"NAME", "WORKSPACE", "ID", "DESCRIPTION", "CREATED_AT", "UPDATED_AT"}) {
					t.Errorf("header = %q, want NAME WORKSPACE ID DESCRIPTION CREATED_AT UPDATED_AT", h)
				}
				if len(lines) != 4 || !strings.HasPrefix(lines[1], "nlp ") || !strings.HasPrefix(lines[2], "llm ") || !strings.Contains(lines[2], "Language models") {
					t.Errorf("table =\n%s\nwant nlp, llm (with its description), cv", r.stdout)
				}
			}},
		{name: "list filter", args: []string{"projects", "list", "--filter", "name[$like]=%l%", "--sort", "name", "-o", "json"}, env: inML,
			check: wantNames("[llm nlp]")},
		{name: "list page", args: []string{"projects", "list", "--page", "2", "--page-size", "2", "--sort", "name", "-o", "json"}, env: inML,
			check: wantNames("[nlp]")},
		{name: "list page hint", args: []string{"projects", "list", "--page-size", "1", "-f", "table"}, env: inML,
			wantStderr: []string{"page 1 of 3 (3 projects); see --page or --all-pages"}},
		{name: "list all pages", args: []string{"projects", "list", "--all-pages", "--page-size", "1", "--sort", "name", "-o", "json"}, env: inML,
			check: func(t *testing.T, r result) {
				if got := fmt.Sprint(decodeJSON[[]named](t, r)); got != "[cv llm nlp]" {
					t.Errorf("all pages = %s, want [cv llm nlp]", got)
				}
			}},
		{name: "list a missing workspace", args: []string{"projects", "list", "--workspace", "nope"},
			wantCode: 1, wantStderr: []string{"Not found: Workspace 'nope' not found"}},
		{name: "get json", args: []string{"projects", "get", "llm", "-o", "json", "--consistency", "linearizable"}, env: inML,
			check: func(t *testing.T, r result) {
				if p := decodeJSON[client.Project](t, r); p.Name != "llm" || p.Workspace != "ml-team" {
					t.Errorf("got %+v, want llm of ml-team", p)
				}
			}},
		{name: "get missing", args: []string{"projects", "get", "nope"}, env: inML,
			wantCode: 1, wantStderr: []string{"Not found: Project 'nope' not found in workspace 'ml-team'"}},
		{name: "update", args: []string{"projects", "update", "llm", "--description", "LLMs", "-o", "json"}, env: inML,
			wantStdout: []string{`"description": "LLMs"`}},
		{name: "update clears", args: []string{"projects", "update", "llm", "--clear-description", "-o", "json"}, env: inML,
			wantStdout: []string{`"description": null`}},
		{name: "acquire a reference in the project", args: []string{"refs", "acquire", "ml-team", "models", "m1", "--project", "llm", "-o", "json"},
			wantStdout: []string{`"project": "llm"`}},
		{name: "delete while referenced", args: []string{"projects", "delete", "llm"}, env: inML,
			wantCode: 1, wantStderr: []string{"Project 'llm' in workspace 'ml-team' cannot be deleted: 1 entity reference names it."}},
		{name: "usage counts projects", args: []string{"workspaces", "usage", "ml-team", "-o", "yaml"},
			wantStdout: []string{"total: 4", "projects: 3", "models: 1"}},
		{name: "workspace delete refused", args: []string{"workspaces", "delete", "ml-team"},
			wantCode: 1, wantStderr: []string{"Workspace 'ml-team' is not empty: 4 entities remain (models: 1, projects: 3)."}},
		{name: "release the reference", args: []string{"refs", "release", "ml-team", "models", "m1"}},
		{name: "delete json", args: []string{"projects", "delete", "llm", "-o", "json"}, env: inML,
			check: func(t *testing.T, r result) {
				if d := decodeJSON[client.DeleteResponse](t, r); d.Message != "Project deleted" || d.ID != "llm" || d.DeletedAt.IsZero() {
					t.Errorf("delete = %+v, want \"Project deleted\" with id llm", d)
				}
			}},
		{name: "delete table", args: []string{"projects", "delete", "cv", "-f", "table"}, env: inML,
			check: func(t *testing.T, r result) {
				if r.stdout != "✓ Deleted successfully\n" {
					t.Errorf("stdout = %q, want the platform's message", r.stdout)
				}
			}},
		{name: "get deleted", args: []string{"projects", "get", "llm"}, env: inML,
			wantCode: 1, wantStderr: []string{"Project 'llm' not found in workspace 'ml-team'"}},
		{name: "group help", args: []string{"projects"},
			wantCode: 2, wantStdout: []string{"nmp projects create NAME [--description TEXT] [--exist-ok] [--input-file FILE | --input-data JSON] --workspace W", "nmp projects delete NAME --workspace W"}},
		{name: "alias", args: []string{"project", "list", "-o", "json"}, env: inML, check: wantNames("[nlp]")},
	})
}
