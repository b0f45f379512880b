package httpapi

import (
	"net/http"
)

// statusBody is the answer of the health endpoints.
type statusBody struct {
	Status string `json:"status"`
}

// healthz: GET /healthz, 200 while the process runs.
func (s *Server) healthz(http.ResponseWriter, *http.Request) (reply, error) {
	return reply{status: http.StatusOK, body: statusBody{Status: "ok"}}, nil
}

// readyz: GET /readyz, 200 when the node can serve: a leader is known, the
// cluster is initialised and this node has caught up with the log: it has
// applied everything its log held when it started and is within
// cluster.MaxApplyLag (32) entries of the leader's commit index (see
// cluster.Node.Ready). This is what a load balancer checks.
func (s *Server) readyz(http.ResponseWriter, *http.Request) (reply, error) {
	if err := s.c.Admission(); err != nil {
		return reply{}, err
	}
	if s.c.Ready() {
		return reply{status: http.StatusOK, body: statusBody{Status: "ok"}}, nil
	}
	if _, ok := s.c.Leader(); !ok {
		return reply{}, unreachableLeader("Not ready: no leader is known")
	}
	return reply{}, unavailable("Not ready: this node is catching up with the leader's log or the cluster is not initialised yet")
}
