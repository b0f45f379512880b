package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults used by DefaultConfig and for zero Config fields.
const (
	DefaultEndpoint     = "http://localhost:8080"
	DefaultMaxRetries   = 3
	DefaultRetryBackoff = 100 * time.Millisecond
	DefaultUserAgent    = "wsd-go-client"

	// maxBackoff caps the exponential backoff between attempts.
	maxBackoff = 2 * time.Second
	// maxRetryAfter caps how long a server's Retry-After can make us wait.
	maxRetryAfter = 5 * time.Second
	// maxBody bounds how much of a response body is read.
	maxBody = 32 << 20
)

// Config configures a Client. Start from DefaultConfig.
type Config struct {
	// Endpoints are base URLs of wsd nodes (or of a load balancer), e.g.
	// http://wsd-0.wsd:8080. The client sticks to one and moves to the next
	// when it cannot be reached or answers 503.
	Endpoints []string
	// HTTPClient sends the requests. Nil means a new client with its own
	// transport (never http.DefaultClient). Its Timeout, if any, bounds each
	// attempt; ctx bounds the whole call.
	HTTPClient *http.Client
	// Token, when set, is sent as "Authorization: Bearer <Token>". It is
	// StaticToken(Token) as TokenSource; set one or the other.
	Token string
	// TokenSource, when set, supplies the bearer token before every
	// attempt (tokens that expire: FileTokenSource, or your own). After a
	// 401 a source that is a TokenInvalidator is told, and the request is
	// sent once more with the new token.
	TokenSource TokenSource
	// TLS configures HTTPS (trusted authorities, client certificate) for
	// the client's own transport; it cannot be combined with HTTPClient.
	TLS *TLSConfig
	// UserAgent is sent on every request; empty means DefaultUserAgent.
	UserAgent string
	// MaxRetries bounds the extra attempts of one call. Zero means
	// DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// RetryBackoff is the first delay between attempts, doubled after each
	// (up to 2s). Zero means DefaultRetryBackoff.
	RetryBackoff time.Duration
	// NoIdempotencyKeys stops the client from sending an Idempotency-Key
	// with every write. With keys (the default) a write whose outcome is
	// unknown (lost answer, 503 outcome_unknown) is repeated with the same
	// key, and the server answers a repeat of an applied write with its
	// first answer instead of applying it twice. Without keys such a write
	// is never repeated. Servers older than idempotency keys ignore the
	// header: set this when talking to them.
	NoIdempotencyKeys bool
}

// DefaultConfig returns a Config for a node on localhost:8080. It reads no
// environment variables.
func DefaultConfig() Config {
	return Config{
		Endpoints:    []string{DefaultEndpoint},
		UserAgent:    DefaultUserAgent,
		MaxRetries:   DefaultMaxRetries,
		RetryBackoff: DefaultRetryBackoff,
	}
}

// Validate checks that there is at least one endpoint and that each is an
// absolute http or https URL without query or fragment.
func (c Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("client: no endpoints")
	}
	for _, ep := range c.Endpoints {
		if _, err := normalizeEndpoint(ep); err != nil {
			return err
		}
	}
	if c.Token != "" && c.TokenSource != nil {
		return errNoTokenSource
	}
	if c.TLS != nil && c.HTTPClient != nil {
		return errors.New("client: set TLS or HTTPClient, not both (configure TLS on your HTTPClient's transport)")
	}
	if c.RetryBackoff < 0 {
		return fmt.Errorf("client: negative retry backoff %s", c.RetryBackoff)
	}
	return nil
}

func normalizeEndpoint(ep string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(ep))
	if err != nil {
		return "", fmt.Errorf("client: endpoint %q: %w", ep, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("client: endpoint %q: scheme must be http or https", ep)
	}
	if u.Host == "" {
		return "", fmt.Errorf("client: endpoint %q: no host", ep)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("client: endpoint %q: must not have user info, query or fragment", ep)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Client talks to a wsd cluster. It is safe for concurrent use.
type Client struct {
	hc           *http.Client
	ownTransport bool
	tokens       TokenSource // nil: no Authorization header
	userAgent    string
	maxRetries   int
	backoff      time.Duration
	noKeys       bool

	mu        sync.Mutex
	endpoints []string
	cur       int

	lastIndex atomic.Uint64
}

// New returns a Client for cfg after validating it.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		hc:         cfg.HTTPClient,
		tokens:     cfg.TokenSource,
		userAgent:  cfg.UserAgent,
		maxRetries: cfg.MaxRetries,
		backoff:    cfg.RetryBackoff,
		noKeys:     cfg.NoIdempotencyKeys,
	}
	for _, ep := range cfg.Endpoints {
		n, _ := normalizeEndpoint(ep)
		c.endpoints = append(c.endpoints, n)
	}
	if c.tokens == nil && cfg.Token != "" {
		c.tokens = StaticToken(cfg.Token)
	}
	if c.hc == nil {
		t := newTransport()
		if cfg.TLS != nil {
			tc, err := cfg.TLS.build()
			if err != nil {
				return nil, err
			}
			t.TLSClientConfig = tc
		}
		c.hc = &http.Client{Transport: t}
		c.ownTransport = true
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoff == 0 {
		c.backoff = DefaultRetryBackoff
	}
	return c, nil
}

// newTransport is a private copy of the standard transport, so that Close
// only affects this client's connections.
func newTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{}
}

// Close releases idle connections. The Client stays usable.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// LastIndex is the highest X-Wsd-Index seen in any answer. Reads send it
// as X-Wsd-Min-Index, so a read never reflects less than this client has
// already seen (read-your-writes across nodes and load balancers).
func (c *Client) LastIndex() uint64 { return c.lastIndex.Load() }

// Endpoints returns the endpoints the client currently uses, the current
// one first.
func (c *Client) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.endpoints))
	for i := range c.endpoints {
		out = append(out, c.endpoints[(c.cur+i)%len(c.endpoints)])
	}
	return out
}

func (c *Client) observeIndex(h http.Header) {
	v := h.Get(HeaderIndex)
	if v == "" {
		return
	}
	idx, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return
	}
	for {
		old := c.lastIndex.Load()
		if idx <= old || c.lastIndex.CompareAndSwap(old, idx) {
			return
		}
	}
}

// endpoint returns the current endpoint and its position.
func (c *Client) endpoint() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpoints[c.cur], c.cur
}

// failover moves off the endpoint at position i, unless another call has
// already moved on.
func (c *Client) failover(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == i {
		c.cur = (i + 1) % len(c.endpoints)
	}
}

func (c *Client) numEndpoints() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.endpoints)
}

// call is one logical API call, possibly sent several times.
type call struct {
	method string
	path   string // absolute path, already escaped
	query  url.Values
	body   any
	// read marks a call that changes nothing and may be repeated freely.
	read bool
	opts readOptions
	// key is the write's idempotency key, the same on every attempt; ""
	// for reads and when keys are off.
	key string
}

// do runs cl with the retry policy and decodes a 2xx body into out (when
// out is not nil). It returns the status code of the final answer.
func (c *Client) do(ctx context.Context, cl call, out any) (int, error) {
	if err := checkPath(cl.method, cl.path); err != nil {
		return 0, err
	}
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return 0, fmt.Errorf("client: encode request: %w", err)
		}
		body = b
	}
	if !cl.read && !c.noKeys && cl.key == "" {
		cl.key = newIdempotencyKey()
	}
	reauthorized := false
	for attempt := 0; ; attempt++ {
		tok := ""
		if c.tokens != nil {
			t, err := c.tokens.Token(ctx)
			if err != nil {
				return 0, fmt.Errorf("wsd: %s %s: %w", cl.method, cl.path, err)
			}
			tok = t
		}
		ep, pos := c.endpoint()
		status, err := c.attempt(ctx, ep, cl, body, tok, out)
		if err == nil {
			return status, nil
		}
		if ctx.Err() != nil {
			return status, err
		}
		if status == http.StatusUnauthorized && !reauthorized && c.reauthorize(ctx, tok) {
			// The refused request was not applied: send it once more
			// with the new token, outside the retry budget.
			reauthorized = true
			attempt--
			continue
		}
		retry, switchEndpoint, wait := c.classify(cl, err, attempt)
		if switchEndpoint {
			c.failover(pos)
		}
		limit := c.maxRetries
		if limit > 0 {
			// Enough attempts to try every endpoint once.
			limit = max(limit, c.numEndpoints()-1)
		}
		if !retry || attempt >= limit {
			return status, err
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return status, err
			case <-t.C:
			}
		}
	}
}

// reauthorize tells the token source that refused was refused, and
// reports whether it now gives another token.
func (c *Client) reauthorize(ctx context.Context, refused string) bool {
	inv, ok := c.tokens.(TokenInvalidator)
	if !ok {
		return false
	}
	inv.InvalidateToken(refused)
	tok, err := c.tokens.Token(ctx)
	return err == nil && tok != refused
}

// getJSON reads path (with query q and the read options) into a new T.
func getJSON[T any](ctx context.Context, c *Client, path string, q url.Values, opts []ReadOption) (*T, error) {
	ro := newReadOptions(opts)
	var v T
	if _, err := c.do(ctx, call{method: http.MethodGet, path: path, query: ro.query(q), read: true, opts: ro}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// sendJSON sends a write with body (nil for none) and decodes the answer
// into a new T.
func sendJSON[T any](ctx context.Context, c *Client, method, path string, body any) (*T, error) {
	var v T
	if _, err := c.do(ctx, call{method: method, path: path, body: body}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// classify applies the retry policy to a failed attempt: whether to try
// again, whether to move to the next endpoint first, and how long to wait.
//
// Reads are repeated after any transport error and after a 503. Writes are
// repeated when they certainly did not reach a server (the connection was
// never established or no byte of the request was written) or when the
// server said, with code no_leader, unavailable or cluster_mismatch, that
// it did not apply them. A write whose outcome is unknown (the answer was
// lost, or 503 outcome_unknown) is repeated only when it carries an
// idempotency key: the server then applies it at most once and answers a
// repeat with the first answer.
func (c *Client) classify(cl call, err error, attempt int) (retry, switchEndpoint bool, wait time.Duration) {
	backoff := c.backoff << min(attempt, 16)
	if backoff > maxBackoff || backoff <= 0 {
		backoff = maxBackoff
	}
	var te *transportError
	if errors.As(err, &te) {
		retry = cl.read || !te.sent || cl.key != ""
		// Try every endpoint once before backing off.
		if (attempt+1)%c.numEndpoints() != 0 {
			backoff = 0
		}
		return retry, true, backoff
	}
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		return false, false, 0
	}
	retry = cl.read || se.Code == CodeNoLeader || se.Code == CodeUnavailable || se.Code == CodeClusterMismatch || (cl.key != "" && se.Code == CodeOutcomeUnknown)
	if se.RetryAfter > 0 {
		backoff = min(se.RetryAfter, maxRetryAfter)
	}
	return retry, true, backoff
}

// transportError is a failed attempt that got no HTTP answer.
type transportError struct {
	endpoint string
	// sent reports whether any part of the request may have reached the
	// server.
	sent bool
	// class is ErrUnavailable, or ErrOutcomeUnknown for a write that may
	// have been applied.
	class error
	err   error
}

func (e *transportError) Error() string {
	var ue *url.Error
	if errors.As(e.err, &ue) {
		// It names the method and URL already.
		return fmt.Sprintf("%v: %v", e.class, e.err)
	}
	return fmt.Sprintf("%v: %s: %v", e.class, e.endpoint, e.err)
}

func (e *transportError) Unwrap() []error { return []error{e.class, e.err} }

// attempt sends the call once to ep.
func (c *Client) attempt(ctx context.Context, ep string, cl call, body []byte, token string, out any) (int, error) {
	u := ep + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	sent := new(atomic.Bool)
	req, err := http.NewRequestWithContext(withSentTrace(ctx, sent), cl.method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("client: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if t, ok := headerTimeout(ctx, c.hc.Timeout, time.Now()); ok {
		req.Header.Set(HeaderTimeout, t)
	}
	if cl.key != "" {
		req.Header.Set(HeaderIdempotencyKey, cl.key)
	}
	if cl.read {
		minIdx := max(c.LastIndex(), cl.opts.minIndex)
		if minIdx > 0 {
			req.Header.Set(HeaderMinIndex, strconv.FormatUint(minIdx, 10))
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportFailure(ctx, ep, cl, sent.Load() && !isDialError(err), err)
	}
	defer closeBody(resp.Body)
	c.observeIndex(resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		// The server answered, so a write may have been applied.
		return resp.StatusCode, c.transportFailure(ctx, ep, cl, true, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, newStatusError(resp, data)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("client: decode %s %s answer: %w", cl.method, cl.path, err)
		}
	}
	return resp.StatusCode, nil
}

// transportFailure builds the error of an attempt without an answer. A
// write that may have reached the server is an ErrOutcomeUnknown; a
// context error stays visible to errors.Is.
func (c *Client) transportFailure(ctx context.Context, ep string, cl call, sent bool, err error) error {
	class := ErrUnavailable
	if !cl.read && sent {
		class = ErrOutcomeUnknown
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if class == ErrOutcomeUnknown {
			return fmt.Errorf("wsd: %s %s: %w: %w", cl.method, cl.path, class, ctxErr)
		}
		return fmt.Errorf("wsd: %s %s: %w", cl.method, cl.path, ctxErr)
	}
	return &transportError{endpoint: ep, sent: sent, class: class, err: err}
}

// closeBody drains what is left of a body (so the connection can be
// reused) and closes it.
func closeBody(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, maxBody))
	_ = b.Close()
}

// withSentTrace sets *sent once the request headers have been written to a
// connection: from then on the server may act on the request.
func withSentTrace(ctx context.Context, sent *atomic.Bool) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	})
}

// newIdempotencyKey returns a random key: 128 bits, hex.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// isDialError reports whether err happened while connecting, before any
// byte of the request could be sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// headerTimeout is the X-Wsd-Timeout of a request sent at now under ctx
// and an HTTP client timeout (0: none): the time left, less a margin so
// that the server's answer at its deadline still arrives in time. ok is
// false when there is no deadline to send.
func headerTimeout(ctx context.Context, clientTimeout time.Duration, now time.Time) (string, bool) {
	var left time.Duration
	dl, has := ctx.Deadline()
	if has {
		left = dl.Sub(now)
	}
	if clientTimeout > 0 && (!has || clientTimeout < left) {
		left, has = clientTimeout, true
	}
	if !has {
		return "", false
	}
	left -= min(left/10, 500*time.Millisecond)
	if left < time.Millisecond {
		left = time.Millisecond // the server raises it to its minimum
	}
	return strconv.FormatInt(left.Milliseconds(), 10) + "ms", true
}
