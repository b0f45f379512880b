package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

// Page limits of the list calls.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// The filter language and its limits (issue 11, issue 15) are the filter
// package's: the edge only picks the syntax and hands over the text. The
// state machine evaluates the compiled expression over what the caller
// may see, so the cost of a filtered list is independent of the filter's
// text.

// query holds the query parameters the API knows, read in one pass over
// the raw query without building a map. Unknown parameters are ignored;
// of a repeated parameter the last value counts.
type query struct {
	consistency, page, pageSize, sort, entityType, project string

	hasConsistency, hasPage, hasPageSize, hasSort bool

	// filters are the filter= values (text or JSON), search the old
	// alias's, brackets the filter[...] parameters, in order. At most
	// filter.MaxClauses+1 of each kind are kept: more is refused anyway.
	filters, search []string
	brackets        []filter.Param
}

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
		case "filter":
			if len(q.filters) <= filter.MaxClauses {
				q.filters = append(q.filters, v)
			}
		case "search":
			if len(q.search) <= filter.MaxClauses {
				q.search = append(q.search, v)
			}
		default:
			if strings.HasPrefix(k, "filter[") && len(q.brackets) <= filter.MaxClauses {
				q.brackets = append(q.brackets, filter.Param{Key: k, Value: v})
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
	filter         *filter.Expr
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

// parseList validates page and page_size and, when sortFilter is set,
// sort (the filter is parseFilter's). Problems go to is; the result always has page ≥ 1 and
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
	return p
}

// parseSortedList validates the query of a sorted, filtered list (the
// workspaces, or the projects of a workspace): read options, page, sort
// and filter. Every problem of the parameters is reported in one 422; a
// filter that cannot be used is a 400 (*filter.Error), as API.md says.
func parseSortedList(r *http.Request) (readOpts, listParams, error) {
	q := parseQuery(r.URL.RawQuery)
	var is issues
	ro := parseReadOpts(r, &q, &is)
	p := parseList(&q, true, &is)
	if err := is.err(); err != nil {
		return ro, p, err
	}
	f, err := parseFilter(&q)
	p.filter = f
	return ro, p, err
}

// parseFilter picks the filter syntax as API.md says: filter= (JSON when
// it starts with '{', text otherwise; several are ANDed), else search=
// (the old alias, same rules), else the bracket keys. The expression is
// parsed and compiled once for the request.
func parseFilter(q *query) (*filter.Expr, error) {
	values := q.filters
	if len(values) == 0 {
		values = q.search
	}
	if len(values) == 0 {
		return filter.ParseBrackets(q.brackets)
	}
	size := 0
	for _, v := range values {
		size += len(v)
	}
	if len(values) > filter.MaxClauses {
		return nil, &filter.Error{Msg: fmt.Sprintf("more than %d filter parameters", filter.MaxClauses)}
	}
	if len(values) > 1 && size > filter.MaxBytes {
		return nil, &filter.Error{Msg: fmt.Sprintf("the filter is %d bytes in %d parameters long: at most %d bytes are allowed", size, len(values), filter.MaxBytes)}
	}
	var kids []*filter.Expr
	for _, v := range values {
		e, err := filter.Parse(v)
		if err != nil {
			return nil, err
		}
		if e != nil {
			kids = append(kids, e)
		}
	}
	return filter.And(kids...)
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

// filterEcho renders the parsed filter the way the page echoes it (the
// JSON-operator form), or nil (JSON null) when nothing is filtered.
func filterEcho(f *filter.Expr) client.Filter {
	if f == nil {
		return nil
	}
	return client.Filter(filter.Echo(f))
}
