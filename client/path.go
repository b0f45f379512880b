package client

import (
	"fmt"
	"net/url"
	"strings"
)

// seg escapes v as exactly one path segment: no value can change the
// shape of the path it is put in. url.PathEscape escapes "/" but leaves
// dots alone, and a segment "." or ".." would name another path once the
// server, a proxy or an HTTP library removes dot segments (RFC 3986,
// 5.2.4), so those are sent as %2E and %2E%2E, which wsd decodes back to
// "." and "..". An empty value cannot be one segment: checkPath refuses
// the call before anything is sent.
func seg(v string) string {
	e := url.PathEscape(v)
	if e == "." || e == ".." {
		return strings.Repeat("%2E", len(e))
	}
	return e
}

// checkPath refuses a path (built with seg) that has an empty segment:
// an empty name would make it name another route.
func checkPath(method, path string) error {
	if strings.Contains(path, "//") || strings.HasSuffix(path, "/") {
		return fmt.Errorf("wsd: %s %s: %w: a name in the path is empty", method, path, ErrInvalid)
	}
	return nil
}
