package charttest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"POD_NAME": "wsd-1", "NS": "wsd", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"--node-id=$(POD_NAME)", "--node-id=wsd-1"},
		{"$(POD_NAME).h.$(NS).svc", "wsd-1.h.wsd.svc"},
		{"$(UNDEFINED)", "$(UNDEFINED)"},
		{"a$(EMPTY)b", "ab"},
		{"$$(POD_NAME)", "$(POD_NAME)"},
		{"$$$(POD_NAME)", "$wsd-1"},
		{"cost $5", "cost $5"},
		{"trailing $", "trailing $"},
		{"$(POD_NAME", "$(POD_NAME"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Expand(tt.in, env); got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderedArgs_defaults(t *testing.T) {
	t.Parallel()
	args, env := RenderedArgs(t, nil)
	flagRE := regexp.MustCompile(`^--[a-z][a-z0-9-]*=.+$`)
	for _, a := range args {
		if !flagRE.MatchString(a) {
			t.Errorf("arg %q is not of the form --flag=value", a)
		}
	}
	wantFlag(t, args, "advertise", "$(POD_NAME).wsd-headless.wsd.svc.cluster.local")
	if len(env) != 0 {
		t.Errorf("env %v, want no literal variables with the defaults", env)
	}
}

// RenderedPods is what an end-to-end test runs: each pod's args must name
// that pod and agree with the others on the cluster.
func TestRenderedPods_defaults(t *testing.T) {
	t.Parallel()
	pods, headless := RenderedPods(t, nil)
	if headless != "wsd-headless.wsd.svc.cluster.local" {
		t.Errorf("headless %q, want wsd-headless.wsd.svc.cluster.local", headless)
	}
	if len(pods) != 3 {
		t.Fatalf("got %d pods, want 3", len(pods))
	}
	for i, p := range pods {
		name := fmt.Sprintf("wsd-%d", i)
		if p.Name != name || p.Host != name+"."+headless {
			t.Errorf("pod %d is %q at %q, want %q at %q", i, p.Name, p.Host, name, name+"."+headless)
		}
		wantFlag(t, p.Args, "node-id", name)
		wantFlag(t, p.Args, "advertise", p.Host)
		wantFlag(t, p.Args, "join", headless+":8301")
		wantFlag(t, p.Args, "bootstrap-expect", "3")
		if p.Env["POD_NAME"] != name || p.Env["POD_NAMESPACE"] != Namespace {
			t.Errorf("pod %d env %v, want POD_NAME %s and POD_NAMESPACE %s", i, p.Env, name, Namespace)
		}
		for _, a := range p.Args {
			if strings.Contains(a, "$(") {
				t.Errorf("pod %d arg %q still holds a reference", i, a)
			}
		}
		// Apart from the pod's own name, every server gets the same flags.
		if i > 0 {
			if !slices.Equal(replaceAll(p.Args, name, "X"), replaceAll(pods[0].Args, "wsd-0", "X")) {
				t.Errorf("pod %d args %q differ from pod 0's %q beyond the name", i, p.Args, pods[0].Args)
			}
		}
	}
}

func TestRenderedPods_extraEnv(t *testing.T) {
	t.Parallel()
	pods, _ := RenderedPods(t, map[string]any{
		"replicas":      1,
		"clusterDomain": "example.internal",
		"extraEnv":      []any{map[string]any{"name": "HINT", "value": "$(POD_NAME)-x"}},
		"extraArgs":     []any{"--gossip-key=$(HINT)"},
	})
	p := pods[0]
	if p.Env["HINT"] != "wsd-0-x" {
		t.Errorf("HINT = %q, want wsd-0-x (expanded against POD_NAME)", p.Env["HINT"])
	}
	wantFlag(t, p.Args, "gossip-key", "wsd-0-x")
	wantFlag(t, p.Args, "advertise", "wsd-0.wsd-headless.wsd.svc.example.internal")
}

func replaceAll(args []string, old, repl string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, old, repl)
	}
	return out
}
