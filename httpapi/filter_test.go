package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// filterFixture is a server with workspaces whose names and descriptions
// exercise every part of the filter language: no description (an empty
// field), quotes, % and _ in values. Auth is off, so created_by is ""
// (empty) everywhere.
func filterFixture(t *testing.T) (*testServer, map[string]wsJSON) {
	ts := newTestServer(t)
	descs := []struct{ name, desc string }{
		{"ml-team", "Machine Learning Team"},
		{"ml-ops", "ML operations"},
		{"data", ""},
		{"quote", `say "hi"`},
		{"pct", "50% off"},
		{"under", "a_b c"},
	}
	for _, d := range descs {
		body := map[string]any{"name": d.name}
		if d.desc != "" {
			body["description"] = d.desc
		}
		if r := ts.do(t, http.MethodPost, base+"/workspaces", body); r.code != http.StatusCreated {
			t.Fatalf("create %s: %s", d.name, r)
		}
	}
	all := map[string]wsJSON{}
	for _, w := range ts.list(t, "page_size=1000").Data {
		all[w.Name] = w
	}
	return ts, all
}

// except returns the fixture's names without those given, sorted.
func except(all map[string]wsJSON, drop ...string) []string {
	var out []string
	for n := range all {
		if !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// at renders the created_at of w shifted by d, in the zone of offset
// (seconds east of UTC) with a numeric offset.
func at(t *testing.T, w wsJSON, d time.Duration, offset int) string {
	t.Helper()
	ct, err := time.Parse(time.RFC3339Nano, w.CreatedAt)
	if err != nil {
		t.Fatalf("created_at %q: %v", w.CreatedAt, err)
	}
	return ct.Add(d).In(time.FixedZone("x", offset)).Format("2006-01-02T15:04:05.999999999-07:00")
}

// TestFilter_language: every syntax, field, operator, precedence rule,
// escape, null, timestamps with offsets, and the alias through the HTTP
// API, listed by name.
func TestFilter_language(t *testing.T) {
	t.Parallel()
	ts, all := filterFixture(t)
	// Timestamps: workspaces created one after another; the built-ins
	// first. The instants are written with offsets other than UTC.
	byCreated := except(all)
	sort.SliceStable(byCreated, func(i, j int) bool { return all[byCreated[i]].CreatedAt < all[byCreated[j]].CreatedAt })
	pct := all["pct"]
	createdFrom := func(name string) []string { // created at or after name
		var out []string
		for n, w := range all {
			a, _ := time.Parse(time.RFC3339Nano, w.CreatedAt)
			b, _ := time.Parse(time.RFC3339Nano, all[name].CreatedAt)
			if !a.Before(b) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	text := func(s string) string { return "filter=" + url.QueryEscape(s) }
	none := []string{}
	for _, tc := range []struct {
		name, query string
		want        []string
		echo        string // "" when not checked
	}{
		// Text: fields and operators.
		{"text equals", text(`name:"ml-team"`), []string{"ml-team"}, `{"name":"ml-team"}`},
		{"text equals is case-sensitive", text(`name:"ML-TEAM"`), none, ""},
		{"text contains, case-insensitive", text(`name~"TEAM"`), []string{"ml-team"}, `{"name":{"$like":"TEAM"}}`},
		{"text contains two", text(`name~"ml"`), []string{"ml-ops", "ml-team"}, ""},
		{"text contains, _ is one character", text(`name~"m_-"`), []string{"ml-ops", "ml-team"}, ""},
		{"text contains, _ matches any description", text(`description~"_"`), except(all, "data"), ""},
		{"text contains, escaped _", text(`description~"\_"`), []string{"under"}, ""},
		{"text contains, escaped %", text(`description~"0\%"`), []string{"pct"}, ""},
		{"text contains, % is a wildcard", text(`description~"ML%tions"`), []string{"ml-ops"}, ""},
		{"text escaped quote", text(`description:"say \"hi\""`), []string{"quote"}, `{"description":"say \"hi\""}`},
		{"text escaped quote, contains", text(`description~"\"HI\""`), []string{"quote"}, ""},
		{"text greater", text(`name>"quote"`), []string{"system", "under"}, `{"name":{"$gt":"quote"}}`},
		{"text greater or equal", text(`name>="quote"`), []string{"quote", "system", "under"}, ""},
		{"text less", text(`name<"default"`), []string{"data"}, `{"name":{"$lt":"default"}}`},
		{"text less or equal", text(`name<="default"`), []string{"data", "default"}, ""},
		{"text id", text(`id:"` + all["pct"].ID + `"`), []string{"pct"}, ""},
		{"text IN", text(`name IN ["data", "pct", "nope"]`), []string{"data", "pct"}, `{"name":{"$in":["data","pct","nope"]}}`},
		{"text in, lower case", text(`name in ["data"]`), []string{"data"}, ""},
		{"text NOT IN", text(`name NOT IN ["data","pct"]`), except(all, "data", "pct"), `{"name":{"$nin":["data","pct"]}}`},
		{"text a number value", text(`name:5`), none, `{"name":"5"}`},
		{"text blank is no filter", text(`  `), except(all), `null`},
		// null and empty fields.
		{"null", text(`description:null`), []string{"data"}, `{"description":null}`},
		{"not null", text(`-description:null`), except(all, "data"), `{"$not":{"description":null}}`},
		{"created_by null (auth off)", text(`created_by:null`), except(all), ""},
		{"a negation never matches an empty field", text(`-description~"ml"`), except(all, "data", "ml-ops"), ""},
		{"NOT IN never matches an empty field", text(`description NOT IN ["50% off"]`), except(all, "data", "pct"), ""},
		{"negated equality on an empty field", text(`-created_by:"alice"`), none, ""},
		{"updated_by empty", text(`updated_by:null`), except(all), ""},
		// Precedence and grouping.
		{"AND binds tighter than OR", text(`name:"data" OR name:"pct" name~"z"`), []string{"data"}, `{"$or":[{"name":"data"},{"$and":[{"name":"pct"},{"name":{"$like":"z"}}]}]}`},
		{"AND binds tighter, explicit", text(`name:"data" or name:"pct" and name~"p"`), []string{"data", "pct"}, ""},
		{"parentheses group", text(`(name:"data" OR name:"pct") name~"p"`), []string{"pct"}, ""},
		{"negated group", text(`-(name:"data" OR name:"pct")`), except(all, "data", "pct"), `{"$not":{"$or":[{"name":"data"},{"name":"pct"}]}}`},
		{"double negation", text(`--name:"data"`), []string{"data"}, ""},
		{"side by side is AND", text(`name~"m" description~"team"`), []string{"ml-team"}, `{"name":{"$like":"m"},"description":{"$like":"team"}}`},
		{"nested groups", text(`((name:"data") OR (name:"pct" OR (name:"under")))`), []string{"data", "pct", "under"}, ""},
		// Timestamps, compared as instants, written with offsets.
		{"created_at >= with +02:00", text(`created_at>="` + at(t, pct, 0, 2*3600) + `"`), createdFrom("pct"), ""},
		{"created_at >= with -05:30", text(`created_at>="` + at(t, pct, 0, -(5*3600+1800)) + `"`), createdFrom("pct"), ""},
		{"created_at > excludes the instant", text(`created_at>"` + at(t, pct, 0, 3600) + `"`), slices.DeleteFunc(createdFrom("pct"), func(n string) bool { return n == "pct" }), ""},
		{"created_at equals with an offset", text(`created_at:"` + at(t, pct, 0, 9*3600) + `"`), []string{"pct"}, ""},
		{"created_at < a date", text(`created_at<"2000-01-01"`), none, ""},
		{"created_at >= a date", text(`created_at>="2000-01-01"`), except(all), ""},
		{"created_at <= with Z", text(`created_at<="2000-01-01T10:00:00Z"`), none, ""},
		{"updated_at > a date", text(`updated_at>"1999-12-31T23:59:59.5+01:00"`), except(all), ""},
		// JSON.
		{"json equals", "filter=" + url.QueryEscape(`{"name":"data"}`), []string{"data"}, `{"name":"data"}`},
		{"json $eq", "filter=" + url.QueryEscape(`{"name":{"$eq":"pct"}}`), []string{"pct"}, `{"name":"pct"}`},
		{"json $like", "filter=" + url.QueryEscape(`{"name":{"$like":"ML"}}`), []string{"ml-ops", "ml-team"}, `{"name":{"$like":"ML"}}`},
		{"json $in array", "filter=" + url.QueryEscape(`{"name":{"$in":["data","pct"]}}`), []string{"data", "pct"}, `{"name":{"$in":["data","pct"]}}`},
		{"json $in string", "filter=" + url.QueryEscape(`{"name":{"$in":"data, pct"}}`), []string{"data", "pct"}, `{"name":{"$in":["data","pct"]}}`},
		{"json $nin", "filter=" + url.QueryEscape(`{"name":{"$nin":["data","pct"]}}`), except(all, "data", "pct"), `{"name":{"$nin":["data","pct"]}}`},
		{"json $gt $lte together", "filter=" + url.QueryEscape(`{"name":{"$gt":"data","$lte":"ml-ops"}}`), []string{"default", "ml-ops"}, `{"name":{"$gt":"data","$lte":"ml-ops"}}`},
		{"json $gte $lt", "filter=" + url.QueryEscape(`{"name":{"$gte":"q","$lt":"t"}}`), []string{"quote", "system"}, ""},
		{"json several fields AND", "filter=" + url.QueryEscape(`{"name":{"$like":"m"},"description":{"$like":"oper"}}`), []string{"ml-ops"}, ""},
		{"json $or", "filter=" + url.QueryEscape(`{"$or":[{"name":"data"},{"name":"pct"}]}`), []string{"data", "pct"}, `{"$or":[{"name":"data"},{"name":"pct"}]}`},
		{"json $and", "filter=" + url.QueryEscape(`{"$and":[{"name":{"$like":"m"}},{"name":{"$like":"team"}}]}`), []string{"ml-team"}, ""},
		{"json $not", "filter=" + url.QueryEscape(`{"$not":{"name":"data"}}`), except(all, "data"), `{"$not":{"name":"data"}}`},
		{"json null", "filter=" + url.QueryEscape(`{"description":null}`), []string{"data"}, `{"description":null}`},
		{"json $not never matches an empty field", "filter=" + url.QueryEscape(`{"$not":{"description":{"$like":"ml"}}}`), except(all, "data", "ml-ops"), ""},
		{"json timestamp with offset", "filter=" + url.QueryEscape(`{"created_at":{"$gte":"`+at(t, pct, 0, 2*3600)+`"}}`), createdFrom("pct"), ""},
		{"json a number", "filter=" + url.QueryEscape(`{"name":5}`), none, `{"name":"5"}`},
		{"json empty is no filter", "filter=" + url.QueryEscape(`{}`), except(all), `null`},
		{"json with leading blanks", "filter=" + url.QueryEscape(`  {"name":"data"}`), []string{"data"}, ""},
		// Brackets.
		{"brackets equals", "filter[name]=data", []string{"data"}, `{"name":"data"}`},
		{"brackets escaped", "filter%5Bname%5D=data", []string{"data"}, ""},
		{"brackets $like", "filter[name][$like]=ML", []string{"ml-ops", "ml-team"}, `{"name":{"$like":"ML"}}`},
		{"brackets $in", "filter[name][$in]=data,pct", []string{"data", "pct"}, `{"name":{"$in":["data","pct"]}}`},
		{"brackets $nin", "filter[name][$nin]=data,pct", except(all, "data", "pct"), ""},
		{"brackets $gte", "filter[name][$gte]=system", []string{"system", "under"}, ""},
		{"brackets $eq", "filter[name][$eq]=data", []string{"data"}, ""},
		{"brackets several keys AND", "filter[description][$like]=off&filter[name][$like]=p", []string{"pct"}, `{"description":{"$like":"off"},"name":{"$like":"p"}}`},
		{"brackets created_by (auth off: empty)", "filter[created_by]=", except(all), `{"created_by":""}`},
		{"brackets timestamp with offset", "filter[created_at][$lt]=" + url.QueryEscape(at(t, pct, 0, 3600)), slices.DeleteFunc(except(all), func(n string) bool { return slices.Contains(createdFrom("pct"), n) }), ""},
		// Choosing the syntax: filter, then search, then brackets.
		{"search is the old alias", "search=" + url.QueryEscape(`name~"ml"`), []string{"ml-ops", "ml-team"}, ""},
		{"search JSON", "search=" + url.QueryEscape(`{"name":"data"}`), []string{"data"}, ""},
		{"filter wins over search", text(`name:"data"`) + "&search=" + url.QueryEscape(`name:"pct"`), []string{"data"}, ""},
		{"search wins over brackets", "search=" + url.QueryEscape(`name:"pct"`) + "&filter[name]=data", []string{"pct"}, ""},
		{"filter wins over brackets", text(`name:"pct"`) + "&filter[name]=data", []string{"pct"}, ""},
		{"several filter= are ANDed", text(`name~"m"`) + "&" + text(`name~"ops"`), []string{"ml-ops"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				tc.want = none
			}
			p := ts.list(t, tc.query+"&sort=name")
			if got := names(p); !slices.Equal(got, tc.want) {
				t.Fatalf("?%s: got %v, want %v", tc.query, got, tc.want)
			}
			if p.Pagination.TotalResults != len(tc.want) {
				t.Fatalf("total_results %d, want %d", p.Pagination.TotalResults, len(tc.want))
			}
			if tc.echo != "" {
				jsonEqual(t, p.Filter, tc.echo)
				// The echo is itself a filter that selects the same.
				if tc.echo != "null" {
					if again := ts.list(t, "filter="+url.QueryEscape(string(p.Filter))+"&sort=name"); !slices.Equal(names(again), tc.want) {
						t.Fatalf("the echo %s as a filter: got %v, want %v", p.Filter, names(again), tc.want)
					}
				}
			}
			// Paged: the same records in pages of 2.
			var paged []string
			for page := 1; page <= (len(tc.want)+1)/2; page++ {
				paged = append(paged, names(ts.list(t, fmt.Sprintf("%s&sort=name&page=%d&page_size=2", tc.query, page)))...)
			}
			if !slices.Equal(paged, tc.want) && len(tc.want) > 0 {
				t.Fatalf("pages of 2: %v, want %v", paged, tc.want)
			}
		})
	}
}

// TestFilter_projects: projects take the same language.
func TestFilter_projects(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "ws")
	for _, n := range []string{"llm", "ml-a", "vision"} {
		ts.createProject(t, "ws", n)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"filter=" + url.QueryEscape(`name~"L" -name:"llm"`), []string{"ml-a"}},
		{"filter=" + url.QueryEscape(`{"name":{"$in":["llm","vision"]}}`), []string{"llm", "vision"}},
		{"filter[name][$nin]=llm", []string{"ml-a", "vision"}},
		{"search=" + url.QueryEscape(`description:null`), []string{"llm", "ml-a", "vision"}},
	} {
		if got := projNames(ts.listProjects(t, "ws", tc.query+"&sort=name")); !slices.Equal(got, tc.want) {
			t.Errorf("?%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	ts.do(t, http.MethodGet, base+"/workspaces/ws/projects?filter="+url.QueryEscape(`owner:"x"`), nil).
		wantError(t, http.StatusBadRequest, "invalid", `{"detail":"Invalid filter query: unknown field 'owner' at position 1 (fields: id, name, description, created_at, created_by, updated_at, updated_by)"}`)
}

// TestFilter_errors: every kind of bad filter answers 400 with a detail
// that says what is wrong and where; nothing is listed.
func TestFilter_errors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	const fields = "(fields: id, name, description, created_at, created_by, updated_at, updated_by)"
	const ops = "(operators: $eq, $like, $lt, $lte, $gt, $gte, $in, $nin)"
	text := func(s string) string { return "filter=" + url.QueryEscape(s) }
	for _, tc := range []struct{ name, query, detail string }{
		{"text unknown field", text(`nme:"x"`), "unknown field 'nme' at position 1 " + fields},
		{"text unknown field after a clause", text(`name:"x" owner:"y"`), "unknown field 'owner' at position 10 " + fields},
		{"text missing operator", text(`name "x"`), `expected an operator (: ~ > >= < <= IN NOT IN) after field 'name', found string "x" at position 6`},
		{"text = is no operator", text(`name="x"`), `expected an operator (: ~ > >= < <= IN NOT IN) after field 'name', found character "=" at position 5`},
		{"text missing value", text(`name:`), "expected a value (a double-quoted string, a number or null), found end of filter at position 6"},
		{"text bare word value", text(`name:ml`), "expected a value (a double-quoted string, a number or null), found 'ml' at position 6"},
		{"text unterminated string", text(`name:"ml`), "unterminated string starting at position 6"},
		{"text unclosed group", text(`(name:"a"`), "expected ')' to close the group opened at position 1, found end of filter at position 10"},
		{"text stray )", text(`name:"a")`), "unexpected ')' at position 9"},
		{"text empty group", text(`()`), "empty group at position 2"},
		{"text dangling OR", text(`name:"a" OR`), `expected a clause such as name:"ml-team", found end of filter at position 12`},
		{"text NOT without IN", text(`name NOT ["a"]`), "expected IN after NOT, found '[' at position 10"},
		{"text IN without a list", text(`name IN "a"`), `expected '[' to start the list, found string "a" at position 9`},
		{"text unclosed list", text(`name IN ["a" "b"]`), `expected ',' or ']' in the list, found string "b" at position 14`},
		{"text contains on a timestamp", text(`created_at~"2025"`), "created_at is a timestamp: contains (~, $like) applies to text fields only at position 1"},
		{"text bad timestamp", text(`created_at>"yesterday"`), "'yesterday' is not an ISO 8601 timestamp (such as 2025-01-01 or 2025-01-01T10:00:00+02:00) for created_at at position 1"},
		{"text bad month", text(`created_at>"2025-13-01"`), "'2025-13-01' is not an ISO 8601 timestamp (such as 2025-01-01 or 2025-01-01T10:00:00+02:00) for created_at at position 1"},
		{"text null with >", text(`description>null`), "null can only be compared for equality, not with $gt at position 1"},
		{"text null timestamp", text(`created_at:null`), "created_at is never null at position 1"},
		{"json malformed", "filter=" + url.QueryEscape(`{"name":`), "malformed JSON near offset 8: EOF"},
		{"json trailing data", "filter=" + url.QueryEscape(`{"name":"a"} x`), "unexpected data after the JSON object at offset 12"},
		{"json unknown field", "filter=" + url.QueryEscape(`{"owner":"bob"}`), "unknown field 'owner' (at owner; " + fields[1:]},
		{"json unknown operator", "filter=" + url.QueryEscape(`{"name":{"$regex":"x"}}`), "unknown operator '$regex' on field 'name' (at name.$regex; " + ops[1:]},
		{"json unknown group", "filter=" + url.QueryEscape(`{"$nor":[{"name":"x"}]}`), "unknown operator '$nor' (at $nor): groups are $and, $or and $not"},
		{"json wrong value type", "filter=" + url.QueryEscape(`{"name":true}`), "expected a string, a number or null (at name)"},
		{"json $or not an array", "filter=" + url.QueryEscape(`{"$or":{"name":"x"}}`), "$or needs a non-empty array of filter objects (at $or)"},
		{"json $not empty", "filter=" + url.QueryEscape(`{"$not":{}}`), "$not needs a non-empty object (at $not)"},
		{"json $in an object", "filter=" + url.QueryEscape(`{"name":{"$in":{"a":1}}}`), "$in needs an array or a comma-separated string (at name.$in)"},
		{"json $in empty", "filter=" + url.QueryEscape(`{"name":{"$in":[]}}`), "$in needs at least one value (at name.$in)"},
		{"json $like a list", "filter=" + url.QueryEscape(`{"name":{"$like":["a"]}}`), "expected a string, a number or null (at name.$like)"},
		{"json bad timestamp", "filter=" + url.QueryEscape(`{"updated_at":{"$lt":"soon"}}`), "'soon' is not an ISO 8601 timestamp (such as 2025-01-01 or 2025-01-01T10:00:00+02:00) for updated_at (at updated_at.$lt)"},
		{"brackets unknown field", "filter[owner]=bob", "unknown field 'owner' in parameter 'filter[owner]' " + fields},
		{"brackets unknown operator", "filter[name][$regex]=x", "unknown operator '$regex' on field 'name' in parameter 'filter[name][$regex]' " + ops},
		{"brackets malformed key", "filter[name]x=1", "malformed filter parameter 'filter[name]x': use filter[field] or filter[field][$op]"},
		{"brackets contains on a timestamp", "filter[created_at][$like]=2025", "created_at is a timestamp: contains (~, $like) applies to text fields only (at filter[created_at][$like])"},
		{"search is checked alike", "search=" + url.QueryEscape(`nme:"x"`), "unknown field 'nme' at position 1 " + fields},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := json.Marshal(map[string]string{"detail": "Invalid filter query: " + tc.detail})
			ts.do(t, http.MethodGet, base+"/workspaces?"+tc.query, nil).wantError(t, http.StatusBadRequest, "invalid", string(want))
			ts.do(t, http.MethodGet, base+"/workspaces/default/projects?"+tc.query, nil).wantError(t, http.StatusBadRequest, "invalid", string(want))
		})
	}
	t.Run("the parameters' 422 comes first", func(t *testing.T) {
		r := ts.do(t, http.MethodGet, base+"/workspaces?sort=size&"+text(`nme:"x"`), nil)
		if r.code != http.StatusUnprocessableEntity {
			t.Fatalf("bad sort and bad filter: %s, want 422", r)
		}
	})
}

// TestFilter_limits: each limit, at and beyond it.
func TestFilter_limits(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, "aaa")
	text := func(s string) string { return "filter=" + url.QueryEscape(s) }
	clauses := func(n int) string { return strings.TrimSpace(strings.Repeat(`name:"aaa" `, n)) }
	list := func(n int) string {
		vs := make([]string, n)
		for i := range vs {
			vs[i] = fmt.Sprintf("%q", fmt.Sprint("v", i))
		}
		return "[" + strings.Join(vs, ",") + "]"
	}
	nest := func(n int) string { return strings.Repeat("(", n) + `name:"aaa"` + strings.Repeat(")", n) }
	like := func(n int) string { return `name~"` + strings.Repeat("a", n) + `"` }
	long := func(n int) string { // a valid filter of exactly n bytes
		s := `name:"aaa" OR name:"`
		return s + strings.Repeat("b", n-len(s)-1) + `"`
	}
	ok := []struct{ name, query string }{
		{"4096 bytes", text(long(4096))},
		{"32 clauses", text(clauses(32))},
		{"32 JSON clauses", "filter=" + url.QueryEscape(`{"$or":[`+strings.TrimSuffix(strings.Repeat(`{"name":"aaa"},`, 32), ",")+`]}`)},
		{"an IN list of 32", text(`name IN ` + list(32))},
		{"a contains value of 256 characters", text(like(256))},
		{"a contains value of 256 multibyte characters", text(`name~"` + strings.Repeat("é", 256) + `"`)},
		{"nesting 31 deep", text(nest(31))},
		{"32 bracket keys", strings.TrimSuffix(strings.Repeat("filter[name]=aaa&", 32), "&")},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if r := ts.do(t, http.MethodGet, base+"/workspaces?"+tc.query, nil); r.code != http.StatusOK {
				t.Fatalf("%s", r)
			}
		})
	}
	const more = "more than 32 clauses (each value of an IN list counts as one)"
	bad := []struct{ name, query, detail string }{
		{"4097 bytes", text(long(4097)), "the filter is 4097 bytes long: at most 4096 are allowed"},
		{"4097 bytes of JSON", "filter=" + url.QueryEscape(`{"name":"`+strings.Repeat("a", 4086)+`"}`), "the filter is 4097 bytes long: at most 4096 are allowed"},
		{"4097 bytes in two parameters", text(long(2048)) + "&" + text(long(2049)), "the filter is 4097 bytes in 2 parameters long: at most 4096 bytes are allowed"},
		{"4097 bytes of brackets", "filter[name]=" + strings.Repeat("a", 4097-len("filter[name]")), "the filter is 4097 bytes long: at most 4096 are allowed"},
		{"33 clauses", text(clauses(33)), more},
		{"33 clauses in two parameters", text(clauses(16)) + "&" + text(clauses(17)), more},
		{"33 JSON clauses", "filter=" + url.QueryEscape(`{"$or":[`+strings.TrimSuffix(strings.Repeat(`{"name":"aaa"},`, 33), ",")+`]}`), more},
		{"an IN list of 33", text(`name IN ` + list(33)), more},
		{"a JSON $in string of 33", "filter=" + url.QueryEscape(`{"name":{"$in":"`+strings.Repeat("a,", 32)+`a"}}`), more},
		{"33 bracket keys", strings.TrimSuffix(strings.Repeat("filter[name]=aaa&", 33), "&"), more},
		{"33 filter parameters", strings.Repeat(text(`name:"aaa"`)+"&", 33), "more than 32 filter parameters"},
		{"40 search parameters", strings.Repeat("search=x&", 40), "more than 32 filter parameters"},
		{"40 bracket keys", strings.TrimSuffix(strings.Repeat("filter[created_by]=x&", 40), "&"), more},
		{"a contains value of 257 characters", text(like(257)), "the contains value is 257 characters long: at most 256 are allowed at position 1"},
		{"a JSON $like of 257 characters", "filter=" + url.QueryEscape(`{"name":{"$like":"`+strings.Repeat("%", 257)+`"}}`), "the contains value is 257 characters long: at most 256 are allowed (at name.$like)"},
		{"a bracket $like of 257 characters", "filter[name][$like]=" + strings.Repeat("a", 257), "the contains value is 257 characters long: at most 256 are allowed (at filter[name][$like])"},
		{"nesting 33 deep", text(nest(33)), "groups and negations nest deeper than 32 at position 33"},
		{"33 negations", text(strings.Repeat("-", 33) + `name:"a"`), "groups and negations nest deeper than 32 at position 33"},
		{"JSON nesting 33 deep", "filter=" + url.QueryEscape(strings.Repeat(`{"$not":`, 33)+`{"name":"a"}`+strings.Repeat("}", 33)), "groups and negations nest deeper than 32"},
		{"JSON nesting deeper than JSON may", "filter=" + url.QueryEscape(strings.Repeat(`{"$and":[`, 200)), "JSON nests deeper than 32"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := json.Marshal(map[string]string{"detail": "Invalid filter query: " + tc.detail})
			ts.do(t, http.MethodGet, base+"/workspaces?"+tc.query, nil).wantError(t, http.StatusBadRequest, "invalid", string(want))
		})
	}
}
