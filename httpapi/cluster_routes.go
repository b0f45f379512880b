package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
)

// Paths of the cluster admin API (outside the base path).
const (
	clusterStatusPath      = "/v1/cluster/status"
	clusterMembersPath     = client.MembersPath
	clusterMemberPath      = client.MembersPath + "/{id}"
	clusterLeavePath       = "/v1/cluster/leave"
	clusterTransferPath    = "/v1/cluster/transfer-leadership"
	clusterSnapshotPath    = "/v1/cluster/snapshot"
	clusterRestorePath     = "/v1/cluster/restore"
	leaveTimeout           = 30 * time.Second
	transferTimeout        = 10 * time.Second
	removeServerTimeout    = 10 * time.Second
	newLeaderReportTimeout = 5 * time.Second
)

// clusterRoutes registers the cluster admin API. Calls that only the
// leader can carry out (remove a member, hand leadership over, snapshot,
// restore) are forwarded to it from any other node, like writes.
//
// With authentication on (see needsAuth, auditLevel and
// requirePlatformAdmin): status and members need an authenticated caller;
// snapshot, restore, remove-member, leave and transfer-leadership need
// PlatformAdmin on the system workspace, decided by the node that carries
// the call out (the leader, or the leaving node) against a state at a
// fresh read index; every admin call is logged with its principal and
// remote address. Node-to-node calls (read index, stats, leave, apply)
// are not here: they go to the HMAC-signed peer service (cluster/peer_*.go).
func (s *Server) clusterRoutes(r *mux.Router) {
	s.route(r, clusterStatusPath, get(s.clusterStatus))
	s.route(r, clusterMembersPath, get(s.clusterMembers))
	s.route(r, clusterMemberPath, write(http.MethodDelete, s.removeMember))
	s.route(r, clusterLeavePath, methodHandler{method: http.MethodPost, read: s.leave})
	s.route(r, clusterTransferPath, write(http.MethodPost, s.transferLeadership))
	// Snapshot streams and restore bodies are not JSON and may be far
	// larger than MaxBodyBytes: ops.go handles them without the write path.
	s.route(r, clusterSnapshotPath, get(s.snapshot))
	s.route(r, clusterRestorePath, methodHandler{method: http.MethodPost, read: s.restore})
}

// clusterStatus: GET /v1/cluster/status[?digest=false], this node's view
// of the cluster. digest=false skips the state digest, which walks the
// whole state.
func (s *Server) clusterStatus(_ http.ResponseWriter, r *http.Request) (reply, error) {
	withDigest := true
	if v, ok := r.URL.Query()["digest"]; ok {
		switch last := v[len(v)-1]; last {
		case "true", "1", "":
		case "false", "0":
			withDigest = false
		default:
			var is issues
			is.add("bool_parsing", "Input should be a valid boolean, unable to interpret input", last, "query", "digest")
			return reply{}, is.err()
		}
	}
	st := s.c.StatusWith(cluster.StatusOptions{SkipDigest: !withDigest})
	return reply{status: http.StatusOK, index: st.FSMIndex, body: st}, nil
}

// clusterMembers: GET /v1/cluster/members, the servers of the raft
// configuration with their HTTP base URLs.
func (s *Server) clusterMembers(http.ResponseWriter, *http.Request) (reply, error) {
	ms, err := s.c.Members()
	if err != nil {
		return reply{}, err
	}
	out := client.ClusterMembers{Members: make([]client.ClusterMember, len(ms))}
	for i, m := range ms {
		out.Members[i] = client.ClusterMember{
			ID:       m.ID,
			RaftAddr: m.RaftAddr,
			HTTPAddr: m.HTTPAddr,
			Suffrage: m.Suffrage,
			Leader:   m.Leader,
		}
	}
	return reply{status: http.StatusOK, body: out}, nil
}

// adminBody is the answer of the cluster admin calls.
type adminBody struct {
	Message string `json:"message"`
	ID      string `json:"id"`
	// Leader is the leader after a transfer, when already known.
	Leader string `json:"leader,omitempty"`
}

// removeMember: DELETE /v1/cluster/members/{id} (leader; forwarded from
// other nodes). The leader removes the server from the raft configuration,
// e.g. one that died for good; a live server removed this way is added back
// by gossip reconciliation after a while, so a live server leaves with
// POST /v1/cluster/leave instead. The leader cannot remove itself.
func (s *Server) removeMember(_ http.ResponseWriter, r *http.Request, _ []byte) (reply, error) {
	if err := s.requirePlatformAdmin(r); err != nil {
		return reply{}, err
	}
	id, _ := pathVar(r, "id")
	ms, err := s.c.Members()
	if err != nil {
		return reply{}, err
	}
	var found *cluster.Member
	for i := range ms {
		if ms[i].ID == id {
			found = &ms[i]
		}
	}
	switch {
	case found == nil:
		return reply{}, &httpError{status: http.StatusNotFound, code: codeNotFound,
			detail: "Server '" + id + "' is not a member of the cluster"}
	case found.Leader:
		return reply{}, &httpError{status: http.StatusConflict, code: codeConflict,
			detail: "Server '" + id + "' is the leader and cannot remove itself; hand leadership over first (POST " + clusterTransferPath + ") or let it leave (POST " + clusterLeavePath + " on that node)"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), removeServerTimeout)
	defer cancel()
	if err := s.c.RemoveServer(ctx, id); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusOK, body: adminBody{Message: "Server removed from the cluster", ID: id}}, nil
}

// leave: POST /v1/cluster/leave. This node leaves the cluster for good (a
// leader hands leadership over first) and then its process stops. Never
// forwarded: it is about the node that receives it.
func (s *Server) leave(_ http.ResponseWriter, r *http.Request) (reply, error) {
	if err := s.requirePlatformAdmin(r); err != nil {
		return reply{}, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), leaveTimeout)
	defer cancel()
	id := s.c.StatusWith(cluster.StatusOptions{SkipDigest: true}).ID
	if err := s.c.Leave(ctx); err != nil {
		if errors.Is(err, cluster.ErrOnlyVoter) {
			return reply{}, &httpError{status: http.StatusConflict, code: codeConflict,
				detail: "Server '" + id + "' is the only voter of its cluster and cannot leave it"}
		}
		return reply{}, err
	}
	return reply{status: http.StatusOK, body: adminBody{Message: "Server left the cluster and is stopping", ID: id}}, nil
}

// transferLeadership: POST /v1/cluster/transfer-leadership (leader;
// forwarded from other nodes). The leader hands leadership to another
// voter and waits until it has; the answer names the old leader (id) and,
// when already known, the new one.
func (s *Server) transferLeadership(_ http.ResponseWriter, r *http.Request, _ []byte) (reply, error) {
	if err := s.requirePlatformAdmin(r); err != nil {
		return reply{}, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), transferTimeout)
	defer cancel()
	id := s.c.StatusWith(cluster.StatusOptions{SkipDigest: true}).ID
	if err := s.c.TransferLeadership(ctx); err != nil {
		if errors.Is(err, cluster.ErrOnlyVoter) {
			return reply{}, &httpError{status: http.StatusConflict, code: codeConflict,
				detail: "Server '" + id + "' is the only voter: there is no one to hand leadership to"}
		}
		return reply{}, err
	}
	out := adminBody{Message: "Leadership transferred", ID: id}
	deadline := time.Now().Add(newLeaderReportTimeout)
	for {
		if p, ok := s.c.Leader(); ok && p.ID != id {
			out.Leader = p.ID
			break
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			break
		}
		time.Sleep(leaderPoll)
	}
	return reply{status: http.StatusOK, body: out}, nil
}

// needsAuth reports whether a request to path must be authenticated when
// authentication is on: the entities API and the cluster API.
// /healthz, /readyz, /metrics and /openapi.json stay open; node-to-node
// calls go to the peer service, which authenticates them itself.
func needsAuth(path string) bool {
	if underBasePath(path) {
		return true
	}
	return (path == "/v1/cluster" || strings.HasPrefix(path, "/v1/cluster/"))
}

// auditLevel tells whether r is a call of the cluster admin API to log,
// and at which level: INFO for the calls that read or change the whole
// cluster (snapshot, restore, remove-member, leave, transfer), DEBUG for
// status and members, which monitoring polls.
func auditLevel(r *http.Request) (slog.Level, bool) {
	p := r.URL.Path
	switch {
	case !strings.HasPrefix(p, "/v1/cluster/"):
		return 0, false
	case r.Method == http.MethodGet && (p == clusterStatusPath || p == clusterMembersPath):
		return slog.LevelDebug, true
	}
	return slog.LevelInfo, true
}

// adminAudit records the status of an admin call's answer and its caller
// for the audit log line.
type adminAudit struct {
	http.ResponseWriter
	status int
	caller *fsm.Caller
}

func (a *adminAudit) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *adminAudit) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *adminAudit) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// Flush passes a flush through (streamed snapshots).
func (a *adminAudit) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// audit logs one admin call: who (the principal, "anonymous" when not
// authenticated, "(auth off)" without authentication), from where (the
// remote address; forwarded says it came through another node, whose
// address it then is), what and with which outcome.
func (s *Server) audit(r *http.Request, a *adminAudit, level slog.Level) {
	who := "(auth off)"
	switch {
	case a.caller != nil:
		who = a.caller.Principal()
	case s.cfg.AuthEnabled:
		who = "anonymous"
	}
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	s.log.Log(r.Context(), level, "cluster admin call", "method", r.Method, "path", r.URL.Path,
		"principal", who, "remote", r.RemoteAddr, "forwarded", r.Header.Get(hopsHeader) != "",
		"status", status)
}

// requirePlatformAdmin refuses (403) a caller that does not hold
// PlatformAdmin on the system workspace. The decision is made against a
// state that reflects every write acknowledged before the call (a read
// index from the leader), so a PlatformAdmin role revoked before the call
// never authorises it. With authentication off it allows everything.
func (s *Server) requirePlatformAdmin(r *http.Request) error {
	if !s.cfg.AuthEnabled {
		return nil
	}
	c := callerOf(r)
	if c == nil {
		return errUnauthorized // never allow a call that was not authenticated
	}
	st, err := s.adminState(r)
	if err != nil {
		return err
	}
	return platformAdminIn(st, c)
}

// platformAdminIn refuses (403) c unless it is PlatformAdmin in st.
func platformAdminIn(st *fsm.State, c *fsm.Caller) error {
	if c == nil || !st.IsPlatformAdmin(c) {
		return errForbidden
	}
	return nil
}

// adminState returns a state at a fresh read index.
func (s *Server) adminState(r *http.Request) (*fsm.State, error) {
	idx, err := s.readIndexFor(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.MinIndexWait)
	defer cancel()
	st, err := s.c.WaitApplied(ctx, idx)
	if err != nil {
		return nil, unavailable(fmt.Sprintf("This node has not applied index %d within %s; retry shortly", idx, s.cfg.MinIndexWait))
	}
	return st, nil
}
