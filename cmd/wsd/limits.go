package main

import (
	"fmt"
	"net/http"
	"time"
)

// httpLimits bound what one client can hold of the HTTP server (issue 11).
//
// Descriptors: the API may hold at most MaxConns connections at once
// (httpapi.Server.Listener; past it, new connections wait in the kernel's
// backlog). With --http-max-conns=0 the cap is derived from the process's
// descriptor limit (RLIMIT_NOFILE; Go raises the soft limit to the hard
// one at start): half of what is left after reservedFDs for raft (its
// listener and connection pools), gossip, the bolt store, snapshots and
// logs, because a follower may hold one forwarding connection to the
// leader for each API connection it serves; at most maxDerivedConns, at
// least minDerivedConns. The Helm chart sets no ulimit of its own (a pod
// spec cannot): the container runtime's default applies, 1048576 with
// containerd and Docker today, which gives the 4096 cap; see
// deploy/helm/wsd/README.md.
type httpLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	StreamProgress    time.Duration
	MaxHeaderBytes    int
	MaxConns          int
}

const (
	reservedFDs     = 256
	minDerivedConns = 16
	maxDerivedConns = 4096
)

func httpFlags(l *httpLimits,
	dur func(*time.Duration, string, time.Duration, string),
	integer func(*int, string, int, string)) {
	dur(&l.ReadHeaderTimeout, "http-read-header-timeout", 10*time.Second, "longest time to receive a request's headers")
	dur(&l.ReadTimeout, "http-read-timeout", 30*time.Second, "longest time to receive a whole request, body included (restore uploads use --http-stream-progress instead)")
	dur(&l.WriteTimeout, "http-write-timeout", 75*time.Second, "longest time to write an answer, from the end of the request's headers; must exceed --max-request-timeout (snapshot downloads use --http-stream-progress instead)")
	dur(&l.IdleTimeout, "http-idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	dur(&l.StreamProgress, "http-stream-progress", 30*time.Second, "longest time a snapshot download or restore upload may go without moving a chunk")
	integer(&l.MaxHeaderBytes, "http-max-header-bytes", 64<<10, "largest request line and headers (431 beyond)")
	integer(&l.MaxConns, "http-max-conns", 0, "most open API connections; 0 derives it from the descriptor limit")
}

func (l *httpLimits) validate(maxRequest time.Duration) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"--http-read-header-timeout", l.ReadHeaderTimeout}, {"--http-read-timeout", l.ReadTimeout},
		{"--http-write-timeout", l.WriteTimeout}, {"--http-idle-timeout", l.IdleTimeout},
		{"--http-stream-progress", l.StreamProgress},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%s must be positive, not %s", d.name, d.v)
		}
	}
	if l.WriteTimeout <= maxRequest {
		return fmt.Errorf("--http-write-timeout (%s) must exceed --max-request-timeout (%s), or answers to slow requests are cut off", l.WriteTimeout, maxRequest)
	}
	if l.MaxHeaderBytes < 4<<10 {
		return fmt.Errorf("--http-max-header-bytes %d is below 4096", l.MaxHeaderBytes)
	}
	if l.MaxConns < 0 {
		return fmt.Errorf("--http-max-conns %d is negative", l.MaxConns)
	}
	return nil
}

// maxConns is the connection cap: the flag, or derived from nofile (the
// descriptor limit; 0 when unknown).
func (l *httpLimits) maxConns(nofile uint64) int {
	if l.MaxConns > 0 {
		return l.MaxConns
	}
	if nofile == 0 || nofile > 1<<30 {
		return maxDerivedConns
	}
	n := (int(nofile) - reservedFDs) / 2
	return min(max(n, minDerivedConns), maxDerivedConns)
}

// server applies the limits to srv.
func (l *httpLimits) server(srv *http.Server) {
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.ReadTimeout = l.ReadTimeout
	srv.WriteTimeout = l.WriteTimeout
	srv.IdleTimeout = l.IdleTimeout
	srv.MaxHeaderBytes = l.MaxHeaderBytes
	// "OPTIONS *" goes to the API (a JSON 404) instead of net/http's own
	// empty answer.
	srv.DisableGeneralOptionsHandler = true
}
