package filter

import "strings"

// Param is one bracket query parameter: Key is "filter[field]" or
// "filter[field][$op]", Value its (unescaped) value.
type Param struct{ Key, Value string }

// ParseBrackets parses the bracket syntax (API.md): filter[field]=v
// (equals), filter[field][$op]=v; $in and $nin take a comma-separated
// list. Several keys are ANDed. No parameter is no filter (nil).
func ParseBrackets(params []Param) (*Expr, error) {
	size := 0
	for _, pr := range params {
		size += len(pr.Key) + len(pr.Value)
	}
	if size > MaxBytes {
		return nil, errorf("the filter is %d bytes long: at most %d are allowed", size, MaxBytes)
	}
	p := &jsonParser{} // for the clause count
	var kids []*Expr
	for _, pr := range params {
		rest, ok := strings.CutPrefix(pr.Key, "filter[")
		fname, rest, ok2 := strings.Cut(rest, "]")
		if !ok || !ok2 {
			return nil, errorf("malformed filter parameter '%s': use filter[field] or filter[field][$op]", clip(pr.Key))
		}
		f, ok := lookupField(fname)
		if !ok {
			return nil, errorf("unknown field '%s' in parameter '%s' (fields: %s)", clip(fname), clip(pr.Key), fieldList)
		}
		at := "." + pr.Key
		op := OpEq
		if rest != "" {
			oname, ok := strings.CutPrefix(rest, "[")
			oname, tail, ok2 := strings.Cut(oname, "]")
			if !ok || !ok2 || tail != "" {
				return nil, errorf("malformed filter parameter '%s': use filter[field] or filter[field][$op]", clip(pr.Key))
			}
			if op, ok = lookupOp(oname); !ok {
				return nil, errorf("unknown operator '%s' on field '%s' in parameter '%s' (operators: %s)", clip(oname), f, clip(pr.Key), opList)
			}
		}
		vals := []Value{{Str: pr.Value}}
		if op == OpIn || op == OpNin {
			vals = splitList(pr.Value)
		}
		e, err := p.cmp(f, op, vals, at)
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
	}
	switch len(kids) {
	case 0:
		return nil, nil
	case 1:
		return kids[0], nil
	}
	return &Expr{Kind: KindAnd, Kids: kids}, nil
}
