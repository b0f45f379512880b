package clientserver_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// TestServer_whereFilters sends filters built with the client's Where
// builder (the text syntax) to a real wsd and checks what they select,
// values with quotes and backslashes included. Through `nmp workspaces
// list --filter` the same strings reach the server unchanged
// (cmd/nmp TestNMP_filterPassedThrough).
func TestServer_whereFilters(t *testing.T) {
	srv, c := startServer(t)
	_ = srv
	ctx := ctxT(t)
	quoted := `say "hi" \ bye`
	for name, desc := range map[string]*string{"ml-team": strPtr("Machine Learning"), "ml-ops": nil, "cv-team": strPtr(quoted)} {
		var opts []client.CreateOption
		if desc != nil {
			opts = append(opts, client.WithDescription(*desc))
		}
		if _, created, err := c.EnsureWorkspace(ctx, name, opts...); err != nil || !created {
			t.Fatalf("ensure %s: created %v, %v", name, created, err)
		}
	}
	if _, err := c.ListWorkspaces(ctx, client.ListOptions{Where: client.Field("name").Eq("x")}); errors.Is(err, client.ErrInvalid) {
		var se *client.StatusError
		if errors.As(err, &se) && se.StatusCode == 422 {
			t.Skipf("this server predates the text filter syntax (422 for filter=name:\"x\"): %v", err)
		}
	}
	f := client.Field
	tests := []struct {
		name  string
		where client.Expr
		want  []string
	}{
		{"eq", f("name").Eq("ml-team"), []string{"ml-team"}},
		{"contains ignores case", f("name").Contains("TEAM"), []string{"cv-team", "ml-team"}},
		{"quotes and backslash", f("description").Eq(quoted), []string{"cv-team"}},
		{"null", f("description").IsNull(), []string{"ml-ops"}},
		{"in", f("name").In("ml-ops", "cv-team", "nope"), []string{"cv-team", "ml-ops"}},
		{"not in", f("name").NotIn("ml-ops", "default", "system"), []string{"cv-team", "ml-team"}},
		{"and/or", client.Or(f("name").Eq("ml-ops"), f("name").Contains("cv")).And(f("name").Contains("-")), []string{"cv-team", "ml-ops"}},
		{"not", client.Not(f("name").Contains("ml")).And(f("name").Contains("-")), []string{"cv-team"}},
		{"timestamp", f("created_at").Gte(time.Now().Add(-time.Hour)).And(f("name").Contains("ml")), []string{"ml-ops", "ml-team"}},
		{"timestamp with offset", f("created_at").Lt(time.Now().Add(time.Hour).In(time.FixedZone("", -5*3600))).And(f("name").Eq("ml-ops")), []string{"ml-ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for w, err := range c.Workspaces(ctx, client.ListOptions{Where: tt.where, Sort: "name"}) {
				if err != nil {
					t.Fatalf("filter %s: %v", tt.where, err)
				}
				got = append(got, w.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("filter %s selects %v, want %v", tt.where, got, tt.want)
			}
		})
	}
}

func strPtr(s string) *string { return &s }
