package main

import (
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/internal/testserver"
)

// TestNMP_filterLanguage runs `nmp workspaces list --filter` against a
// real wsd: every syntax of the filter language, operators, precedence,
// escapes, null, timestamps with offsets, and the error of a bad filter,
// printed with its kind.
func TestNMP_filterLanguage(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	env := map[string]string{"NMP_BASE_URL": srv.URL}
	for _, args := range [][]string{
		{"workspaces", "create", "ml-team", "--description", "Machine Learning"},
		{"workspaces", "create", "ml-ops"},
		{"workspaces", "create", "cv-team", "--description", `say "hi"`},
	} {
		if _, stderr, code := runWith(t, env, "", args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
	}
	if _, stderr, code := runWith(t, env, "", "workspaces", "list", "--filter", `name:"x"`); code != 0 && strings.Contains(stderr, "(422)") {
		t.Skipf("this server predates the text filter syntax: %s", stderr)
	}
	tests := []struct {
		name   string
		filter string
		want   string // names, comma-separated, sorted
	}{
		{"text equals", `name:"ml-team"`, "ml-team"},
		{"text contains ignores case", `name~"TEAM"`, "cv-team,ml-team"},
		{"side by side is AND", `name~"ml" description~"learning"`, "ml-team"},
		{"OR", `name:"ml-ops" OR name:"cv-team"`, "cv-team,ml-ops"},
		{"AND binds tighter", `name:"ml-ops" OR name~"team" AND description~"say"`, "cv-team,ml-ops"},
		{"parentheses", `(name:"ml-ops" OR name~"team") AND name~"ml"`, "ml-ops,ml-team"},
		{"negation", `-name~"ml" name~"-"`, "cv-team"},
		{"negated group", `-(name~"ml" OR name:"default") name~"-"`, "cv-team"},
		{"IN", `name IN ["ml-ops","cv-team","nope"]`, "cv-team,ml-ops"},
		{"NOT IN", `name NOT IN ["ml-ops","default","system"]`, "cv-team,ml-team"},
		{"escaped quote", `description:"say \"hi\""`, "cv-team"},
		{"null", `description:null name~"-"`, "ml-ops"},
		{"timestamp", `created_at>="2025-01-01" name~"ml"`, "ml-ops,ml-team"},
		{"timestamp with offset", `created_at<"2999-01-01T10:00:00+05:00" name:"ml-ops"`, "ml-ops"},
		{"JSON", `{"name":{"$in":["ml-team","cv-team"]}}`, "cv-team,ml-team"},
		{"JSON like", `{"name":{"$like":"OPS"}}`, "ml-ops"},
		{"JSON or", `{"$or":[{"name":"ml-ops"},{"name":"cv-team"}]}`, "cv-team,ml-ops"},
		{"bracket form", `name[$like]=team`, "cv-team,ml-team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runWith(t, env, "", "workspaces", "list", "--filter", tt.filter, "--sort", "name", "-f", "csv", "-c", "name")
			if code != 0 {
				t.Fatalf("--filter %s: exit %d: %s", tt.filter, code, stderr)
			}
			got := strings.Join(strings.Fields(strings.TrimPrefix(stdout, "NAME\n")), ",")
			if got != tt.want {
				t.Errorf("--filter %s lists %s, want %s", tt.filter, got, tt.want)
			}
		})
	}
	for _, bad := range []string{`name:"unterminated`, `colour:"red"`, `name:"a" AND`, `{"name":{"$regex":"x"}}`} {
		t.Run("error "+bad, func(t *testing.T) {
			_, stderr, code := runWith(t, env, "", "workspaces", "list", "--filter", bad)
			if code != 1 || !strings.HasPrefix(stderr, "Invalid request: Invalid filter query: ") {
				t.Errorf("--filter %s: exit %d, stderr %q; want 1 and \"Invalid request: Invalid filter query: ...\"", bad, code, stderr)
			}
		})
	}
}
