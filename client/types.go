package client

import "time"

// TimeFormat is the wire format of every timestamp: RFC 3339 in UTC with
// microsecond precision, e.g. 2026-11-26T17:40:00.123456Z.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Time is a timestamp that marshals in TimeFormat.
type Time struct{ time.Time }

// MarshalJSON writes the time in TimeFormat (UTC).
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeFormat)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts any RFC 3339 timestamp.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return &time.ParseError{Layout: time.RFC3339Nano, Value: string(b), Message: ": not a JSON string"}
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return err
	}
	t.Time = v.UTC()
	return nil
}

// Workspace is the workspace object of the wire contract.
type Workspace struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   Time    `json:"created_at"`
	CreatedBy   string  `json:"created_by"`
	UpdatedAt   Time    `json:"updated_at"`
	UpdatedBy   string  `json:"updated_by"`
}

// CreateWorkspaceRequest is the body of POST /workspaces.
type CreateWorkspaceRequest struct {
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// UpdateWorkspaceRequest is the body of PUT /workspaces/{name}. Name may be
// sent but must equal the path name: names are immutable.
type UpdateWorkspaceRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description"`
}

// Pagination describes one page of a list.
type Pagination struct {
	Page            int `json:"page"`
	PageSize        int `json:"page_size"`
	CurrentPageSize int `json:"current_page_size"`
	TotalPages      int `json:"total_pages"`
	TotalResults    int `json:"total_results"`
}

// Filter is the parsed list filter echoed by the server. Each field is
// either an exact string or an operator object such as {"$like":"ml-%"}.
type Filter map[string]any

// Page is one page of a sorted, filtered list: the workspaces, or the
// projects of one workspace. Both lists take the same page, sort and filter
// parameters (ListOptions).
type Page[T any] struct {
	Data       []T        `json:"data"`
	Pagination Pagination `json:"pagination"`
	Sort       string     `json:"sort"`
	Filter     Filter     `json:"filter"`
}

// WorkspacePage is one page of GET /workspaces.
type WorkspacePage = Page[Workspace]

// Project is the project object of the wire contract: a lightweight
// grouping inside a workspace, named uniquely within it.
type Project struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Workspace   string  `json:"workspace"`
	Description *string `json:"description"`
	CreatedAt   Time    `json:"created_at"`
	CreatedBy   string  `json:"created_by"`
	UpdatedAt   Time    `json:"updated_at"`
	UpdatedBy   string  `json:"updated_by"`
}

// ProjectPage is one page of GET /workspaces/{ws}/projects.
type ProjectPage = Page[Project]

// CreateProjectRequest is the body of POST /workspaces/{ws}/projects: the
// same as a workspace's.
type CreateProjectRequest = CreateWorkspaceRequest

// UpdateProjectRequest is the body of PUT /workspaces/{ws}/projects/{name}:
// the same as a workspace's (names are immutable).
type UpdateProjectRequest = UpdateWorkspaceRequest

// DeleteResponse is the body of a successful workspace or project delete.
type DeleteResponse struct {
	Message   string `json:"message"`
	ID        string `json:"id"`
	DeletedAt Time   `json:"deleted_at"`
}

// EntityRef is a reference a platform service holds on a workspace.
type EntityRef struct {
	Workspace  string `json:"workspace"`
	EntityType string `json:"entity_type"`
	EntityName string `json:"entity_name"`
	Project    string `json:"project,omitempty"`
	CreatedAt  Time   `json:"created_at"`
	CreatedBy  string `json:"created_by"`
}

// EntityRefPage is one page of GET /workspaces/{ws}/entity-refs.
type EntityRefPage struct {
	Data       []EntityRef `json:"data"`
	Pagination Pagination  `json:"pagination"`
}

// Usage is the body of GET /workspaces/{ws}/usage.
type Usage struct {
	Workspace string         `json:"workspace"`
	Total     int            `json:"total"`
	ByType    map[string]int `json:"by_type"`
}

// ValidationIssue is one entry of a 422 error body.
type ValidationIssue struct {
	Loc   []string `json:"loc"`
	Msg   string   `json:"msg"`
	Type  string   `json:"type"`
	Input any      `json:"input,omitempty"`
}

// ErrorBody is a non-validation error body: {"detail":"..."}.
type ErrorBody struct {
	Detail string `json:"detail"`
}

// ValidationErrorBody is a 422 error body: {"detail":[...]}.
type ValidationErrorBody struct {
	Detail []ValidationIssue `json:"detail"`
}

// Wire headers of the cluster behaviour visible to clients.
const (
	HeaderIndex       = "X-Wsd-Index"
	HeaderKnownLeader = "X-Wsd-Known-Leader"
	HeaderLastContact = "X-Wsd-Last-Contact"
	HeaderMinIndex    = "X-Wsd-Min-Index"
	// HeaderTimeout is how long the caller waits for the answer, relative
	// (client clocks differ): a Go duration ("3s", "1500ms") or a number
	// of seconds ("2.5"). The server answers within it (clamped to its
	// bounds) and never proposes a write after it.
	HeaderTimeout = "X-Wsd-Timeout"
	// HeaderIdempotencyKey on a write names it: a retry with the same key
	// and the same request gets the first answer instead of applying
	// twice (1 to 128 of A-Z a-z 0-9 - _ . : + / =; scoped per caller).
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplay is "true" on the answer to a write that was
	// not applied again because its idempotency key was already used for
	// the same request: the answer is the first one.
	HeaderIdempotentReplay = "X-Wsd-Idempotent-Replay"
)

// BasePath is the prefix of every entity API path.
const BasePath = "/apis/entities/v2"

// HeaderErrorCode carries the machine-readable class of an error answer:
// one of not_found, already_exists, not_empty, builtin, conflict, invalid,
// too_large, unauthorized, forbidden, no_leader, outcome_unknown,
// unavailable, cluster_mismatch or internal. Clients decide on it, never on the message text.
const HeaderErrorCode = "X-Wsd-Error-Code"

// ClusterMember is one server of the cluster as listed by
// GET /v1/cluster/members.
type ClusterMember struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr,omitempty"`
	// HTTPAddr is the base URL of the member's HTTP API, e.g.
	// http://10.0.0.7:8080.
	HTTPAddr string `json:"http_addr"`
	Suffrage string `json:"suffrage,omitempty"`
	Leader   bool   `json:"leader,omitempty"`
}

// ClusterMembers is the body of GET /v1/cluster/members.
type ClusterMembers struct {
	Members []ClusterMember `json:"members"`
}

// MembersPath is the path of the cluster member list (not under BasePath).
const MembersPath = "/v1/cluster/members"
