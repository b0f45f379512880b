package client

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expr is a list filter built in Go and sent in the text syntax of the
// wire contract (API.md, "filter"), e.g.
//
//	client.Field("name").Contains("ml").And(client.Field("created_at").Gte(since))
//
// renders as (name~"ml" AND created_at>="2026-01-01T00:00:00Z"). Set it as
// ListOptions.Where. Strings are always double-quoted, with `"` and `\`
// escaped by a backslash, so no value can change the expression's shape.
// The zero Expr matches everything (it is sent as no filter).
type Expr struct {
	text string // rendered, fully parenthesised where needed; "" for none
	err  error
}

// String is the expression in the text filter syntax; "" for the zero
// Expr, and also "" when the expression is not valid (see Err).
func (e Expr) String() string {
	if e.err != nil {
		return ""
	}
	return e.text
}

// Err reports why the expression cannot be rendered (a field name that is
// not an identifier, a value of an unsupported type, an empty IN list).
// List calls return it, wrapped in ErrInvalid, before sending anything.
func (e Expr) Err() error { return e.err }

// IsZero reports whether e is the empty filter.
func (e Expr) IsZero() bool { return e.text == "" && e.err == nil }

// FieldRef names a field of the listed objects: id, name, description,
// created_at, created_by, updated_at or updated_by.
type FieldRef struct{ name string }

// Field starts a clause on the named field.
func Field(name string) FieldRef { return FieldRef{name: name} }

// Eq matches records whose field equals v (case-sensitive): name:"ml-team".
// v is a string, an integer or float, a time.Time (sent as RFC 3339), or
// nil: Field("description").Eq(nil) matches records without one.
func (f FieldRef) Eq(v any) Expr { return f.clause(":", v) }

// Contains matches records whose field contains s, ignoring case:
// name~"team". As on the platform, % and _ inside s are wildcards.
func (f FieldRef) Contains(s string) Expr { return f.clause("~", s) }

// Gt, Gte, Lt and Lte compare: timestamps as instants, names as strings.
func (f FieldRef) Gt(v any) Expr { return f.clause(">", v) }

// Gte is field >= v.
func (f FieldRef) Gte(v any) Expr { return f.clause(">=", v) }

// Lt is field < v.
func (f FieldRef) Lt(v any) Expr { return f.clause("<", v) }

// Lte is field <= v.
func (f FieldRef) Lte(v any) Expr { return f.clause("<=", v) }

// IsNull matches records where the field is unset (description:null).
func (f FieldRef) IsNull() Expr { return f.clause(":", nil) }

// In matches records whose field equals one of vs: name IN ["a","b"].
func (f FieldRef) In(vs ...any) Expr { return f.list(" IN ", vs) }

// NotIn matches records whose field is set and equals none of vs.
func (f FieldRef) NotIn(vs ...any) Expr { return f.list(" NOT IN ", vs) }

func (f FieldRef) clause(op string, v any) Expr {
	if err := checkField(f.name); err != nil {
		return Expr{err: err}
	}
	lit, err := literal(v)
	if err != nil {
		return Expr{err: fmt.Errorf("filter on %s: %w", f.name, err)}
	}
	return Expr{text: f.name + op + lit}
}

func (f FieldRef) list(op string, vs []any) Expr {
	if err := checkField(f.name); err != nil {
		return Expr{err: err}
	}
	if len(vs) == 0 {
		return Expr{err: fmt.Errorf("filter on %s:%s needs at least one value", f.name, op)}
	}
	var b strings.Builder
	b.WriteString(f.name + op + "[")
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		lit, err := literal(v)
		if err != nil {
			return Expr{err: fmt.Errorf("filter on %s: %w", f.name, err)}
		}
		b.WriteString(lit)
	}
	b.WriteByte(']')
	return Expr{text: b.String()}
}

// And is e AND every one of others (AND binds tighter than OR; the result
// is parenthesised so that it composes safely). Zero operands are skipped.
func (e Expr) And(others ...Expr) Expr { return join(" AND ", append([]Expr{e}, others...)) }

// Or is e OR any one of others.
func (e Expr) Or(others ...Expr) Expr { return join(" OR ", append([]Expr{e}, others...)) }

// And is every one of es (the zero Expr when es is empty).
func And(es ...Expr) Expr { return join(" AND ", es) }

// Or is any one of es (the zero Expr when es is empty).
func Or(es ...Expr) Expr { return join(" OR ", es) }

// Not negates e: -(e). A negation never matches a record whose field is
// empty (API.md).
func Not(e Expr) Expr {
	if e.err != nil || e.text == "" {
		return e
	}
	return Expr{text: "-(" + e.text + ")"}
}

func join(sep string, es []Expr) Expr {
	var parts []string
	for _, e := range es {
		if e.err != nil {
			return e
		}
		if e.text != "" {
			parts = append(parts, e.text)
		}
	}
	switch len(parts) {
	case 0:
		return Expr{}
	case 1:
		return Expr{text: parts[0]}
	}
	return Expr{text: "(" + strings.Join(parts, sep) + ")"}
}

// checkField accepts an identifier: a lowercase letter, then lowercase
// letters, digits and underscores. Anything else could change the
// expression's shape, so it is refused here rather than escaped.
func checkField(name string) error {
	if name == "" {
		return fmt.Errorf("filter: empty field name")
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r == '_' || (r >= '0' && r <= '9')):
		default:
			return fmt.Errorf("filter: field name %q is not an identifier", name)
		}
	}
	return nil
}

// literal renders one value of the text syntax.
func literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case string:
		return Quote(x), nil
	case time.Time:
		return Quote(x.Format(time.RFC3339Nano)), nil
	case Time:
		return Quote(x.Format(time.RFC3339Nano)), nil
	case int:
		return strconv.Itoa(x), nil
	case int8, int16, int32, int64:
		return fmt.Sprint(x), nil
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case float32:
		return float(float64(x))
	case float64:
		return float(x)
	case fmt.Stringer:
		return Quote(x.String()), nil
	}
	return "", fmt.Errorf("unsupported filter value of type %T (want a string, a number, a time.Time or nil)", v)
}

func float(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("filter value %v is not a finite number", f)
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// Quote returns s as a string literal of the text filter syntax: in
// double quotes, with every `"` and `\` preceded by a backslash. Every
// other character, control characters included, stands for itself.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
