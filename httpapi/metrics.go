package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsd-dev/wsd/cluster"
)

// httpMetrics are the request metrics, registered on the Registerer of the
// Config (never on a global registry).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// forwarded counts requests this node proxied to the leader (and read
	// indexes it asked the leader for), by outcome; forwardDuration times
	// them, retries included.
	forwarded       *prometheus.CounterVec
	forwardDuration prometheus.Histogram
}

// Outcomes of a forwarded request (the outcome label).
const (
	forwardOK             = "ok"              // the leader answered (any status)
	forwardNoLeader       = "no_leader"       // no leader known or reachable; nothing was sent
	forwardOutcomeUnknown = "outcome_unknown" // a write was sent, no answer came back
	forwardUnavailable    = "unavailable"     // a read was sent, no (usable) answer came back
	forwardCanceled       = "canceled"        // the caller went away first
	forwardError          = "error"           // anything else
)

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wsd_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wsd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wsd_http_forwarded_requests_total",
			Help: "Requests forwarded to the leader, by outcome (ok, no_leader, outcome_unknown, unavailable, canceled, error).",
		}, []string{"outcome"}),
		forwardDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wsd_http_forward_duration_seconds",
			Help:    "Time from forwarding a request to the leader until its answer (or failure), retries included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	for _, o := range []string{forwardOK, forwardNoLeader, forwardOutcomeUnknown, forwardUnavailable, forwardCanceled, forwardError} {
		m.forwarded.WithLabelValues(o) // every outcome is exported from the start, at 0
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.forwarded, m.forwardDuration} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, err
		}
		done = append(done, c)
	}
	return m, nil
}

// observeForward records one forwarded request that started at start and
// ended with *err (nil or errProxied: the leader answered).
func (s *Server) observeForward(start time.Time, err *error) {
	m := s.metrics
	if m == nil {
		return
	}
	m.forwarded.WithLabelValues(forwardOutcome(*err)).Inc()
	m.forwardDuration.Observe(time.Since(start).Seconds())
}

func forwardOutcome(err error) string {
	var he *httpError
	switch {
	case err == nil, err == errProxied:
		return forwardOK
	case errors.As(err, &he):
		switch he.code {
		case codeNoLeader:
			return forwardNoLeader
		case codeOutcomeUnknown:
			return forwardOutcomeUnknown
		case codeUnavailable:
			return forwardUnavailable
		}
	case errors.Is(err, cluster.ErrNoLeader):
		return forwardNoLeader
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return forwardCanceled
	}
	return forwardError
}

// instrument counts and times the requests of one route.
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	m := s.metrics
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodHead, http.MethodPatch, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
