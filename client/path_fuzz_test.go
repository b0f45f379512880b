package client

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

// FuzzPathSegments checks that no value put into a path can change its
// shape: the request line the client sends has exactly the expected
// segments, each decoding back to its value; it holds no "." or ".."
// segment and no empty one (so nothing that removes dot segments or
// merges slashes changes it); and a call with an empty value is refused
// before anything is sent.
func FuzzPathSegments(f *testing.F) {
	for _, s := range []string{"..", ".", "", "a/b", "%2E", "%2e%2E", "a b", "../..", "ws", "\x00", "é", "//", "?x", "#f", ";a", "%", "..%2f"} {
		f.Add(s, "models", s)
		f.Add("ws", s, s)
	}
	f.Fuzz(func(t *testing.T, ws, typ, name string) {
		paths := map[string][]string{
			workspacePath(ws):        {"workspaces", ws},
			refPath(ws, typ, name):   {"workspaces", ws, "entity-refs", typ, name},
			memberPath(ws, name):     {"workspaces", ws, "members", name},
			projectPath(ws, name):    {"workspaces", ws, "projects", name},
			membersPath(ws):          {"workspaces", ws, "members"},
			workspacePath(ws) + "/x": {"workspaces", ws, "x"},
		}
		for p, want := range paths {
			err := checkPath(http.MethodDelete, p)
			if empty := slices.Contains(want, ""); empty != (err != nil) {
				t.Fatalf("path %q of %q: checkPath says %v", p, want, err)
			} else if empty {
				continue
			}
			req, err := http.NewRequest(http.MethodDelete, "http://wsd.test"+p, nil)
			if err != nil {
				t.Fatalf("path %q: %v", p, err)
			}
			sent := req.URL.RequestURI()
			if sent != p {
				t.Fatalf("path %q is sent as %q", p, sent)
			}
			if path.Clean(sent) != sent {
				t.Fatalf("path %q has a dot or empty segment", sent)
			}
			rest, ok := strings.CutPrefix(sent, BasePath+"/")
			if !ok {
				t.Fatalf("path %q left the base path", sent)
			}
			segs := strings.Split(rest, "/")
			if len(segs) != len(want) {
				t.Fatalf("path %q has %d segments, want %d (%q)", sent, len(segs), len(want), want)
			}
			for i, s := range segs {
				if s == "." || s == ".." {
					t.Fatalf("path %q: segment %d is %q", sent, i, s)
				}
				v, err := url.PathUnescape(s)
				if err != nil || v != want[i] {
					t.Fatalf("path %q: segment %d decodes to %q (%v), want %q", sent, i, v, err, want[i])
				}
			}
		}
	})
}
