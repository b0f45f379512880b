package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The fault workload: several clients issue random operations on a small
// universe of names to random nodes over raw HTTP, and record the call
// time, return time and result of each.

// workloadEntityType is the entity type of the workload's references.
const workloadEntityType = "models"

// verdict is what a classified answer means for the history.
type verdict uint8

const (
	// definite: the answer says what happened.
	definite verdict = iota
	// unknownOutcome: a write that may or may not have taken effect.
	unknownOutcome
	// notApplied: the request certainly had no effect (503 no_leader or
	// unavailable, no connection) or was a read that failed; it is left
	// out.
	notApplied
)

// expectedStatus lists the answers each operation may get from a correct
// service, besides 503.
var expectedStatus = map[opKind][]int{
	opCreate:  {201, 409},
	opUpdate:  {200, 404},
	opDelete:  {200, 404, 409},
	opGet:     {200, 404},
	opAcquire: {200, 201, 404},
	opRelease: {200, 404},
	opRefs:    {200, 404},
	opList:    {200},
}

// opAnswer is what one request got: a transport error or an HTTP answer.
type opAnswer struct {
	sent    bool // the request was written to a connection
	err     error
	status  int
	errCode string // X-Wsd-Error-Code
	index   string // X-Wsd-Index
	body    []byte
}

// classified is an answer's meaning.
type classified struct {
	verdict verdict
	out     wsOutput
	id      string // workspace id of a 201 create
	// problem, when set, is an answer a correct service never gives.
	problem string
}

// classify turns an answer into a history entry. refIndex maps reference
// names to their bit.
func classify(in wsInput, a opAnswer, refIndex map[string]int) classified {
	write := in.kind.isWrite()
	unknownOrDrop := func(problem string) classified {
		if write {
			return classified{verdict: unknownOutcome, out: wsOutput{unknown: true}, problem: problem}
		}
		return classified{verdict: notApplied, problem: problem}
	}
	if a.err != nil {
		if !a.sent {
			return classified{verdict: notApplied}
		}
		return unknownOrDrop("")
	}
	switch {
	case a.status == 503 && (a.errCode == "no_leader" || a.errCode == "unavailable"):
		// Both say the request surely had no effect (the deadline passed
		// before a write was proposed, or it was never sent): the history
		// leaves it out, so the check holds the service to that promise.
		return classified{verdict: notApplied}
	case a.status == 503:
		return unknownOrDrop("")
	case a.status >= 500:
		return unknownOrDrop(fmt.Sprintf("%s answered %d %s", in.kind, a.status, truncateBody(a.body)))
	}
	ok := false
	for _, s := range expectedStatus[in.kind] {
		ok = ok || s == a.status
	}
	if !ok {
		return unknownOrDrop(fmt.Sprintf("%s answered %d (%s) %s", in.kind, a.status, a.errCode, truncateBody(a.body)))
	}
	if a.index == "" {
		return unknownOrDrop(fmt.Sprintf("%s answered %d without X-Wsd-Index", in.kind, a.status))
	}
	c := classified{verdict: definite, out: wsOutput{status: a.status}}
	if a.status != 200 && a.status != 201 {
		return c
	}
	switch in.kind {
	case opCreate, opUpdate:
		var w wsBody
		if err := json.Unmarshal(a.body, &w); err != nil || w.ID == "" {
			return unknownOrDrop(fmt.Sprintf("%s answered %d with body %s (%v)", in.kind, a.status, truncateBody(a.body), err))
		}
		if (w.Description != nil) != in.hasDesc || (in.hasDesc && *w.Description != in.desc) {
			return unknownOrDrop(fmt.Sprintf("%s with description %s answered %d with body %s", in.kind, descString(in.hasDesc, in.desc), a.status, truncateBody(a.body)))
		}
		if in.kind == opCreate {
			c.id = w.ID
		}
	case opGet:
		var w wsBody
		if err := json.Unmarshal(a.body, &w); err != nil || w.ID == "" {
			return unknownOrDrop(fmt.Sprintf("get answered 200 with body %s (%v)", truncateBody(a.body), err))
		}
		if w.Description != nil {
			c.out.hasDesc, c.out.desc = true, *w.Description
		}
	case opRefs:
		var page struct {
			Data []struct {
				EntityType string `json:"entity_type"`
				EntityName string `json:"entity_name"`
			} `json:"data"`
			Pagination struct {
				TotalResults int `json:"total_results"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			return unknownOrDrop(fmt.Sprintf("refs answered 200 with body %s (%v)", truncateBody(a.body), err))
		}
		for _, r := range page.Data {
			i, known := refIndex[r.EntityName]
			if !known || r.EntityType != workloadEntityType {
				return unknownOrDrop(fmt.Sprintf("refs lists an unexpected reference %s/%s", r.EntityType, r.EntityName))
			}
			c.out.refs |= 1 << i
		}
		if page.Pagination.TotalResults != len(page.Data) {
			return unknownOrDrop(fmt.Sprintf("refs lists %d references but total_results is %d", len(page.Data), page.Pagination.TotalResults))
		}
	case opList:
		var l listBody
		if err := json.Unmarshal(a.body, &l); err != nil {
			return unknownOrDrop(fmt.Sprintf("list answered 200 with body %s (%v)", truncateBody(a.body), err))
		}
		c.out.total = l.Pagination.TotalResults
	}
	return c
}

func truncateBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// workloadStats counts the workload's operations.
type workloadStats struct {
	ops, ok, unknown, dropped int
}

// workload drives the cluster with random operations.
type workload struct {
	c        *testCluster
	m        *wsModel
	refIndex map[string]int
	clients  int
	// think is the longest pause of a client between two operations.
	think time.Duration
	// deadline is every request's X-Wsd-Timeout; the service must answer
	// within it (plus deadlineMargin).
	deadline time.Duration
	// timeout bounds one request on the client side; far longer than
	// deadline, so that an answer later than the deadline is measured,
	// not cut short.
	timeout time.Duration
	epoch   time.Time
	lanes   atomic.Int64
	seq     atomic.Int64

	mu       sync.Mutex
	recs     []opRecord // every round's records, in the order they completed
	problems []string   // answers a correct service never gives
	stats    workloadStats
	// waits are every request's target and times, dropped ones included;
	// paused are the intervals during which a node was stopped (SIGSTOP),
	// when requests to it cannot be answered by anyone.
	waits  []waitRecord
	paused []pauseRecord

	stop chan struct{} // nil while no clients run
	wg   sync.WaitGroup
}

func newWorkload(c *testCluster, m *wsModel, clients int) *workload {
	w := &workload{
		c: c, m: m, clients: clients,
		refIndex: map[string]int{},
		think:    25 * time.Millisecond,
		deadline: 5 * time.Second,
		timeout:  15 * time.Second,
		epoch:    time.Now(),
	}
	for i, r := range m.refs {
		w.refIndex[r] = i
	}
	w.lanes.Store(int64(clients))
	return w
}

// now is the workload's clock, in nanoseconds since its epoch.
func (w *workload) now() int64 { return int64(time.Since(w.epoch)) }

// start launches the clients; each runs until stop.
func (w *workload) start(seed uint64) {
	w.stop = make(chan struct{})
	for i := range w.clients {
		w.wg.Add(1)
		go w.client(i, rand.New(rand.NewPCG(seed, uint64(i))), w.stop)
	}
}

// halt stops the clients, lets their operations in flight finish, and
// returns the records from the mark from on.
func (w *workload) halt(from int) []opRecord {
	w.shutdown()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]opRecord(nil), w.recs[from:]...)
}

// shutdown stops the clients, if they run, and waits for them.
func (w *workload) shutdown() {
	if w.stop != nil {
		close(w.stop)
		w.wg.Wait()
		w.stop = nil
	}
}

// counts returns the statistics and the number of problems so far.
func (w *workload) counts() (workloadStats, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats, len(w.problems)
}

// mark returns the number of records so far, to pass to halt.
func (w *workload) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.recs)
}

// client issues operations to random nodes until stop is closed.
func (w *workload) client(i int, rng *rand.Rand, stop <-chan struct{}) {
	defer w.wg.Done()
	hc := &http.Client{
		Timeout:   w.timeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	lane := i
	for {
		select {
		case <-stop:
			return
		default:
		}
		n := w.c.nodes[rng.IntN(len(w.c.nodes))]
		in := w.randomInput(i, rng)
		if r := w.exec(hc, n, in, lane); r.out.unknown {
			lane = int(w.lanes.Add(1)) - 1
		}
		if w.think > 0 {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(rng.Int64N(int64(w.think)))):
			}
		}
	}
}

// randomInput picks an operation; descriptions are unique per operation
// so that a read names the write it observed.
func (w *workload) randomInput(client int, rng *rand.Rand) wsInput {
	in := wsInput{ws: rng.IntN(len(w.m.names)), ref: rng.IntN(len(w.m.refs))}
	desc := func(p float64) {
		if rng.Float64() < p {
			in.hasDesc, in.desc = true, fmt.Sprintf("c%d.%d", client, w.seq.Add(1))
		}
	}
	switch x := rng.IntN(100); {
	case x < 18:
		in.kind = opCreate
		desc(0.85)
	case x < 31:
		in.kind = opUpdate
		desc(0.85)
	case x < 45:
		in.kind = opDelete
	case x < 64:
		in.kind = opGet
	case x < 76:
		in.kind = opAcquire
	case x < 89:
		in.kind = opRelease
	case x < 95:
		in.kind = opRefs
	default:
		in.kind = opList
	}
	return in
}

// request builds the HTTP request of an input against a node.
func (w *workload) request(n *node, in wsInput) (method, target string, body []byte) {
	ws := url.PathEscape(w.m.names[in.ws])
	wsURL := n.url() + base + "/workspaces/" + ws
	refURL := wsURL + "/entity-refs/" + workloadEntityType + "/" + url.PathEscape(w.m.refs[in.ref])
	descJSON := func() map[string]any {
		b := map[string]any{"description": nil}
		if in.hasDesc {
			b["description"] = in.desc
		}
		return b
	}
	switch in.kind {
	case opCreate:
		b := map[string]any{"name": w.m.names[in.ws]}
		if in.hasDesc {
			b["description"] = in.desc
		}
		body, _ = json.Marshal(b)
		return http.MethodPost, n.url() + base + "/workspaces", body
	case opUpdate:
		body, _ = json.Marshal(descJSON())
		return http.MethodPut, wsURL, body
	case opDelete:
		return http.MethodDelete, wsURL, nil
	case opGet:
		return http.MethodGet, wsURL + "?consistency=linearizable", nil
	case opAcquire:
		return http.MethodPut, refURL, nil
	case opRelease:
		return http.MethodDelete, refURL, nil
	case opRefs:
		return http.MethodGet, wsURL + "/entity-refs?consistency=linearizable&page_size=100", nil
	case opList:
		return http.MethodGet, n.url() + base + "/workspaces?consistency=linearizable&page_size=1", nil
	}
	panic("unknown op kind")
}

// send performs one request, with X-Wsd-Timeout deadline when it is not
// zero, and reports whether it was written.
func sendOp(hc *http.Client, method, target string, body []byte, deadline time.Duration) opAnswer {
	var sent atomic.Bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return opAnswer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if deadline > 0 {
		req.Header.Set("X-Wsd-Timeout", deadline.String())
	}
	resp, err := hc.Do(req)
	if err != nil {
		return opAnswer{sent: sent.Load(), err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line arrived but the body was cut: still unknown.
		return opAnswer{sent: true, err: fmt.Errorf("reading the opAnswer (%d): %w", resp.StatusCode, err)}
	}
	return opAnswer{
		sent: true, status: resp.StatusCode, body: b,
		errCode: resp.Header.Get("X-Wsd-Error-Code"),
		index:   resp.Header.Get("X-Wsd-Index"),
	}
}

// exec sends one operation to n, records it and returns the record.
func (w *workload) exec(hc *http.Client, n *node, in wsInput, lane int) opRecord {
	method, target, body := w.request(n, in)
	call := w.now()
	a := sendOp(hc, method, target, body, w.deadline)
	ret := w.now()
	c := classify(in, a, w.refIndex)
	r := opRecord{lane: lane, in: in, out: c.out, call: call, ret: ret, node: n.id, id: c.id, gaveUp: ret}
	r.index, _ = strconv.ParseUint(a.index, 10, 64)
	switch {
	case a.err != nil:
		r.detail = a.err.Error()
		var ue *url.Error
		if errors.As(a.err, &ue) && ue.Timeout() {
			r.detail = "timeout"
		}
	case a.errCode != "":
		r.detail = fmt.Sprintf("%d %s", a.status, a.errCode)
	default:
		r.detail = fmt.Sprint(a.status)
	}
	if c.verdict == unknownOutcome {
		r.ret = infinity
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waits = append(w.waits, waitRecord{node: n.id, call: call, ret: ret, desc: fmt.Sprintf("%s %s via %s: %s", in.kind, w.m.names[in.ws], n.id, r.detail)})
	w.stats.ops++
	if c.problem != "" {
		w.problems = append(w.problems, fmt.Sprintf("%s via %s at %v: %s", in.kind, n.id, time.Duration(call), c.problem))
	}
	switch c.verdict {
	case definite:
		w.stats.ok++
	case unknownOutcome:
		w.stats.unknown++
	case notApplied:
		w.stats.dropped++
		return r
	}
	w.recs = append(w.recs, r)
	return r
}

// all returns every record kept so far.
func (w *workload) all() []opRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]opRecord(nil), w.recs...)
}
