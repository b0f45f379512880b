package httpapi

import (
	"context"
	"errors"
	"github.com/gorilla/mux"
	"net/http"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
)

// clusterStatus: GET /v1/cluster/status, this node's view of the cluster.
// clusterRoutes registers the cluster admin API.
func (s *Server) clusterRoutes(r *mux.Router) {
	s.route(r, "/v1/cluster/status", get(s.clusterStatus))
	s.route(r, "/v1/cluster/members", get(s.clusterMembers))
	s.route(r, readIndexPath, get(s.readIndex))
}

func (s *Server) clusterStatus(http.ResponseWriter, *http.Request) (reply, error) {
	st := s.c.Status()
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

// readIndex: GET /v1/cluster/read-index, answered by the leader only (a
// follower forwards it): an index covering every write acknowledged
// before the call.
func (s *Server) readIndex(w http.ResponseWriter, r *http.Request) (reply, error) {
	if s.c.IsLeader() {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LeaderWait)
		defer cancel()
		idx, err := s.c.ReadIndex(ctx)
		if err == nil {
			return reply{status: http.StatusOK, index: idx, body: readIndexBody{Index: idx}}, nil
		}
		if !errors.Is(err, cluster.ErrNotLeader) {
			return reply{}, err
		}
	}
	return reply{}, s.proxy(w, r, nil, false)
}
