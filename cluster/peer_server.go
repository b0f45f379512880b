package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// The peer service: the node-to-node calls that are not part of the public
// API (see doc.go). cmd/wsd mounts PeerHandler under PeerPathPrefix on the
// API listener; every call is a POST with a JSON body, authenticated as
// peer_auth.go describes, and answered with JSON: 200 and the call's
// reply, or another status and a peerFailure.

// PeerPathPrefix is the path prefix of the peer service. It is outside the
// public API and absent from its OpenAPI document.
const PeerPathPrefix = "/v1/peer/"

const (
	peerReadIndexPath = PeerPathPrefix + "read-index"
	peerStatsPath     = PeerPathPrefix + "stats"
	peerLeavePath     = PeerPathPrefix + "leave"
	peerApplyPath     = PeerPathPrefix + "apply"

	// maxPeerBody bounds a peer request body (a command is at most the
	// public API's body limit plus what the node adds).
	maxPeerBody = 1 << 20
)

// Failure codes of the peer service.
const (
	peerCodeForbidden      = "forbidden"       // authentication or membership refused; nothing done
	peerCodeBadRequest     = "bad_request"     // malformed call; nothing done
	peerCodeNotLeader      = "not_leader"      // the receiver does not lead; nothing proposed
	peerCodeNoLeader       = "no_leader"       // nothing proposed
	peerCodeDeadline       = "deadline"        // the deadline passed before anything was proposed
	peerCodeOutcomeUnknown = "outcome_unknown" // proposed, result unknown
	peerCodeShutdown       = "shutdown"        // the receiver is stopping; nothing proposed
	peerCodeOnlyVoter      = "only_voter"      // see ErrOnlyVoter
	peerCodeUnsupported    = "unsupported"     // a command this node does not understand; nothing proposed
	peerCodeInternal       = "internal"
)

// peerFailure is the body of an answer other than 200.
type peerFailure struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// peerReadIndexReply answers read-index.
type peerReadIndexReply struct {
	Index uint64 `json:"index"`
}

// peerStatsReply answers stats: what autopilot needs about a server.
type peerStatsReply struct {
	ID            string `json:"id"`
	Term          uint64 `json:"term"`
	LastIndex     uint64 `json:"last_index"`
	LastContactNS int64  `json:"last_contact_ns"` // -1: never heard from a leader
}

// peerApplyRequest asks the leader to propose an already built and
// validated command. The deadline is absolute (Unix nanoseconds, node
// clocks are synchronised); Timeout is what was left of it when the
// request was sent, so that the leader uses the earlier of the two even if
// its clock is behind.
type peerApplyRequest struct {
	Command    []byte `json:"command"` // fsm.Encode
	DeadlineNS int64  `json:"deadline_unix_ns"`
	TimeoutNS  int64  `json:"timeout_ns"`
}

// peerApplyReply is an fsm.Result on the wire.
type peerApplyReply struct {
	Index     uint64           `json:"index"`
	Workspace *fsm.Workspace   `json:"workspace,omitempty"`
	Ref       *fsm.EntityRef   `json:"ref,omitempty"`
	Project   *fsm.Project     `json:"project,omitempty"`
	Member    *fsm.RoleBinding `json:"member,omitempty"`
	Created   bool             `json:"created,omitempty"`
	// Replayed and At: the answer is the first one of an idempotency key
	// (fsm.Keyed) and its command's time.
	Replayed bool          `json:"replayed,omitempty"`
	At       time.Time     `json:"at,omitzero"`
	Err      *peerFSMError `json:"err,omitempty"`
}

// peerFSMError is a domain refusal (*fsm.Error) on the wire.
type peerFSMError struct {
	Code  fsm.Code `json:"code"`
	Field string   `json:"field,omitempty"`
	Msg   string   `json:"msg"`
}

func toApplyReply(r fsm.Result) peerApplyReply {
	out := peerApplyReply{Index: r.Index, Workspace: r.Workspace, Ref: r.Ref, Project: r.Project, Member: r.Member, Created: r.Created, Replayed: r.Replayed, At: r.At}
	if r.Err != nil {
		var fe *fsm.Error
		if errors.As(r.Err, &fe) {
			out.Err = &peerFSMError{Code: fe.Code, Field: fe.Field, Msg: fe.Msg}
		} else {
			// Apply answers domain refusals only; anything else is kept
			// as a message, classed internal.
			out.Err = &peerFSMError{Code: "", Msg: r.Err.Error()}
		}
	}
	return out
}

func (a peerApplyReply) result() fsm.Result {
	r := fsm.Result{Index: a.Index, Workspace: a.Workspace, Ref: a.Ref, Project: a.Project, Member: a.Member, Created: a.Created, Replayed: a.Replayed, At: a.At}
	if a.Err != nil {
		if a.Err.Code == "" {
			r.Err = errors.New(a.Err.Msg)
		} else {
			r.Err = &fsm.Error{Code: a.Err.Code, Field: a.Err.Field, Msg: a.Err.Msg}
		}
	}
	return r
}

// peerCall is one endpoint: it gets the authenticated sender and the
// body, and returns the reply or an error mapped by peerAnswer.
type peerCall func(ctx context.Context, sender string, body []byte) (any, error)

// PeerHandler returns the handler of the peer service, to be mounted at
// PeerPathPrefix.
func (n *Node) PeerHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+peerReadIndexPath, n.peerEndpoint(n.peerReadIndex, true))
	mux.Handle("POST "+peerStatsPath, n.peerEndpoint(n.peerStats, true))
	// Leave is idempotent: a sender that is no longer a member is told so
	// (its removal is done), not refused.
	mux.Handle("POST "+peerLeavePath, n.peerEndpoint(n.peerLeave, false))
	mux.Handle("POST "+peerApplyPath, n.peerEndpoint(n.peerApply, true))
	return mux
}

// peerEndpoint authenticates a peer request and, when memberOnly, checks
// that its sender is a server of the raft configuration before running
// call.
func (n *Node) peerEndpoint(call peerCall, memberOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPeerBody))
		if err != nil {
			writePeer(w, http.StatusBadRequest, peerFailure{peerCodeBadRequest, "reading the body: " + err.Error()})
			return
		}
		sender, err := n.peerAuth.verify(r, body, time.Now())
		if err == nil && memberOnly && !n.isMember(sender) {
			err = errPeerNotMember
		}
		if err != nil {
			n.peerCount.refused.Add(1)
			level := slog.LevelDebug
			if now := time.Now().UnixNano(); now-n.peerRefusedLog.Load() > int64(5*time.Second) {
				n.peerRefusedLog.Store(now) // at most one warning every 5s
				level = slog.LevelWarn
			}
			n.cfg.Logger.Log(r.Context(), level, "peer call refused", "path", r.URL.Path, "sender", r.Header.Get(headerPeerNode), "remote", r.RemoteAddr, "err", err)
			writePeer(w, http.StatusForbidden, peerFailure{peerCodeForbidden, err.Error()})
			return
		}
		reply, err := call(r.Context(), sender, body)
		if err != nil {
			status, f := peerAnswer(err)
			if status == http.StatusInternalServerError {
				n.cfg.Logger.Error("peer call failed", "path", r.URL.Path, "sender", sender, "err", err)
			}
			writePeer(w, status, f)
			return
		}
		writePeer(w, http.StatusOK, reply)
	})
}

// isMember reports whether id is a server of the latest raft
// configuration.
func (n *Node) isMember(id string) bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	return slices.ContainsFunc(f.Configuration().Servers, func(s raft.Server) bool { return string(s.ID) == id })
}

// errPeerBadRequest marks a malformed peer call.
type errPeerBadRequest struct{ msg string }

func (e *errPeerBadRequest) Error() string { return e.msg }

// peerAnswer maps an error of a peer call to its status and failure code;
// peer_client.go maps them back.
func peerAnswer(err error) (int, peerFailure) {
	var br *errPeerBadRequest
	var uc *fsm.UnknownCommandError
	f := func(status int, code string) (int, peerFailure) { return status, peerFailure{code, err.Error()} }
	switch {
	case errors.As(err, &br):
		return f(http.StatusBadRequest, peerCodeBadRequest)
	case errors.As(err, &uc):
		return f(http.StatusUnprocessableEntity, peerCodeUnsupported)
	case errors.Is(err, ErrOutcomeUnknown):
		return f(http.StatusServiceUnavailable, peerCodeOutcomeUnknown)
	case errors.Is(err, ErrDeadline):
		return f(http.StatusServiceUnavailable, peerCodeDeadline)
	case errors.Is(err, ErrNotLeader):
		return f(http.StatusMisdirectedRequest, peerCodeNotLeader)
	case errors.Is(err, ErrNoLeader):
		return f(http.StatusServiceUnavailable, peerCodeNoLeader)
	case errors.Is(err, ErrShutdown):
		return f(http.StatusServiceUnavailable, peerCodeShutdown)
	case errors.Is(err, ErrOnlyVoter):
		return f(http.StatusConflict, peerCodeOnlyVoter)
	}
	return f(http.StatusInternalServerError, peerCodeInternal)
}

func writePeer(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(peerFailure{peerCodeInternal, err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// peerReadIndex hands out a read index (leader only).
func (n *Node) peerReadIndex(ctx context.Context, _ string, _ []byte) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	idx, err := n.ReadIndex(ctx)
	if err != nil {
		return nil, err
	}
	return peerReadIndexReply{Index: idx}, nil
}

// peerStats reports this server's raft position, for the leader's
// autopilot.
func (n *Node) peerStats(context.Context, string, []byte) (any, error) {
	out := peerStatsReply{ID: n.cfg.NodeID, Term: n.raft.CurrentTerm(), LastIndex: n.raft.LastIndex(), LastContactNS: -1}
	if lc := n.LastContact(); lc < 1<<62 {
		out.LastContactNS = int64(lc)
	}
	return out, nil
}

// peerLeave removes the sender, which is leaving for good, from the raft
// configuration (leader only). A server can only remove itself this way.
func (n *Node) peerLeave(ctx context.Context, sender string, _ []byte) (any, error) {
	if !n.IsLeader() {
		return nil, ErrNotLeader
	}
	if sender == n.cfg.NodeID {
		return nil, &errPeerBadRequest{"the leader cannot remove itself"}
	}
	if !n.isMember(sender) {
		return struct{}{}, nil // already removed
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.RemoveServer(ctx, sender); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// peerApply proposes a command built and validated by another node. The
// command carries the caller that node authenticated; it is trusted
// because the sender is an authenticated member (doc.go). Nothing is
// proposed once the deadline has passed, and the answer never waits past
// it.
func (n *Node) peerApply(ctx context.Context, _ string, body []byte) (any, error) {
	var req peerApplyRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &errPeerBadRequest{"apply: " + err.Error()}
	}
	now := time.Now()
	deadline := time.Unix(0, req.DeadlineNS)
	if rel := now.Add(time.Duration(req.TimeoutNS)); rel.Before(deadline) {
		deadline = rel
	}
	if req.DeadlineNS <= 0 || req.TimeoutNS <= 0 || !deadline.After(now) {
		return nil, fmt.Errorf("%w (received %s after it)", ErrDeadline, now.Sub(deadline).Round(time.Millisecond))
	}
	c, err := fsm.Decode(req.Command)
	if err != nil {
		var uc *fsm.UnknownCommandError
		if errors.As(err, &uc) {
			return nil, err
		}
		return nil, &errPeerBadRequest{"apply: " + err.Error()}
	}
	if c.Type() == fsm.InitType {
		return nil, &errPeerBadRequest{"apply: init is proposed by the leader only"}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	res, err := n.propose(ctx, req.Command)
	if err != nil {
		return nil, err
	}
	return toApplyReply(res), nil
}
