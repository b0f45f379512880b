package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FSMMetrics observes the state machine; it implements fsm.Observer.
type FSMMetrics struct {
	applyDuration prometheus.Histogram
	batchEntries  prometheus.Histogram
	snapDuration  prometheus.Histogram
	snapBytes     prometheus.Gauge
}

// NewFSMMetrics registers the state machine's metrics with reg.
func NewFSMMetrics(reg prometheus.Registerer) (*FSMMetrics, error) {
	m := &FSMMetrics{
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wsd_fsm_apply_duration_seconds",
			Help:    "Time to apply one batch of committed log entries to the state machine.",
			Buckets: prometheus.ExponentialBuckets(5e-6, 4, 10),
		}),
		batchEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wsd_fsm_apply_batch_entries",
			Help:    "Log entries applied per state machine batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		snapDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wsd_fsm_snapshot_duration_seconds",
			Help:    "Time to stream one state machine snapshot.",
			Buckets: prometheus.ExponentialBuckets(1e-3, 4, 10),
		}),
		snapBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wsd_fsm_snapshot_size_bytes",
			Help: "Size of the last state machine snapshot streamed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.applyDuration, m.batchEntries, m.snapDuration, m.snapBytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveApply records one applied batch.
func (m *FSMMetrics) ObserveApply(entries int, d time.Duration) {
	m.applyDuration.Observe(d.Seconds())
	m.batchEntries.Observe(float64(entries))
}

// ObserveSnapshot records one streamed snapshot.
func (m *FSMMetrics) ObserveSnapshot(bytes int64, d time.Duration) {
	m.snapDuration.Observe(d.Seconds())
	m.snapBytes.Set(float64(bytes))
}
