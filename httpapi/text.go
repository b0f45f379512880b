package httpapi

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// Rules for the text a request may store (issue 11). They are enforced
// here, at the edge, and not in fsm's Apply: a log written by an older
// binary may hold values these rules refuse, and replaying it must give
// the same state on every binary.
//
//   - A name that becomes a path segment (principal, entity name; workspace
//     and project names cannot be one by their pattern) is never "." or
//     "..": such a segment names another path once anything on the way
//     removes dot segments (RFC 3986, 5.2.4).
//   - Names, principals and descriptions are valid UTF-8 as sent (JSON
//     decoding would silently turn invalid bytes and lone surrogates into
//     U+FFFD) and hold no control characters (Unicode Cc) and no bidi
//     controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069),
//     which make a name display as another. A description may hold tabs
//     and line breaks.
//   - These rules apply to what is created or written (checkNewSegment,
//     checkDescription, decodeString): a principal or entity name stored
//     before them can still be named in a path to remove it.

// isDotSegment reports whether s is "." or "..".
func isDotSegment(s string) bool { return s == "." || s == ".." }

// badRune reports whether r may not appear in stored text; multiline
// allows tab, line feed and carriage return (descriptions).
func badRune(r rune, multiline bool) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return !multiline
	case unicode.Is(unicode.Cc, r):
		return true
	case unicode.Is(unicode.Bidi_Control, r):
		return true
	}
	return false
}

// textProblem returns what is wrong with s as stored text, or "".
func textProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if badRune(r, multiline) {
			if unicode.Is(unicode.Bidi_Control, r) {
				return "must not contain bidirectional control characters"
			}
			return "must not contain control characters"
		}
	}
	return ""
}

// replacedRunes reports whether decoding raw (a JSON string literal)
// would replace part of it by U+FFFD: raw holds invalid UTF-8 or an
// escaped lone surrogate. A U+FFFD sent as such (literally or as \ufffd)
// is not a replacement.
func replacedRunes(raw json.RawMessage) bool {
	if !utf8.Valid(raw) {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // a one-character escape, \\ included
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return false // malformed: json.Unmarshal refuses it anyway
		}
		i += 5
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return true // a low surrogate without a high one
		case r >= 0xd800 && r <= 0xdbff:
			lo, ok := rune(0), false
			if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				lo, ok = hex4(raw, i+3)
			}
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 6
		}
	}
	return false
}

// hex4 reads four hexadecimal digits of b at i.
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
