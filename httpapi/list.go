package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// Page limits of the list calls.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// Filter limits (issue 11): together with the state machine compiling a
// pattern once per call and checking visibility first, they make the cost
// of a filtered list independent of the filter's text.
const (
	maxFilterClauses = 32      // filter parameters in one query
	maxFilterBytes   = 4 << 10 // bytes of one filter value
	maxLikeChars     = 256     // characters of a $like pattern
)

// query holds the query parameters the API knows, read in one pass over
// the raw query without building a map. Unknown parameters are ignored;
// of a repeated parameter the last value counts.
type query struct {
	consistency, page, pageSize, sort, entityType, project string

	hasConsistency, hasPage, hasPageSize, hasSort bool

	// filters are the filter parameters in order: key is "filter" (JSON
	// form) or "filter[...]" (bracket form).
	filters []queryParam
}

type queryParam struct{ key, value string }

// parseQuery reads a raw query string. Pairs are separated by '&'; a key or
// value that is not valid percent-encoding is taken literally.
func parseQuery(raw string) query {
	var q query
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		switch k {
		case "consistency":
			q.consistency, q.hasConsistency = v, true
		case "page":
			q.page, q.hasPage = v, true
		case "page_size":
			q.pageSize, q.hasPageSize = v, true
		case "sort":
			q.sort, q.hasSort = v, true
		case "entity_type":
			q.entityType = v
		case "project":
			q.project = v
		default:
			if k == "filter" || strings.HasPrefix(k, "filter[") {
				q.filters = append(q.filters, queryParam{k, v})
			}
		}
	}
	return q
}

func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// listParams is a validated page request.
type listParams struct {
	page, pageSize int
	sort           fsm.Sort
	filter         fsm.Filter
}

// offset is the index of the page's first record, saturating instead of
// overflowing for absurd page numbers.
func (p listParams) offset() int {
	if p.page-1 > (math.MaxInt/2)/p.pageSize {
		return math.MaxInt / 2
	}
	return (p.page - 1) * p.pageSize
}

// pagination describes the page of total matching records that holds n.
func (p listParams) pagination(n, total int) client.Pagination {
	return client.Pagination{
		Page:            p.page,
		PageSize:        p.pageSize,
		CurrentPageSize: n,
		TotalPages:      (total + p.pageSize - 1) / p.pageSize,
		TotalResults:    total,
	}
}

// parseList validates page and page_size and, when sortFilter is set, sort
// and filter. Problems go to is; the result always has page ≥ 1 and
// 1 ≤ page_size ≤ 1000 (defaults replace invalid values).
func parseList(q *query, sortFilter bool, is *issues) listParams {
	p := listParams{page: 1, pageSize: defaultPageSize, sort: fsm.DefaultSort}
	if q.hasPage {
		if v, ok := parseBoundedInt(is, q.page, 1, math.MaxInt, "query", "page"); ok {
			p.page = v
		}
	}
	if q.hasPageSize {
		if v, ok := parseBoundedInt(is, q.pageSize, 1, maxPageSize, "query", "page_size"); ok {
			p.pageSize = v
		}
	}
	if !sortFilter {
		return p
	}
	if q.hasSort {
		if s, ok := fsm.ParseSort(q.sort); ok {
			p.sort = s
		} else {
			is.add("literal_error", "Input should be 'created_at', '-created_at', 'updated_at', '-updated_at', 'name' or '-name'", q.sort, "query", "sort")
		}
	}
	if len(q.filters) > maxFilterClauses {
		is.add("value_error", fmt.Sprintf("Value error, %d filter parameters: at most %d are allowed", len(q.filters), maxFilterClauses), nil, "query", "filter")
		return p
	}
	for _, f := range q.filters {
		if len(f.value) > maxFilterBytes {
			is.add("value_error", fmt.Sprintf("Value error, the filter is %d bytes long: at most %d are allowed", len(f.value), maxFilterBytes), nil, "query", "filter")
			continue
		}
		if msg := applyFilter(&p.filter, f); msg != "" {
			is.add("value_error", "Value error, "+msg, f.value, "query", "filter")
		}
	}
	return p
}

// parseSortedList validates the query of a sorted, filtered list (the
// workspaces, or the projects of a workspace): read options, page, sort
// and filter. Every problem is reported in one 422.
func parseSortedList(r *http.Request) (readOpts, listParams, error) {
	q := parseQuery(r.URL.RawQuery)
	var is issues
	ro := parseReadOpts(r, &q, &is)
	p := parseList(&q, true, &is)
	return ro, p, is.err()
}

// listQuery is the state machine query for the page p asks for.
func (p listParams) listQuery() fsm.ListQuery {
	return fsm.ListQuery{Sort: p.sort, Filter: p.filter, Offset: p.offset(), Limit: p.pageSize}
}

// sortedPage is the wire form of one page of a sorted, filtered list that
// holds total matching records, list being those of the page.
func sortedPage[R, D any](p listParams, list []R, total int, dto func(R) D) client.Page[D] {
	data := make([]D, len(list))
	for i, v := range list {
		data[i] = dto(v)
	}
	return client.Page[D]{
		Data:       data,
		Pagination: p.pagination(len(data), total),
		Sort:       p.sort.String(),
		Filter:     filterEcho(p.filter),
	}
}

// parseBoundedInt parses an integer query value within [lo, hi].
func parseBoundedInt(is *issues, s string, lo, hi int, loc ...string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		is.add("int_parsing", "Input should be a valid integer, unable to parse string as an integer", s, loc...)
	case v < lo:
		is.add("greater_than_equal", fmt.Sprintf("Input should be greater than or equal to %d", lo), s, loc...)
	case v > hi:
		is.add("less_than_equal", fmt.Sprintf("Input should be less than or equal to %d", hi), s, loc...)
	default:
		return v, true
	}
	return 0, false
}

// applyFilter adds one filter parameter to f. It returns a message for a
// parameter it cannot use.
func applyFilter(f *fsm.Filter, p queryParam) string {
	switch p.key {
	case "filter":
		return applyJSONFilter(f, p.value)
	case "filter[name]":
		f.Name, f.HasName = p.value, true
	case "filter[name][$like]":
		if msg := checkLike(p.value); msg != "" {
			return msg
		}
		f.NameLike, f.HasLike = p.value, true
	case "filter[created_by]":
		f.CreatedBy, f.HasBy = p.value, true
	default:
		return fmt.Sprintf("unsupported filter %q: use filter[name], filter[name][$like] or filter[created_by]", p.key)
	}
	return checkFilter(f)
}

// applyJSONFilter reads the JSON form: {"name":"x"}, {"name":{"$like":"p"}},
// {"created_by":"x"}.
func applyJSONFilter(f *fsm.Filter, s string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return "filter must be a JSON object such as {\"name\":{\"$like\":\"ml-%\"}}"
	}
	for field, raw := range m {
		switch field {
		case "name":
			var exact string
			if json.Unmarshal(raw, &exact) == nil && len(raw) > 0 && raw[0] == '"' {
				f.Name, f.HasName = exact, true
				continue
			}
			var ops map[string]json.RawMessage
			if json.Unmarshal(raw, &ops) != nil || len(ops) == 0 {
				return "filter on name must be a string or an operator object such as {\"$like\":\"ml-%\"}"
			}
			for op, v := range ops {
				var pat string
				if op != "$like" {
					return fmt.Sprintf("unsupported operator %q on name: only $like is supported", op)
				}
				if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &pat) != nil {
					return "the $like pattern must be a string"
				}
				if msg := checkLike(pat); msg != "" {
					return msg
				}
				f.NameLike, f.HasLike = pat, true
			}
		case "created_by":
			var by string
			if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &by) != nil {
				return "filter on created_by must be a string"
			}
			f.CreatedBy, f.HasBy = by, true
		default:
			return fmt.Sprintf("unsupported filter field %q: use name or created_by", field)
		}
	}
	return checkFilter(f)
}

// checkLike refuses a $like pattern over maxLikeChars characters.
func checkLike(pat string) string {
	if n := utf8.RuneCountInString(pat); n > maxLikeChars {
		return fmt.Sprintf("the $like pattern is %d characters long: at most %d are allowed", n, maxLikeChars)
	}
	return ""
}

// checkFilter refuses an exact name together with a $like on name: the
// page could not echo both as the name filter.
func checkFilter(f *fsm.Filter) string {
	if f.HasName && f.HasLike {
		return "filter on name is either exact or $like, not both"
	}
	return ""
}

// filterEcho renders the parsed filter the way the page echoes it, or nil
// (JSON null) when nothing is filtered.
func filterEcho(f fsm.Filter) client.Filter {
	if f.IsZero() {
		return nil
	}
	out := make(client.Filter, 2)
	switch {
	case f.HasName:
		out["name"] = f.Name
	case f.HasLike:
		out["name"] = map[string]string{"$like": f.NameLike}
	}
	if f.HasBy {
		out["created_by"] = f.CreatedBy
	}
	return out
}
