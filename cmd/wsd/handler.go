package main

import (
	"net/http"
	"strings"

	"github.com/wsd-dev/wsd/cluster"
)

// rootHandler serves /metrics with the Prometheus handler, the
// node-to-node peer service (cluster.PeerPathPrefix, outside the public
// API) with peer, and everything else with the API. It never cleans, rewrites or redirects a path: a
// request reaches the route it names or gets the API's JSON 404.
// (http.ServeMux, used here before, answered 307 to any path with a ".",
// ".." or empty segment, so DELETE .../members/.. was redirected to
// DELETE /workspaces/ws, and clients that follow redirects deleted the
// workspace.)
func rootHandler(metrics, peer, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && r.URL.RawPath == "" {
			metrics.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, cluster.PeerPathPrefix) && r.URL.RawPath == "" {
			peer.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
