package abuse

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
)

// The generator of hostile requests. Every request is raw bytes, sent as
// is, so that nothing on the client side cleans it up.

const base = "/apis/entities/v2"

// tokens are the credentials the generator may send; none may write.
type tokens struct {
	mallory string // valid, no role anywhere
	viewer  string // valid, Viewer in "victim"
	forged  []string
}

// targets are paths of the API, with and without objects that exist.
var targets = []string{
	base + "/workspaces",
	base + "/workspaces/victim",
	base + "/workspaces/hidden",
	base + "/workspaces/nothere",
	base + "/workspaces/default",
	base + "/workspaces/system",
	base + "/workspaces/victim/members",
	base + "/workspaces/victim/members/vic",
	base + "/workspaces/victim/members/root",
	base + "/workspaces/hidden/members/root",
	base + "/workspaces/victim/entity-refs",
	base + "/workspaces/victim/entity-refs/models/m1",
	base + "/workspaces/hidden/entity-refs/models/m1",
	base + "/workspaces/victim/projects",
	base + "/workspaces/victim/projects/p1",
	base + "/workspaces/hidden/projects/p1",
	base + "/workspaces/victim/usage",
	"/healthz", "/readyz", "/metrics", "/openapi.json",
	"/v1/cluster/status", "/v1/cluster/members", "/v1/cluster/snapshot",
	"/v1/cluster/transfer-leadership", "/v1/cluster/read-index",
}

// segments are hostile path segments.
var segments = []string{
	"..", ".", "", "%2E%2E", "%2e", "%2E", ".%2E", "%zz", "%", "%0", "%00", "%ff", "%c0%ae%c0%ae",
	"%2F", "a%2Fb", "%5C", "\\..\\", "é", "%E2%80%AE", "%u002e", "*", "..;", ";", "%3F", "%23",
	"...", "~", "%20", "+", "CON", "a..b", "-", "0",
}

var methods = []string{
	"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "PUT", "DELETE", "DELETE",
	"PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO", "get", "G\x00T", "GET GET",
}

var contentTypes = []string{
	"application/json", "application/json", "application/json; charset=utf-8", "text/plain",
	"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1",
	"application/jsonx", "", "application/json, text/plain", "*/*", "application/octet-stream",
}

var minIndexes = []string{
	"1", "0", "-1", "abc", "18446744073709551615", "18446744073709551616", "99999999999",
	" 5 ", "1e9", "0x10", strings.Repeat("9", 300), "3",
}

// bodies are hostile JSON (and not-JSON) bodies.
func body(r *rand.Rand) string {
	names := []string{`".."`, `"."`, `"ok-name"`, `"` + strings.Repeat("a", 64) + `"`, "\"a\u202eb\"", "\"a\xffb\"",
		`"a\u0000b"`, `"a\ud800b"`, `""`, `null`, `1`, `[]`, `{}`, `"ML-Team"`, `"victim"`, `"hidden"`,
		`"` + strings.Repeat("é", 40) + `"`}
	n := func() string { return names[r.IntN(len(names))] }
	switch r.IntN(16) {
	case 0:
		return `{"name":` + n() + `}`
	case 1:
		return `{"name":` + n() + `,"description":` + n() + `}`
	case 2:
		return `{"description":` + n() + `}`
	case 3:
		return `{"principal":` + n() + `,"roles":["Admin"]}`
	case 4:
		return `{"principal":"mallory","roles":["PlatformAdmin","Admin","Bogus"]}`
	case 5:
		return `{"roles":["Admin"]}`
	case 6:
		return strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	case 7:
		return `{"name":"` + strings.Repeat("x", 64<<10) + `"}` // over the body limit
	case 8:
		return `{"name":"a","name":"b","extra":1}`
	case 9:
		return "name=evil&description=x"
	case 10:
		return `{"description":1e999}`
	case 11:
		b := make([]byte, r.IntN(512))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	case 12:
		return `{"description":"` + strings.Repeat(`\u202e`, 100) + `"}`
	case 13:
		return `null`
	case 14:
		return `{"name":"p1","description":"` + strings.Repeat("d", 5000) + `"}`
	}
	return `{` + strings.Repeat(`"k":1,`, 2000) + `"k":2}`
}

// query returns a hostile query string (without "?"), or "".
func query(r *rand.Rand) string {
	switch r.IntN(14) {
	case 0:
		return "filter[name][$like]=" + url.QueryEscape(strings.Repeat("%_", 128))
	case 1:
		return "filter[name][$like]=" + strings.Repeat("%25a", 300)
	case 2:
		return "filter=" + url.QueryEscape(`{"name":{"$like":"`+strings.Repeat("%", 250)+`x"}}`)
	case 3:
		return strings.Repeat("filter[created_by]=x&", 40)
	case 4:
		return "page=-1&page_size=1000000000"
	case 5:
		return "page=99999999999999999999&sort=bogus"
	case 6:
		return "consistency=" + []string{"linearizable", "stale", "bogus", "default", ""}[r.IntN(5)]
	case 7:
		return "filter=" + url.QueryEscape(strings.Repeat(`{"$and":[`, 200))
	case 8:
		return "filter=%zz&page=%"
	case 9:
		return "filter=" + strings.Repeat("x", 5000)
	case 10:
		return "project=" + []string{"..", "p1", "%00", "nothere"}[r.IntN(4)]
	}
	return ""
}

// path returns a target, mutated or not.
func path(r *rand.Rand) string {
	p := targets[r.IntN(len(targets))]
	switch r.IntN(10) {
	case 0, 1:
		p += "/" + segments[r.IntN(len(segments))]
	case 2:
		segs := strings.Split(p, "/")
		segs[1+r.IntN(len(segs)-1)] = segments[r.IntN(len(segments))]
		p = strings.Join(segs, "/")
	case 3:
		p = strings.Replace(p, "/", []string{"//", "/./", "/../", "/%2e/", "/x/../"}[r.IntN(5)], 1+r.IntN(2))
	case 4:
		p += "/" + strings.Repeat("a", []int{300, 8 << 10, 70 << 10}[r.IntN(3)])
	case 5:
		p = []string{"*", "", "http://evil/" + p, "x" + p, "/%00", "/.."}[r.IntN(6)]
	}
	if q := query(r); q != "" {
		p += "?" + q
	}
	return p
}

// authHeader returns an Authorization header value, or "".
func authHeader(r *rand.Rand, tk tokens) string {
	switch r.IntN(10) {
	case 0, 1, 2:
		return "Bearer " + tk.mallory
	case 3, 4:
		return "Bearer " + tk.viewer
	case 5, 6:
		return "Bearer " + tk.forged[r.IntN(len(tk.forged))]
	case 7:
		return []string{"Bearer", "Bearer ", "Basic cm9vdDpyb290", "bearer " + tk.viewer, "Bearer " + strings.Repeat("A", 60<<10), "Bearer a.b.c"}[r.IntN(6)]
	}
	return ""
}

// request builds one hostile request. write reports whether it is a
// write that must not be accepted.
func request(r *rand.Rand, tk tokens) (req string, write bool) {
	m := methods[r.IntN(len(methods))]
	p := path(r)
	var b strings.Builder
	proto := "HTTP/1.1"
	switch r.IntN(40) {
	case 0:
		proto = "HTTP/1.0"
	case 1:
		proto = "HTTP/9.9"
	case 2:
		return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false
	case 3:
		return "GET /healthz\r\n\r\n", false
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", m, p, proto)
	if r.IntN(30) != 0 {
		b.WriteString("Host: wsd\r\n")
	}
	if a := authHeader(r, tk); a != "" {
		b.WriteString("Authorization: " + a + "\r\n")
	}
	if r.IntN(4) == 0 {
		b.WriteString("X-Wsd-Min-Index: " + minIndexes[r.IntN(len(minIndexes))] + "\r\n")
	}
	switch r.IntN(12) {
	case 0:
		b.WriteString("X-Wsd-Forwarded-Hops: " + []string{"-1", "999", "abc", "2"}[r.IntN(4)] + "\r\n")
	case 1:
		b.WriteString("X-NMP-Principal-Id: root\r\nX-NMP-Principal-Groups: admins\r\n")
	case 2:
		b.WriteString("X-Big: " + strings.Repeat("b", 70<<10) + "\r\n")
	case 3:
		for i := range 300 {
			fmt.Fprintf(&b, "X-H%d: %d\r\n", i, i)
		}
	case 4:
		b.WriteString("Bad Header: x\r\n")
	case 5:
		b.WriteString("Expect: " + []string{"100-continue", "teapot"}[r.IntN(2)] + "\r\n")
	case 6:
		b.WriteString("X-Ctl: a\x01b\r\n")
	case 7:
		b.WriteString("Content-Encoding: " + []string{"gzip", "br", "identity, gzip", "bogus"}[r.IntN(4)] + "\r\n")
	case 8:
		b.WriteString("Accept-Encoding: gzip\r\nAccept: text/html\r\nOrigin: https://evil.example\r\n")
	}
	bd := ""
	if m != "GET" && m != "HEAD" && r.IntN(5) != 0 {
		bd = body(r)
	}
	if ct := contentTypes[r.IntN(len(contentTypes))]; ct != "" && (bd != "" || r.IntN(4) == 0) {
		b.WriteString("Content-Type: " + ct + "\r\n")
	}
	switch r.IntN(14) {
	case 0: // chunked, malformed or not
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if r.IntN(2) == 0 {
			b.WriteString(strconv.FormatInt(int64(len(bd)), 16) + "\r\n" + bd + "\r\n0\r\n\r\n")
		} else {
			b.WriteString("zz\r\n" + bd + "\r\n")
		}
	case 1: // two lengths
		fmt.Fprintf(&b, "Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s", len(bd), len(bd)+1, bd)
	case 2:
		b.WriteString("Transfer-Encoding: gzip, bogus\r\n\r\n" + bd)
	case 3: // a length larger than what is sent, then the connection is half-closed
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(bd)+10, bd)
	default:
		if bd != "" || r.IntN(3) == 0 {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(bd))
		}
		b.WriteString("\r\n" + bd)
	}
	write = m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH"
	out := b.String()
	if r.IntN(20) == 0 { // pipelined: a second request in the same write
		out += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	}
	return out, write
}
