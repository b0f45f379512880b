package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/auth"
	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
	"github.com/wsd-dev/wsd/internal/oidctest"
)

// authServer is a single-node API with OIDC authentication on, against a
// local test issuer.
type authServer struct {
	*testServer
	iss *oidctest.Issuer
	seq atomic.Int64
}

// Principals of the authorization tests and what the fixture binds them
// to (see newAuthServer and fixture).
const (
	subRoot    = "root"    // PlatformAdmin on system
	subCreator = "creator" // WorkspaceCreator on system
	subAdmin   = "ada"     // Admin of fixture workspaces, by id
	subEditor  = "eddie"   // Editor of fixture workspaces, by id
	subViewer  = "vic"     // Viewer of fixture workspaces, by email
	mailViewer = "vic@example.com"
	subGroup   = "gus" // member of group devs: Editor of fixture workspaces
	groupDevs  = "devs"
	subNobody  = "nora" // no role anywhere but what "*" holds
	subStar    = "stella"
)

// newAuthServer starts the API with authentication on. As an operator
// would, it makes root PlatformAdmin and takes WorkspaceCreator away from
// "*" (seeded at init), granting it to creator only.
func newAuthServer(t *testing.T) *authServer {
	t.Helper()
	iss := oidctest.New(t)
	acfg := auth.DefaultConfig()
	acfg.Mode = auth.ModeOIDC
	acfg.Issuer = iss.URL
	acfg.Audience = oidctest.Audience
	acfg.HTTPClient = iss.HTTPClient()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	authn, err := auth.New(ctx, acfg)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	ts := newTestServer(t, func(c *Config) {
		c.Authenticator = authn
		c.AuthEnabled = true
	})
	as := &authServer{testServer: ts, iss: iss}
	as.seed(t,
		&fsm.AddMember{Workspace: fsm.SystemWorkspace, Principal: subRoot, Roles: []string{fsm.RolePlatformAdmin}},
		&fsm.SetMemberRoles{Workspace: fsm.SystemWorkspace, Principal: fsm.Everyone, Roles: []string{fsm.RoleViewer}},
		&fsm.AddMember{Workspace: fsm.SystemWorkspace, Principal: subCreator, Roles: []string{fsm.RoleWorkspaceCreator}},
	)
	return as
}

// seed applies commands directly, without a caller (as with
// authentication off), failing the test when one is refused.
func (as *authServer) seed(t testing.TB, cmds ...fsm.Command) uint64 {
	t.Helper()
	var idx uint64
	for _, c := range cmds {
		setAt(c, time.Now().UTC())
		res, err := as.node.Apply(context.Background(), c)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			t.Fatalf("seeding %s: %v", c.Type(), err)
		}
		idx = res.Index
	}
	return idx
}

// setAt stamps the timestamp of a seeding command.
func setAt(c fsm.Command, at time.Time) {
	v := reflect.ValueOf(c).Elem().FieldByName("At")
	if v.IsValid() && v.Interface().(time.Time).IsZero() {
		v.Set(reflect.ValueOf(at))
	}
}

// persona is one kind of caller of the matrix.
type persona struct {
	name  string
	token func(as *authServer, t testing.TB) string // nil: no credentials
	// level is the role the persona holds in a fixture workspace: 0 none,
	// 1 Viewer, 2 Editor, 3 Admin, 4 PlatformAdmin (everything).
	level int
	// star binds "*" to Viewer in the fixture workspace; the persona
	// holds nothing else.
	star    bool
	creator bool // may create workspaces
}

func tokenFor(sub, email string, groups ...string) func(*authServer, testing.TB) string {
	return func(as *authServer, t testing.TB) string { return as.iss.Token(t, sub, email, groups...) }
}

var personas = []persona{
	{name: "anonymous"},
	{name: "no role", token: tokenFor(subNobody, "nora@example.com")},
	{name: "Viewer by email", token: tokenFor(subViewer, mailViewer), level: 1},
	{name: "Editor", token: tokenFor(subEditor, ""), level: 2},
	{name: "Admin", token: tokenFor(subAdmin, "ada@example.com"), level: 3},
	{name: "WorkspaceCreator", token: tokenFor(subCreator, ""), creator: true},
	{name: "PlatformAdmin", token: tokenFor(subRoot, ""), level: 4, creator: true},
	{name: "group member", token: tokenFor(subGroup, "gus@example.com", "others", groupDevs), level: 2},
	{name: "star binding", token: tokenFor(subStar, ""), level: 1, star: true},
}

// fixture creates a fresh workspace with the matrix bindings: ada Admin,
// eddie Editor, vic@example.com Viewer, group devs Editor, bob Viewer (a
// member to change or remove) and, for star, "*" Viewer. full adds an
// entity reference models/m1 and a project p1.
func (as *authServer) fixture(t testing.TB, star, full bool) string {
	t.Helper()
	ws := fmt.Sprintf("fx-%d", as.seq.Add(1))
	cmds := []fsm.Command{
		&fsm.CreateWorkspace{ID: fmt.Sprintf("id-%s-%d", ws, time.Now().UnixNano()), Name: ws},
		&fsm.AddMember{Workspace: ws, Principal: subAdmin, Roles: []string{fsm.RoleAdmin}},
		&fsm.AddMember{Workspace: ws, Principal: subEditor, Roles: []string{fsm.RoleEditor}},
		&fsm.AddMember{Workspace: ws, Principal: mailViewer, Roles: []string{fsm.RoleViewer}},
		&fsm.AddMember{Workspace: ws, Principal: groupDevs, Roles: []string{fsm.RoleEditor}},
		&fsm.AddMember{Workspace: ws, Principal: "bob", Roles: []string{fsm.RoleViewer}},
	}
	if star {
		cmds = append(cmds, &fsm.AddMember{Workspace: ws, Principal: fsm.Everyone, Roles: []string{fsm.RoleViewer}})
	}
	if full {
		cmds = append(cmds,
			&fsm.AcquireRef{Workspace: ws, EntityType: "models", EntityName: "m1"},
			&fsm.CreateProject{ID: fmt.Sprintf("pid-%s-%d", ws, time.Now().UnixNano()), Workspace: ws, Name: "p1"})
	}
	as.seed(t, cmds...)
	return ws
}

// call sends a request as the holder of token ("" sends none).
func (as *authServer) call(t testing.TB, token, method, path string, body any) response {
	t.Helper()
	if token == "" {
		return as.do(t, method, path, body)
	}
	return as.do(t, method, path, body, "Authorization", "Bearer "+token)
}

func (as *authServer) digest() string { return as.node.FSM().State().Digest() }

// Roles an endpoint needs.
const (
	needAny     = iota // any authenticated caller
	needViewer         // Viewer in the workspace
	needEditor         // Editor in the workspace
	needAdmin          // Admin in the workspace
	needCreator        // WorkspaceCreator on system
)

type endpointCase struct {
	name   string
	method string
	path   func(ws string) string // under base
	body   any
	need   int
	ok     int  // status of an allowed call
	empty  bool // the fixture must be empty (workspace delete)
	// check, when set, runs on an allowed answer.
	check func(t *testing.T, ws string, p persona, r response)
}

func wsPath(suffix string) func(string) string {
	return func(ws string) string { return "/workspaces/" + ws + suffix }
}

// endpoints are every call of the entities API, with the role it needs.
func endpoints() []endpointCase {
	return []endpointCase{
		{name: "list workspaces", method: http.MethodGet, path: func(string) string { return "/workspaces?page_size=1000" }, need: needAny, ok: http.StatusOK,
			check: func(t *testing.T, ws string, p persona, r response) {
				var pg pageJSON
				r.decode(t, &pg)
				found := slices.ContainsFunc(pg.Data, func(w wsJSON) bool { return w.Name == ws })
				if want := p.level > 0; found != want {
					t.Errorf("list holds %s: %v, want %v", ws, found, want)
				}
				if pg.Pagination.TotalResults != len(pg.Data) {
					t.Errorf("total_results = %d, want %d (the listed workspaces)", pg.Pagination.TotalResults, len(pg.Data))
				}
			}},
		{name: "create workspace", method: http.MethodPost, path: func(string) string { return "/workspaces" }, need: needCreator, ok: http.StatusCreated},
		{name: "get workspace", method: http.MethodGet, path: wsPath(""), need: needViewer, ok: http.StatusOK},
		{name: "update workspace", method: http.MethodPut, path: wsPath(""), body: map[string]any{"description": "changed"}, need: needEditor, ok: http.StatusOK},
		{name: "delete workspace", method: http.MethodDelete, path: wsPath(""), need: needAdmin, ok: http.StatusOK, empty: true},
		{name: "acquire ref", method: http.MethodPut, path: wsPath("/entity-refs/models/new-model"), need: needEditor, ok: http.StatusCreated},
		{name: "release ref", method: http.MethodDelete, path: wsPath("/entity-refs/models/m1"), need: needEditor, ok: http.StatusOK},
		{name: "list refs", method: http.MethodGet, path: wsPath("/entity-refs"), need: needViewer, ok: http.StatusOK},
		{name: "usage", method: http.MethodGet, path: wsPath("/usage"), need: needViewer, ok: http.StatusOK},
		{name: "list members", method: http.MethodGet, path: wsPath("/members"), need: needViewer, ok: http.StatusOK},
		{name: "add member", method: http.MethodPost, path: wsPath("/members"), body: map[string]any{"principal": "carl@example.com"}, need: needAdmin, ok: http.StatusCreated},
		{name: "update member", method: http.MethodPut, path: wsPath("/members/bob"), body: map[string]any{"roles": []string{"Editor"}}, need: needAdmin, ok: http.StatusOK},
		{name: "remove member", method: http.MethodDelete, path: wsPath("/members/bob"), need: needAdmin, ok: http.StatusOK},
		{name: "list projects", method: http.MethodGet, path: wsPath("/projects"), need: needViewer, ok: http.StatusOK},
		{name: "create project", method: http.MethodPost, path: wsPath("/projects"), body: map[string]any{"name": "p2"}, need: needEditor, ok: http.StatusCreated},
		{name: "get project", method: http.MethodGet, path: wsPath("/projects/p1"), need: needViewer, ok: http.StatusOK},
		{name: "update project", method: http.MethodPut, path: wsPath("/projects/p1"), body: map[string]any{"description": "changed"}, need: needEditor, ok: http.StatusOK},
		{name: "delete project", method: http.MethodDelete, path: wsPath("/projects/p1"), need: needEditor, ok: http.StatusOK},
	}
}

// allowed reports whether p may make a call that needs need.
func (p persona) allowed(need int) bool {
	switch need {
	case needAny:
		return true
	case needCreator:
		return p.creator
	}
	return p.level >= need
}

// TestAuth_matrix sends every call of the entities API as every kind of
// caller and checks the status: 401 without credentials, 404 without any
// role in the workspace and 403 with too small a role (state unchanged),
// the call's success status with it. Each call
// gets a fresh workspace, so the outcome of one never affects another.
func TestAuth_matrix(t *testing.T) {
	as := newAuthServer(t)
	for _, ep := range endpoints() {
		t.Run(ep.name, func(t *testing.T) {
			for _, p := range personas {
				t.Run(p.name, func(t *testing.T) {
					ws := as.fixture(t, p.star, !ep.empty)
					token := ""
					if p.token != nil {
						token = p.token(as, t)
					}
					var body any = ep.body
					if ep.name == "create workspace" {
						body = map[string]any{"name": ws + "-new"}
					}
					before := as.digest()
					r := as.call(t, token, ep.method, base+ep.path(ws), body)
					switch {
					case p.token == nil:
						r.wantError(t, http.StatusUnauthorized, codeUnauthorized, `{"detail":"Unauthorized"}`)
						if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
							t.Errorf("WWW-Authenticate = %q, want Bearer", got)
						}
					case !p.allowed(ep.need) && p.level == 0 && ep.need != needCreator:
						// A caller who may not see the workspace gets the
						// very 404 of a missing one (issue 11).
						r.wantError(t, http.StatusNotFound, codeNotFound, `{"detail":"Workspace '`+ws+`' not found"}`)
					case !p.allowed(ep.need):
						r.wantError(t, http.StatusForbidden, codeForbidden, `{"detail":"Forbidden"}`)
					default:
						if r.code != ep.ok {
							t.Fatalf("status = %d, want %d (body %s)", r.code, ep.ok, r.body)
						}
						if ep.check != nil {
							ep.check(t, ws, p, r)
						}
						return
					}
					if after := as.digest(); after != before {
						t.Errorf("a refused %s %s changed the state", ep.method, ep.path(ws))
					}
				})
			}
		})
	}
}

// TestAuth_badTokens sends credentials that must all be refused to
// writes and reads alike: every answer is a 401 and nothing changes, not
// even the log index.
func TestAuth_badTokens(t *testing.T) {
	as := newAuthServer(t)
	ws := as.fixture(t, true, true)
	other := oidctest.NewKey(t, as.iss.Key.ID) // same key id, different key
	stranger := oidctest.NewKey(t, "unknown-kid")
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		c := as.iss.Claims(subRoot, "root@example.com")
		edit(c)
		return c
	}
	valid := as.iss.Token(t, subRoot, "")
	parts := strings.Split(valid, ".")
	tests := []struct {
		name string
		hdr  []string // header name/value pairs
	}{
		{"missing", nil},
		{"expired", bearer(as.iss.Sign(t, claims(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(-3*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})))},
		{"not yet valid", bearer(as.iss.Sign(t, claims(func(c map[string]any) {
			c["iat"], c["nbf"] = now.Add(time.Hour).Unix(), now.Add(time.Hour).Unix()
		})))},
		{"wrong issuer", bearer(as.iss.Sign(t, claims(func(c map[string]any) { c["iss"] = "https://evil.example.com" })))},
		{"wrong audience", bearer(as.iss.Sign(t, claims(func(c map[string]any) { c["aud"] = "another-service" })))},
		{"no subject", bearer(as.iss.Sign(t, claims(func(c map[string]any) { delete(c, "sub") })))},
		{"wrong key, same kid", bearer(other.Sign(t, claims(func(map[string]any) {})))},
		{"unknown key", bearer(stranger.Sign(t, claims(func(map[string]any) {})))},
		{"alg none", bearer(oidctest.Unsigned(t, claims(func(map[string]any) {})))},
		{"alg none with the real signature", bearer(strings.Split(oidctest.Unsigned(t, claims(func(map[string]any) {})), ".")[0] + "." + parts[1] + "." + parts[2])},
		{"tampered payload", bearer(parts[0] + "." + strings.Split(oidctest.Unsigned(t, claims(func(c map[string]any) { c["sub"] = "someone-else" })), ".")[1] + "." + parts[2])},
		{"malformed", bearer("not-a-jwt")},
		{"malformed segments", bearer("a.b.c")},
		{"empty bearer", []string{"Authorization", "Bearer "}},
		{"basic scheme", []string{"Authorization", "Basic cm9vdDpyb290"}},
		{"untrusted principal headers", []string{auth.HeaderPrincipalID, subRoot, auth.HeaderPrincipalGroups, groupDevs}},
	}
	calls := []struct{ method, path string }{
		{http.MethodPost, "/workspaces"},
		{http.MethodGet, "/workspaces"},
		{http.MethodGet, "/workspaces/" + ws},
		{http.MethodPut, "/workspaces/" + ws},
		{http.MethodDelete, "/workspaces/" + ws},
		{http.MethodPut, "/workspaces/" + ws + "/entity-refs/models/m2"},
		{http.MethodDelete, "/workspaces/" + ws + "/entity-refs/models/m1"},
		{http.MethodPost, "/workspaces/" + ws + "/members"},
		{http.MethodPut, "/workspaces/" + ws + "/members/bob"},
		{http.MethodDelete, "/workspaces/" + ws + "/members/bob"},
		{http.MethodGet, "/workspaces/" + ws + "/members"},
		{http.MethodGet, "/workspaces/" + ws + "/usage"},
		{http.MethodGet, "/no-such-route"},
	}
	bodies := map[string]any{
		"/workspaces":                        map[string]any{"name": "intruder"},
		"/workspaces/" + ws:                  map[string]any{"description": "defaced"},
		"/workspaces/" + ws + "/members":     map[string]any{"principal": "mallory", "roles": []string{"Admin"}},
		"/workspaces/" + ws + "/members/bob": map[string]any{"roles": []string{"Admin"}},
	}
	// The valid token works, so the refusals below are the token's.
	if r := as.call(t, valid, http.MethodGet, base+"/workspaces/"+ws, nil); r.code != http.StatusOK {
		t.Fatalf("valid token: %s", r)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digest, index := as.digest(), as.node.FSM().State().Index()
			for _, c := range calls {
				var body any
				if c.method != http.MethodGet {
					body = bodies[c.path]
				}
				r := as.do(t, c.method, base+c.path, body, tt.hdr...)
				if r.code != http.StatusUnauthorized || r.header.Get(client.HeaderErrorCode) != codeUnauthorized {
					t.Errorf("%s %s: %s, want 401 unauthorized", c.method, c.path, r)
					continue
				}
				jsonEqual(t, r.body, `{"detail":"Unauthorized"}`)
			}
			if d, i := as.digest(), as.node.FSM().State().Index(); d != digest || i != index {
				t.Errorf("state changed: index %d -> %d, digest changed %v", index, i, d != digest)
			}
		})
	}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// TestAuth_unauthenticatedEndpoints: health, readiness and the OpenAPI
// document answer without credentials (see doc.go); the cluster API does
// not (admin_test.go).
func TestAuth_unauthenticatedEndpoints(t *testing.T) {
	as := newAuthServer(t)
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		if r := as.do(t, http.MethodGet, path, nil); r.code != http.StatusOK {
			t.Errorf("GET %s without credentials: %s, want 200", path, r)
		}
	}
}

// TestAuth_recordedPrincipal: created_by, updated_by and granted_by name
// the caller (email when the token has one, else the subject), and the
// creator of a workspace is its Admin from the same write on.
func TestAuth_recordedPrincipal(t *testing.T) {
	as := newAuthServer(t)
	creator := as.iss.Token(t, subCreator, "")
	r := as.call(t, creator, http.MethodPost, base+"/workspaces", map[string]any{"name": "made"})
	if r.code != http.StatusCreated {
		t.Fatalf("create: %s", r)
	}
	createIdx := r.index(t)
	var w wsJSON
	r.decode(t, &w)
	if w.CreatedBy != subCreator || w.UpdatedBy != subCreator {
		t.Errorf("created_by, updated_by = %q, %q; want %q", w.CreatedBy, w.UpdatedBy, subCreator)
	}
	b, ok := as.node.FSM().State().Member("made", subCreator)
	if !ok || !slices.Equal(b.Roles, []string{fsm.RoleAdmin}) || b.Index != createIdx {
		t.Fatalf("creator binding = %+v, want Admin written at the create's index %d", b, createIdx)
	}

	// The creator, as Admin, adds a group member with an email.
	r = as.call(t, creator, http.MethodPost, base+"/workspaces/made/members", map[string]any{"principal": groupDevs})
	if r.code != http.StatusCreated {
		t.Fatalf("add member: %s", r)
	}
	var m client.Member
	r.decode(t, &m)
	if m.GrantedBy != subCreator || !slices.Equal(m.Roles, []string{fsm.RoleEditor}) {
		t.Errorf("member = %+v, want Editor granted by %s", m, subCreator)
	}
	gus := as.iss.Token(t, subGroup, "gus@example.com", groupDevs)
	r = as.call(t, gus, http.MethodPut, base+"/workspaces/made", map[string]any{"description": "by gus"})
	if r.code != http.StatusOK {
		t.Fatalf("update as group member: %s", r)
	}
	r.decode(t, &w)
	if w.UpdatedBy != "gus@example.com" || w.CreatedBy != subCreator {
		t.Errorf("created_by, updated_by = %q, %q; want %q, gus@example.com", w.CreatedBy, w.UpdatedBy, subCreator)
	}
	r = as.call(t, gus, http.MethodPut, base+"/workspaces/made/entity-refs/models/m", nil)
	var ref client.EntityRef
	r.decode(t, &ref)
	if r.code != http.StatusCreated || ref.CreatedBy != "gus@example.com" {
		t.Errorf("acquire: %s, want 201 created by gus@example.com", r)
	}
}

// TestAuth_listIsolation: each caller lists exactly the workspaces bound
// to its id, email, groups or "*", on every page, and the totals count
// those only.
func TestAuth_listIsolation(t *testing.T) {
	as := newAuthServer(t)
	bind := func(ws string, principals ...string) {
		cmds := []fsm.Command{&fsm.CreateWorkspace{ID: "id-" + ws, Name: ws}}
		for _, p := range principals {
			cmds = append(cmds, &fsm.AddMember{Workspace: ws, Principal: p, Roles: []string{fsm.RoleViewer}})
		}
		as.seed(t, cmds...)
	}
	bind("by-id", "u1")
	bind("by-email", "u1@example.com")
	bind("by-group", "g1")
	bind("by-star", fsm.Everyone)
	bind("only-u2", "u2")
	bind("only-g2", "g2")
	bind("u1-and-u2", "u1", "u2")
	bind("nobody")
	for i := range 7 {
		bind(fmt.Sprintf("g1-%d", i), "g1")
	}
	g1 := []string{"g1-0", "g1-1", "g1-2", "g1-3", "g1-4", "g1-5", "g1-6"}
	builtins := []string{"default", "system"}
	all := append([]string{"by-email", "by-group", "by-id", "by-star", "nobody", "only-g2", "only-u2", "u1-and-u2"}, g1...)
	tests := []struct {
		name  string
		token string
		want  []string
	}{
		{"id, email and group", as.iss.Token(t, "u1", "u1@example.com", "g1"), append([]string{"by-email", "by-group", "by-id", "by-star", "u1-and-u2"}, g1...)},
		{"id only", as.iss.Token(t, "u1", ""), []string{"by-id", "by-star", "u1-and-u2"}},
		{"email only", as.iss.Token(t, "someone", "u1@example.com"), []string{"by-email", "by-star"}},
		{"group only", as.iss.Token(t, "someone", "", "g1"), append([]string{"by-group", "by-star"}, g1...)},
		{"other user", as.iss.Token(t, "u2", "", "g2"), []string{"by-star", "only-g2", "only-u2", "u1-and-u2"}},
		{"star only", as.iss.Token(t, "u3", "u3@example.com"), []string{"by-star"}},
		{"platform admin", as.iss.Token(t, subRoot, ""), all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := append(slices.Clone(tt.want), builtins...)
			sort.Strings(want)
			for _, size := range []int{1, 3, 1000} {
				var got []string
				for page := 1; ; page++ {
					r := as.call(t, tt.token, http.MethodGet, fmt.Sprintf("%s/workspaces?sort=name&page=%d&page_size=%d", base, page, size), nil)
					if r.code != http.StatusOK {
						t.Fatalf("list: %s", r)
					}
					var pg pageJSON
					r.decode(t, &pg)
					if pg.Pagination.TotalResults != len(want) || pg.Pagination.TotalPages != (len(want)+size-1)/size {
						t.Fatalf("page %d of size %d: pagination %+v, want %d results", page, size, pg.Pagination, len(want))
					}
					if len(pg.Data) == 0 {
						break
					}
					for _, w := range pg.Data {
						got = append(got, w.Name)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("size %d: listed %v\nwant        %v", size, got, want)
				}
			}
			// Filters count only what the caller may see.
			r := as.call(t, tt.token, http.MethodGet, base+"/workspaces?filter[name][$like]="+url.QueryEscape("only-%"), nil)
			var pg pageJSON
			r.decode(t, &pg)
			wantOnly := 0
			for _, n := range want {
				if strings.HasPrefix(n, "only-") {
					wantOnly++
				}
			}
			if pg.Pagination.TotalResults != wantOnly || len(pg.Data) != wantOnly {
				t.Errorf("filter only-%%: %d listed of %d, want %d", len(pg.Data), pg.Pagination.TotalResults, wantOnly)
			}
			r = as.call(t, tt.token, http.MethodGet, base+"/workspaces?filter[name]=nobody", nil)
			r.decode(t, &pg)
			if wantN := b2i(slices.Contains(want, "nobody")); pg.Pagination.TotalResults != wantN || len(pg.Data) != wantN {
				t.Errorf("filter name=nobody: %d listed of %d, want %d", len(pg.Data), pg.Pagination.TotalResults, wantN)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAuth_off: with authentication off, credentials are ignored, every
// call is allowed and principals are recorded as "".
func TestAuth_off(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(t, http.MethodPost, base+"/workspaces", map[string]any{"name": "open"}, "Authorization", "Bearer garbage")
	if r.code != http.StatusCreated {
		t.Fatalf("create: %s", r)
	}
	var w wsJSON
	r.decode(t, &w)
	if w.CreatedBy != "" {
		t.Errorf("created_by = %q, want \"\"", w.CreatedBy)
	}
	if bs := ts.node.FSM().State().RoleBindings("open"); len(bs) != 0 {
		t.Errorf("bindings of a workspace created with auth off = %+v, want none", bs)
	}
	r = ts.do(t, http.MethodPost, base+"/workspaces/system/members", map[string]any{"principal": "x"})
	if r.code != http.StatusCreated {
		t.Errorf("add member to system with auth off: %s, want 201", r)
	}
}

// TestConfig_Validate_auth: authentication on needs an authenticator.
func TestConfig_Validate_auth(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Cluster = &fakeCluster{}
	cfg.AuthEnabled = true
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "authenticator") {
		t.Errorf("Validate() = %v, want an error about the missing authenticator", err)
	}
}

// TestSetCaller_everyCommand: every command type that has a Caller field
// gets the caller from apply, so no write escapes authorization.
func TestSetCaller_everyCommand(t *testing.T) {
	caller := &fsm.Caller{ID: "someone"}
	n := 0
	for typ := fsm.CommandType(1); typ < fsm.IgnoreUnknownFlag; typ++ {
		v := fsm.SupportedVersion(typ)
		if v == 0 {
			continue
		}
		c, err := fsm.Decode(append([]byte{fsm.EnvelopeVersion, byte(typ), v}, "{}"...))
		if err != nil {
			t.Fatalf("decoding an empty %s: %v", typ, err)
		}
		f := reflect.ValueOf(c).Elem().FieldByName("Caller")
		if !f.IsValid() {
			continue
		}
		n++
		setCaller(c, caller)
		if got := f.Interface().(*fsm.Caller); got != caller {
			t.Errorf("setCaller(%s) left Caller = %v, want the caller", typ, got)
		}
	}
	if n < 11 {
		t.Errorf("checked %d command types with a Caller, want at least 11", n)
	}
}

// TestAuth_followerCarriesCaller: a follower authenticates a write itself
// and the command it hands to the leader carries the caller, whom the
// leader's state machine authorises (the peer service that carries the
// command is authenticated; see cluster/doc.go).
func TestAuth_followerCarriesCaller(t *testing.T) {
	as := newAuthServer(t)
	follower, _ := newFakeServer(t, followerOf(as.testServer, time.Millisecond), func(c *Config) {
		c.Authenticator = as.api.cfg.Authenticator
		c.AuthEnabled = true
	})
	creator := as.iss.Token(t, subCreator, "")
	r := doURL(t, as.http, http.MethodPost, follower.URL+base+"/workspaces", map[string]any{"name": "via-follower"}, "Authorization", "Bearer "+creator)
	if r.code != http.StatusCreated {
		t.Fatalf("create through the follower: %s", r)
	}
	var w wsJSON
	r.decode(t, &w)
	if w.CreatedBy != subCreator {
		t.Errorf("created_by = %q, want %q", w.CreatedBy, subCreator)
	}
	// Without credentials the follower refuses by itself.
	r = doURL(t, as.http, http.MethodPost, follower.URL+base+"/workspaces", map[string]any{"name": "anon"})
	r.wantError(t, http.StatusUnauthorized, codeUnauthorized, `{"detail":"Unauthorized"}`)
}
