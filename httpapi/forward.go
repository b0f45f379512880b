package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsd-dev/wsd/client"
)

const (
	// hopsHeader counts how often a request has been forwarded between
	// nodes; a request is refused rather than forwarded a maxHops-th time,
	// so a stale view of the leader cannot bounce it around forever.
	hopsHeader = "X-Wsd-Forwarded-Hops"
	maxHops    = 3

	// leaderPoll is how often a request waiting for a leader looks again.
	leaderPoll = 50 * time.Millisecond
)

// hopByHop are the headers that describe one connection, not the request;
// a proxy does not pass them on.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// nextHops returns the hop count a request forwarded from here carries,
// or errTooManyHops.
func nextHops(r *http.Request) (int, error) {
	n, _ := strconv.Atoi(r.Header.Get(hopsHeader))
	n = max(n, 0) + 1
	if n >= maxHops {
		return 0, errTooManyHops
	}
	return n, nil
}

// waitLeader returns the leader's HTTP base URL, polling for up to
// LeaderWait while none is known.
func (s *Server) waitLeader(ctx context.Context) (string, error) {
	if p, ok := s.c.Leader(); ok && p.HTTPAddr != "" {
		return strings.TrimSuffix(p.HTTPAddr, "/"), nil
	}
	deadline := time.NewTimer(s.cfg.LeaderWait)
	defer deadline.Stop()
	tick := time.NewTicker(leaderPoll)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if p, ok := s.c.Leader(); ok && p.HTTPAddr != "" {
				return strings.TrimSuffix(p.HTTPAddr, "/"), nil
			}
		case <-deadline.C:
			return "", unreachableLeader("No leader was elected within " + s.cfg.LeaderWait.String() + "; retry shortly")
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// proxy sends r to the leader and writes the leader's answer (status,
// headers and body) unchanged. body, when r is a write, is its already
// read body. It returns errProxied once the answer is written, or the
// error to answer with: no_leader when the leader could not be reached
// (nothing was sent), outcome_unknown when a write was sent but no answer
// came back.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, body []byte, isWrite bool) (err error) {
	defer s.observeForward(time.Now(), &err)
	hops, err := nextHops(r)
	if err != nil {
		return err
	}
	// A leader that cannot be reached (nothing was sent) may be dead and
	// about to be replaced: keep trying, with whoever is leader then, for
	// up to LeaderWait before answering 503.
	deadline := time.Now().Add(s.cfg.LeaderWait)
	for {
		resp, base, err := s.forwardOnce(r, body, hops, isWrite)
		if err == nil {
			defer resp.Body.Close()
			return s.copyAnswer(w, resp)
		}
		var he *httpError
		retryable := errors.As(err, &he) && he.code == client.CodeNoLeader
		if !retryable || time.Now().After(deadline) || r.Context().Err() != nil {
			return err
		}
		s.log.Debug("leader unreachable; retrying", "leader", base, "err", err)
		select {
		case <-time.After(leaderPoll * 2):
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
}

// forwardOnce sends r to the leader as it is known now.
func (s *Server) forwardOnce(r *http.Request, body []byte, hops int, isWrite bool) (*http.Response, string, error) {
	base, err := s.waitLeader(r.Context())
	if err != nil {
		return nil, "", err
	}
	target := base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	var sent atomic.Bool
	ctx := httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, rd)
	if err != nil {
		s.log.Warn("cannot build the request to the leader", "leader", base, "err", err)
		return nil, base, unreachableLeader("The leader's address " + base + " is not usable")
	}
	out.Header = r.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	removeHopByHop(out.Header)
	out.Header[hopsHeader] = []string{strconv.Itoa(hops)}

	resp, err := s.transport.RoundTrip(out)
	if err != nil {
		// Never reuse a pooled connection after a failure: it may be one
		// opened before a partition.
		if c, ok := s.transport.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
		switch {
		case r.Context().Err() != nil && !(sent.Load() && isWrite):
			// Nothing was sent, or a read: the deadline says it all.
			return nil, base, r.Context().Err()
		case !sent.Load():
			return nil, base, unreachableLeader("The leader at " + base + " could not be reached; retry shortly")
		case isWrite:
			return nil, base, outcomeUnknown("The write was sent to the leader at " + base + " but no answer came back: it may or may not have been applied. Read the current state before repeating it.")
		default:
			return nil, base, unavailable("The leader at " + base + " did not answer; retry shortly")
		}
	}
	return resp, base, nil
}

// copyAnswer writes the leader's answer (status, headers, body) unchanged.
func (s *Server) copyAnswer(w http.ResponseWriter, resp *http.Response) error {
	dst := w.Header()
	for k := range dst {
		delete(dst, k) // the leader's headers replace this node's
	}
	for k, vv := range resp.Header {
		dst[k] = vv
	}
	removeHopByHop(dst)
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		s.log.Debug("copying the leader's answer", "err", err)
	}
	return errProxied
}

func removeHopByHop(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopByHop {
		delete(h, k)
	}
}
