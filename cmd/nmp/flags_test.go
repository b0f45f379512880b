package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantPos    []string
		wantOutput string
		wantAll    bool
		wantFilter map[string]string
		wantErr    bool
	}{
		{"flags after positional", []string{"ml-team", "-o", "json"}, []string{"ml-team"}, "json", false, nil, false},
		{"flags before positional", []string{"--output=yaml", "ml-team"}, []string{"ml-team"}, "yaml", false, nil, false},
		{"bool flag does not eat the next argument", []string{"--all-pages", "x"}, []string{"x"}, "table", true, nil, false},
		{"repeated filter", []string{"--filter", "name=x", "--filter", "name[$like]=ml-%"}, nil, "table", false,
			map[string]string{"name": "x", "name[$like]": "ml-%"}, false},
		{"double dash", []string{"-o", "json", "--", "-weird"}, []string{"-weird"}, "json", false, nil, false},
		{"single dash is positional", []string{"-"}, []string{"-"}, "table", false, nil, false},
		{"unknown flag", []string{"--nope"}, nil, "", false, nil, true},
		{"empty filter", []string{"--filter", " "}, nil, "", false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			output := fs.String("o", "table", "")
			fs.StringVar(output, "output", "table", "")
			all := fs.Bool("all-pages", false, "")
			filter := &filterFlag{}
			fs.Var(filter, "filter", "")
			pos, err := parseInterspersed(fs, tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if !slices.Equal(pos, tt.wantPos) && len(pos)+len(tt.wantPos) > 0 {
				t.Errorf("positional = %q, want %q", pos, tt.wantPos)
			}
			if *output != tt.wantOutput || *all != tt.wantAll {
				t.Errorf("output, all-pages = %q, %v; want %q, %v", *output, *all, tt.wantOutput, tt.wantAll)
			}
			if len(tt.wantFilter) > 0 && !maps.Equal(filter.brackets, tt.wantFilter) {
				t.Errorf("filter = %v, want %v", filter, tt.wantFilter)
			}
		})
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		name                string
		args                []string
		wantGroup, wantVerb string
		wantRest            []string
	}{
		{"plain", []string{"workspaces", "get", "x"}, "workspaces", "get", []string{"x"}},
		{"global flag first", []string{"--base-url", "http://h:1", "workspaces", "list"}, "workspaces", "list", []string{"--base-url", "http://h:1"}},
		{"output between", []string{"workspaces", "-o", "json", "get", "x"}, "workspaces", "get", []string{"-o", "json", "x"}},
		{"command flags after", []string{"workspaces", "create", "--name", "x"}, "workspaces", "create", []string{"--name", "x"}},
		{"workspace before the verb", []string{"projects", "--workspace", "ml", "get", "p"}, "projects", "get", []string{"--workspace", "ml", "p"}},
		{"help", []string{"-h"}, "-h", "", nil},
		{"empty", nil, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, v, rest := splitCommand(tt.args)
			if g != tt.wantGroup || v != tt.wantVerb || !slices.Equal(rest, tt.wantRest) {
				t.Errorf("splitCommand(%q) = %q, %q, %q; want %q, %q, %q", tt.args, g, v, rest, tt.wantGroup, tt.wantVerb, tt.wantRest)
			}
		})
	}
}

func TestRun_usage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no args", nil, exitUsage, "Usage:", ""},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"version", []string{"version"}, exitOK, "nmp " + version, ""},
		{"unknown group", []string{"nope"}, exitUsage, "", `unknown command "nope"`},
		{"unknown verb", []string{"workspaces", "nope"}, exitUsage, "", `unknown command "nope" for "workspaces"`},
		{"group help", []string{"workspaces"}, exitUsage, "nmp workspaces create", ""},
		{"missing name", []string{"workspaces", "get"}, exitUsage, "", "the name is required"},
		{"name twice", []string{"workspaces", "get", "a", "--name", "b"}, exitUsage, "", "name given twice"},
		{"group help flag", []string{"workspaces", "--help"}, exitOK, "nmp workspaces create", ""},
		{"members help", []string{"workspaces", "members", "--help"}, exitOK, "nmp workspaces members list", ""},
		{"members without verb", []string{"workspaces", "members"}, exitUsage, "", "missing subcommand"},
		{"members unknown verb", []string{"workspaces", "members", "nope", "--workspace", "w"}, exitUsage, "", `unknown command "nope"`},
		{"members without workspace", []string{"workspaces", "members", "list"}, exitUsage, "", "--workspace is required"},
		{"members create without principal", []string{"workspaces", "members", "create", "--workspace", "w"}, exitUsage, "", "--principal is required"},
		{"members update without roles", []string{"workspaces", "members", "update", "--workspace", "w", "--principal", "p"}, exitUsage, "", "nothing to update"},
		{"members subcommand help", []string{"workspaces", "members", "create", "-h"}, exitOK, "", "-roles value"},
		{"bad input data", []string{"workspaces", "create", "--input-data", "[1,2"}, exitUsage, "", "not a JSON or YAML object"},
		{"input file and data", []string{"workspaces", "create", "x", "--input-data", "{}", "--input-file", "f"}, exitUsage, "", "exclude each other"},
		{"input renames", []string{"workspaces", "update", "a", "--input-data", `{"name":"b","description":"d"}`}, exitUsage, "", "names are immutable"},
		{"two text filters", []string{"workspaces", "list", "--filter", `name:"a"`, "--filter", `name:"b"`}, exitUsage, "", "give one filter expression"},
		{"text and bracket filters", []string{"workspaces", "list", "--filter", `name:"a"`, "--filter", "name=b"}, exitUsage, "", "cannot be combined"},
		{"bad output format env", []string{"workspaces", "list"}, exitUsage, "", `unknown output format "xml"`},
		{"create without name", []string{"workspaces", "create"}, exitUsage, "", "--name is required"},
		{"update without change", []string{"workspaces", "update", "x"}, exitUsage, "", "nothing to update"},
		{"bad output", []string{"workspaces", "list", "-o", "xml"}, exitUsage, "", `unknown output format "xml"`},
		{"bad base url", []string{"workspaces", "list", "--base-url", "nohost"}, exitUsage, "", "--base-url"},
		{"subcommand help", []string{"workspaces", "create", "-h"}, exitOK, "", "Usage: nmp workspaces create"},
		{"projects group help", []string{"projects"}, exitUsage, "nmp projects list [--page N]", ""},
		{"project without workspace", []string{"projects", "get", "p"}, exitUsage, "", "--workspace is required"},
		{"project update without change", []string{"projects", "update", "p", "--workspace", "w"}, exitUsage, "", "nothing to update"},
		{"project subcommand help", []string{"projects", "delete", "-h"}, exitOK, "", "-workspace string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := map[string]map[string]string{"bad output format env": {"NMP_OUTPUT_FORMAT": "xml"}}[tt.name]
			c := &cli{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
			code := runCLI(context.Background(), c, tt.args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestWriteYAML_keepsJSONOrderAndNames(t *testing.T) {
	v := struct {
		Zeta   string            `json:"zeta"`
		Alpha  *string           `json:"alpha"`
		Count  int               `json:"count"`
		Ratio  float64           `json:"ratio"`
		OK     bool              `json:"ok"`
		Number string            `json:"number"`
		Empty  []string          `json:"empty"`
		Map    map[string]int    `json:"by_type"`
		None   map[string]string `json:"none"`
	}{Zeta: "z", Count: 3, Ratio: 0.5, OK: true, Number: "123", Empty: []string{}, Map: map[string]int{"models": 2}}
	var b bytes.Buffer
	if err := writeYAML(&b, v); err != nil {
		t.Fatal(err)
	}
	want := `zeta: z
alpha: null
count: 3
ratio: 0.5
ok: true
number: "123"
empty: []
by_type:
  models: 2
none: null
`
	if got := b.String(); got != want {
		t.Errorf("yaml =\n%s\nwant\n%s", got, want)
	}
}
