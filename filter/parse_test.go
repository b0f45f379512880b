package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func ptr(s string) *string { return &s }

// records a filter is checked against: every field set, and the empty
// fields (no description, created_by "").
var testRecords = []Record{
	{ID: "id-1", Name: "ml-team", Description: ptr("Machine Learning"), CreatedAt: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), CreatedBy: "alice", UpdatedBy: "bob"},
	{ID: "id-2", Name: "data", CreatedAt: time.Date(2024, 12, 31, 23, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 12, 31, 23, 0, 0, 0, time.UTC)},
	{ID: "id-3", Name: "Quote\"d", Description: ptr(`50% "off"`), CreatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), CreatedBy: "carol", UpdatedBy: "carol"},
}

// FuzzParseText: the text parser never panics, answers only *Error, and
// what it accepts echoes to JSON that ParseJSON reads back to a filter
// that selects the same records.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		`name:"ml-team"`, `name~"team"`, `name IN ["a","b"]`, `name NOT IN ["a"]`, `-name:"x"`,
		`(name:"a" OR name:"b") created_by:"alice"`, `a:`, `name:"unterminated`, `created_at>="2025-01-01"`,
		`created_at<"2025-01-01T10:00:00+02:00"`, `description:null`, `-description:null`, `name:"\"q\""`,
		`((((((name:"a"))))))`, `name:1.5e3`, `name:-3`, `name OR`, `AND`, `name~"50\%"`, `id>="id-2" id<=id-3`,
		strings.Repeat("(", 40) + `name:"a"` + strings.Repeat(")", 40),
		strings.Repeat(`name:"a" `, 33),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "Invalid filter query: ") {
				t.Fatalf("ParseText(%q): error %T %v", s, err, err)
			}
			return
		}
		if e.clauses() > MaxClauses {
			t.Fatalf("ParseText(%q): %d clauses accepted", s, e.clauses())
		}
		echo := Echo(e)
		b, err := json.Marshal(echo)
		if err != nil {
			t.Fatalf("echo of %q: %v", s, err)
		}
		if e == nil {
			if string(b) != "null" {
				t.Fatalf("echo of no filter: %s", b)
			}
			return
		}
		back, err := ParseJSON(string(b))
		if err != nil {
			if len(b) > MaxBytes {
				return // the echo of a long filter may itself be too long
			}
			t.Fatalf("ParseJSON(echo %s of %q): %v", b, s, err)
		}
		for i := range testRecords {
			if got, want := back.Match(&testRecords[i]), e.Match(&testRecords[i]); got != want {
				t.Fatalf("record %d: echo %s matches %v, %q matches %v", i, b, got, s, want)
			}
		}
	})
}
