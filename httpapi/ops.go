package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

const (
	openAPIPath = "/openapi.json"

	// MaxRestoreBytes is the largest snapshot POST /v1/cluster/restore
	// accepts. Restore bodies are streamed to a file on the leader, never
	// held in memory, so the ordinary MaxBodyBytes does not apply.
	MaxRestoreBytes int64 = 4 << 30
)

// errStreamed: the endpoint wrote its answer itself (a stream). Like
// errProxied, it tells wrap that nothing is left to write.
var errStreamed = errProxied

// opsRoutes registers the operational endpoints outside the base path:
// the OpenAPI document. It runs after every other route is registered, so
// the document describes exactly the routes of this router.
func (s *Server) opsRoutes(r *mux.Router) {
	var doc obj // built below, once every route (this one too) is registered
	s.route(r, openAPIPath, get(func(http.ResponseWriter, *http.Request) (reply, error) {
		return reply{status: http.StatusOK, body: doc}, nil
	}))
	doc = buildOpenAPI(registeredRoutes(r))
}

// snapshot: GET /v1/cluster/snapshot streams a consistent snapshot of the
// whole state (the format of fsm.State.WriteSnapshot): the leader takes a
// read index, so the snapshot holds every write acknowledged before the
// call, and streams the state at that index. Other nodes forward the call
// to the leader and stream its answer through. X-Wsd-Index is the index the
// snapshot reflects.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) (reply, error) {
	if !s.c.IsLeader() {
		return reply{}, s.proxy(w, r, nil, false)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LeaderWait)
	idx, err := s.c.ReadIndex(ctx)
	if errors.Is(err, cluster.ErrNotLeader) {
		cancel()
		return reply{}, s.proxy(w, r, nil, false)
	}
	if err != nil {
		cancel()
		return reply{}, err
	}
	st, err := s.c.WaitApplied(ctx, idx)
	cancel()
	if err != nil {
		return reply{}, err
	}
	if s.cfg.AuthEnabled {
		if err := platformAdminIn(st, callerOf(r)); err != nil {
			return reply{}, err
		}
	}
	// The state is immutable and in memory: once the headers are out, only
	// the connection can fail.
	h := w.Header()
	h["Content-Type"] = []string{"application/octet-stream"}
	h["Content-Disposition"] = []string{`attachment; filename="wsd-` + strconv.FormatUint(st.Index(), 10) + `.snap"`}
	h[client.HeaderIndex] = []string{strconv.FormatUint(st.Index(), 10)}
	w.WriteHeader(http.StatusOK)
	if err := st.WriteSnapshot(w); err != nil {
		s.log.Warn("snapshot stream interrupted", "index", st.Index(), "err", err)
	}
	return reply{}, errStreamed
}

// restoreBody is the answer of a successful restore.
type restoreBody struct {
	Message string `json:"message"`
	// Index is the leader's applied index once the snapshot is in place.
	Index uint64 `json:"index"`
	// Digest is the state digest after the restore, as /v1/cluster/status
	// reports it: equal to the digest of the state that was saved.
	Digest string `json:"digest"`
}

// restore: POST /v1/cluster/restore replaces the whole cluster's state
// with the snapshot in the body (up to MaxRestoreBytes). Other nodes stream
// the body through to the leader. The leader verifies the whole snapshot
// before raft sees it: a corrupt or foreign one is a 422 and the cluster is
// unchanged.
func (s *Server) restore(w http.ResponseWriter, r *http.Request) (reply, error) {
	if r.ContentLength > MaxRestoreBytes {
		return reply{}, restoreTooLarge()
	}
	if !s.c.IsLeader() {
		return reply{}, s.proxyStream(w, r)
	}
	if err := s.requirePlatformAdmin(r); err != nil {
		return reply{}, err
	}
	body := io.Reader(http.NoBody)
	if r.Body != nil {
		body = http.MaxBytesReader(w, r.Body, MaxRestoreBytes)
	}
	err := s.c.Restore(r.Context(), body)
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
	case errors.Is(err, fsm.ErrSnapshotCorrupt):
		reason := strings.TrimPrefix(err.Error(), fsm.ErrSnapshotCorrupt.Error()+": ")
		var is issues
		is.add("snapshot_invalid", "Snapshot refused, the cluster is unchanged: "+reason, nil, "body")
		return reply{}, is.err()
	case errors.As(err, &mbe):
		return reply{}, restoreTooLarge()
	default:
		return reply{}, err
	}
	st := s.c.FSM().State()
	return reply{status: http.StatusOK, index: st.Index(), body: restoreBody{
		Message: "Cluster state restored from the snapshot",
		Index:   st.Index(),
		Digest:  st.Digest(),
	}}, nil
}

func restoreTooLarge() error {
	return &httpError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
		detail: "Snapshot too large: the limit is " + strconv.FormatInt(MaxRestoreBytes>>30, 10) + " GiB"}
}

// proxyStream forwards r to the leader with its body streamed through,
// never buffered (a restore may be gigabytes), and writes the leader's
// answer. Unlike proxy it cannot retry: the body can be sent only once.
func (s *Server) proxyStream(w http.ResponseWriter, r *http.Request) (err error) {
	defer s.observeForward(time.Now(), &err)
	hops, err := nextHops(r)
	if err != nil {
		return err
	}
	base, err := s.waitLeader(r.Context())
	if err != nil {
		return err
	}
	target := base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	var sent atomic.Bool
	ctx := httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
	body := r.Body
	if r.ContentLength == 0 {
		body = http.NoBody
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		return unreachableLeader("The leader's address " + base + " is not usable")
	}
	out.ContentLength = r.ContentLength
	out.Header = r.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	removeHopByHop(out.Header)
	out.Header[hopsHeader] = []string{strconv.Itoa(hops)}
	resp, err := s.transport.RoundTrip(out)
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			return r.Context().Err()
		case !sent.Load():
			return unreachableLeader("The leader at " + base + " could not be reached; retry shortly")
		}
		return outcomeUnknown("The request was sent to the leader at " + base + " but no answer came back: it may or may not have taken effect. Check the cluster's state before repeating it.")
	}
	defer resp.Body.Close()
	return s.copyAnswer(w, resp)
}
