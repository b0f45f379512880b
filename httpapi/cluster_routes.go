package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
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
