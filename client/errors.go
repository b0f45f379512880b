package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sentinel is an error class. A sentinel may belong to a broader class
// (ErrAlreadyExists is also an ErrConflict), which Unwrap exposes to
// errors.Is.
type sentinel struct {
	msg    string
	parent error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.parent }

// Error classes. Test for them with errors.Is; every answer that is not a
// 2xx is a *StatusError that matches exactly one of them (and its parent).
var (
	// ErrNotFound: the workspace, project or reference does not exist (404).
	ErrNotFound error = &sentinel{msg: "wsd: not found"}
	// ErrConflict: the request contradicts the current state (409).
	ErrConflict error = &sentinel{msg: "wsd: conflict"}
	// ErrAlreadyExists: the name is taken. It is also an ErrConflict.
	ErrAlreadyExists error = &sentinel{msg: "wsd: already exists", parent: ErrConflict}
	// ErrNotEmpty: the workspace still holds entities. It is also an
	// ErrConflict.
	ErrNotEmpty error = &sentinel{msg: "wsd: not empty", parent: ErrConflict}
	// ErrBuiltin: the built-in workspaces cannot be deleted. It is also an
	// ErrConflict.
	ErrBuiltin error = &sentinel{msg: "wsd: built-in", parent: ErrConflict}
	// ErrInvalid: the request was rejected by validation (422 or 400).
	ErrInvalid error = &sentinel{msg: "wsd: invalid request"}
	// ErrTooLarge: the request body is over the limit (413).
	ErrTooLarge error = &sentinel{msg: "wsd: request too large"}
	// ErrUnauthorized: no valid credentials (401).
	ErrUnauthorized error = &sentinel{msg: "wsd: unauthorized"}
	// ErrForbidden: the caller lacks the role for this action (403).
	ErrForbidden error = &sentinel{msg: "wsd: forbidden"}
	// ErrUnavailable: the cluster could not serve the request and did not
	// apply it (503, or no endpoint could be reached). Retrying is safe.
	ErrUnavailable error = &sentinel{msg: "wsd: unavailable"}
	// ErrNoLeader: the cluster has no leader right now. It is also an
	// ErrUnavailable.
	ErrNoLeader error = &sentinel{msg: "wsd: no leader", parent: ErrUnavailable}
	// ErrClusterMismatch: the node answering refuses to serve because its
	// flags disagree with the cluster's settings (its auth mode); another
	// node may serve. Nothing was applied. It is also an ErrUnavailable.
	ErrClusterMismatch error = &sentinel{msg: "wsd: node refuses to serve (cluster mismatch)", parent: ErrUnavailable}
	// ErrOutcomeUnknown: a write was sent but its outcome is unknown; it may
	// or may not have been applied. It is not an ErrUnavailable: read the
	// state before deciding to repeat the write.
	ErrOutcomeUnknown error = &sentinel{msg: "wsd: outcome unknown"}
)

// Error codes sent in HeaderErrorCode.
const (
	CodeNotFound       = "not_found"
	CodeAlreadyExists  = "already_exists"
	CodeNotEmpty       = "not_empty"
	CodeBuiltin        = "builtin"
	CodeConflict       = "conflict"
	CodeInvalid        = "invalid"
	CodeTooLarge       = "too_large"
	CodeUnauthorized   = "unauthorized"
	CodeForbidden      = "forbidden"
	CodeNoLeader       = "no_leader"
	CodeOutcomeUnknown = "outcome_unknown"
	CodeUnavailable    = "unavailable"
	// CodeClusterMismatch: the node's flags disagree with the cluster's
	// settings; it serves nothing until restarted with the cluster's.
	CodeClusterMismatch = "cluster_mismatch"
	// CodeInternal marks a server fault (500); it has no error class.
	CodeInternal = "internal"
)

// codeErrors is the inverse of the server's error-to-code table.
var codeErrors = map[string]error{
	CodeNotFound:        ErrNotFound,
	CodeAlreadyExists:   ErrAlreadyExists,
	CodeNotEmpty:        ErrNotEmpty,
	CodeBuiltin:         ErrBuiltin,
	CodeConflict:        ErrConflict,
	CodeInvalid:         ErrInvalid,
	CodeTooLarge:        ErrTooLarge,
	CodeUnauthorized:    ErrUnauthorized,
	CodeForbidden:       ErrForbidden,
	CodeNoLeader:        ErrNoLeader,
	CodeOutcomeUnknown:  ErrOutcomeUnknown,
	CodeUnavailable:     ErrUnavailable,
	CodeClusterMismatch: ErrClusterMismatch,
}

// statusErrors classifies answers that carry no (known) error code, e.g.
// from a proxy in front of the service.
var statusErrors = map[int]error{
	http.StatusBadRequest:            ErrInvalid,
	http.StatusUnauthorized:          ErrUnauthorized,
	http.StatusForbidden:             ErrForbidden,
	http.StatusNotFound:              ErrNotFound,
	http.StatusConflict:              ErrConflict,
	http.StatusRequestEntityTooLarge: ErrTooLarge,
	http.StatusUnprocessableEntity:   ErrInvalid,
	http.StatusServiceUnavailable:    ErrUnavailable,
}

// StatusError is a non-2xx answer from the service.
type StatusError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the HeaderErrorCode value; empty when the answer had none.
	Code string
	// Detail is the message of a string-form error body ("Workspace 'x'
	// not found"). For validation errors it summarises Issues.
	Detail string
	// Issues are the entries of a 422 list-form body.
	Issues []ValidationIssue
	// RetryAfter is the Retry-After delay the server asked for, if any.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("wsd: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Detail)
}

// Is reports whether the error belongs to the class target, so that
// errors.Is(err, ErrNotFound) works. The class comes from Code when it is
// known, otherwise from StatusCode.
func (e *StatusError) Is(target error) bool {
	class := e.class()
	return class != nil && errors.Is(class, target)
}

func (e *StatusError) class() error {
	if c, ok := codeErrors[e.Code]; ok {
		return c
	}
	return statusErrors[e.StatusCode]
}

// FormatIssue renders a validation issue as "loc: msg", with loc joined by
// dots ("body.name: ...").
func FormatIssue(v ValidationIssue) string {
	if len(v.Loc) == 0 {
		return v.Msg
	}
	return strings.Join(v.Loc, ".") + ": " + v.Msg
}

// maxErrorDetail bounds the detail kept from a body that is not JSON.
const maxErrorDetail = 512

// newStatusError decodes an error answer. The body's detail is either a
// string or a list of validation issues; anything else (a proxy's HTML
// page) is kept as text.
func newStatusError(resp *http.Response, body []byte) *StatusError {
	e := &StatusError{
		StatusCode: resp.StatusCode,
		Code:       resp.Header.Get(HeaderErrorCode),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	var raw struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(body, &raw); err == nil && len(raw.Detail) > 0 {
		var s string
		if err := json.Unmarshal(raw.Detail, &s); err == nil {
			e.Detail = s
			return e
		}
		var issues []ValidationIssue
		if err := json.Unmarshal(raw.Detail, &issues); err == nil {
			e.Issues = issues
			msgs := make([]string, len(issues))
			for i, v := range issues {
				msgs[i] = FormatIssue(v)
			}
			e.Detail = strings.Join(msgs, "; ")
			return e
		}
	}
	text := string(bytes.TrimSpace(body))
	if len(text) > maxErrorDetail {
		text = text[:maxErrorDetail] + "..."
	}
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	e.Detail = text
	return e
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		switch {
		case n < 0:
			return 0
		case int64(n) > int64(math.MaxInt64/time.Second):
			return math.MaxInt64 // not an overflow (FuzzResponseDecoding)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
