// Package abuse is wsd's abuse suite (issue 11): it starts one real wsd
// node (internal/testserver) with authentication on, seeds it, and sends
// it many generated hostile requests over raw TCP for a while: malformed
// and dot-segment paths, odd methods, oversized and malformed headers,
// far-ahead X-Wsd-Min-Index values, hostile JSON bodies and encodings,
// forged, expired and foreign tokens, writes by callers without roles,
// slow and aborted bodies, unread responses (snapshot downloads never
// read) and bounded connection floods.
//
// It prints one line, starting "abuse:", with the requests sent, the
// status-code histogram, the 5xx seen, the longest time to answer, the
// node's descriptors and goroutines before and after, and whether the data
// digest changed; and it fails on any 5xx, on any hostile write accepted,
// on a request left unanswered past its bound, on descriptors or
// goroutines that have not settled back to their level before the run
// (within a small tolerance), or on a changed digest.
//
// Duration: WSD_ABUSE_DURATION (a Go duration), default 40s; `make test`
// runs the default, `make e2e-long` a longer run. WSD_ABUSE_SEED repeats a
// run's sequence of requests.
//
// The cluster admin endpoints that change the cluster (leave, remove a
// member, restore) are not sent: they need PlatformAdmin when auth is on,
// and with auth off (as here) they would stop the node or replace its
// state by design.
package abuse
