package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
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

	// DefaultMaxRestoreBytes is the default of Config.MaxRestoreBytes, the
	// largest snapshot POST /v1/cluster/restore accepts. The leader holds
	// the whole verified state in memory, as it will once restored.
	DefaultMaxRestoreBytes int64 = 1 << 30

	// restoreMediaType is the only content type a restore body may have:
	// a browser form cannot send it across origins without a preflight.
	restoreMediaType = "application/octet-stream"

	// defaultRestoreIdle is how long the leader waits for the next bytes of
	// a restore upload before it gives up (400) and lets another restore
	// run: one stalled upload cannot hold the one-at-a-time gate forever.
	defaultRestoreIdle = 30 * time.Second
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
	// Index is the index of the log entry that marks the restore: every
	// node that has applied it (X-Wsd-Min-Index) holds the restored state.
	Index uint64 `json:"index"`
	// Digest is the state digest after the restore, as /v1/cluster/status
	// reports it: equal to the digest of the state that was saved.
	Digest string `json:"digest"`
}

// restore: POST /v1/cluster/restore replaces the whole cluster's state
// with the snapshot in the body. Refused, with the cluster unchanged and
// nothing written to disk: a body that is not application/octet-stream
// (415), larger than MaxRestoreBytes (413, before it is read when its
// length is announced), that would not fit on the leader's disk (507), a
// restore while another runs (409 with Retry-After), a corrupt or foreign
// snapshot (422, as soon as its header is read when that is wrong), an
// upload that breaks off (400). Other nodes stream the body through to the
// leader, which authorizes the caller (PlatformAdmin) before reading it.
func (s *Server) restore(w http.ResponseWriter, r *http.Request) (reply, error) {
	if err := checkRestoreMedia(r); err != nil {
		return reply{}, err
	}
	if r.ContentLength > s.cfg.MaxRestoreBytes {
		return reply{}, s.restoreTooLarge()
	}
	if !s.c.IsLeader() {
		return reply{}, s.proxyStream(w, r)
	}
	if err := s.requirePlatformAdmin(r); err != nil {
		return reply{}, err
	}
	body := &uploadReader{r: http.NoBody, left: s.cfg.MaxRestoreBytes}
	if r.Body != nil {
		body.r = r.Body
		rc := http.NewResponseController(w)
		body.idle = func() { _ = rc.SetReadDeadline(time.Now().Add(s.restoreIdle)) }
	}
	res, err := s.c.Restore(r.Context(), body, cluster.RestoreOptions{
		Size: max(r.ContentLength, 0), By: principal(r),
		// With authentication on, a snapshot that names no PlatformAdmin
		// would leave no one able to administer the cluster.
		RequirePlatformAdmin: s.cfg.AuthEnabled,
	})
	switch {
	case body.tooLarge:
		return reply{}, s.restoreTooLarge()
	case body.err != nil:
		s.log.Info("restore upload broke off; the cluster is unchanged", "err", body.err, "remote", r.RemoteAddr)
		return reply{}, &httpError{status: http.StatusBadRequest, code: codeInvalid,
			detail: "The snapshot upload broke off before its end; the cluster is unchanged"}
	case err == nil:
	case errors.Is(err, cluster.ErrNoPlatformAdmin):
		var is issues
		is.add("snapshot_without_admin", "Snapshot refused, the cluster is unchanged: it grants PlatformAdmin on '"+fsm.SystemWorkspace+"' to no one, so no one could administer the cluster after restoring it", nil, "body")
		return reply{}, is.err()
	case errors.Is(err, fsm.ErrSnapshotCorrupt):
		reason := strings.TrimPrefix(err.Error(), fsm.ErrSnapshotCorrupt.Error()+": ")
		var is issues
		is.add("snapshot_invalid", "Snapshot refused, the cluster is unchanged: "+reason, nil, "body")
		return reply{}, is.err()
	case res.SnapshotIndex != 0:
		// The state is restored, but the marker entry did not commit
		// here: its outcome is unknown.
		return reply{}, outcomeUnknown("The snapshot was restored but the entry that marks it has an unknown outcome; check /v1/cluster/status before acting on it")
	default:
		return reply{}, err
	}
	return reply{status: http.StatusOK, index: res.Index, body: restoreBody{
		Message: "Cluster state restored from the snapshot",
		Index:   res.Index,
		Digest:  res.Digest,
	}}, nil
}

// checkRestoreMedia refuses (415) a restore body that is not
// application/octet-stream.
func checkRestoreMedia(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == restoreMediaType {
		return nil
	}
	return &httpError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia,
		detail: "A snapshot must be sent as " + restoreMediaType + " (got " + strconv.Quote(ct) + ")"}
}

func (s *Server) restoreTooLarge() error {
	return &httpError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
		detail: "Snapshot too large: the limit is " + strconv.FormatInt(s.cfg.MaxRestoreBytes, 10) + " bytes"}
}

// uploadReader reads a restore body up to a limit and remembers why it
// stopped: tooLarge past the limit, err when the upload itself failed (the
// client went away), as opposed to a snapshot that ends too early.
type uploadReader struct {
	r        io.Reader
	left     int64
	tooLarge bool
	err      error
	// idle, when set, moves the connection's read deadline before each
	// read.
	idle func()
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if u.tooLarge {
		return 0, errRestoreTooLarge
	}
	if u.idle != nil {
		u.idle()
	}
	if int64(len(p)) > u.left+1 {
		p = p[:u.left+1]
	}
	n, err := u.r.Read(p)
	if int64(n) > u.left {
		u.tooLarge = true
		return int(u.left), errRestoreTooLarge
	}
	u.left -= int64(n)
	if err != nil && err != io.EOF {
		u.err = err
	}
	return n, err
}

var errRestoreTooLarge = errors.New("snapshot over the size limit")

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
	ctx, cancel := context.WithCancel(r.Context())
	// Once the leader has answered, stop sending it the rest of the body.
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
	// The transport closes the body it sends; the client's own stays open,
	// so that what the leader did not read can still be drained here
	// after its answer (progressReader.linger): closing a connection with
	// unread data resets it and can destroy the answer.
	body := io.NopCloser(r.Body)
	if r.ContentLength == 0 || r.Body == nil {
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
		case !sent.Load() && r.Context().Err() != nil:
			return r.Context().Err()
		case !sent.Load():
			return unreachableLeader("The leader at " + base + " could not be reached; retry shortly")
		}
		return outcomeUnknown("The request was sent to the leader at " + base + " but no answer came back: it may or may not have taken effect. Check the cluster's state before repeating it.")
	}
	defer resp.Body.Close()
	return s.copyAnswer(w, resp)
}
