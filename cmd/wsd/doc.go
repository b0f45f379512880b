// Command wsd is the workspace metadata service daemon.
//
//	wsd [flags]          run a node (see wsd -h; every flag has a WSD_* twin)
//	wsd version          print the version
//
// With no flags it runs a single-node cluster with its data in ./wsd-data
// and serves the API on :8080. main only calls run; run builds the FSM, the
// raft node, the HTTP server and one Prometheus registry, and shuts them
// down in order on SIGINT or SIGTERM.
package main
