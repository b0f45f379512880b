package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// TestRun_fakeServer checks output and error printing against a server
// that answers fixed bodies of the wire contract.
func TestRun_fakeServer(t *testing.T) {
	desc := "Machine Learning Team workspace"
	ws := client.Workspace{
		ID: "0193a1c4-0000-7000-8000-000000000001", Name: "ml-team", Description: &desc,
		CreatedAt: client.Time{Time: time.Date(2026, 11, 26, 17, 40, 0, 123456000, time.UTC)},
		UpdatedAt: client.Time{Time: time.Date(2026, 11, 26, 17, 41, 0, 0, time.UTC)},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case client.BasePath + "/workspaces/ml-team":
			_ = json.NewEncoder(w).Encode(ws)
		case client.BasePath + "/workspaces":
			w.Header().Set(client.HeaderErrorCode, client.CodeInvalid)
			w.WriteHeader(http.StatusUnprocessableEntity)
			_ = json.NewEncoder(w).Encode(client.ValidationErrorBody{Detail: []client.ValidationIssue{
				{Loc: []string{"body", "name"}, Msg: "String should match pattern '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'", Type: "string_pattern_mismatch", Input: "Bad Name"},
				{Loc: []string{"body", "colour"}, Msg: "Extra inputs are not permitted", Type: "extra_forbidden"},
			}})
		default:
			w.Header().Set(client.HeaderErrorCode, client.CodeNotFound)
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(client.ErrorBody{Detail: "Workspace 'x' not found"})
		}
	}))
	defer srv.Close()

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"table", []string{"workspaces", "get", "ml-team"}, 0,
			"NAME     ID                                    DESCRIPTION                      CREATED_AT            UPDATED_AT\n" +
				"ml-team  0193a1c4-0000-7000-8000-000000000001  Machine Learning Team workspace  2026-11-26T17:40:00Z  2026-11-26T17:41:00Z\n", ""},
		{"json", []string{"workspaces", "get", "ml-team", "-o", "json"}, 0, `{
  "id": "0193a1c4-0000-7000-8000-000000000001",
  "name": "ml-team",
  "description": "Machine Learning Team workspace",
  "created_at": "2026-11-26T17:40:00.123456Z",
  "created_by": "",
  "updated_at": "2026-11-26T17:41:00.000000Z",
  "updated_by": ""
}
`, ""},
		{"yaml", []string{"workspaces", "get", "ml-team", "-o", "yaml"}, 0, `id: 0193a1c4-0000-7000-8000-000000000001
name: ml-team
description: Machine Learning Team workspace
created_at: "2026-11-26T17:40:00.123456Z"
created_by: ""
updated_at: "2026-11-26T17:41:00.000000Z"
updated_by: ""
`, ""},
		{"not found", []string{"workspaces", "get", "x"}, 1, "", "Not found: Workspace 'x' not found\n"},
		{"validation issues", []string{"workspaces", "create", "--name", "Bad Name"}, 1, "",
			"Invalid request (422):\n" +
				"  body.name: String should match pattern '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'\n" +
				"  body.colour: Extra inputs are not permitted\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			c := &cli{stdout: &stdout, stderr: &stderr, isTerminal: true, getenv: func(k string) string {
				if k == "NMP_BASE_URL" {
					return srv.URL
				}
				return ""
			}}
			code := runCLI(context.Background(), c, tt.args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if got := stdout.String(); got != tt.wantStdout {
				t.Errorf("stdout =\n%s\nwant\n%s", got, tt.wantStdout)
			}
			if got := stderr.String(); !strings.Contains(got, tt.wantStderr) || (tt.wantStderr == "" && got != "") {
				t.Errorf("stderr = %q, want %q", got, tt.wantStderr)
			}
		})
	}
}
