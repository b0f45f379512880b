package filter

import (
	"unicode"
	"unicode/utf8"
)

// A contains pattern (~, $like) is compiled once per request (issue 11):
// it is split into tokens a single time, wrapped in % on both sides, runs
// of % collapse into one, and a pattern that needs more characters than a
// value has fails at once, so matching one value costs
// O(len(value)·min(tokens, 2·len(value)+1)) whatever the pattern's length;
// the parsers also bound the pattern (MaxLikeChars). Matching folds case
// (unicode.ToLower on both sides).

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

// likeMatcher is a compiled pattern.
type likeMatcher struct {
	toks []likeTok
	// need is the number of characters a value needs at least: the
	// literals and the _ of the pattern.
	need int
}

// compileContains compiles p as "contains p, case-insensitive": % matches
// any run of characters (also none), _ exactly one character, and \ makes
// the next character literal (a trailing \ is a literal backslash).
func compileContains(p string) likeMatcher {
	pr := appendRunes(nil, p, true)
	var m likeMatcher
	m.toks = make([]likeTok, 0, len(pr)+2)
	m.toks = append(m.toks, likeTok{kind: tokAny})
	for i := 0; i < len(pr); i++ {
		switch c := pr[i]; {
		case c == '%':
			if m.toks[len(m.toks)-1].kind == tokAny {
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
	if m.toks[len(m.toks)-1].kind != tokAny {
		m.toks = append(m.toks, likeTok{kind: tokAny})
	}
	return m
}

// match reports whether s matches the pattern, allocating nothing: a
// value of up to 64 bytes (every name) is decoded once into a buffer on
// the stack, a longer one (a description) is read in place.
func (m *likeMatcher) match(s string) bool {
	if m.need > len(s) {
		return false
	}
	if len(s) <= 64 {
		var buf [64]rune
		return m.matchRunes(appendRunes(buf[:0], s, true))
	}
	if m.need > utf8.RuneCountInString(s) {
		return false
	}
	toks := m.toks
	// Iterative wildcard matching with backtracking to the last %: at most
	// len(s) restarts, each of at most len(toks) steps. si and starS are
	// byte offsets of rune starts.
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		r, n := foldRune(s[si:])
		if ti < len(toks) {
			switch t := toks[ti]; {
			case t.kind == tokAny:
				starT, starS = ti, si
				ti++
				continue
			case t.kind == tokOne, t.r == r:
				ti++
				si += n
				continue
			}
		}
		if starT < 0 {
			return false
		}
		_, sn := foldRune(s[starS:])
		starS += sn
		ti, si = starT+1, starS
	}
	for ti < len(toks) && toks[ti].kind == tokAny {
		ti++
	}
	return ti == len(toks)
}

// matchRunes is match over a decoded, folded value.
func (m *likeMatcher) matchRunes(sr []rune) bool {
	if m.need > len(sr) {
		return false
	}
	toks := m.toks
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

// foldRune decodes the first rune of s as appendRunes does with fold set,
// and returns its width in bytes.
func foldRune(s string) (rune, int) {
	c := s[0]
	if c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return utf8.MaxRune + 1 + rune(c), 1
	}
	return unicode.ToLower(r), n
}

// Contains reports whether s contains the pattern p as ~ and $like
// understand it (case-insensitive; % and _ are wildcards; \ escapes). A
// request compiles its pattern once instead; this is for tests and tools.
func Contains(p, s string) bool {
	m := compileContains(p)
	return m.match(s)
}

// appendRunes splits s into runes, lower-cased when fold is set. A byte
// that is not valid UTF-8 becomes a value above the Unicode range, so that
// distinct invalid bytes do not all match each other as U+FFFD.
func appendRunes(out []rune, s string, fold bool) []rune {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if fold && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, rune(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			r = utf8.MaxRune + 1 + rune(s[i])
		} else if fold {
			r = unicode.ToLower(r)
		}
		out = append(out, r)
		i += n
	}
	return out
}

func utf8Count(s string) int { return utf8.RuneCountInString(s) }
