package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsd-dev/wsd/fsm"
)

// peerClient is the one client of the peer service (peer_server.go). Its
// pooled connections are dropped after any transport error and whenever
// the leader changes (dropConns), so a call never rides on a connection
// opened before a partition or to an earlier leader.
type peerClient struct {
	self string
	key  []byte
	tr   *http.Transport
}

func newPeerClient(self string, key []byte, tlsConfig *tls.Config) *peerClient {
	return &peerClient{self: self, key: key, tr: &http.Transport{
		TLSClientConfig: tlsConfig,
		Proxy:           nil, // node-to-node traffic never goes through an HTTP proxy
		DialContext: (&net.Dialer{
			Timeout:   peerDialTimeout,
			KeepAlive: 15 * time.Second,
		}).DialContext,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   peerDialTimeout,
		ResponseHeaderTimeout: 0, // bounded by each call's context
	}}
}

const (
	// peerDialTimeout bounds connecting to a peer: a leader that cannot be
	// reached within it is tried again, or another one.
	peerDialTimeout = time.Second
	// peerAttemptTimeout bounds one attempt of a call that can be retried
	// (read index, stats, leave).
	peerAttemptTimeout = 2 * time.Second
)

// dropConns closes the idle pooled connections.
func (c *peerClient) dropConns() { c.tr.CloseIdleConnections() }

func (c *peerClient) close() { c.tr.CloseIdleConnections() }

// errPeerNotSent wraps a failure that happened before the request was
// written: the peer did nothing.
type errPeerNotSent struct{ err error }

func (e *errPeerNotSent) Error() string { return "not sent: " + e.err.Error() }
func (e *errPeerNotSent) Unwrap() error { return e.err }

// errPeerRefused is a peer's failure answer.
type errPeerRefused struct {
	status int
	f      peerFailure
}

func (e *errPeerRefused) Error() string {
	return fmt.Sprintf("peer answered %d %s: %s", e.status, e.f.Code, e.f.Detail)
}

// call sends one request to the peer at base (its HTTP base URL) and
// decodes a 200 answer into out. Errors: *errPeerNotSent when nothing
// reached the peer, *errPeerRefused for a failure answer, anything else
// when the request was sent but no (readable) answer came back.
func (c *peerClient) call(ctx context.Context, base, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var sent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return &errPeerNotSent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	signPeer(req.Header, c.key, http.MethodPost, path, c.self, body, time.Now())
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		c.dropConns()
		if !sent.Load() {
			return &errPeerNotSent{err}
		}
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerBody))
	if err != nil {
		c.dropConns()
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var f peerFailure
		if json.Unmarshal(b, &f) != nil || f.Code == "" {
			f = peerFailure{Code: peerCodeInternal, Detail: strings.TrimSpace(string(b))}
		}
		return &errPeerRefused{status: resp.StatusCode, f: f}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("peer answer not understood: %w", err)
	}
	return nil
}

// notApplied reports whether err from call certainly means the peer did
// nothing, so the call may be sent again (to the same or another peer).
func notApplied(err error) bool {
	var ns *errPeerNotSent
	if errors.As(err, &ns) {
		return true
	}
	var pr *errPeerRefused
	if errors.As(err, &pr) {
		switch pr.f.Code {
		case peerCodeForbidden, peerCodeNotLeader, peerCodeNoLeader, peerCodeShutdown:
			return true
		}
	}
	return false
}

// readIndex asks the leader at base for a read index.
func (c *peerClient) readIndex(ctx context.Context, base string) (uint64, error) {
	var out peerReadIndexReply
	if err := c.call(ctx, base, peerReadIndexPath, struct{}{}, &out); err != nil {
		return 0, err
	}
	return out.Index, nil
}

// stats asks the server at base for its raft position.
func (c *peerClient) stats(ctx context.Context, base string) (peerStatsReply, error) {
	var out peerStatsReply
	err := c.call(ctx, base, peerStatsPath, struct{}{}, &out)
	return out, err
}

// leave asks the leader at base to remove this node.
func (c *peerClient) leave(ctx context.Context, base string) error {
	var out struct{}
	return c.call(ctx, base, peerLeavePath, struct{}{}, &out)
}

// apply sends an encoded command to the leader at base. Errors keep the
// package's classes: ErrNotLeader or ErrNoLeader wrapped in
// *errPeerNotSent-like refusals when nothing was proposed (see
// notApplied), ErrDeadline when the leader got it too late,
// ErrOutcomeUnknown when it was sent and no result came back.
func (c *peerClient) apply(ctx context.Context, base string, data []byte, deadline time.Time) (fsm.Result, error) {
	in := peerApplyRequest{Command: data, DeadlineNS: deadline.UnixNano(), TimeoutNS: int64(time.Until(deadline))}
	if in.TimeoutNS <= 0 {
		return fsm.Result{}, ErrDeadline
	}
	var out peerApplyReply
	err := c.call(ctx, base, peerApplyPath, in, &out)
	if err == nil {
		return out.result(), nil
	}
	var pr *errPeerRefused
	switch {
	case notApplied(err):
		return fsm.Result{}, err
	case errors.As(err, &pr) && pr.f.Code == peerCodeDeadline:
		return fsm.Result{}, fmt.Errorf("%w: %s", ErrDeadline, pr.f.Detail)
	case errors.As(err, &pr) && pr.f.Code == peerCodeUnsupported:
		return fsm.Result{}, &fsm.Error{Code: fsm.CodeUnsupported, Msg: "The leader does not understand this write (a newer node built it); retry once the cluster runs one version: " + pr.f.Detail}
	case errors.As(err, &pr) && pr.f.Code == peerCodeBadRequest:
		return fsm.Result{}, fmt.Errorf("the leader refused the forwarded write: %s", pr.f.Detail)
	}
	return fsm.Result{}, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}
