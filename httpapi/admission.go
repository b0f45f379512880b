package httpapi

import (
	"net/http"
)

// admissionExempt are the routes a node serves even when it refuses to
// serve the cluster's data (Cluster.Admission fails): liveness, readiness
// (which says why) and the cluster's status and members, to diagnose it.
var admissionExempt = map[string]bool{
	"/healthz":         true,
	"/readyz":          true,
	clusterStatusPath:  true,
	clusterMembersPath: true,
}

// admitted answers 503 (code cluster_mismatch) and returns false while
// this node's flags disagree with the cluster-wide settings, e.g. a node
// started with --auth none in a cluster that runs with authentication: it
// must neither serve the data anonymously nor forward writes.
func (s *Server) admitted(w http.ResponseWriter, r *http.Request) bool {
	err := s.c.Admission()
	if err == nil {
		return true
	}
	s.writeError(w, r, 0, err)
	return false
}
