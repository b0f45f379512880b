package httpapi

import (
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestREADME_compatibility runs every example of the README's section
// "Compatibility with the NeMo platform", in order, against a real node:
// each request line (METHOD PATH [BODY]) is followed by "→ STATUS
// [BODY]", the body compared as JSON when given, or "→ 200 names: a b"
// for a list page holding those workspaces in that order. A query is written as a
// reader would type it and escaped here.
func TestREADME_compatibility(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "## Compatibility with the NeMo platform\n")
	if !ok {
		t.Fatal("README.md has no section Compatibility with the NeMo platform")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var lines []string
	for _, block := range strings.Split(sec, "```http\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		lines = append(lines, strings.Split(strings.TrimSpace(block), "\n")...)
	}
	if len(lines) < 2 || len(lines)%2 != 0 {
		t.Fatalf("the section has %d example lines, want request/answer pairs", len(lines))
	}
	ts := newTestServer(t)
	for i := 0; i < len(lines); i += 2 {
		req, ans := lines[i], lines[i+1]
		method, rest, _ := strings.Cut(req, " ")
		target, body := rest, ""
		if j := strings.Index(rest, " {"); j >= 0 && !strings.Contains(rest[:j], "?") {
			target, body = rest[:j], rest[j+1:]
		}
		if p, q, ok := strings.Cut(target, "?"); ok {
			k, v, _ := strings.Cut(q, "=")
			target = p + "?" + k + "=" + url.QueryEscape(v)
		}
		status, want, _ := strings.Cut(strings.TrimPrefix(ans, "→ "), " ")
		code, err := strconv.Atoi(status)
		if err != nil || !strings.HasPrefix(ans, "→ ") {
			t.Fatalf("line %q: want → STATUS [BODY]", ans)
		}
		var sent any
		if body != "" {
			sent = body
		}
		t.Run(req[:min(len(req), 60)], func(t *testing.T) {
			r := ts.do(t, method, target, sent)
			names, isList := strings.CutPrefix(want, "names: ")
			if !isList {
				r.want(t, code, want)
				return
			}
			r.want(t, code, "")
			var p pageJSON
			r.decode(t, &p)
			var got []string
			for _, w := range p.Data {
				got = append(got, w.Name)
			}
			if strings.Join(got, " ") != names {
				t.Fatalf("listed %v, want %s", got, names)
			}
		})
	}
	if got := ts.do(t, http.MethodGet, base+"/workspaces/ml-team", nil); got.code != http.StatusOK {
		t.Fatalf("ml-team after the examples: %s", got)
	}
}
