package client

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Read consistency levels for WithConsistency.
const (
	// ConsistencyDefault is served by the node that receives the read if it
	// heard from the leader recently, otherwise by the leader.
	ConsistencyDefault = "default"
	// ConsistencyStale is served locally whatever the leader state; it
	// works without quorum.
	ConsistencyStale = "stale"
	// ConsistencyLinearizable reflects every write acknowledged before the
	// read began.
	ConsistencyLinearizable = "linearizable"
)

// ReadOption tunes a read call.
type ReadOption func(*readOptions)

type readOptions struct {
	consistency string
	minIndex    uint64
}

// WithConsistency sets ?consistency= (ConsistencyDefault,
// ConsistencyStale or ConsistencyLinearizable).
func WithConsistency(level string) ReadOption {
	return func(o *readOptions) { o.consistency = level }
}

// WithMinIndex asks the serving node to wait until it has applied index
// idx. The client already sends the highest index it has seen; this raises
// it, e.g. to an index learned by another process.
func WithMinIndex(idx uint64) ReadOption {
	return func(o *readOptions) { o.minIndex = max(o.minIndex, idx) }
}

func newReadOptions(opts []ReadOption) readOptions {
	var o readOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// query adds the read options that travel in the query string.
func (o readOptions) query(q url.Values) url.Values {
	if o.consistency != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("consistency", o.consistency)
	}
	return q
}

// CreateOption tunes CreateWorkspace and CreateProject.
type CreateOption func(*createOptions)

type createOptions struct {
	description *string
	existOK     bool
}

// WithDescription sets the description of the new workspace or project.
func WithDescription(d string) CreateOption {
	return func(o *createOptions) { o.description = &d }
}

// ExistOK makes CreateWorkspace (CreateProject) return the existing
// workspace (project), read back with GET, when the name is already taken,
// instead of ErrAlreadyExists. The existing description is left as it is.
func ExistOK() CreateOption {
	return func(o *createOptions) { o.existOK = true }
}

// RefOption tunes AcquireRef.
type RefOption func(*refOptions)

type refOptions struct {
	project string
}

// InProject records the project of the workspace that the entity belongs
// to (?project=p). The project must exist.
func InProject(project string) RefOption {
	return func(o *refOptions) { o.project = project }
}

// ListOptions selects a page of workspaces, or of a workspace's projects.
// Zero fields use the server's defaults (page 1, 100 per page, sort
// -created_at, no filter). At most one of Where, FilterText and Filter
// may be set; a list call with more fails with ErrInvalid before sending.
type ListOptions struct {
	Page     int
	PageSize int
	// Sort is created_at, -created_at, updated_at, -updated_at, name or
	// -name.
	Sort string
	// Where is a filter built with Field, And, Or and Not, sent as
	// ?filter= in the text syntax:
	// Field("name").Contains("ml").And(Field("created_by").Eq("alice")).
	Where Expr
	// FilterText is sent as ?filter= unchanged: any syntax of the wire
	// contract, e.g. `name:"ml-team" OR name~"ops"` or
	// `{"name":{"$in":["a","b"]}}`. The server parses it.
	FilterText string
	// Filter maps a field, optionally with an operator, to a value:
	// {"name": "x"} is sent as filter[name]=x and {"name[$like]": "ml"}
	// as filter[name][$like]=ml (the bracket syntax).
	Filter map[string]string
}

func (o ListOptions) query() (url.Values, error) {
	q := url.Values{}
	setPaging(q, o.Page, o.PageSize)
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	n := 0
	for _, set := range []bool{!o.Where.IsZero(), o.FilterText != "", len(o.Filter) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("wsd: list: %w: set only one of Where, FilterText and Filter", ErrInvalid)
	}
	if err := o.Where.Err(); err != nil {
		return nil, fmt.Errorf("wsd: list: %w: %w", ErrInvalid, err)
	}
	switch {
	case o.Where.text != "":
		q.Set("filter", o.Where.text)
	case o.FilterText != "":
		q.Set("filter", o.FilterText)
	}
	keys := make([]string, 0, len(o.Filter))
	for k := range o.Filter {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		q.Add(filterParam(k), o.Filter[k])
	}
	return q, nil
}

// filterParam turns "name" into "filter[name]" and "name[$like]" into
// "filter[name][$like]".
func filterParam(key string) string {
	field, op, hasOp := strings.Cut(key, "[")
	if hasOp {
		return "filter[" + field + "][" + op
	}
	return "filter[" + field + "]"
}

// RefListOptions selects a page of entity references.
type RefListOptions struct {
	// EntityType, when set, lists only references of that type.
	EntityType string
	Page       int
	PageSize   int
}

func (o RefListOptions) query() url.Values {
	q := url.Values{}
	if o.EntityType != "" {
		q.Set("entity_type", o.EntityType)
	}
	setPaging(q, o.Page, o.PageSize)
	return q
}

func setPaging(q url.Values, page, size int) {
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if size > 0 {
		q.Set("page_size", strconv.Itoa(size))
	}
}
