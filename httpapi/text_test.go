package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/fsm"
)

func TestTextProblem(t *testing.T) {
	for _, tc := range []struct {
		s         string
		multiline bool
		bad       bool
	}{
		{"alice@example.com", false, false},
		{"grüße/team", false, false},
		{"a\tb", false, true},
		{"a\tb\r\nc", true, false},
		{"a\u202eb", true, true},
		{"a\u2066b", false, true},
		{"a\u061cb", false, true},
		{"a\u200fb", false, true},
		{"a\x00b", true, true},
		{"a\u0085b", true, true},
		{"a\x7fb", true, true},
		{"a\xffb", true, true},
		{"a\u200db", false, false}, // a zero-width joiner is not a control
	} {
		if got := textProblem(tc.s, tc.multiline) != ""; got != tc.bad {
			t.Errorf("textProblem(%q, %v) = %v, want bad=%v", tc.s, tc.multiline, textProblem(tc.s, tc.multiline), tc.bad)
		}
	}
}

func TestReplacedRunes(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`"plain"`, false},
		{`"\ufffd sent as is"`, false},
		{"\"\uFFFD literal\"", false},
		{`"\ud83d\ude00 a pair"`, false},
		{`"\ud800 alone"`, true},
		{`"\udc00 alone"`, true},
		{`"\ud800\u0041"`, true},
		{`"\\ud800 is text"`, false},
		{"\"\xff\"", true},
		{`"\u12"`, false}, // malformed: refused by the decoder instead
	} {
		if got := replacedRunes(json.RawMessage(tc.raw)); got != tc.want {
			t.Errorf("replacedRunes(%s) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

// TestLegacyDotNames checks that a principal or entity name stored before
// "." and ".." were refused can still be removed through its escaped path,
// while creating one is a 422.
func TestLegacyDotNames(t *testing.T) {
	ts := newTestServer(t)
	ts.create(t, "legacy")
	for _, c := range []fsm.Command{
		&fsm.AddMember{Workspace: "legacy", Principal: "..", Roles: []string{fsm.RoleViewer}, At: time.Now().UTC()},
		&fsm.AcquireRef{Workspace: "legacy", EntityType: "models", EntityName: ".", At: time.Now().UTC()},
	} {
		res, err := ts.node.Apply(context.Background(), c)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ws := "/apis/entities/v2/workspaces/legacy"
	if r := ts.do(t, http.MethodPut, ws+"/members/%2E%2E", map[string]any{"roles": []string{"Editor"}}); r.code != http.StatusUnprocessableEntity {
		t.Errorf("set roles of '..': %s, want 422", r)
	}
	if r := ts.do(t, http.MethodPut, ws+"/entity-refs/models/%2E", nil); r.code != http.StatusUnprocessableEntity {
		t.Errorf("acquire '.': %s, want 422", r)
	}
	if r := ts.do(t, http.MethodDelete, ws+"/members/%2E%2E", nil); r.code != http.StatusOK {
		t.Errorf("remove '..': %s, want 200", r)
	}
	if r := ts.do(t, http.MethodDelete, ws+"/entity-refs/models/%2E", nil); r.code != http.StatusOK {
		t.Errorf("release '.': %s, want 200", r)
	}
	if r := ts.do(t, http.MethodDelete, ws, nil); r.code != http.StatusOK {
		t.Errorf("delete the emptied workspace: %s, want 200", r)
	}
}
