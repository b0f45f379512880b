package fsm

import "unicode/utf8"

// A LIKE pattern is compiled once per list call (issue 11): the pattern is
// split into tokens a single time, runs of % collapse into one, and a
// pattern that needs more characters than a value has fails at once, so
// matching one value costs O(len(value)·min(tokens, 2·len(value)+1))
// whatever the pattern's length. The HTTP edge also bounds the pattern
// (256 characters).

// likeTok is one token of a compiled pattern.
type likeTok struct {
	kind uint8 // tokLit, tokOne or tokAny
	r    rune  // the literal, for tokLit
}

const (
	tokLit uint8 = iota
	tokOne       // _
	tokAny       // % (a run of them)
)

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	toks []likeTok
	// need is the number of characters a value needs at least: the
	// literals and the _ of the pattern.
	need int
}

// compileLike compiles p: % matches any run of characters (also none), _
// exactly one character, and \ makes the next character literal (a
// trailing \ is a literal backslash).
func compileLike(p string) likeMatcher {
	pr := likeRunes(p)
	var m likeMatcher
	m.toks = make([]likeTok, 0, len(pr))
	for i := 0; i < len(pr); i++ {
		switch c := pr[i]; {
		case c == '%':
			if n := len(m.toks); n > 0 && m.toks[n-1].kind == tokAny {
				continue
			}
			m.toks = append(m.toks, likeTok{kind: tokAny})
			continue
		case c == '_':
			m.toks = append(m.toks, likeTok{kind: tokOne})
		case c == '\\' && i+1 < len(pr):
			i++
			m.toks = append(m.toks, likeTok{kind: tokLit, r: pr[i]})
		default:
			m.toks = append(m.toks, likeTok{kind: tokLit, r: c})
		}
		m.need++
	}
	return m
}

// match reports whether s matches the pattern. Matching is on runes
// (invalid bytes as by likeRunes) and case-sensitive.
func (m *likeMatcher) match(s string) bool {
	if m.need > len(s) { // a rune is at least one byte
		return false
	}
	var buf [64]rune
	sr := appendLikeRunes(buf[:0], s)
	if m.need > len(sr) {
		return false
	}
	toks := m.toks
	// Iterative wildcard matching with backtracking to the last %: at most
	// len(sr) restarts, each of at most len(toks) steps.
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(sr) {
		if ti < len(toks) {
			switch t := toks[ti]; {
			case t.kind == tokAny:
				starT, starS = ti, si
				ti++
				continue
			case t.kind == tokOne, t.r == sr[si]:
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		starS++
		ti, si = starT+1, starS
	}
	for ti < len(toks) && toks[ti].kind == tokAny {
		ti++
	}
	return ti == len(toks)
}

// Like reports whether s matches the SQL LIKE pattern p: % matches any run
// of characters (also none), _ exactly one character, and \ makes the next
// character literal. Matching is on runes and case-sensitive. A list call
// compiles its pattern once instead (compileLike).
func Like(p, s string) bool {
	m := compileLike(p)
	return m.match(s)
}

// likeRunes splits s into runes. A byte that is not valid UTF-8 becomes a
// value above the Unicode range, so that distinct invalid bytes do not all
// match each other as U+FFFD.
func likeRunes(s string) []rune {
	return appendLikeRunes(make([]rune, 0, len(s)), s)
}

func appendLikeRunes(out []rune, s string) []rune {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			r = utf8.MaxRune + 1 + rune(s[i])
		}
		out = append(out, r)
		i += n
	}
	return out
}
