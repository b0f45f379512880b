package filter

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCompileContains_boundedByValue checks what makes the cost of a
// filter independent of its pattern (issue 11): runs of % collapse into
// one token, and a pattern that needs more characters than a value has is
// refused before any matching.
func TestCompileContains_boundedByValue(t *testing.T) {
	m := compileContains(strings.Repeat("%", 1<<20))
	if len(m.toks) != 1 || m.need != 0 || !m.match("any-name") {
		t.Errorf("1 MiB of %%: %d tokens, need %d; want 1 token matching everything", len(m.toks), m.need)
	}
	m = compileContains(strings.Repeat("%a", 1<<19))
	if m.need != 1<<19 {
		t.Errorf("need = %d, want %d", m.need, 1<<19)
	}
	if m.match(strings.Repeat("a", 63)) {
		t.Errorf("a pattern needing 2^19 characters matched 63")
	}
	m = compileContains(`a\%b_%%c`)
	if m.need != 5 || len(m.toks) != 8 {
		t.Errorf(`a\%%b_%%%%c: need %d, %d tokens; want 5 and 8`, m.need, len(m.toks))
	}
}

func TestContains(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"team", "ml-team", true},
		{"TEAM", "ml-Team", true},
		{"ml", "ML-TEAM", true},
		{"", "anything", true},
		{"", "", true},
		{"x", "", false},
		{"m_-t", "ml-team", true},
		{"m_t", "ml-team", false},
		{"ml%am", "ml-team", true},
		{`50\%`, "a 50% cut", true},
		{`50\%`, "a 50 cut", false},
		{`a\_b`, "xa_bx", true},
		{`a\_b`, "xacbx", false},
		{"ÉTÉ", "un été", true},
		{"team", "mlteax", false},
	} {
		if got := Contains(tt.p, tt.s); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

// escapeLike returns a pattern that contains s literally.
func escapeLike(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteByte('\\')
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// containsRegexp translates a contains pattern of valid UTF-8 into a
// case-insensitive regexp.
func containsRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)`)
	rs := []rune(strings.ToLower(p))
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '%':
			b.WriteString(`.*`)
		case r == '_':
			b.WriteString(`.`)
		case r == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return regexp.MustCompile(b.String())
}

func FuzzContains(f *testing.F) {
	for _, c := range [][2]string{
		{"ml-", "ml-team"}, {"TEAM", "ml-team"}, {"m_-x", "ma-x"}, {`\%`, "%"}, {`a\`, `a\`}, {"%a%b%", "xaxbx"},
		{"_", "é"}, {"\xff", "\xfe"}, {"", ""}, {"%%%_", "ab"}, {"a%", "b"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		got := Contains(p, s)
		if !strings.ContainsAny(p, `%_\`) && isASCII(p) && isASCII(s) {
			if want := strings.Contains(strings.ToLower(s), strings.ToLower(p)); got != want {
				t.Errorf("Contains(%q, %q) without wildcards: got %v, want %v", p, s, got, want)
			}
		}
		if !Contains(escapeLike(s), s) {
			t.Errorf("Contains(escaped %q, itself): got false, want true", s)
		}
		if utf8.ValidString(p) && utf8.ValidString(s) && len(p) <= 64 && isASCII(p) && isASCII(s) {
			if want := containsRegexp(p).MatchString(strings.ToLower(s)); got != want {
				t.Errorf("Contains(%q, %q): got %v, want %v (by the regexp)", p, s, got, want)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestContains_noAllocation: matching reads the value in place, whatever
// its length (a description may hold 4 KiB).
func TestContains_noAllocation(t *testing.T) {
	m := compileContains("%é_Z%x")
	long := strings.Repeat("aÉbz", 1024)
	if n := testing.AllocsPerRun(100, func() { m.match(long) }); n != 0 {
		t.Errorf("match of a %d-byte value: %v allocations, want 0", len(long), n)
	}
	if n := testing.AllocsPerRun(100, func() { m.match("short-ÉxZ-name") }); n != 0 {
		t.Errorf("match of a short value: %v allocations, want 0", n)
	}
	if !m.match("..ÉxZ..x") || m.match(long) || !m.match(long+"éxzx") {
		t.Errorf("match results are wrong")
	}
}
