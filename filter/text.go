package filter

import (
	"fmt"
	"strings"
)

// ParseText parses the text syntax (API.md):
//
//	filter  = or
//	or      = and { OR and }
//	and     = unary { [AND] unary }        clauses side by side are ANDed
//	unary   = "-" unary | "(" or ")" | clause
//	clause  = field (":" | "~" | ">" | ">=" | "<" | "<=") value
//	        | field [NOT] IN "[" value { "," value } "]"
//	value   = "\"" chars "\"" | number | null
//
// AND, OR, NOT, IN and null are case-insensitive; AND binds tighter than
// OR. In a string, \" is a quote and \\ a backslash; any other \x is kept
// as it is (so ~"50\%" reaches the pattern as a literal %). An empty or
// blank text is no filter (nil).
func ParseText(s string) (*Expr, error) {
	if len(s) > MaxBytes {
		return nil, errorf("the filter is %d bytes long: at most %d are allowed", len(s), MaxBytes)
	}
	p := &textParser{src: s}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind == tEOF {
		return nil, nil
	}
	e := p.or(0)
	if p.err == nil && p.tok.kind != tEOF {
		p.fail(p.tok.pos, "unexpected %s", p.tok.describe())
	}
	if p.err != nil {
		return nil, p.err
	}
	return e, nil
}

type tkind uint8

const (
	tEOF tkind = iota
	tIdent
	tString
	tNumber
	tOp // : ~ > >= < <=
	tMinus
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tBad
)

type token struct {
	kind tkind
	pos  int // byte offset
	text string
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return fmt.Sprintf("end of filter at position %d", t.pos+1)
	case tString:
		return fmt.Sprintf("string %q", clip(t.text))
	case tBad:
		return fmt.Sprintf("character %q at position %d", t.text, t.pos+1)
	}
	return fmt.Sprintf("'%s' at position %d", clip(t.text), t.pos+1)
}

type textParser struct {
	src     string
	i       int
	tok     token
	err     *Error
	clauses int
}

func (p *textParser) fail(pos int, format string, args ...any) {
	if p.err == nil {
		p.err = errorf(format, args...)
		if pos >= 0 && !strings.Contains(p.err.Msg, "position") {
			p.err.Msg += fmt.Sprintf(" at position %d", pos+1)
		}
	}
	p.tok = token{kind: tEOF, pos: len(p.src)}
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// next reads the next token into p.tok.
func (p *textParser) next() {
	if p.err != nil {
		return
	}
	s := p.src
	for p.i < len(s) && (s[p.i] == ' ' || s[p.i] == '\t' || s[p.i] == '\n' || s[p.i] == '\r') {
		p.i++
	}
	start := p.i
	if p.i >= len(s) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	c := s[p.i]
	one := func(k tkind) { p.i++; p.tok = token{kind: k, pos: start, text: s[start:p.i]} }
	switch {
	case c == '(':
		one(tLParen)
	case c == ')':
		one(tRParen)
	case c == '[':
		one(tLBrack)
	case c == ']':
		one(tRBrack)
	case c == ',':
		one(tComma)
	case c == '-':
		one(tMinus)
	case c == ':' || c == '~':
		one(tOp)
	case c == '>' || c == '<':
		p.i++
		if p.i < len(s) && s[p.i] == '=' {
			p.i++
		}
		p.tok = token{kind: tOp, pos: start, text: s[start:p.i]}
	case c == '"':
		var b strings.Builder
		p.i++
		for {
			if p.i >= len(s) {
				p.fail(start, "unterminated string starting")
				return
			}
			c := s[p.i]
			if c == '"' {
				p.i++
				break
			}
			if c == '\\' && p.i+1 < len(s) && (s[p.i+1] == '"' || s[p.i+1] == '\\') {
				b.WriteByte(s[p.i+1])
				p.i += 2
				continue
			}
			b.WriteByte(c)
			p.i++
		}
		p.tok = token{kind: tString, pos: start, text: b.String()}
	case '0' <= c && c <= '9' || c == '.' && p.i+1 < len(s) && '0' <= s[p.i+1] && s[p.i+1] <= '9':
		for p.i < len(s) && ('0' <= s[p.i] && s[p.i] <= '9' || s[p.i] == '.' || s[p.i] == 'e' || s[p.i] == 'E' ||
			(s[p.i] == '+' || s[p.i] == '-') && (s[p.i-1] == 'e' || s[p.i-1] == 'E')) {
			p.i++
		}
		p.tok = token{kind: tNumber, pos: start, text: s[start:p.i]}
	case isIdent(c):
		for p.i < len(s) && isIdent(s[p.i]) {
			p.i++
		}
		p.tok = token{kind: tIdent, pos: start, text: s[start:p.i]}
	default:
		_, n := decodeRune(s[p.i:])
		p.i += n
		p.tok = token{kind: tBad, pos: start, text: s[start:p.i]}
	}
}

func (p *textParser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *textParser) or(depth int) *Expr {
	var kids []*Expr
	kids = append(kids, p.and(depth))
	for p.err == nil && p.keyword("OR") {
		p.next()
		kids = append(kids, p.and(depth))
	}
	if p.err != nil {
		return nil
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &Expr{Kind: KindOr, Kids: kids}
}

func (p *textParser) and(depth int) *Expr {
	var kids []*Expr
	kids = append(kids, p.unary(depth))
	for p.err == nil {
		if p.keyword("AND") {
			p.next()
		} else if k := p.tok.kind; k == tEOF || k == tRParen || p.keyword("OR") {
			break
		}
		kids = append(kids, p.unary(depth))
	}
	if p.err != nil {
		return nil
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &Expr{Kind: KindAnd, Kids: kids}
}

func (p *textParser) unary(depth int) *Expr {
	if depth >= MaxDepth {
		p.fail(p.tok.pos, "groups and negations nest deeper than %d", MaxDepth)
		return nil
	}
	switch p.tok.kind {
	case tMinus:
		p.next()
		k := p.unary(depth + 1)
		if p.err != nil {
			return nil
		}
		return &Expr{Kind: KindNot, Kids: []*Expr{k}}
	case tLParen:
		open := p.tok.pos
		p.next()
		if p.tok.kind == tRParen {
			p.fail(p.tok.pos, "empty group")
			return nil
		}
		e := p.or(depth + 1)
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tRParen {
			p.fail(p.tok.pos, "expected ')' to close the group opened at position %d, found %s", open+1, p.tok.describe())
			return nil
		}
		p.next()
		return e
	case tIdent:
		return p.clause()
	}
	p.fail(p.tok.pos, "expected a clause such as name:\"ml-team\", found %s", p.tok.describe())
	return nil
}

func (p *textParser) clause() *Expr {
	ft := p.tok
	f, ok := lookupField(ft.text)
	if !ok {
		p.fail(ft.pos, "unknown field '%s' at position %d (fields: %s)", clip(ft.text), ft.pos+1, fieldList)
		return nil
	}
	p.next()
	where := fmt.Sprintf("at position %d", ft.pos+1)
	var op Op
	switch {
	case p.tok.kind == tOp:
		switch p.tok.text {
		case ":":
			op = OpEq
		case "~":
			op = OpLike
		case "<":
			op = OpLt
		case "<=":
			op = OpLte
		case ">":
			op = OpGt
		case ">=":
			op = OpGte
		}
		p.next()
		v, ok := p.value()
		if !ok {
			return nil
		}
		return p.cmp(f, op, []Value{v}, where)
	case p.keyword("IN"):
		op = OpIn
	case p.keyword("NOT"):
		p.next()
		if !p.keyword("IN") {
			p.fail(p.tok.pos, "expected IN after NOT, found %s", p.tok.describe())
			return nil
		}
		op = OpNin
	default:
		p.fail(p.tok.pos, "expected an operator (: ~ > >= < <= IN NOT IN) after field '%s', found %s", f, p.tok.describe())
		return nil
	}
	p.next() // IN
	if p.tok.kind != tLBrack {
		p.fail(p.tok.pos, "expected '[' to start the list, found %s", p.tok.describe())
		return nil
	}
	p.next()
	var vals []Value
	for {
		v, ok := p.value()
		if !ok {
			return nil
		}
		vals = append(vals, v)
		if p.tok.kind == tComma {
			p.next()
			continue
		}
		if p.tok.kind != tRBrack {
			p.fail(p.tok.pos, "expected ',' or ']' in the list, found %s", p.tok.describe())
			return nil
		}
		p.next()
		break
	}
	return p.cmp(f, op, vals, where)
}

func (p *textParser) cmp(f Field, op Op, vals []Value, where string) *Expr {
	p.clauses += len(vals)
	if p.clauses > MaxClauses {
		p.fail(-1, "more than %d clauses (each value of an IN list counts as one)", MaxClauses)
		return nil
	}
	e, err := newCmp(f, op, vals, where)
	if err != nil {
		p.err = err
		p.tok = token{kind: tEOF}
		return nil
	}
	return e
}

// value reads a quoted string, a number (possibly negative) or null.
func (p *textParser) value() (Value, bool) {
	t := p.tok
	switch {
	case t.kind == tString:
		p.next()
		return Value{Str: t.text}, p.err == nil
	case t.kind == tNumber:
		p.next()
		return Value{Str: t.text}, p.err == nil
	case t.kind == tMinus:
		p.next()
		if p.tok.kind == tNumber && p.tok.pos == t.pos+1 {
			n := p.tok.text
			p.next()
			return Value{Str: "-" + n}, p.err == nil
		}
	case p.keyword("null"):
		p.next()
		return Value{Null: true}, p.err == nil
	}
	p.fail(t.pos, "expected a value (a double-quoted string, a number or null), found %s", t.describe())
	return Value{}, false
}
