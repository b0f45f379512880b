package httpapi

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsd-dev/wsd/auth"
	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/cluster"
)

// Config configures a Server. Zero durations and sizes mean the defaults
// of DefaultConfig.
type Config struct {
	// Cluster is the replication layer the API serves from (required).
	Cluster Cluster
	// Logger receives request failures and recovered panics.
	Logger *slog.Logger
	// MaxStale is the longest leader silence after which a default read is
	// forwarded to the leader instead of being served locally.
	MaxStale time.Duration
	// LeaderWait is how long a request that needs the leader waits for one
	// to be known before it is answered 503.
	LeaderWait time.Duration
	// MinIndexWait bounds the wait for X-Wsd-Min-Index (and for the read
	// index of a linearizable read) to be applied locally.
	MinIndexWait time.Duration
	// MaxBodyBytes is the largest request body accepted; larger is a 413.
	MaxBodyBytes int64
	// MaxRestoreBytes is the largest snapshot POST /v1/cluster/restore
	// accepts (413 beyond); 0 means DefaultMaxRestoreBytes.
	MaxRestoreBytes int64
	// ForwardTransport carries requests proxied to the leader. It should
	// pool connections; nil means NewForwardTransport(nil), released by
	// Close. A cluster that serves HTTPS passes
	// NewForwardTransport(itsClientTLS).
	ForwardTransport http.RoundTripper
	// Registerer, when set, receives the HTTP request metrics.
	Registerer prometheus.Registerer
	// AuthEnabled turns authentication and authorization on: every
	// request under the base path must carry credentials that
	// Authenticator accepts (else 401), writes carry the caller to the
	// state machine and reads are checked against the role bindings (else
	// 403). Off, every caller may do everything and is recorded as "".
	AuthEnabled bool
	// Authenticator decides who is calling; required when AuthEnabled.
	Authenticator auth.Authenticator
	// StreamProgress is how long a stream (snapshot download, restore
	// upload) may go without moving a chunk before it is cut off.
	StreamProgress time.Duration
	// DefaultTimeout is the deadline of an entities API request that does
	// not send X-Wsd-Timeout; MaxTimeout caps the header (deadline.go) and
	// bounds every other request but the streams (limits.go).
	DefaultTimeout time.Duration
	MaxTimeout     time.Duration
}

// Defaults of Config.
const (
	DefaultMaxStale     = 5 * time.Second
	DefaultLeaderWait   = 7 * time.Second
	DefaultMinIndexWait = 5 * time.Second
	DefaultMaxBodyBytes = 64 << 10
	// DefaultRequestTimeout is longer than DefaultLeaderWait, so a write
	// that waits for a leader gets its no_leader answer first.
	DefaultRequestTimeout = 10 * time.Second
	DefaultMaxTimeout     = 60 * time.Second
)

// DefaultConfig returns a configuration with the defaults filled in; the
// caller sets Cluster (and usually Logger and Registerer).
func DefaultConfig() Config {
	return Config{
		MaxStale:     DefaultMaxStale,
		LeaderWait:   DefaultLeaderWait,
		MinIndexWait: DefaultMinIndexWait,
		MaxBodyBytes: DefaultMaxBodyBytes,

		StreamProgress: DefaultStreamProgress,
		DefaultTimeout: DefaultRequestTimeout,
		MaxTimeout:     DefaultMaxTimeout,
	}
}

// Validate checks the configuration and fills zero fields with defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Cluster == nil {
		errs = append(errs, errors.New("httpapi: cluster is nil"))
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"max stale", &c.MaxStale, DefaultMaxStale},
		{"leader wait", &c.LeaderWait, DefaultLeaderWait},
		{"min index wait", &c.MinIndexWait, DefaultMinIndexWait},
		{"stream progress", &c.StreamProgress, DefaultStreamProgress},
		{"default timeout", &c.DefaultTimeout, DefaultRequestTimeout},
		{"max timeout", &c.MaxTimeout, DefaultMaxTimeout},
	} {
		switch {
		case *d.v < 0:
			errs = append(errs, fmt.Errorf("httpapi: %s %s is negative", d.name, *d.v))
		case *d.v == 0:
			*d.v = d.def
		}
	}
	switch {
	case c.MaxBodyBytes < 0:
		errs = append(errs, fmt.Errorf("httpapi: max body bytes %d is negative", c.MaxBodyBytes))
	case c.MaxBodyBytes == 0:
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case c.MaxRestoreBytes < 0:
		errs = append(errs, fmt.Errorf("httpapi: max restore bytes %d is negative", c.MaxRestoreBytes))
	case c.MaxRestoreBytes == 0:
		c.MaxRestoreBytes = DefaultMaxRestoreBytes
	}
	if c.DefaultTimeout > c.MaxTimeout && c.MaxTimeout > 0 {
		errs = append(errs, fmt.Errorf("httpapi: default timeout %s is above the max timeout %s", c.DefaultTimeout, c.MaxTimeout))
	}
	if c.MaxStale > 0 && c.MaxStale < cluster.MinMaxStale {
		errs = append(errs, fmt.Errorf("httpapi: max stale %s is below %s, the least staleness a node can detect (raft's heartbeat timeout)", c.MaxStale, cluster.MinMaxStale))
	}
	if c.AuthEnabled && c.Authenticator == nil {
		errs = append(errs, errors.New("httpapi: authentication is enabled without an authenticator"))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}

// Server serves the HTTP API of one node.
type Server struct {
	cfg       Config
	c         Cluster
	log       *slog.Logger
	transport http.RoundTripper
	// ownTransport is the transport New created, closed by Close.
	ownTransport *http.Transport
	metrics      *httpMetrics
	handler      http.Handler
	bufs         sync.Pool // *bytes.Buffer for response encoding

	// Constant header values, shared by every response (net/http never
	// modifies header slices it is given).
	hdrJSON, hdrTrue, hdrFalse, hdrZero, hdrRetry []string

	// restoreIdle bounds how long a restore upload may send nothing
	// (ops.go); tests shorten it.
	restoreIdle time.Duration
}

// New builds a Server from cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		c:         cfg.Cluster,
		log:       cfg.Logger,
		transport: cfg.ForwardTransport,
		hdrJSON:   []string{"application/json"},
		hdrTrue:   []string{"true"},
		hdrFalse:  []string{"false"},
		hdrZero:   []string{"0"},
		hdrRetry:  []string{"1"},

		restoreIdle: defaultRestoreIdle,
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	if s.transport == nil {
		s.ownTransport = NewForwardTransport(nil)
		s.transport = s.ownTransport
	}
	if cfg.Registerer != nil {
		m, err := newHTTPMetrics(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	s.handler = s.recoverer(s.meta(s.deadlines(s.router())))
	return s, nil
}

// NewForwardTransport returns a pooled transport for requests proxied to
// the leader, using tlsConfig (nil for plain HTTP) towards peers. It never
// uses an HTTP proxy from the environment.
func NewForwardTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		TLSClientConfig: tlsConfig,
		Proxy:           nil, // node-to-node traffic never goes through an HTTP proxy
		DialContext: (&net.Dialer{
			Timeout:   3 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		// Shorter than the peers' server idle timeout (2 minutes in
		// cmd/wsd), so this side usually closes an idle connection first
		// and a forwarded write is rarely sent on one the leader is
		// closing (which would make its outcome unknown).
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the idle connections of the transport New created. The
// handler stays usable.
func (s *Server) Close() error {
	if s.ownTransport != nil {
		s.ownTransport.CloseIdleConnections()
	}
	return nil
}

// router builds the route table. Each path has one route whose handler
// dispatches on the method, so a wrong method on a known path is a 405
// with Allow, and an unknown path is a JSON 404.
func (s *Server) router() http.Handler {
	r := mux.NewRouter()
	// Match on the escaped path, so an entity name sent as a%2Fb stays one
	// path segment, and never clean or redirect paths: an entity name may
	// contain "//" or "..".
	r.UseEncodedPath()
	r.SkipClean(true)
	r.NotFoundHandler = s.instrument("unmatched", s.authenticate(s.wrap(s.notFound)))
	r.MethodNotAllowedHandler = r.NotFoundHandler

	ws := client.BasePath + "/workspaces"
	s.route(r, ws,
		get(s.listWorkspaces),
		propose(http.MethodPost, s.createWorkspace))
	s.route(r, ws+"/{name}",
		get(s.getWorkspace),
		propose(http.MethodPut, s.updateWorkspace),
		propose(http.MethodDelete, s.deleteWorkspace))
	s.route(r, ws+"/{ws}/entity-refs",
		get(s.listRefs))
	s.route(r, ws+"/{ws}/entity-refs/{entity_type}/{entity_name:.+}",
		propose(http.MethodPut, s.acquireRef),
		propose(http.MethodDelete, s.releaseRef))
	s.route(r, ws+"/{ws}/usage",
		get(s.usage))

	s.projectRoutes(r)
	s.memberRoutes(r)

	s.route(r, "/healthz", get(s.healthz))
	s.route(r, "/readyz", get(s.readyz))
	s.clusterRoutes(r)
	s.opsRoutes(r)
	return r
}

// endpoint answers one request. It returns the reply to encode, or an
// error for writeError; errProxied means the answer was already written.
type endpoint func(w http.ResponseWriter, r *http.Request) (reply, error)

// writeEndpoint is an endpoint that changes state. It runs on the leader
// only and gets the request body, already read and size-checked.
type writeEndpoint func(w http.ResponseWriter, r *http.Request, body []byte) (reply, error)

// reply is a successful answer: status, body and the log index it
// reflects (0: the node's current index).
type reply struct {
	status int
	index  uint64
	body   any
}

type methodHandler struct {
	method string
	read   endpoint
	write  writeEndpoint
	// local: write runs on the node that receives the request, which
	// builds its command and hands it to Cluster.Apply.
	local bool
}

func get(e endpoint) methodHandler { return methodHandler{method: http.MethodGet, read: e} }

// write is an admin call that only the leader can carry out: a follower
// proxies the HTTP request to the leader (forward.go).
func write(method string, e writeEndpoint) methodHandler {
	return methodHandler{method: method, write: e}
}

// propose is an entities API write: any node builds the command (ids,
// timestamps, caller) and Cluster.Apply proposes it on the leader, sending
// it there over the peer service when needed; the receiving node answers.
func propose(method string, e writeEndpoint) methodHandler {
	return methodHandler{method: method, write: e, local: true}
}

// methodSwitch dispatches one path's requests on their method.
type methodSwitch struct {
	s       *Server
	gated   bool // refused while the node's Admission fails
	methods []string
	hs      []http.Handler
	allow   []string
}

func (m *methodSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.gated && !m.s.admitted(w, r) {
		return
	}
	r, cancel, err := m.s.withDeadline(r)
	if err != nil {
		m.s.writeError(w, r, 0, err)
		return
	}
	defer cancel()
	for i, method := range m.methods {
		if r.Method == method {
			m.hs[i].ServeHTTP(w, r)
			return
		}
	}
	w.Header()["Allow"] = m.allow
	m.s.writeError(w, r, 0, errMethodNotAllowed)
}

func (s *Server) route(r *mux.Router, tmpl string, ms ...methodHandler) {
	sw := &methodSwitch{s: s}
	for _, m := range ms {
		var h http.Handler
		switch {
		case m.write != nil && m.local:
			h = s.wrap(s.localWrite(m.write))
		case m.write != nil:
			h = s.wrap(s.leaderWrite(m.write))
		default:
			h = s.wrap(m.read)
		}
		sw.methods = append(sw.methods, m.method)
		sw.hs = append(sw.hs, h)
	}
	sw.allow = []string{strings.Join(sw.methods, ", ")}
	sw.gated = !admissionExempt[tmpl]
	r.Handle(tmpl, s.instrument(tmpl, s.authenticate(sw)))
}

// wrap turns an endpoint into a handler that writes its reply or error.
func (s *Server) wrap(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := e(w, r)
		switch {
		case err == errProxied:
		case err != nil:
			s.writeError(w, r, rep.index, err)
		default:
			s.writeJSON(w, rep.status, rep.index, rep.body)
		}
	})
}

// leaderWrite reads the body of a write and runs it here when this node
// leads, or proxies it to the leader.
func (s *Server) leaderWrite(e writeEndpoint) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (reply, error) {
		if err := checkContentType(r); err != nil {
			return reply{}, err
		}
		body, err := s.readBody(w, r)
		if err != nil {
			return reply{}, err
		}
		if !s.c.IsLeader() {
			return reply{}, s.proxy(w, r, body, true)
		}
		return e(w, r, body)
	}
}

// localWrite reads the body of a write and runs it on this node.
func (s *Server) localWrite(e writeEndpoint) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (reply, error) {
		if err := checkContentType(r); err != nil {
			return reply{}, err
		}
		body, err := s.readBody(w, r)
		if err != nil {
			return reply{}, err
		}
		return e(w, r, body)
	}
}

// meta sets the headers every response carries; X-Wsd-Index is set when
// the answer is written, once it is known which state it reflects.
func (s *Server) meta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = s.hdrJSON
		if s.c.IsLeader() {
			h[client.HeaderKnownLeader] = s.hdrTrue
			h[client.HeaderLastContact] = s.hdrZero
		} else {
			if _, ok := s.c.Leader(); ok {
				h[client.HeaderKnownLeader] = s.hdrTrue
			} else {
				h[client.HeaderKnownLeader] = s.hdrFalse
			}
			h[client.HeaderLastContact] = []string{lastContactMS(s.c.LastContact())}
		}
		next.ServeHTTP(w, r)
	})
}

// lastContactMS renders the leader silence in milliseconds; -1 when this
// node has never heard from a leader.
func lastContactMS(d time.Duration) string {
	if d >= 1<<62 {
		return "-1"
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// recoverer turns a panic into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http aborts the response quietly
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.writeError(w, r, 0, errPanic)
		}()
		next.ServeHTTP(w, r)
	})
}

// writeJSON encodes body into a pooled buffer and writes it with status
// and X-Wsd-Index (the node's current index when idx is 0).
func (s *Server) writeJSON(w http.ResponseWriter, status int, idx uint64, body any) {
	buf := s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			s.bufs.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		s.log.Error("encoding response", "status", status, "err", err)
		buf.Reset()
		buf.WriteString(`{"detail":"Internal Server Error"}` + "\n")
		status = http.StatusInternalServerError
		w.Header().Set(client.HeaderErrorCode, codeInternal)
	}
	if idx == 0 {
		idx = s.c.FSM().State().Index()
	}
	h := w.Header()
	h[client.HeaderIndex] = []string{strconv.FormatUint(idx, 10)}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// now is the timestamp of a command proposed by this node.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
