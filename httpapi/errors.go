package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/filter"
	"github.com/wsd-dev/wsd/fsm"
)

// Error codes sent in X-Wsd-Error-Code. The client maps them back to its
// sentinels; the set only grows.
const (
	codeNotFound       = "not_found"
	codeAlreadyExists  = "already_exists"
	codeNotEmpty       = "not_empty"
	codeBuiltin        = "builtin"
	codeConflict       = "conflict"
	codeInvalid        = "invalid"
	codeTooLarge       = "too_large"
	codeUnauthorized   = "unauthorized"
	codeForbidden      = "forbidden"
	codeNoLeader       = "no_leader"
	codeOutcomeUnknown = "outcome_unknown"
	codeUnavailable    = "unavailable"
	codeInternal       = "internal"
	// Restore refusals (POST /v1/cluster/restore).
	codeUnsupportedMedia    = "unsupported_media_type"
	codeInsufficientStorage = "insufficient_storage"
	// codeClusterMismatch: this node's flags disagree with the cluster's
	// settings (its auth mode); it refuses to serve until restarted with
	// the cluster's. Nothing was applied; another node may serve.
	codeClusterMismatch = "cluster_mismatch"
)

// httpError is an error decided at the HTTP edge, with its answer.
type httpError struct {
	status int
	code   string
	detail string
	// retry adds Retry-After: the request did not take effect and may be
	// repeated shortly.
	retry bool
}

func (e *httpError) Error() string { return e.detail }

// validationError is a 422 whose detail lists every issue found.
type validationError struct {
	issues []client.ValidationIssue
}

func (e *validationError) Error() string {
	if len(e.issues) == 0 {
		return "invalid request"
	}
	return client.FormatIssue(e.issues[0])
}

// Errors decided at the edge.
var (
	errRouteNotFound    = &httpError{status: http.StatusNotFound, code: codeNotFound, detail: "Not Found"}
	errMethodNotAllowed = &httpError{status: http.StatusMethodNotAllowed, code: codeInvalid, detail: "Method Not Allowed"}
	errTooLarge         = &httpError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge, detail: "Request body too large"}
	errTooManyHops      = &httpError{status: http.StatusServiceUnavailable, code: codeNoLeader, retry: true,
		detail: "The request was forwarded too many times without reaching the leader; leadership is changing, retry shortly"}
	errPanic = errors.New("handler panicked")

	// errProxied is not an error: the request was proxied to the leader
	// and its answer has been written.
	errProxied = errors.New("answered by the leader")
)

// unreachableLeader is a 503 for a leader that could not be reached before
// the request was sent: nothing was applied.
func unreachableLeader(detail string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, code: codeNoLeader, retry: true, detail: detail}
}

// unavailable is a 503 for a request that could not be served in time and
// had no effect.
func unavailable(detail string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable, retry: true, detail: detail}
}

// outcomeUnknown is a 503 for a write that was sent but whose result never
// came back.
func outcomeUnknown(detail string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, code: codeOutcomeUnknown, detail: detail}
}

// fsmStatus maps the state machine's codes to HTTP. A code missing here is
// a 500, so a new code cannot leak out unclassified.
var fsmStatus = map[fsm.Code]struct {
	status int
	code   string
}{
	fsm.CodeNotFound:      {http.StatusNotFound, codeNotFound},
	fsm.CodeAlreadyExists: {http.StatusConflict, codeAlreadyExists},
	fsm.CodeNotEmpty:      {http.StatusConflict, codeNotEmpty},
	fsm.CodeBuiltin:       {http.StatusConflict, codeBuiltin},
	fsm.CodeConflict:      {http.StatusConflict, codeConflict},
	fsm.CodeUnsupported:   {http.StatusConflict, codeConflict},
	fsm.CodeForbidden:     {http.StatusForbidden, codeForbidden},
	fsm.CodeInvalid:       {http.StatusUnprocessableEntity, codeInvalid},
}

// answer is an error's HTTP form.
type answer struct {
	status int
	code   string
	retry  bool
	body   any // client.ErrorBody or client.ValidationErrorBody
}

// toAnswer is the one place that turns an error into a status, a code and
// a body.
func toAnswer(err error) answer {
	var (
		he  *httpError
		ve  *validationError
		fe  *fsm.Error
		mbe *http.MaxBytesError
		ffe *filter.Error
	)
	switch {
	case errors.As(err, &ffe):
		return answer{http.StatusBadRequest, codeInvalid, false, client.ErrorBody{Detail: ffe.Error()}}
	case errors.As(err, &he):
		return answer{he.status, he.code, he.retry, client.ErrorBody{Detail: he.detail}}
	case errors.As(err, &ve):
		return answer{http.StatusUnprocessableEntity, codeInvalid, false, client.ValidationErrorBody{Detail: ve.issues}}
	case errors.As(err, &mbe):
		return toAnswer(errTooLarge)
	case errors.As(err, &fe):
		m, ok := fsmStatus[fe.Code]
		if !ok {
			break
		}
		if fe.Code == fsm.CodeInvalid {
			loc := []string{"body"}
			if fe.Field != "" {
				loc = append(loc, fe.Field)
			}
			return answer{m.status, m.code, false, client.ValidationErrorBody{Detail: []client.ValidationIssue{
				{Loc: loc, Msg: fe.Msg, Type: "value_error"},
			}}}
		}
		return answer{m.status, m.code, false, client.ErrorBody{Detail: fe.Msg}}
	// raft refused before doing anything: retryable, nothing happened.
	case errors.Is(err, cluster.ErrConfigChangePending):
		return toAnswer(unavailable("A change of the cluster's membership is being committed; nothing was done. Retry shortly"))
	case errors.Is(err, cluster.ErrTransferTimeout):
		return toAnswer(unavailable("Leadership did not move to another voter within the election timeout; nothing else changed. Retry shortly"))
	case errors.Is(err, cluster.ErrAuthModeMismatch):
		return answer{http.StatusServiceUnavailable, codeClusterMismatch, false, client.ErrorBody{Detail: "This node refuses to serve: " + err.Error()}}
	// The order matters: an outcome-unknown error may also wrap
	// ErrShutdown or a context error.
	case errors.Is(err, cluster.ErrOutcomeUnknown):
		return toAnswer(outcomeUnknown("The write was proposed but its outcome is unknown: it may or may not have been applied. Read the current state before repeating it."))
	case errors.Is(err, cluster.ErrDeadline):
		return toAnswer(unavailable("The request's deadline passed before the write was proposed: it was not applied. Retry, with a longer " + client.HeaderTimeout + " if the cluster is busy."))
	case errors.Is(err, cluster.ErrNotLeader), errors.Is(err, cluster.ErrNoLeader):
		return toAnswer(unreachableLeader("No leader is available to serve the request; retry shortly"))
	case errors.Is(err, cluster.ErrRestoreInProgress):
		return toAnswer(&httpError{status: http.StatusConflict, code: codeConflict, retry: true,
			detail: "Another restore is in progress on the leader; retry once it has finished"})
	case errors.Is(err, cluster.ErrInsufficientStorage):
		return toAnswer(&httpError{status: http.StatusInsufficientStorage, code: codeInsufficientStorage,
			detail: "Snapshot refused, the cluster is unchanged: the leader's data directory has not room enough for it (with a safety margin)"})
	case errors.Is(err, cluster.ErrShutdown):
		return toAnswer(unavailable("The node is shutting down; retry on another node"))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return toAnswer(unavailable("The request could not be served in time; retry shortly"))
	}
	return answer{http.StatusInternalServerError, codeInternal, false, client.ErrorBody{Detail: "Internal Server Error"}}
}

// writeError writes the answer for err, reflecting log index idx (the
// node's current index when 0). Internal errors are logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, idx uint64, err error) {
	a := toAnswer(err)
	if a.status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	h[client.HeaderErrorCode] = []string{a.code}
	if a.retry {
		h["Retry-After"] = s.hdrRetry
	}
	s.writeJSON(w, a.status, idx, a.body)
}

// notFound answers paths no route matches.
func (s *Server) notFound(http.ResponseWriter, *http.Request) (reply, error) {
	return reply{}, errRouteNotFound
}

// workspaceNotFound is the state machine's not-found error for a workspace
// the edge already knows cannot exist.
func workspaceNotFound(name string) error {
	return &fsm.Error{Code: fsm.CodeNotFound, Msg: "Workspace '" + name + "' not found"}
}
