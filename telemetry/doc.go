// Package telemetry connects wsd's parts to one Prometheus registry that
// cmd/wsd creates and passes down: the bridge for hashicorp/raft's and
// raft-boltdb's internal go-metrics (both metrics libraries), the state
// machine's apply and snapshot observations, and gauges read from the raft
// node on every scrape.
//
// raft reports through a process-global go-metrics sink, so InstallBridge
// is the one place that sets process-global state, and cmd/wsd calls it
// once. Names are rewritten to Prometheus conventions: a wsd_ prefix,
// snake_case, _total on counters and _seconds on timers (go-metrics timers
// are in milliseconds and are converted).
package telemetry
