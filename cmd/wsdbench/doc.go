// Command wsdbench measures a running wsd (or any server of the same API)
// and prints figures: throughput and latency percentiles of workspace
// creates or reads at a given concurrency, and the server's resident
// memory as its /metrics reports it.
//
//	wsdbench create -url http://127.0.0.1:8080 -c 64 -n 20000
//	wsdbench get    -url http://127.0.0.1:8080 -c 64 -d 10s
//	wsdbench fill   -url http://127.0.0.1:8080 -n 100000
//
// Several -url values (comma-separated) spread requests round-robin, as a
// load balancer would.
package main
