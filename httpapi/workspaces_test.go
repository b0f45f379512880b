package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

var timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func TestServer_createWorkspace(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	t.Run("201 workspace object", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, base+"/workspaces?wait_role_propagation=true", `{"name":"ml-team","description":"Machine Learning Team workspace"}`)
		if r.code != http.StatusCreated {
			t.Fatalf("status = %s, want 201", r)
		}
		var raw map[string]any
		r.decode(t, &raw)
		if len(raw) != 7 {
			t.Fatalf("keys = %v, want exactly id name description created_at created_by updated_at updated_by", raw)
		}
		var w wsJSON
		r.decode(t, &w)
		if _, err := uuid.Parse(w.ID); err != nil {
			t.Errorf("id %q is not a UUID: %v", w.ID, err)
		}
		if w.Name != "ml-team" || w.Description == nil || *w.Description != "Machine Learning Team workspace" {
			t.Errorf("got %+v", w)
		}
		if !timeRE.MatchString(w.CreatedAt) || w.CreatedAt != w.UpdatedAt {
			t.Errorf("created_at %q updated_at %q: want equal RFC 3339 UTC with microseconds", w.CreatedAt, w.UpdatedAt)
		}
		if w.CreatedBy != "" || w.UpdatedBy != "" {
			t.Errorf("created_by %q updated_by %q, want empty with auth off", w.CreatedBy, w.UpdatedBy)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
	})

	t.Run("description null when unset", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"no-desc"}`)
		if r.code != http.StatusCreated || !strings.Contains(string(r.body), `"description":null`) {
			t.Fatalf("got %s, want 201 with description null", r)
		}
		r = ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"null-desc","description":null}`)
		if r.code != http.StatusCreated || !strings.Contains(string(r.body), `"description":null`) {
			t.Fatalf("got %s, want 201 with description null", r)
		}
	})

	t.Run("409 already exists", func(t *testing.T) {
		ts.create(t, "taken")
		ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"taken"}`).
			wantError(t, http.StatusConflict, "already_exists", `{"detail":"Workspace 'taken' already exists"}`)
		ts.do(t, http.MethodPost, base+"/workspaces", `{"name":"default"}`).
			wantError(t, http.StatusConflict, "already_exists", `{"detail":"Workspace 'default' already exists"}`)
	})

	name63 := "a" + strings.Repeat("b", 61) + "c"
	name64 := name63 + "d"
	desc4096 := strings.Repeat("x", 4096)
	const pat = `String should match pattern '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'`
	for _, tc := range []struct {
		name string
		body string
		code int
		want string // exact body for errors
	}{
		{"63 chars", `{"name":"` + name63 + `"}`, 201, ""},
		{"single letter", `{"name":"x"}`, 201, ""},
		{"digits and hyphens inside", `{"name":"a-1-b2"}`, 201, ""},
		{"4096-byte description", `{"name":"long-desc","description":"` + desc4096 + `"}`, 201, ""},
		{"64 chars", `{"name":"` + name64 + `"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"String should have at most 63 characters","type":"string_too_long","input":"` + name64 + `"}]}`},
		{"trailing hyphen", `{"name":"ml-"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must end with a lowercase letter or digit)","type":"string_pattern_mismatch","input":"ml-"}]}`},
		{"uppercase and space", `{"name":"Bad Name"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must start with a lowercase letter)","type":"string_pattern_mismatch","input":"Bad Name"}]}`},
		{"uppercase inside", `{"name":"mL-team"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must contain only lowercase letters, digits and hyphens)","type":"string_pattern_mismatch","input":"mL-team"}]}`},
		{"leading digit", `{"name":"1team"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must start with a lowercase letter)","type":"string_pattern_mismatch","input":"1team"}]}`},
		{"leading hyphen", `{"name":"-team"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must start with a lowercase letter)","type":"string_pattern_mismatch","input":"-team"}]}`},
		{"unicode", `{"name":"café"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must contain only lowercase letters, digits and hyphens)","type":"string_pattern_mismatch","input":"café"}]}`},
		{"underscore", `{"name":"ml_team"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"` + pat + ` (name must contain only lowercase letters, digits and hyphens)","type":"string_pattern_mismatch","input":"ml_team"}]}`},
		{"empty", `{"name":""}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"String should have at least 1 character","type":"string_too_short","input":""}]}`},
		{"missing", `{"description":"d"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}`},
		{"number", `{"name":5}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Input should be a valid string","type":"string_type","input":5}]}`},
		{"null name", `{"name":null}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Input should be a valid string","type":"string_type","input":null}]}`},
		{"object name", `{"name":{"a":1}}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Input should be a valid string","type":"string_type","input":{"a":1}}]}`},
		{"description number", `{"name":"okay","description":7}`, 422,
			`{"detail":[{"loc":["body","description"],"msg":"Input should be a valid string","type":"string_type","input":7}]}`},
		{"description too long", `{"name":"okay","description":"` + desc4096 + `y"}`, 422,
			`{"detail":[{"loc":["body","description"],"msg":"String should have at most 4096 bytes","type":"string_too_long","input":"` + desc4096 + `y"}]}`},
		{"every issue at once", `{"name":"Bad","id":"x","description":false}`, 422,
			`{"detail":[` +
				`{"loc":["body","name"],"msg":"` + pat + ` (name must start with a lowercase letter)","type":"string_pattern_mismatch","input":"Bad"},` +
				`{"loc":["body","description"],"msg":"Input should be a valid string","type":"string_type","input":false}]}`},
		{"unknown field and missing name", `{"nam":"typo"}`, 422,
			`{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}`},
		{"malformed JSON", `{"name":`, 422,
			`{"detail":[{"loc":["body"],"msg":"JSON decode error: unexpected end of JSON input","type":"json_invalid"}]}`},
		{"trailing garbage", `{"name":"okay"} x`, 422,
			`{"detail":[{"loc":["body"],"msg":"JSON decode error: invalid character 'x' after top-level value","type":"json_invalid"}]}`},
		{"not an object", `["okay"]`, 422,
			`{"detail":[{"loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","type":"model_attributes_type","input":["okay"]}]}`},
		{"null body", `null`, 422,
			`{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}`},
		{"empty body", ``, 422,
			`{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, http.MethodPost, base+"/workspaces", tc.body)
			if tc.code == http.StatusCreated {
				if r.code != http.StatusCreated {
					t.Fatalf("got %s, want 201", r)
				}
				return
			}
			r.wantError(t, tc.code, "invalid", tc.want)
		})
	}

	t.Run("413 over 64 KiB", func(t *testing.T) {
		big := `{"name":"big","description":"` + strings.Repeat("x", 64<<10) + `"}`
		ts.do(t, http.MethodPost, base+"/workspaces", big).
			wantError(t, http.StatusRequestEntityTooLarge, "too_large", `{"detail":"Request body too large"}`)
		// Without a Content-Length the limit is found while reading.
		ts.do(t, http.MethodPost, base+"/workspaces", struct{ *strings.Reader }{strings.NewReader(big)}).
			wantError(t, http.StatusRequestEntityTooLarge, "too_large", `{"detail":"Request body too large"}`)
	})
}

func TestServer_getWorkspace(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	created := ts.create(t, "ml-team")

	r := ts.do(t, http.MethodGet, base+"/workspaces/ml-team", nil)
	var got wsJSON
	r.decode(t, &got)
	if r.code != http.StatusOK || fmt.Sprint(got) != fmt.Sprint(created) {
		t.Fatalf("got %s, want 200 %+v", r, created)
	}
	for _, name := range []string{"missing", "Bad-Name", "a%2Fb", strings.Repeat("x", 70)} {
		unescaped := strings.ReplaceAll(name, "%2F", "/")
		ts.do(t, http.MethodGet, base+"/workspaces/"+name, nil).
			wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace '`+unescaped+`' not found"}`)
	}

	t.Run("built-ins", func(t *testing.T) {
		for name, desc := range map[string]string{
			fsm.DefaultWorkspace: "General-purpose workspace (all users have write access)",
			fsm.SystemWorkspace:  "Platform-provided resources (read-only for users)",
		} {
			var w wsJSON
			r := ts.do(t, http.MethodGet, base+"/workspaces/"+name, nil)
			r.decode(t, &w)
			if r.code != http.StatusOK || w.Description == nil || *w.Description != desc {
				t.Errorf("%s: got %s, want description %q", name, r, desc)
			}
		}
	})
}

func TestServer_updateWorkspace(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	created := ts.create(t, "ml-team")
	path := base + "/workspaces/ml-team"

	check := func(t *testing.T, r response, wantDesc *string) wsJSON {
		t.Helper()
		var w wsJSON
		r.decode(t, &w)
		if r.code != http.StatusOK {
			t.Fatalf("got %s, want 200", r)
		}
		if (w.Description == nil) != (wantDesc == nil) || (wantDesc != nil && *w.Description != *wantDesc) {
			t.Fatalf("description = %v, want %v", w.Description, wantDesc)
		}
		if w.ID != created.ID || w.CreatedAt != created.CreatedAt || w.Name != "ml-team" {
			t.Fatalf("identity changed: %+v, created %+v", w, created)
		}
		if w.UpdatedAt < created.UpdatedAt || !timeRE.MatchString(w.UpdatedAt) {
			t.Fatalf("updated_at %q, created %q", w.UpdatedAt, created.UpdatedAt)
		}
		return w
	}

	check(t, ts.do(t, http.MethodPut, path, `{"description":"first"}`), ptr("first"))
	check(t, ts.do(t, http.MethodPut, path, `{}`), ptr("first")) // absent: unchanged
	check(t, ts.do(t, http.MethodPut, path, `{"name":"ml-team","description":"same name is fine"}`), ptr("same name is fine"))
	check(t, ts.do(t, http.MethodPut, path, `{"description":null}`), nil) // null: cleared
	if w := check(t, ts.do(t, http.MethodGet, path, nil), nil); w.UpdatedAt == created.UpdatedAt {
		t.Errorf("updated_at did not move after updates")
	}

	for _, tc := range []struct {
		name, path, body string
		code             int
		errCode, want    string
	}{
		{"rename refused", path, `{"name":"other","description":"x"}`, 422, "invalid",
			`{"detail":[{"loc":["body","name"],"msg":"Value error, workspace names are immutable: cannot rename 'ml-team' to 'other'","type":"value_error","input":"other"}]}`},
		{"wrong type", path, `{"description":1}`, 422, "invalid",
			`{"detail":[{"loc":["body","description"],"msg":"Input should be a valid string","type":"string_type","input":1}]}`},
		{"bad JSON", path, `{"description":}`, 422, "invalid",
			`{"detail":[{"loc":["body"],"msg":"JSON decode error: invalid character '}' looking for beginning of value","type":"json_invalid"}]}`},
		{"not found", base + "/workspaces/nope", `{"description":"x"}`, 404, "not_found", `{"detail":"Workspace 'nope' not found"}`},
		{"invalid path name", base + "/workspaces/Nope", `{"description":"x"}`, 404, "not_found", `{"detail":"Workspace 'Nope' not found"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.do(t, http.MethodPut, tc.path, tc.body).wantError(t, tc.code, tc.errCode, tc.want)
		})
	}
}

func TestServer_deleteWorkspace(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "doomed")

	r := ts.do(t, http.MethodDelete, base+"/workspaces/doomed", nil)
	var del struct {
		Message   string `json:"message"`
		ID        string `json:"id"`
		DeletedAt string `json:"deleted_at"`
	}
	r.decode(t, &del)
	if r.code != http.StatusOK || del.Message != "Workspace deleted" || del.ID != "doomed" || !timeRE.MatchString(del.DeletedAt) {
		t.Fatalf("got %s", r)
	}
	ts.do(t, http.MethodGet, base+"/workspaces/doomed", nil).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'doomed' not found"}`)
	ts.do(t, http.MethodDelete, base+"/workspaces/doomed", nil).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'doomed' not found"}`)
	ts.do(t, http.MethodDelete, base+"/workspaces/Not-Valid", nil).
		wantError(t, http.StatusNotFound, "not_found", `{"detail":"Workspace 'Not-Valid' not found"}`)

	t.Run("built-ins refused", func(t *testing.T) {
		for _, name := range []string{"default", "system"} {
			ts.do(t, http.MethodDelete, base+"/workspaces/"+name, nil).
				wantError(t, http.StatusConflict, "builtin", `{"detail":"Workspace '`+name+`' is a built-in workspace and cannot be deleted"}`)
		}
	})

	t.Run("not empty until every reference is released", func(t *testing.T) {
		ts.create(t, "ml-team")
		ts.acquire(t, "ml-team", "models", "m1")
		ts.do(t, http.MethodDelete, base+"/workspaces/ml-team", nil).
			wantError(t, http.StatusConflict, "not_empty",
				`{"detail":"Workspace 'ml-team' is not empty: 1 entity remains (models: 1). Remove all entities before deleting."}`)
		ts.acquire(t, "ml-team", "models", "m2")
		ts.acquire(t, "ml-team", "datasets", "d1")
		ts.do(t, http.MethodDelete, base+"/workspaces/ml-team", nil).
			wantError(t, http.StatusConflict, "not_empty",
				`{"detail":"Workspace 'ml-team' is not empty: 3 entities remain (datasets: 1, models: 2). Remove all entities before deleting."}`)
		for _, ref := range []string{"models/m1", "models/m2", "datasets/d1"} {
			if r := ts.do(t, http.MethodDelete, base+"/workspaces/ml-team/entity-refs/"+ref, nil); r.code != http.StatusOK {
				t.Fatalf("release %s: %s", ref, r)
			}
		}
		if r := ts.do(t, http.MethodDelete, base+"/workspaces/ml-team", nil); r.code != http.StatusOK {
			t.Fatalf("delete after release: %s", r)
		}
	})
}

func TestServer_indexHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	var last uint64
	for i, req := range []struct{ method, path, body string }{
		{http.MethodPost, base + "/workspaces", `{"name":"one"}`},
		{http.MethodPost, base + "/workspaces", `{"name":"two"}`},
		{http.MethodPut, base + "/workspaces/one", `{"description":"d"}`},
		{http.MethodPut, base + "/workspaces/two/entity-refs/models/m", ``},
		{http.MethodDelete, base + "/workspaces/two/entity-refs/models/m", ``},
		{http.MethodDelete, base + "/workspaces/one", ``},
	} {
		r := ts.do(t, req.method, req.path, req.body)
		if r.code/100 != 2 {
			t.Fatalf("%s %s: %s", req.method, req.path, r)
		}
		idx := r.index(t)
		if idx <= last {
			t.Fatalf("write %d: X-Wsd-Index %d, want > %d", i, idx, last)
		}
		last = idx
		// A read after the write reflects at least its index.
		if g := ts.do(t, http.MethodGet, base+"/workspaces", nil); g.index(t) < idx {
			t.Fatalf("read index %d < write index %d", g.index(t), idx)
		}
	}
	// Every answer carries the cluster headers, errors too.
	for _, path := range []string{base + "/workspaces", base + "/workspaces/nope", "/healthz", "/readyz", "/nope", "/v1/cluster/status"} {
		r := ts.do(t, http.MethodGet, path, nil)
		if r.header.Get(client.HeaderIndex) == "" || r.header.Get(client.HeaderKnownLeader) != "true" || r.header.Get(client.HeaderLastContact) != "0" {
			t.Errorf("%s: headers %v, want X-Wsd-Index, X-Wsd-Known-Leader: true, X-Wsd-Last-Contact: 0", path, r.header)
		}
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q", path, r.header.Get("Content-Type"))
		}
		if r.code >= 400 && r.header.Get(client.HeaderErrorCode) == "" {
			t.Errorf("%s: error %d without %s", path, r.code, client.HeaderErrorCode)
		}
	}
}
