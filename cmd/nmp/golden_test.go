package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/internal/oidctest"
	"github.com/wsd-dev/wsd/internal/testserver"
)

// update rewrites the golden files: go test ./cmd/nmp -run TestGolden -update
var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden with the current output")

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

// normalize replaces ids and timestamps, which change from run to run,
// with fixed values of the same length, so that table columns stay
// aligned as they were.
func normalize(s string) string {
	s = uuidRE.ReplaceAllString(s, "00000000-0000-0000-0000-000000000000")
	return timeRE.ReplaceAllStringFunc(s, func(ts string) string {
		out := []byte("2000-01-01T00:00:00")
		for range len(ts) - len(out) - 1 {
			out = append(out, '0')
		}
		if len(ts) > 20 {
			out[19] = '.'
		}
		return string(out) + "Z"
	})
}

// goldenCase is one run of nmp whose stdout, stderr and exit status are
// compared with testdata/golden/<name>.golden.
type goldenCase struct {
	name     string
	args     []string
	token    string // NMP_ACCESS_TOKEN
	terminal bool   // stdout is a terminal
	env      map[string]string
}

// TestGolden runs nmp in process against a real wsd (authentication on)
// and compares every output format, the members commands, the table
// options and the error messages with the golden files.
func TestGolden(t *testing.T) {
	iss := oidctest.New(t)
	srv := testserver.Start(t, testserver.Options{Args: []string{
		"--auth=oidc", "--oidc-issuer=" + iss.URL, "--oidc-audience=" + oidctest.Audience, "--admin-principal=root", "--insecure-cluster",
	}})
	alice := iss.Token(t, "alice", "alice@example.com")
	bob := iss.Token(t, "bob", "bob@example.com")

	run := func(t *testing.T, gc goldenCase) (string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := map[string]string{"NMP_BASE_URL": srv.URL, "NMP_ACCESS_TOKEN": gc.token}
		for k, v := range gc.env {
			env[k] = v
		}
		c := &cli{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), isTerminal: gc.terminal,
			getenv: func(k string) string { return env[k] }}
		code := runCLI(context.Background(), c, gc.args)
		out := "$ nmp " + strings.Join(gc.args, " ") + "\n" + stdout.String()
		if stderr.Len() > 0 {
			out += "[stderr]\n" + stderr.String()
		}
		out += fmt.Sprintf("[exit %d]\n", code)
		return normalize(out), code
	}
	// setup runs a command that must succeed, without a golden file.
	setup := func(token string, args ...string) {
		t.Helper()
		if out, code := run(t, goldenCase{args: args, token: token}); code != 0 {
			t.Fatalf("setup failed:\n%s", out)
		}
	}
	long := "A workspace for the machine-learning team | models, datasets and \"evaluations\" of every kind"
	setup(alice, "workspaces", "create", "ml-team", "--description", "Machine Learning Team workspace")
	setup(alice, "workspaces", "create", "--input-data", fmt.Sprintf(`{"name":"ml-ops","description":%q,"id":"ignored"}`, long))

	var cases []goldenCase
	for _, f := range formats {
		cases = append(cases,
			goldenCase{name: "get-" + f, args: []string{"workspaces", "get", "ml-team", "-f", f}, token: alice},
			goldenCase{name: "list-" + f, args: []string{"workspaces", "list", "--sort", "name", "-f", f}, token: alice},
			goldenCase{name: "members-list-" + f, args: []string{"workspaces", "members", "list", "--workspace", "ml-team", "-f", f}, token: alice},
		)
	}
	cases = append(cases, []goldenCase{
		{name: "get-terminal-default-table", args: []string{"workspaces", "get", "ml-team"}, token: alice, terminal: true},
		{name: "get-piped-default-json", args: []string{"workspaces", "get", "ml-team"}, token: alice},
		{name: "get-env-format", args: []string{"workspaces", "get", "ml-team"}, token: alice, env: map[string]string{"NMP_OUTPUT_FORMAT": "yaml"}},
		{name: "get-flag-beats-env", args: []string{"workspaces", "get", "ml-team", "-o", "markdown"}, token: alice, env: map[string]string{"NMP_OUTPUT_FORMAT": "yaml"}},
		{name: "get-name-alias", args: []string{"workspaces", "get", "--name", "ml-team", "-f", "table"}, token: alice},
		{name: "list-columns", args: []string{"workspaces", "list", "--sort", "name", "-c", "name,description", "-f", "table"}, token: alice},
		{name: "list-columns-csv", args: []string{"workspaces", "list", "--sort", "-name", "--output-columns", "NAME,id", "-f", "csv"}, token: alice},
		{name: "list-no-truncate", args: []string{"workspaces", "list", "--sort", "name", "--no-truncate", "-c", "name,description", "-f", "table"}, token: alice},
		{name: "list-unknown-column", args: []string{"workspaces", "list", "-c", "name,colour", "-f", "table"}, token: alice},
		{name: "list-empty-table", args: []string{"workspaces", "list", "--filter", "name=nope", "-f", "table"}, token: alice},
		{name: "list-empty-markdown", args: []string{"workspaces", "list", "--filter", "name=nope", "-f", "markdown"}, token: alice},
		{name: "list-empty-csv", args: []string{"workspaces", "list", "--filter", "name=nope", "-f", "csv"}, token: alice},
		{name: "list-all-pages", args: []string{"workspaces", "list", "--all-pages", "--page-size", "1", "--sort", "name", "-f", "table"}, token: alice},
		{name: "list-json-filter", args: []string{"workspaces", "list", "--filter", `{"name":"ml-team"}`, "-c", "name", "-f", "csv"}, token: alice},
		{name: "create-exist-ok", args: []string{"workspaces", "create", "ml-team", "--exist-ok", "-f", "table"}, token: alice},
		{name: "error-conflict", args: []string{"workspaces", "create", "ml-team"}, token: alice},
		{name: "error-not-found", args: []string{"workspaces", "get", "nope"}, token: alice},
		{name: "error-permission-denied", args: []string{"workspaces", "members", "create", "--workspace", "default", "--principal", "bob", "--roles", "Admin"}, token: bob},
		{name: "error-unauthorized", args: []string{"workspaces", "get", "ml-team"}, token: "not-a-token"},
		{name: "error-validation", args: []string{"workspaces", "create", "Bad_Name"}, token: alice},
		{name: "error-usage", args: []string{"workspaces", "list", "-f", "xml"}, token: alice},
		{name: "update-input-data", args: []string{"workspaces", "update", "ml-ops", "--input-data", `{"description":"Ops"}`, "-f", "table"}, token: alice},
		{name: "members-create", args: []string{"workspaces", "members", "create", "--workspace", "ml-team", "--principal", "bob", "--roles", "Viewer", "-f", "table"}, token: alice},
		{name: "members-create-input", args: []string{"workspaces", "members", "create", "ml-team", "--input-data", `{"principal":"carol@example.com","roles":["Editor"]}`, "-f", "table"}, token: alice},
		{name: "members-update", args: []string{"workspaces", "members", "update", "--workspace", "ml-team", "--principal", "bob", "--roles", "Viewer", "--roles", "Editor", "-f", "table"}, token: alice},
		{name: "members-list-after", args: []string{"workspaces", "members", "list", "-f", "table"}, token: alice, env: map[string]string{"NMP_WORKSPACE": "ml-team"}},
		{name: "members-delete", args: []string{"workspaces", "members", "delete", "--workspace", "ml-team", "--principal", "bob", "-f", "table"}, token: alice},
		{name: "members-delete-json", args: []string{"workspaces", "members", "delete", "--workspace", "ml-team", "--principal", "carol@example.com", "-f", "json"}, token: alice},
		{name: "members-delete-missing", args: []string{"workspaces", "members", "delete", "--workspace", "ml-team", "--principal", "bob"}, token: alice},
		{name: "projects-create", args: []string{"projects", "create", "llm", "--workspace", "ml-team", "--description", "Language models", "-f", "table"}, token: alice},
		{name: "projects-list-markdown", args: []string{"projects", "list", "-f", "markdown"}, token: alice, env: map[string]string{"NMP_WORKSPACE": "ml-team"}},
		{name: "refs-acquire", args: []string{"refs", "acquire", "ml-team", "models", "meta/llama-3", "--project", "llm", "-f", "table"}, token: alice},
		{name: "refs-list-csv", args: []string{"refs", "list", "ml-team", "-f", "csv"}, token: alice},
		{name: "usage-table", args: []string{"workspaces", "usage", "ml-team", "-f", "table"}, token: alice},
		{name: "error-not-empty", args: []string{"workspaces", "delete", "ml-team"}, token: alice},
		{name: "refs-release", args: []string{"refs", "release", "ml-team", "models", "meta/llama-3", "-f", "table"}, token: alice},
		{name: "projects-delete", args: []string{"projects", "delete", "llm", "--workspace", "ml-team", "-f", "table"}, token: alice},
		{name: "delete-table", args: []string{"workspaces", "delete", "ml-ops", "-f", "table"}, token: alice},
		{name: "delete-json", args: []string{"workspaces", "delete", "ml-team", "-f", "json"}, token: alice},
	}...)
	for _, gc := range cases {
		t.Run(gc.name, func(t *testing.T) {
			got, _ := run(t, gc)
			path := filepath.Join("testdata", "golden", gc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept it):\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}
