package filter

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a filter (API.md; wsd's own). Beyond them a parser answers
// *Error.
const (
	MaxBytes     = 4 << 10 // bytes of filter text, of all parameters together
	MaxClauses   = 32      // comparisons; each value of an IN list counts as one
	MaxLikeChars = 256     // characters of a contains (~, $like) value
	MaxDepth     = 32      // nesting of groups and negations
)

// Field is a record field a filter can look at.
type Field uint8

// Fields, in the order API.md lists them.
const (
	FieldID Field = iota
	FieldName
	FieldDescription
	FieldCreatedAt
	FieldCreatedBy
	FieldUpdatedAt
	FieldUpdatedBy
	numFields
)

var fieldNames = [numFields]string{"id", "name", "description", "created_at", "created_by", "updated_at", "updated_by"}

func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return fmt.Sprintf("field_%d", uint8(f))
}

// isTime reports whether f holds a timestamp.
func (f Field) isTime() bool { return f == FieldCreatedAt || f == FieldUpdatedAt }

// lookupField returns the field named s.
func lookupField(s string) (Field, bool) {
	for i, n := range fieldNames {
		if n == s {
			return Field(i), true
		}
	}
	return 0, false
}

const fieldList = "id, name, description, created_at, created_by, updated_at, updated_by"

// Op is a comparison operator.
type Op uint8

// Operators. OpLike means contains, case-insensitive (% and _ inside also
// act as wildcards, \ makes the next character literal).
const (
	OpEq Op = iota
	OpLike
	OpLt
	OpLte
	OpGt
	OpGte
	OpIn
	OpNin
)

var opNames = [...]string{"$eq", "$like", "$lt", "$lte", "$gt", "$gte", "$in", "$nin"}

func (o Op) String() string { return opNames[o] }

const opList = "$eq, $like, $lt, $lte, $gt, $gte, $in, $nin"

func lookupOp(s string) (Op, bool) {
	for i, n := range opNames {
		if n == s {
			return Op(i), true
		}
	}
	return 0, false
}

// Kind is the kind of an expression node.
type Kind uint8

// Node kinds.
const (
	KindCmp Kind = iota // Field Op Values
	KindAnd             // all of Kids
	KindOr              // any of Kids
	KindNot             // not Kids[0]
)

// Value is one operand: a string (numbers keep their text), or null.
type Value struct {
	Null bool
	Str  string
	// at is Str parsed as an instant, for the timestamp fields.
	at time.Time
}

// Expr is a parsed, compiled filter: a tree of comparisons joined by AND,
// OR and NOT. The zero of *Expr (nil) matches everything. An Expr is
// immutable once built and safe for concurrent use.
type Expr struct {
	Kind   Kind
	Kids   []*Expr
	Field  Field
	Op     Op
	Values []Value // one, or the list of $in / $nin
	like   *likeMatcher
}

// Record is what a filter sees of a workspace or a project.
type Record struct {
	ID, Name             string
	Description          *string
	CreatedAt, UpdatedAt time.Time
	CreatedBy, UpdatedBy string
}

// tri is a three-valued truth: SQL's true, false and unknown.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// Match reports whether r satisfies e (a nil e matches everything).
func (e *Expr) Match(r *Record) bool { return e == nil || e.eval(r) == triTrue }

func (e *Expr) eval(r *Record) tri {
	switch e.Kind {
	case KindAnd:
		out := triTrue
		for _, k := range e.Kids {
			switch k.eval(r) {
			case triFalse:
				return triFalse
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case KindOr:
		out := triFalse
		for _, k := range e.Kids {
			switch k.eval(r) {
			case triTrue:
				return triTrue
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case KindNot:
		switch e.Kids[0].eval(r) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUnknown
	}
	return e.cmp(r)
}

// cmp evaluates a comparison. A field that is empty compares as SQL NULL.
func (e *Expr) cmp(r *Record) tri {
	if e.Field.isTime() {
		t := r.CreatedAt
		if e.Field == FieldUpdatedAt {
			t = r.UpdatedAt
		}
		return e.cmpTime(t)
	}
	var s string
	switch e.Field {
	case FieldID:
		s = r.ID
	case FieldName:
		s = r.Name
	case FieldDescription:
		if r.Description != nil {
			s = *r.Description
		}
	case FieldCreatedBy:
		s = r.CreatedBy
	case FieldUpdatedBy:
		s = r.UpdatedBy
	}
	empty := s == ""
	switch e.Op {
	case OpEq:
		if v := &e.Values[0]; v.Null || v.Str == "" {
			return truth(empty) // "" asks for the empty field, as null
		}
		if empty {
			return triUnknown
		}
		return truth(s == e.Values[0].Str)
	case OpIn, OpNin:
		hasNull, hit := false, false
		for i := range e.Values {
			v := &e.Values[i]
			if v.Null || v.Str == "" {
				hasNull = true
				hit = hit || empty
			} else if !empty && s == v.Str {
				hit = true
			}
		}
		var out tri
		switch {
		case hit:
			out = triTrue
		case empty && !hasNull:
			out = triUnknown
		default:
			out = triFalse
		}
		if e.Op == OpNin {
			return not(out)
		}
		return out
	}
	if empty {
		return triUnknown
	}
	switch e.Op {
	case OpLike:
		return truth(e.like.match(s))
	case OpLt:
		return truth(s < e.Values[0].Str)
	case OpLte:
		return truth(s <= e.Values[0].Str)
	case OpGt:
		return truth(s > e.Values[0].Str)
	case OpGte:
		return truth(s >= e.Values[0].Str)
	}
	return triFalse
}

func (e *Expr) cmpTime(t time.Time) tri {
	switch e.Op {
	case OpEq:
		return truth(t.Equal(e.Values[0].at))
	case OpLt:
		return truth(t.Before(e.Values[0].at))
	case OpLte:
		return truth(!t.After(e.Values[0].at))
	case OpGt:
		return truth(t.After(e.Values[0].at))
	case OpGte:
		return truth(!t.Before(e.Values[0].at))
	case OpIn, OpNin:
		hit := false
		for i := range e.Values {
			hit = hit || t.Equal(e.Values[i].at)
		}
		if e.Op == OpNin {
			hit = !hit
		}
		return truth(hit)
	}
	return triFalse
}

func truth(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func not(t tri) tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// ExactName returns the name every match must have, when the filter says
// so at its top level (name:"x", alone or ANDed): the state machine then
// looks that one record up instead of scanning.
func (e *Expr) ExactName() (string, bool) {
	if e == nil {
		return "", false
	}
	switch e.Kind {
	case KindCmp:
		if e.Field == FieldName && e.Op == OpEq && !e.Values[0].Null {
			return e.Values[0].Str, true
		}
	case KindAnd:
		for _, k := range e.Kids {
			if n, ok := k.ExactName(); ok {
				return n, true
			}
		}
	}
	return "", false
}

// Error is a filter that cannot be used; its message says what is wrong
// and where. The HTTP edge answers it with 400.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return "Invalid filter query: " + e.Msg }

func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// newCmp builds and compiles a comparison: it checks the operand types
// for the field and operator, parses timestamps, tokenises contains
// patterns. where says where the comparison was written, for messages.
func newCmp(f Field, op Op, vals []Value, where string) (*Expr, *Error) {
	e := &Expr{Kind: KindCmp, Field: f, Op: op, Values: vals}
	if len(vals) == 0 {
		return nil, errorf("%s needs at least one value %s", op, where)
	}
	if op != OpIn && op != OpNin && len(vals) != 1 {
		return nil, errorf("%s takes one value, not a list %s", op, where)
	}
	if op == OpLike && f.isTime() {
		return nil, errorf("%s is a timestamp: contains (~, $like) applies to text fields only %s", f, where)
	}
	for i := range vals {
		v := &vals[i]
		if v.Null {
			if op != OpEq && op != OpIn && op != OpNin {
				return nil, errorf("null can only be compared for equality, not with %s %s", op, where)
			}
			if f.isTime() {
				return nil, errorf("%s is never null %s", f, where)
			}
			continue
		}
		if f.isTime() {
			t, ok := parseTime(v.Str)
			if !ok {
				return nil, errorf("'%s' is not an ISO 8601 timestamp (such as 2025-01-01 or 2025-01-01T10:00:00+02:00) for %s %s", clip(v.Str), f, where)
			}
			v.at = t
		}
	}
	if op == OpLike {
		if n := utf8Count(vals[0].Str); n > MaxLikeChars {
			return nil, errorf("the contains value is %d characters long: at most %d are allowed %s", n, MaxLikeChars, where)
		}
		m := compileContains(vals[0].Str)
		e.like = &m
	}
	return e, nil
}

// timeLayouts are the ISO 8601 forms a timestamp may take. A form without
// an offset is UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	// A lower-case t or z, as ISO 8601 allows.
	if u := strings.ToUpper(s); u != s {
		return parseTime(u)
	}
	return time.Time{}, false
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func decodeRune(s string) (rune, int) {
	r, n := utf8.DecodeRuneInString(s)
	return r, n
}

// Parse parses one filter= value: JSON when it starts with '{' (after
// blanks), the text syntax otherwise.
func Parse(s string) (*Expr, error) {
	if t := strings.TrimLeft(s, " \t\r\n"); strings.HasPrefix(t, "{") {
		return ParseJSON(s)
	}
	return ParseText(s)
}

// And joins expressions parsed separately (several filter= parameters),
// checking the clause limit over all of them. No expression is no filter.
func And(es ...*Expr) (*Expr, error) {
	n := 0
	for _, e := range es {
		n += e.clauses()
	}
	if n > MaxClauses {
		return nil, errorf("more than %d clauses (each value of an IN list counts as one)", MaxClauses)
	}
	switch len(es) {
	case 0:
		return nil, nil
	case 1:
		return es[0], nil
	}
	return &Expr{Kind: KindAnd, Kids: es}, nil
}

func (e *Expr) clauses() int {
	if e == nil {
		return 0
	}
	if e.Kind == KindCmp {
		return len(e.Values)
	}
	n := 0
	for _, k := range e.Kids {
		n += k.clauses()
	}
	return n
}
