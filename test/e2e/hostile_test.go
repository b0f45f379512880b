package e2e

// Hostile and malformed requests against one real wsd process (issue 11):
// one test per finding of the issue, each sending bytes exactly as a
// hostile client would (raw TCP where net/http would clean them up).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
	"github.com/wsd-dev/wsd/internal/testserver"
)

const wsBase = "/apis/entities/v2/workspaces"

// rawResponse is an answer read off a raw connection.
type rawResponse struct {
	code   int
	header http.Header
	body   []byte
}

func (r rawResponse) String() string { return fmt.Sprintf("%d %s", r.code, short(r.body)) }

// short cuts a body for a message.
func short(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// rawDo writes req (a complete HTTP/1.1 request, sent as is) to addr and
// reads one response.
func rawDo(t *testing.T, addr, req string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	// A node may answer and close before reading a request it refuses
	// (431): a failed write is fine as long as the answer can be read.
	_, _ = io.WriteString(conn, req)
	return readRaw(t, conn, req)
}

func readRaw(t *testing.T, conn net.Conn, req string) rawResponse {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", firstLine(req), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the body: %v", firstLine(req), err)
	}
	return rawResponse{code: resp.StatusCode, header: resp.Header, body: body}
}

func firstLine(req string) string {
	l, _, _ := strings.Cut(req, "\r\n")
	if len(l) > 120 {
		l = l[:120] + "..."
	}
	return l
}

// reqText builds a raw request with a JSON body (when body is not "").
func reqText(method, target, body string, hdr ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: wsd\r\n", method, target)
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	if body != "" {
		if !strings.Contains(strings.ToLower(strings.Join(hdr, "\n")), "content-type") {
			b.WriteString("Content-Type: application/json\r\n")
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body)
	return b.String()
}

// wantDetail fails unless r is a JSON object with a "detail" member.
func wantDetail(t *testing.T, what string, r rawResponse) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil || m["detail"] == nil {
		t.Errorf("%s: answer %d is not a JSON error body: %q (Content-Type %q)", what, r.code, short(r.body), r.header.Get("Content-Type"))
	}
}

func newTestClient(t *testing.T, url string, token string) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{url}
	cfg.Token = token
	cfg.MaxRetries = 0
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// Finding 1: a member named ".." deleted the workspace (a 307 from
// http.ServeMux turned DELETE .../members/.. into DELETE /workspaces/ws).
func TestHostile_dotSegments(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	cl := newTestClient(t, s.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cl.CreateWorkspace(ctx, "dots"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		wsBase + "/dots/members/..",
		wsBase + "/dots/members/.",
		wsBase + "/dots/members/%2E%2E",
		wsBase + "/dots/members/%2e",
		wsBase + "/dots/entity-refs/models/..",
		wsBase + "/dots/projects/..",
		wsBase + "/./dots",
		wsBase + "/dots/../dots",
		wsBase + "/dots/.",
		"/apis/entities/v2//workspaces/dots",
		wsBase + "//dots",
		wsBase + "/dots/",
	} {
		for _, m := range []string{http.MethodDelete, http.MethodGet} {
			r := rawDo(t, s.HTTPAddr, reqText(m, p, ""))
			if r.code < 400 || r.code > 499 || r.header.Get("Location") != "" {
				t.Errorf("%s %s: %s (Location %q), want a 4xx that names no other path", m, p, r, r.header.Get("Location"))
			}
			wantDetail(t, m+" "+p, r)
		}
	}
	// The same through the Go client: dots are escaped, and refused as names.
	for _, p := range []string{"..", "."} {
		if _, err := cl.AddMember(ctx, "dots", p); !errors.Is(err, client.ErrInvalid) {
			t.Errorf("AddMember(%q): %v, want ErrInvalid (422)", p, err)
		}
		if _, err := cl.SetMemberRoles(ctx, "dots", p, "Viewer"); !errors.Is(err, client.ErrInvalid) {
			t.Errorf("SetMemberRoles(%q): %v, want ErrInvalid (422)", p, err)
		}
		if _, _, err := cl.AcquireRef(ctx, "dots", "models", p); !errors.Is(err, client.ErrInvalid) {
			t.Errorf("AcquireRef(%q): %v, want ErrInvalid (422)", p, err)
		}
		if _, err := cl.CreateProject(ctx, "dots", p); !errors.Is(err, client.ErrInvalid) {
			t.Errorf("CreateProject(%q): %v, want ErrInvalid (422)", p, err)
		}
		if _, err := cl.RemoveMember(ctx, "dots", p); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("RemoveMember(%q): %v, want ErrNotFound", p, err)
		}
		if err := cl.ReleaseRef(ctx, "dots", "models", p); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("ReleaseRef(%q): %v, want ErrNotFound", p, err)
		}
	}
	if _, err := cl.GetWorkspace(ctx, "dots"); err != nil {
		t.Fatalf("workspace gone after the dot-segment requests: %v", err)
	}
}

// Finding 2: an unbounded $like pattern, applied before the visibility
// check. Limits are refused with a 4xx that says why.
func TestHostile_filterLimits(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	cl := newTestClient(t, s.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cl.CreateWorkspace(ctx, "aaa"); err != nil {
		t.Fatal(err)
	}
	get := func(q string) rawResponse {
		return rawDo(t, s.HTTPAddr, reqText(http.MethodGet, wsBase+"?"+q, ""))
	}
	pat := func(n int) string { return strings.Repeat("%25a", n/2) }
	if r := get("filter[name][$like]=" + pat(256)); r.code != http.StatusOK {
		t.Errorf("a 256-character pattern: %s, want 200", r)
	}
	for name, q := range map[string]string{
		"a 258-character $like":     "filter[name][$like]=" + pat(258),
		"a 1 MB $like":              "filter[name][$like]=" + pat(1<<20/3),
		"a JSON $like over 256":     "filter=" + url.QueryEscape(`{"name":{"$like":"`+strings.Repeat("%a", 200)+`"}}`),
		"a filter value over 4 KiB": "filter[created_by]=" + strings.Repeat("x", 5000),
		"33 filter clauses":         strings.Repeat("filter[created_by]=x&", 33),
	} {
		r := get(q)
		if r.code < 400 || r.code > 499 {
			t.Errorf("%s: %d, want a 4xx", name, r.code)
		}
		wantDetail(t, name, r)
	}
}

// Finding 3: no read timeout, no connection cap, plain-text errors from
// net/http itself.
func TestHostile_serverLimits(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Env: []string{
		"WSD_HTTP_MAX_CONNS=16",
		"WSD_HTTP_READ_HEADER_TIMEOUT=2s",
		"WSD_HTTP_READ_TIMEOUT=2s",
	}})
	// Headers over the limit: 431 with the JSON body.
	r := rawDo(t, s.HTTPAddr, reqText(http.MethodGet, wsBase, "", "X-Big", strings.Repeat("b", 200<<10)))
	if r.code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB of headers: %s, want 431", r)
	}
	wantDetail(t, "431", r)
	// A path that is not valid percent-encoding: 400 with the JSON body.
	r = rawDo(t, s.HTTPAddr, reqText(http.MethodGet, wsBase+"/%zz", ""))
	if r.code != http.StatusBadRequest {
		t.Errorf("%%zz: %s, want 400", r)
	}
	wantDetail(t, "%zz", r)
	// A request line net/http refuses.
	r = rawDo(t, s.HTTPAddr, "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")
	if r.code < 400 {
		t.Errorf("HTTP/9.9: %s, want a 4xx or 505", r)
	}
	wantDetail(t, "HTTP/9.9", r)

	// A body that never comes: answered (408) or cut off, not held.
	conn, err := net.Dial("tcp", s.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	req := "POST " + wsBase + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		t.Errorf("a body that never comes held the connection for 15s")
	case err == nil:
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("a body that never comes: %d %s, want 408", resp.StatusCode, b)
		}
	}
	conn.Close()

	// A connection flood: the descriptors the node holds for HTTP stay
	// within the cap, and the node answers once the flood is over.
	pid := s.Pid()
	before := countFDs(t, pid)
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for range 200 {
		c, err := net.Dial("tcp", s.HTTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		flood = append(flood, c)
	}
	// Observe the node's descriptors for a while: it must never hold more
	// than the cap (plus a few for its own work) of them.
	peak := before
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		peak = max(peak, countFDs(t, pid))
	}
	if peak > before+16+8 {
		t.Errorf("descriptors rose from %d to %d under a flood of 200 connections with a cap of 16", before, peak)
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err = hc.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	resp.Body.Close()
}

// countFDs counts the open descriptors of process pid.
func countFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// Finding 4: content types, UTF-8 and control characters, far-ahead
// X-Wsd-Min-Index, aborted bodies.
func TestHostile_smallGaps(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	cl := newTestClient(t, s.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cl.CreateWorkspace(ctx, "gaps"); err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx"} {
		hdr := []string{"Content-Type", ct}
		r := rawDo(t, s.HTTPAddr, reqText(http.MethodPost, wsBase, `{"name":"ct-test"}`, hdr...))
		if r.code != http.StatusUnsupportedMediaType {
			t.Errorf("POST with Content-Type %q: %s, want 415", ct, r)
		}
		wantDetail(t, "415", r)
	}
	r := rawDo(t, s.HTTPAddr, reqText(http.MethodPost, wsBase, `{"name":"ct-ok"}`, "Content-Type", "Application/JSON; charset=utf-8"))
	if r.code != http.StatusCreated {
		t.Errorf("POST with Content-Type application/json; charset=utf-8: %s, want 201", r)
	}
	for name, body := range map[string]string{
		"invalid UTF-8":        "{\"description\":\"a\xffb\"}",
		"a lone surrogate":     `{"description":"a\ud800b"}`,
		"U+202E":               "{\"description\":\"a\u202eb\"}",
		"U+2066":               "{\"description\":\"a\u2066b\"}",
		"a BEL":                `{"description":"a\u0007b"}`,
		"an escape":            `{"description":"a\u001bb"}`,
		"a C1 control":         `{"description":"a\u0085b"}`,
		"a zero-width joiner?": "{\"description\":\"a\u200fb\"}",
	} {
		r := rawDo(t, s.HTTPAddr, reqText(http.MethodPut, wsBase+"/gaps", body))
		if r.code != http.StatusUnprocessableEntity {
			t.Errorf("description with %s: %s, want 422", name, r)
		}
	}
	for name, body := range map[string]string{
		"U+202E":        "{\"principal\":\"alice\u202e\"}",
		"invalid UTF-8": "{\"principal\":\"al\xffice\"}",
		"a tab":         `{"principal":"al\tice"}`,
	} {
		r := rawDo(t, s.HTTPAddr, reqText(http.MethodPost, wsBase+"/gaps/members", body))
		if r.code != http.StatusUnprocessableEntity {
			t.Errorf("principal with %s: %s, want 422", name, r)
		}
	}
	r = rawDo(t, s.HTTPAddr, reqText(http.MethodPut, wsBase+"/gaps", `{"description":"line one\nline two"}`))
	if r.code != http.StatusOK {
		t.Errorf("a two-line description: %s, want 200", r)
	}
	// X-Wsd-Min-Index far ahead of the log: refused at once, not held.
	for _, v := range []string{"18446744073709551615", "99999999"} {
		r = rawDo(t, s.HTTPAddr, reqText(http.MethodGet, wsBase+"/gaps", "", client.HeaderMinIndex, v))
		if r.code < 400 || r.code > 499 {
			t.Errorf("X-Wsd-Min-Index %s: %s, want a 4xx at once", v, r)
		}
		wantDetail(t, "min index", r)
	}
	// An aborted body: 4xx, not 5xx.
	conn, err := net.Dial("tcp", s.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "POST " + wsBase + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	r = readRaw(t, conn, req)
	if r.code < 400 || r.code > 499 {
		t.Errorf("aborted body: %s, want a 4xx", r)
	}
}

// Finding 4: a caller who may not see a workspace gets the same 404 as
// for one that does not exist, for reads and writes alike.
func TestHostile_invisibleIsNotFound(t *testing.T) {
	iss := oidctest.New(t)
	s := testserver.Start(t, testserver.Options{Args: []string{
		"--auth=oidc", "--insecure-cluster",
		"--oidc-issuer=" + iss.URL,
		"--oidc-audience=" + oidctest.Audience,
		"--admin-principal=" + adminPrincipal,
	}})
	root := newTestClient(t, s.URL, iss.Token(t, adminPrincipal, ""))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := root.CreateWorkspace(ctx, "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddMember(ctx, "secret", "viewer", "Viewer"); err != nil {
		t.Fatal(err)
	}
	as := func(who, method, path, body string) rawResponse {
		return rawDo(t, s.HTTPAddr, reqText(method, path, body, "Authorization", "Bearer "+iss.Token(t, who, "")))
	}
	type call struct{ method, suffix, body string }
	for _, c := range []call{
		{http.MethodGet, "", ""},
		{http.MethodPut, "", `{"description":"x"}`},
		{http.MethodDelete, "", ""},
		{http.MethodGet, "/members", ""},
		{http.MethodPost, "/members", `{"principal":"mallory","roles":["Admin"]}`},
		{http.MethodDelete, "/members/viewer", ""},
		{http.MethodGet, "/usage", ""},
		{http.MethodGet, "/entity-refs", ""},
		{http.MethodPut, "/entity-refs/models/m1", ""},
		{http.MethodGet, "/projects", ""},
		{http.MethodPost, "/projects", `{"name":"p"}`},
	} {
		hidden := as("mallory", c.method, wsBase+"/secret"+c.suffix, c.body)
		missing := as("mallory", c.method, wsBase+"/nothere"+c.suffix, c.body)
		if hidden.code != http.StatusNotFound || missing.code != http.StatusNotFound {
			t.Errorf("%s %s: hidden %s, missing %s, want the same 404", c.method, c.suffix, hidden, missing)
			continue
		}
		if got, want := string(hidden.body), strings.ReplaceAll(string(missing.body), "nothere", "secret"); got != want {
			t.Errorf("%s %s: hidden answers %s, missing %s: the bodies differ", c.method, c.suffix, got, want)
		}
		if hidden.header.Get(client.HeaderErrorCode) != missing.header.Get(client.HeaderErrorCode) {
			t.Errorf("%s %s: error codes differ", c.method, c.suffix)
		}
	}
	// A member who may see it but not change it still gets 403.
	if r := as("viewer", http.MethodPut, wsBase+"/secret", `{"description":"x"}`); r.code != http.StatusForbidden {
		t.Errorf("viewer PUT: %s, want 403", r)
	}
	if r := as("viewer", http.MethodGet, wsBase+"/secret", ""); r.code != http.StatusOK {
		t.Errorf("viewer GET: %s, want 200", r)
	}
}
