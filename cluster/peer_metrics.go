package cluster

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// peerCounters count the peer service's traffic for the metrics.
type peerCounters struct {
	// Writes this node sent to the leader, by outcome.
	forwardOK, forwardNotApplied, forwardUnknown, forwardDeadline atomic.Uint64
	// Peer calls this node refused.
	refused atomic.Uint64
}

var (
	peerForwardDesc = prometheus.NewDesc("wsd_peer_forwarded_writes_total",
		"Write attempts this node sent to the leader over the peer service, by outcome: ok (answered, domain refusals included), not_applied (refused or unreachable; retried), outcome_unknown, deadline (arrived too late; not applied).",
		[]string{"outcome"}, nil)
	peerRefusedDesc = prometheus.NewDesc("wsd_peer_calls_refused_total",
		"Peer calls this node refused: bad or missing signature, clock skew, replay, or a sender outside the raft configuration.", nil, nil)
)

// countForward records the outcome of one forwarded write attempt.
func (p *peerCounters) countForward(err error) {
	switch {
	case err == nil:
		p.forwardOK.Add(1)
	case notApplied(err):
		p.forwardNotApplied.Add(1)
	case errors.Is(err, ErrDeadline):
		p.forwardDeadline.Add(1)
	default:
		p.forwardUnknown.Add(1)
	}
}

func (p *peerCounters) describe(ch chan<- *prometheus.Desc) {
	ch <- peerForwardDesc
	ch <- peerRefusedDesc
}

func (p *peerCounters) collect(ch chan<- prometheus.Metric) {
	for outcome, v := range map[string]uint64{
		"ok": p.forwardOK.Load(), "not_applied": p.forwardNotApplied.Load(),
		"outcome_unknown": p.forwardUnknown.Load(), "deadline": p.forwardDeadline.Load(),
	} {
		ch <- prometheus.MustNewConstMetric(peerForwardDesc, prometheus.CounterValue, float64(v), outcome)
	}
	ch <- prometheus.MustNewConstMetric(peerRefusedDesc, prometheus.CounterValue, float64(p.refused.Load()))
}
