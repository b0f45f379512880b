package httpapi

import (
	"net/http"
	"testing"
)

// TestServer_unknownBodyFields: members of a body the server does not
// know are ignored, as the NeMo platform does (a newer SDK may send
// fields an older server does not know); members that would rename or
// move what the path names are still refused (422), and known members
// are still checked.
func TestServer_unknownBodyFields(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ws := base + "/workspaces"
	for _, tc := range []struct {
		name, method, path string
		body               string
		code               int
		want               string // "" when not compared
	}{
		{"create a workspace with unknown fields", http.MethodPost, ws, `{"name":"uf","owner":"bob","labels":{"a":[1,2]},"x":null}`, 201, ""},
		{"update with unknown fields", http.MethodPut, ws + "/uf", `{"description":"d","future":true}`, 200, ""},
		{"update repeating the name", http.MethodPut, ws + "/uf", `{"name":"uf","description":"e"}`, 200, ""},
		{"update renaming", http.MethodPut, ws + "/uf", `{"name":"other","x":1}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Value error, workspace names are immutable: cannot rename 'uf' to 'other'","type":"value_error","input":"other"}]}`},
		{"a known field is still checked", http.MethodPost, ws, `{"name":"Bad","zzz":1}`, 422, ""},
		{"unknown fields without a name", http.MethodPost, ws, `{"nam":"typo"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}`},
		{"create a project with unknown fields", http.MethodPost, ws + "/uf/projects", `{"name":"p","tags":["a"]}`, 201, ""},
		{"create a project repeating its workspace", http.MethodPost, ws + "/uf/projects", `{"name":"q","workspace":"uf"}`, 201, ""},
		{"update a project with unknown fields", http.MethodPut, ws + "/uf/projects/p", `{"description":"d","owner":"x"}`, 200, ""},
		{"add a member with unknown fields", http.MethodPost, ws + "/uf/members", `{"principal":"bob","roles":["Viewer"],"expires_at":"never"}`, 201, ""},
		{"set roles with unknown fields", http.MethodPut, ws + "/uf/members/bob", `{"roles":["Editor"],"note":"x"}`, 200, ""},
		{"set roles repeating the principal", http.MethodPut, ws + "/uf/members/bob", `{"principal":"bob","roles":["Viewer"]}`, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, tc.body)
			r.want(t, tc.code, tc.want)
		})
	}
	var w wsJSON
	ts.do(t, http.MethodGet, ws+"/uf", nil).decode(t, &w)
	if w.Description == nil || *w.Description != "e" {
		t.Errorf("description = %v, want e", w.Description)
	}
}
