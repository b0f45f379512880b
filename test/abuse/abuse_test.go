package abuse

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
	"github.com/wsd-dev/wsd/internal/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		testserver.RemoveBinaries()
		os.Exit(code)
	}))
}

// Limits the node runs with: short, so that slow clients are cut off
// within the run.
var nodeEnv = []string{
	"WSD_HTTP_READ_HEADER_TIMEOUT=3s",
	"WSD_HTTP_READ_TIMEOUT=5s",
	"WSD_HTTP_IDLE_TIMEOUT=10s",
	"WSD_REQUEST_TIMEOUT=10s",
	"WSD_MAX_REQUEST_TIMEOUT=10s",
	"WSD_HTTP_WRITE_TIMEOUT=15s",
	"WSD_HTTP_STREAM_PROGRESS=5s",
	"WSD_HTTP_MAX_CONNS=256",
}

const (
	// answerBound is the longest a request that is not deliberately slow
	// may wait for its answer: the node's request timeout (10s) plus
	// room for a loaded machine.
	answerBound = 30 * time.Second
	// heldBound is the longest the node may keep a deliberately slow or
	// idle connection open: the longest of its read and idle timeouts
	// (10s) plus room.
	heldBound = 30 * time.Second
	// floodSize connections are opened at once by each flood: more than
	// the node's cap of 256.
	floodSize = 320
	// Tolerances after the run. Descriptors: the node may have opened a
	// few files of its own meanwhile (a raft snapshot, the log store's
	// files); goroutines: raft, the metrics scrape that measures them and
	// the Go runtime come and go by a few. A leak per hostile request
	// would show as hundreds.
	fdTolerance        = 4
	goroutineTolerance = 10
)

// stats is what the run saw.
type stats struct {
	mu         sync.Mutex
	sent       int
	codes      map[string]int
	fiveXX     int
	longest    time.Duration
	longestRq  string
	longestCut time.Duration // the longest a slow client was kept
	accepted   []string      // hostile writes answered 2xx
	stuck      []string      // requests unanswered past their bound
}

func (s *stats) record(code string, took time.Duration, req string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	s.codes[code]++
	if len(code) == 3 && code[0] == '5' {
		s.fiveXX++
	}
	switch {
	case strings.HasPrefix(req, "slow "):
		s.longestCut = max(s.longestCut, took)
	case took > s.longest:
		s.longest, s.longestRq = took, firstLine(req)
	}
}

func (s *stats) fail(list *[]string, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*list) < 20 {
		*list = append(*list, what)
	}
}

func firstLine(req string) string {
	l, _, _ := strings.Cut(req, "\r\n")
	if len(l) > 100 {
		l = l[:100] + "..."
	}
	return strconv.Quote(l)
}

func (s *stats) histogram() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.codes))
	for k := range s.codes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, s.codes[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// probe reads the node's state from outside.
type probe struct {
	t    *testing.T
	s    *testserver.Server
	http *http.Client
	// token authenticates the probe's own status reads (the cluster API
	// needs credentials with authentication on).
	token string
}

func (p *probe) fds() int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(p.s.Pid()) + "/fd")
	if err != nil {
		p.t.Skipf("cannot count the node's descriptors: %v", err)
	}
	return len(ents)
}

func (p *probe) goroutines() int {
	resp, err := p.http.Get(p.s.URL + "/metrics")
	if err != nil {
		p.t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return int(n)
			}
		}
	}
	p.t.Fatalf("metrics: no go_goroutines")
	return 0
}

func (p *probe) digest() string {
	req, err := http.NewRequest(http.MethodGet, p.s.URL+"/v1/cluster/status", nil)
	if err != nil {
		p.t.Fatalf("status: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatalf("status: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		Digest string `json:"digest"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Digest == "" {
		p.t.Fatalf("status: %v %q", err, st.Digest)
	}
	return st.Digest
}

// settle waits (bounded) until the node's descriptors and goroutines are
// at most the given levels, or, with levels < 0, until two readings a
// second apart agree. It returns the last readings.
func (p *probe) settle(maxFDs, maxG int, bound time.Duration) (fds, g int) {
	deadline := time.Now().Add(bound)
	prevF, prevG := -1, -1
	for {
		fds, g = p.fds(), p.goroutines()
		switch {
		case maxFDs >= 0 && fds <= maxFDs && g <= maxG:
			return fds, g
		case maxFDs < 0 && fds == prevF && g == prevG:
			return fds, g
		case time.Now().After(deadline):
			return fds, g
		}
		prevF, prevG = fds, g
		time.Sleep(time.Second) // polling the node's counters, not synchronising
	}
}

func duration(t *testing.T) time.Duration {
	d := 40 * time.Second
	if v := os.Getenv("WSD_ABUSE_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("WSD_ABUSE_DURATION=%q: %v", v, err)
		}
	}
	return d
}

func seed(t *testing.T) uint64 {
	if v := os.Getenv("WSD_ABUSE_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WSD_ABUSE_SEED=%q: %v", v, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

func TestAbuse(t *testing.T) {
	runFor, sd := duration(t), seed(t)
	iss := oidctest.New(t)
	s := testserver.Start(t, testserver.Options{
		Args: []string{"--auth=oidc", "--oidc-issuer=" + iss.URL, "--oidc-audience=" + oidctest.Audience, "--admin-principal=root", "--insecure-cluster"},
		Env:  nodeEnv,
	})
	ctx, cancel := context.WithTimeout(context.Background(), runFor+5*time.Minute)
	defer cancel()

	// Seed: a workspace the viewer may read, one hidden from everyone but
	// root, and no binding for "*", so that no hostile caller may write.
	cfg := client.DefaultConfig()
	cfg.Endpoints, cfg.Token = []string{s.URL}, iss.Token(t, "root", "")
	root, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, ws := range []string{"victim", "hidden"} {
		if _, err := root.CreateWorkspace(ctx, ws); err != nil {
			t.Fatal(err)
		}
		if _, _, err := root.AcquireRef(ctx, ws, "models", "m1"); err != nil {
			t.Fatal(err)
		}
		if _, err := root.CreateProject(ctx, ws, "p1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.AddMember(ctx, "victim", "vic", "Viewer"); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"default", "system"} {
		if _, err := root.RemoveMember(ctx, ws, "*"); err != nil {
			t.Fatal(err)
		}
	}
	evil := oidctest.NewKey(t, "test-key-1") // the issuer's key id, another key
	expired := iss.Claims("root", "")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	otherAud := iss.Claims("root", "")
	otherAud["aud"] = "not-wsd"
	tk := tokens{
		mallory: iss.Token(t, "mallory", "mallory@example.com", "admins"),
		viewer:  iss.Token(t, "vic", ""),
		forged: []string{
			oidctest.Unsigned(t, iss.Claims("root", "")),
			evil.Sign(t, iss.Claims("root", "")),
			iss.Sign(t, expired),
			iss.Sign(t, otherAud),
			iss.Token(t, "root", "")[:40] + "x",
		},
	}

	p := &probe{t: t, s: s, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}, token: iss.Token(t, "root", "")}
	digestBefore := p.digest()
	fdsBefore, gBefore := p.settle(-1, -1, 20*time.Second)

	st := &stats{codes: map[string]int{}}
	deadline := time.Now().Add(runFor)
	var wg sync.WaitGroup
	var stop atomic.Bool
	go func() {
		<-time.After(runFor)
		stop.Store(true)
	}()
	// Generated requests, one per connection.
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(sd, uint64(w)))
			for !stop.Load() {
				req, write := request(r, tk)
				oneRequest(s.HTTPAddr, req, write, st)
			}
		}()
	}
	// Slow clients: headers or bodies trickled a byte a second.
	wg.Add(1)
	go func() {
		defer wg.Done()
		slowClients(s.HTTPAddr, &stop, st)
	}()
	// Unread answers and connection floods.
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(sd, 100))
		for !stop.Load() {
			unread(s.HTTPAddr, tk, st)
			if r.IntN(3) == 0 {
				flood(s.HTTPAddr, st)
			}
			time.Sleep(time.Second) // pacing the floods
		}
	}()
	wg.Wait()
	ran := time.Since(deadline.Add(-runFor))

	// The node must still answer a legitimate caller.
	if _, err := root.GetWorkspace(ctx, "victim"); err != nil {
		t.Errorf("after the run, a legitimate read fails: %v", err)
	}
	fdsAfter, gAfter := p.settle(fdsBefore+fdTolerance, gBefore+goroutineTolerance, 60*time.Second)
	digestAfter := p.digest()

	changed := "unchanged"
	if digestAfter != digestBefore {
		changed = "CHANGED"
	}
	hist := st.histogram()
	st.mu.Lock()
	line := fmt.Sprintf("abuse: duration=%s seed=%d requests=%d statuses=%s 5xx=%d longest=%s (%s) slow-cut-after<=%s fds=%d->%d goroutines=%d->%d digest=%s",
		ran.Round(time.Second), sd, st.sent, hist, st.fiveXX, st.longest.Round(time.Millisecond), st.longestRq, st.longestCut.Round(time.Millisecond),
		fdsBefore, fdsAfter, gBefore, gAfter, changed)
	st.mu.Unlock()
	fmt.Println(line)
	t.Log(line)

	if st.fiveXX > 0 {
		t.Errorf("%d answers were 5xx", st.fiveXX)
	}
	for _, a := range st.accepted {
		t.Errorf("a hostile write was accepted: %s", a)
	}
	for _, a := range st.stuck {
		t.Errorf("unanswered past its bound: %s", a)
	}
	if fdsAfter > fdsBefore+fdTolerance {
		t.Errorf("descriptors grew from %d to %d (tolerance %d)", fdsBefore, fdsAfter, fdTolerance)
	}
	if gAfter > gBefore+goroutineTolerance {
		t.Errorf("goroutines grew from %d to %d (tolerance %d)", gBefore, gAfter, goroutineTolerance)
	}
	if digestAfter != digestBefore {
		t.Errorf("the data digest changed: %s -> %s", digestBefore, digestAfter)
	}
}

// oneRequest sends req on a new connection and reads the answer.
func oneRequest(addr, req string, write bool, st *stats) {
	conn, err := net.DialTimeout("tcp", addr, answerBound)
	if err != nil {
		st.record("dial-error", 0, req)
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(answerBound))
	start := time.Now()
	if _, err := io.WriteString(conn, req); err != nil {
		// The node may close on a request it refuses before reading it
		// all (431): read what it answered.
		st.mu.Lock()
		st.codes["write-cut"]++
		st.mu.Unlock()
	}
	if strings.Contains(req, "Content-Length") && !strings.Contains(req, "Transfer-Encoding") {
		// A body shorter than announced: half-close so the node sees it
		// end, as with a client that gave up.
		if cl, ok := declaredLength(req); ok && cl > len(bodyOf(req)) {
			_ = conn.(*net.TCPConn).CloseWrite()
		}
	}
	method, _, _ := strings.Cut(req, " ")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	for err == nil && resp.StatusCode == http.StatusContinue { // interim: read on
		resp, err = http.ReadResponse(br, &http.Request{Method: method})
	}
	took := time.Since(start)
	switch {
	case err == nil:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		st.record(strconv.Itoa(resp.StatusCode), took, req)
		if write && resp.StatusCode >= 200 && resp.StatusCode < 300 && strings.Contains(req, base) {
			st.fail(&st.accepted, fmt.Sprintf("%d %s", resp.StatusCode, firstLine(req)))
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		st.record("unanswered", took, req)
		st.fail(&st.stuck, firstLine(req))
	default:
		// The node closed without an answer: what net/http does with
		// bytes that are not HTTP at all (e.g. an HTTP/2 preface).
		st.record("closed", took, req)
	}
}

func declaredLength(req string) (int, bool) {
	head, _, _ := strings.Cut(req, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

func bodyOf(req string) string {
	_, b, _ := strings.Cut(req, "\r\n\r\n")
	return b
}

// slowClients keeps up to 24 connections that trickle a request one byte
// a second; the node must cut each off (or answer it) within heldBound.
func slowClients(addr string, stop *atomic.Bool, st *stats) {
	reqs := []string{
		"GET " + base + "/workspaces HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 200) + "\r\n\r\n",
		"POST " + base + "/workspaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"name\":\"" + strings.Repeat("s", 300),
		"PUT /v1/cluster/transfer-leadership HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("s", 100),
	}
	sem := make(chan struct{}, 24)
	var wg sync.WaitGroup
	for i := 0; !stop.Load(); i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			req := reqs[i%len(reqs)]
			conn, err := net.DialTimeout("tcp", addr, answerBound)
			if err != nil {
				st.record("dial-error", 0, req)
				return
			}
			defer conn.Close()
			start := time.Now()
			closed := make(chan struct{})
			go func() { // the node's answer or close
				defer close(closed)
				_ = conn.SetReadDeadline(time.Now().Add(heldBound))
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				code := "closed"
				switch {
				case err == nil:
					code = strconv.Itoa(resp.StatusCode)
					resp.Body.Close()
				case errors.Is(err, os.ErrDeadlineExceeded):
					code = "held"
					st.fail(&st.stuck, "slow "+firstLine(req))
				}
				st.record(code, time.Since(start), "slow "+req)
			}()
			for j := 0; j < len(req); j++ {
				if _, err := conn.Write([]byte{req[j]}); err != nil {
					break
				}
				select {
				case <-closed:
					return
				case <-time.After(time.Second): // the trickle's pace
				}
			}
			<-closed
		}()
		time.Sleep(200 * time.Millisecond) // pacing new slow clients
	}
	wg.Wait()
}

// unread asks for answers and never reads them: a snapshot download and
// a big page, then holds the connections until the node lets go of them.
func unread(addr string, tk tokens, st *stats) {
	reqs := []string{
		"GET /v1/cluster/snapshot HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET " + base + "/workspaces?page_size=1000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tk.viewer + "\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	var conns []net.Conn
	for _, req := range reqs {
		conn, err := net.DialTimeout("tcp", addr, answerBound)
		if err != nil {
			st.record("dial-error", 0, req)
			continue
		}
		if _, err := io.WriteString(conn, req); err != nil {
			conn.Close()
			continue
		}
		conns = append(conns, conn)
	}
	// Hold them past the node's idle timeout, reading nothing, then see
	// whether the node closed them: drain with a bound.
	time.Sleep(12 * time.Second) // holding the answers unread is the attack
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(heldBound))
		_, err := io.Copy(io.Discard, c)
		code := "unread-closed"
		if errors.Is(err, os.ErrDeadlineExceeded) {
			code = "unread-held"
			st.fail(&st.stuck, "unread "+firstLine(reqs[i]))
		}
		st.record(code, 0, reqs[i])
		c.Close()
	}
}

// flood opens floodSize idle connections at once, holds them 2s, and
// closes them.
func flood(addr string, st *stats) {
	var conns []net.Conn
	for range floodSize {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			st.record("flood-dial-error", 0, "flood")
			continue
		}
		conns = append(conns, c)
	}
	st.mu.Lock()
	st.sent += len(conns)
	st.codes["flood-conn"] += len(conns)
	st.mu.Unlock()
	time.Sleep(2 * time.Second) // holding the flood is the attack
	for _, c := range conns {
		c.Close()
	}
}
