package telemetry

import (
	"strings"
	"sync"
	"time"
	"unicode"

	armon "github.com/armon/go-metrics"
	gometrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Bridge is a go-metrics sink that exposes what it receives as Prometheus
// metrics. It implements prometheus.Collector.
type Bridge struct {
	mu       sync.Mutex
	gauges   map[string]*prometheus.GaugeVec
	counters map[string]*prometheus.CounterVec
	samples  map[string]*prometheus.SummaryVec
	labels   map[string][]string // label names fixed by the first observation
}

// NewBridge returns an empty bridge.
func NewBridge() *Bridge {
	return &Bridge{
		gauges:   map[string]*prometheus.GaugeVec{},
		counters: map[string]*prometheus.CounterVec{},
		samples:  map[string]*prometheus.SummaryVec{},
		labels:   map[string][]string{},
	}
}

// InstallBridge registers a bridge with reg and makes it the global sink of
// both go-metrics libraries (raft uses hashicorp/go-metrics, raft-boltdb
// armon/go-metrics).
func InstallBridge(reg prometheus.Registerer) (*Bridge, error) {
	b := NewBridge()
	if err := reg.Register(b); err != nil {
		return nil, err
	}
	hc := gometrics.DefaultConfig("")
	hc.EnableHostname, hc.EnableRuntimeMetrics, hc.EnableServiceLabel = false, false, false
	if _, err := gometrics.NewGlobal(hc, b); err != nil {
		return nil, err
	}
	ac := armon.DefaultConfig("")
	ac.EnableHostname, ac.EnableRuntimeMetrics, ac.EnableServiceLabel = false, false, false
	if _, err := armon.NewGlobal(ac, armonSink{b}); err != nil {
		return nil, err
	}
	return b, nil
}

// Describe sends nothing: the bridge is an unchecked collector whose
// metrics appear as raft reports them.
func (b *Bridge) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (b *Bridge) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, g := range b.gauges {
		g.Collect(ch)
	}
	for _, c := range b.counters {
		c.Collect(ch)
	}
	for _, s := range b.samples {
		s.Collect(ch)
	}
}

type label struct{ name, value string }

func labelsOf[L any](ls []L, get func(L) (string, string)) []label {
	out := make([]label, 0, len(ls))
	for _, l := range ls {
		n, v := get(l)
		out = append(out, label{snake(n), v})
	}
	return out
}

// series returns label values in the order fixed for name, or ok=false
// when the label set differs from the first one seen (the sample is then
// dropped rather than breaking the metric family).
func (b *Bridge) series(name string, ls []label) ([]string, []string, bool) {
	names := make([]string, len(ls))
	values := make([]string, len(ls))
	for i, l := range ls {
		names[i], values[i] = l.name, l.value
	}
	fixed, seen := b.labels[name]
	if !seen {
		b.labels[name] = names
		return names, values, true
	}
	if len(fixed) != len(names) {
		return nil, nil, false
	}
	for i := range fixed {
		if fixed[i] != names[i] {
			return nil, nil, false
		}
	}
	return names, values, true
}

func (b *Bridge) setGauge(key []string, val float32, ls []label) {
	name := metricName(key, "")
	b.mu.Lock()
	defer b.mu.Unlock()
	names, values, ok := b.series(name, ls)
	if !ok {
		return
	}
	g, ok := b.gauges[name]
	if !ok {
		g = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "raft internal gauge " + strings.Join(key, ".")}, names)
		b.gauges[name] = g
	}
	g.WithLabelValues(values...).Set(float64(val))
}

func (b *Bridge) incrCounter(key []string, val float32, ls []label) {
	if val < 0 {
		return
	}
	name := metricName(key, "_total")
	b.mu.Lock()
	defer b.mu.Unlock()
	names, values, ok := b.series(name, ls)
	if !ok {
		return
	}
	c, ok := b.counters[name]
	if !ok {
		c = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "raft internal counter " + strings.Join(key, ".")}, names)
		b.counters[name] = c
	}
	c.WithLabelValues(values...).Add(float64(val))
}

func (b *Bridge) addSample(key []string, val float32, ls []label) {
	v := float64(val)
	suffix := "_seconds"
	if unitless(key) {
		suffix = ""
	} else {
		v = v * float64(time.Millisecond) / float64(time.Second)
	}
	name := metricName(key, suffix)
	b.mu.Lock()
	defer b.mu.Unlock()
	names, values, ok := b.series(name, ls)
	if !ok {
		return
	}
	s, ok := b.samples[name]
	if !ok {
		s = prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name: name, Help: "raft internal sample " + strings.Join(key, "."),
			Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}, MaxAge: time.Minute,
		}, names)
		b.samples[name] = s
	}
	s.WithLabelValues(values...).Observe(v)
}

// unitless reports samples that are counts, ratios or rates rather than
// timers (raft-boltdb's logsPerBatch is a count, its writeCapacity a rate
// in logs per second).
func unitless(key []string) bool {
	last := strings.ToLower(key[len(key)-1])
	for _, w := range []string{"num", "saturation", "count", "size", "perbatch", "capacity"} {
		if strings.Contains(last, w) {
			return true
		}
	}
	return false
}

// metricName turns ["raft","replication","appendEntries"] into
// wsd_raft_replication_append_entries plus suffix.
func metricName(key []string, suffix string) string {
	parts := make([]string, 0, len(key)+1)
	parts = append(parts, "wsd")
	for _, k := range key {
		if k = snake(k); k != "" {
			parts = append(parts, k)
		}
	}
	name := strings.Join(parts, "_")
	if suffix != "" && !strings.HasSuffix(name, suffix) {
		name = strings.TrimSuffix(name, "_ms") + suffix
	}
	return name
}

// snake converts camelCase and any character outside [a-z0-9_] to
// snake_case.
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	return strings.Trim(b.String(), "_")
}

// hashicorp/go-metrics MetricSink.

func hlabels(ls []gometrics.Label) []label {
	return labelsOf(ls, func(l gometrics.Label) (string, string) { return l.Name, l.Value })
}

// SetGauge implements gometrics.MetricSink.
func (b *Bridge) SetGauge(key []string, val float32) { b.setGauge(key, val, nil) }

// SetGaugeWithLabels implements gometrics.MetricSink.
func (b *Bridge) SetGaugeWithLabels(key []string, val float32, ls []gometrics.Label) {
	b.setGauge(key, val, hlabels(ls))
}

// SetPrecisionGauge implements gometrics.PrecisionGaugeMetricSink.
func (b *Bridge) SetPrecisionGauge(key []string, val float64) { b.setGauge(key, float32(val), nil) }

// SetPrecisionGaugeWithLabels implements gometrics.PrecisionGaugeMetricSink.
func (b *Bridge) SetPrecisionGaugeWithLabels(key []string, val float64, ls []gometrics.Label) {
	b.setGauge(key, float32(val), hlabels(ls))
}

// EmitKey implements gometrics.MetricSink; keys are not exported.
func (b *Bridge) EmitKey([]string, float32) {}

// IncrCounter implements gometrics.MetricSink.
func (b *Bridge) IncrCounter(key []string, val float32) { b.incrCounter(key, val, nil) }

// IncrCounterWithLabels implements gometrics.MetricSink.
func (b *Bridge) IncrCounterWithLabels(key []string, val float32, ls []gometrics.Label) {
	b.incrCounter(key, val, hlabels(ls))
}

// AddSample implements gometrics.MetricSink.
func (b *Bridge) AddSample(key []string, val float32) { b.addSample(key, val, nil) }

// AddSampleWithLabels implements gometrics.MetricSink.
func (b *Bridge) AddSampleWithLabels(key []string, val float32, ls []gometrics.Label) {
	b.addSample(key, val, hlabels(ls))
}

// armonSink adapts the bridge to armon/go-metrics, used by raft-boltdb.
type armonSink struct{ b *Bridge }

func alabels(ls []armon.Label) []label {
	return labelsOf(ls, func(l armon.Label) (string, string) { return l.Name, l.Value })
}

func (a armonSink) SetGauge(key []string, val float32) { a.b.setGauge(key, val, nil) }
func (a armonSink) SetGaugeWithLabels(key []string, val float32, ls []armon.Label) {
	a.b.setGauge(key, val, alabels(ls))
}
func (a armonSink) EmitKey([]string, float32)             {}
func (a armonSink) IncrCounter(key []string, val float32) { a.b.incrCounter(key, val, nil) }
func (a armonSink) AddSample(key []string, val float32)   { a.b.addSample(key, val, nil) }
func (a armonSink) IncrCounterWithLabels(key []string, val float32, ls []armon.Label) {
	a.b.incrCounter(key, val, alabels(ls))
}
func (a armonSink) AddSampleWithLabels(key []string, val float32, ls []armon.Label) {
	a.b.addSample(key, val, alabels(ls))
}

var (
	_ gometrics.MetricSink = (*Bridge)(nil)
	_ armon.MetricSink     = armonSink{}
)
