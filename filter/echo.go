package filter

// Echo renders e in the JSON-operator form (the JSON syntax's, which
// ParseJSON reads back to an equivalent expression): nil for no filter,
// {"name":"x"} for equals, {"name":{"$like":"ml"}}, {"$or":[...]},
// {"$not":{...}}; an AND of distinct fields (or distinct operators on one
// field) is merged into one object, any other AND is {"$and":[...]}.
// Values are strings or null; $in and $nin lists are arrays.
func Echo(e *Expr) map[string]any {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case KindOr, KindAnd:
		kids := make([]any, len(e.Kids))
		for i, k := range e.Kids {
			kids[i] = Echo(k)
		}
		if e.Kind == KindOr {
			return map[string]any{"$or": kids}
		}
		if m, ok := merge(kids); ok {
			return m
		}
		return map[string]any{"$and": kids}
	case KindNot:
		return map[string]any{"$not": Echo(e.Kids[0])}
	}
	f := e.Field.String()
	if e.Op == OpEq {
		return map[string]any{f: echoValue(e.Values[0])}
	}
	if e.Op == OpIn || e.Op == OpNin {
		vs := make([]any, len(e.Values))
		for i, v := range e.Values {
			vs[i] = echoValue(v)
		}
		return map[string]any{f: map[string]any{e.Op.String(): vs}}
	}
	return map[string]any{f: map[string]any{e.Op.String(): echoValue(e.Values[0])}}
}

func echoValue(v Value) any {
	if v.Null {
		return nil
	}
	return v.Str
}

// merge combines the objects of an AND into one when no two of them say
// something about the same key in a way one object cannot hold.
func merge(kids []any) (map[string]any, bool) {
	out := map[string]any{}
	for _, k := range kids {
		for key, v := range k.(map[string]any) {
			old, dup := out[key]
			if !dup {
				out[key] = v
				continue
			}
			om, ok1 := old.(map[string]any)
			nm, ok2 := v.(map[string]any)
			if !ok1 || !ok2 || key[0] == '$' {
				return nil, false
			}
			both := make(map[string]any, len(om)+len(nm))
			for op, x := range om {
				both[op] = x
			}
			for op, x := range nm {
				if _, clash := both[op]; clash {
					return nil, false
				}
				both[op] = x
			}
			out[key] = both
		}
	}
	return out, true
}
