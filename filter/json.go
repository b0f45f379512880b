package filter

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ParseJSON parses the JSON syntax (API.md): an object whose members are
// ANDed; a member is a field with a value (equals: a string, a number or
// null) or an operator object ({"$like":"ml","$gte":"a"}, its operators
// ANDed), or $and / $or with an array of such objects, or $not with one.
// $in and $nin take an array or a comma-separated string. {} is no filter
// (nil).
func ParseJSON(s string) (*Expr, error) {
	if len(s) > MaxBytes {
		return nil, errorf("the filter is %d bytes long: at most %d are allowed", len(s), MaxBytes)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	p := &jsonParser{dec: dec}
	v, err := p.read(0)
	if err == nil {
		end := dec.InputOffset()
		if _, e := dec.Token(); e != io.EOF {
			err = errorf("unexpected data after the JSON object at offset %d", end)
		}
	}
	if err != nil {
		return nil, err
	}
	if v.kind != jObject {
		return nil, errorf("a filter starting with '{' must be a JSON object")
	}
	return p.object(v, "", 0)
}

type jkind uint8

const (
	jNull jkind = iota
	jString
	jNumber
	jBool
	jArray
	jObject
)

// jv is a decoded JSON value that keeps the order of object members.
type jv struct {
	kind jkind
	str  string
	arr  []jv
	obj  []jmember
}

type jmember struct {
	key string
	val jv
}

type jsonParser struct {
	dec     *json.Decoder
	clauses int
}

func (p *jsonParser) read(depth int) (jv, *Error) {
	if depth > 2*MaxDepth {
		return jv{}, errorf("JSON nests deeper than %d", MaxDepth)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return jv{}, errorf("malformed JSON near offset %d: %s", p.dec.InputOffset(), strings.TrimPrefix(err.Error(), "json: "))
	}
	switch t := tok.(type) {
	case nil:
		return jv{kind: jNull}, nil
	case string:
		return jv{kind: jString, str: t}, nil
	case json.Number:
		return jv{kind: jNumber, str: t.String()}, nil
	case bool:
		return jv{kind: jBool, str: fmt.Sprint(t)}, nil
	case json.Delim:
		switch t {
		case '[':
			out := jv{kind: jArray}
			for p.dec.More() {
				v, e := p.read(depth + 1)
				if e != nil {
					return jv{}, e
				}
				out.arr = append(out.arr, v)
			}
			if _, err := p.dec.Token(); err != nil {
				return jv{}, errorf("malformed JSON near offset %d", p.dec.InputOffset())
			}
			return out, nil
		case '{':
			out := jv{kind: jObject}
			for p.dec.More() {
				kt, err := p.dec.Token()
				k, ok := kt.(string)
				if err != nil || !ok {
					return jv{}, errorf("malformed JSON near offset %d", p.dec.InputOffset())
				}
				v, e := p.read(depth + 1)
				if e != nil {
					return jv{}, e
				}
				out.obj = append(out.obj, jmember{k, v})
			}
			if _, err := p.dec.Token(); err != nil {
				return jv{}, errorf("malformed JSON near offset %d", p.dec.InputOffset())
			}
			return out, nil
		}
	}
	return jv{}, errorf("malformed JSON near offset %d", p.dec.InputOffset())
}

// object turns a filter object into an expression; path names where it
// is, for messages ("" for the top).
func (p *jsonParser) object(v jv, path string, depth int) (*Expr, error) {
	if depth >= MaxDepth {
		return nil, errorf("groups and negations nest deeper than %d", MaxDepth)
	}
	var kids []*Expr
	for _, m := range v.obj {
		at := path + "." + m.key
		var (
			e   *Expr
			err error
		)
		switch m.key {
		case "$and", "$or":
			e, err = p.group(m, at, depth)
		case "$not":
			if m.val.kind != jObject || len(m.val.obj) == 0 {
				return nil, errorf("$not needs a non-empty object (at %s)", at[1:])
			}
			var k *Expr
			if k, err = p.object(m.val, at, depth+1); err == nil {
				e = &Expr{Kind: KindNot, Kids: []*Expr{k}}
			}
		default:
			e, err = p.field(m, at)
		}
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
	}
	switch len(kids) {
	case 0:
		if path != "" {
			return nil, errorf("empty object (at %s)", path[1:])
		}
		return nil, nil
	case 1:
		return kids[0], nil
	}
	return &Expr{Kind: KindAnd, Kids: kids}, nil
}

func (p *jsonParser) group(m jmember, at string, depth int) (*Expr, error) {
	if m.val.kind != jArray || len(m.val.arr) == 0 {
		return nil, errorf("%s needs a non-empty array of filter objects (at %s)", m.key, at[1:])
	}
	kind := KindAnd
	if m.key == "$or" {
		kind = KindOr
	}
	e := &Expr{Kind: kind}
	for i, item := range m.val.arr {
		iat := fmt.Sprintf("%s[%d]", at, i)
		if item.kind != jObject || len(item.obj) == 0 {
			return nil, errorf("%s needs non-empty filter objects (at %s)", m.key, iat[1:])
		}
		k, err := p.object(item, iat, depth+1)
		if err != nil {
			return nil, err
		}
		e.Kids = append(e.Kids, k)
	}
	if len(e.Kids) == 1 {
		return e.Kids[0], nil
	}
	return e, nil
}

// field reads "field": value or "field": {"$op": value, ...}.
func (p *jsonParser) field(m jmember, at string) (*Expr, error) {
	f, ok := lookupField(m.key)
	if !ok {
		if strings.HasPrefix(m.key, "$") {
			return nil, errorf("unknown operator '%s' (at %s): groups are $and, $or and $not", clip(m.key), clip(at[1:]))
		}
		return nil, errorf("unknown field '%s' (at %s; fields: %s)", clip(m.key), clip(at[1:]), fieldList)
	}
	if m.val.kind != jObject {
		v, err := scalar(m.val, at)
		if err != nil {
			return nil, err
		}
		return p.cmp(f, OpEq, []Value{v}, at)
	}
	if len(m.val.obj) == 0 {
		return nil, errorf("empty operator object (at %s)", at[1:])
	}
	var kids []*Expr
	for _, om := range m.val.obj {
		oat := at + "." + om.key
		op, ok := lookupOp(om.key)
		if !ok {
			return nil, errorf("unknown operator '%s' on field '%s' (at %s; operators: %s)", clip(om.key), f, clip(oat[1:]), opList)
		}
		vals, err := operands(op, om.val, oat)
		if err != nil {
			return nil, err
		}
		e, err := p.cmp(f, op, vals, oat)
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &Expr{Kind: KindAnd, Kids: kids}, nil
}

func (p *jsonParser) cmp(f Field, op Op, vals []Value, at string) (*Expr, error) {
	p.clauses += len(vals)
	if p.clauses > MaxClauses {
		return nil, errorf("more than %d clauses (each value of an IN list counts as one)", MaxClauses)
	}
	e, err := newCmp(f, op, vals, "(at "+clip(at[1:])+")")
	if err != nil {
		return nil, err
	}
	return e, nil
}

// operands reads an operator's value: one scalar, or for $in and $nin an
// array of scalars or a comma-separated string.
func operands(op Op, v jv, at string) ([]Value, error) {
	if op != OpIn && op != OpNin {
		s, err := scalar(v, at)
		if err != nil {
			return nil, err
		}
		return []Value{s}, nil
	}
	switch v.kind {
	case jString:
		return splitList(v.str), nil
	case jArray:
		if len(v.arr) > MaxClauses {
			return nil, errorf("more than %d clauses (each value of an IN list counts as one)", MaxClauses)
		}
		out := make([]Value, 0, len(v.arr))
		for i, item := range v.arr {
			s, err := scalar(item, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errorf("%s needs an array or a comma-separated string (at %s)", op, clip(at[1:]))
}

// splitList splits a comma-separated list; an empty string is an empty
// list.
func splitList(s string) []Value {
	if s == "" {
		return nil
	}
	n := strings.Count(s, ",") + 1
	if n > MaxClauses+1 {
		n = MaxClauses + 1 // the clause limit refuses it anyway
	}
	out := make([]Value, 0, n)
	for part := range strings.SplitSeq(s, ",") {
		out = append(out, Value{Str: strings.TrimSpace(part)})
		if len(out) > MaxClauses {
			break
		}
	}
	return out
}

func scalar(v jv, at string) (Value, error) {
	switch v.kind {
	case jNull:
		return Value{Null: true}, nil
	case jString, jNumber:
		return Value{Str: v.str}, nil
	}
	return Value{}, errorf("expected a string, a number or null (at %s)", clip(at[1:]))
}
