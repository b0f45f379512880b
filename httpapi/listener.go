package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// Listener wraps the API's listener (issue 11):
//
//   - at most maxConns connections are open at once: past that, Accept
//     waits for one to close, and new connections wait in the kernel's
//     backlog without holding a descriptor of this process, so a flood of
//     connections cannot take the descriptors raft, gossip and the data
//     files need (cmd/wsd derives maxConns from RLIMIT_NOFILE);
//   - net/http answers some malformed requests itself, before any handler
//     runs, with a plain-text body: 400 (a request line or header it cannot
//     parse, e.g. a path with "%zz"), 431 (headers over MaxHeaderBytes), 501
//     (an unknown Transfer-Encoding), 505 (an unknown HTTP version) and 417
//     (an Expect it does not support, with no body at all). Those answers
//     are written to the connection in one piece, in forms no handler of
//     this API produces (a text/plain or empty 4xx/5xx with no Date header),
//     and each connection rewrites them into the API's JSON error body with
//     the usual headers (501 and 505 become 400: the client's doing);
//   - with tlsConfig, connections are TLS, handshaken under this wrapper so
//     that the rewriting sees the plain text (the handshake is bounded by
//     tlsHandshakeTimeout; Request.TLS is set as usual). A plain HTTP
//     request to the TLS port gets a JSON 400.
//
// maxConns ≤ 0 means no cap.
func (s *Server) Listener(ln net.Listener, maxConns int, tlsConfig *tls.Config) net.Listener {
	l := &apiListener{Listener: ln, s: s, tls: tlsConfig, done: make(chan struct{})}
	if maxConns > 0 {
		l.sem = make(chan struct{}, maxConns)
	}
	return l
}

// tlsHandshakeTimeout bounds a TLS handshake on the API listener.
const tlsHandshakeTimeout = 10 * time.Second

type apiListener struct {
	net.Listener
	s         *Server
	tls       *tls.Config
	sem       chan struct{} // nil: no cap
	done      chan struct{}
	closeOnce sync.Once
}

func (l *apiListener) Accept() (net.Conn, error) {
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		if l.sem != nil {
			<-l.sem
		}
		return nil, err
	}
	if l.sem != nil {
		c = &releasingConn{Conn: c, release: func() { <-l.sem }}
	}
	if l.tls != nil {
		tc := tls.Server(c, l.tls)
		return &tlsErrConn{errConn: errConn{Conn: tc, s: l.s}, tc: tc, raw: c}, nil
	}
	return &errConn{Conn: c, s: l.s}, nil
}

func (l *apiListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// releasingConn frees its slot once, when closed.
type releasingConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *releasingConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// closeWriter is a connection that can be half-closed; net/http uses it
// to let an error answer reach the client before the close (431).
type closeWriter interface{ CloseWrite() error }

func closeWrite(c net.Conn) error {
	if cw, ok := c.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

// CloseWrite half-closes the connection underneath.
func (c *releasingConn) CloseWrite() error { return closeWrite(c.Conn) }

// CloseWrite half-closes the connection underneath.
func (c *errConn) CloseWrite() error { return closeWrite(c.Conn) }

// errConn rewrites net/http's own plain-text error answers (see Listener).
type errConn struct {
	net.Conn
	s *Server
}

func (c *errConn) Write(p []byte) (int, error) {
	if out, ok := c.s.rewriteServerError(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// tlsErrConn is an errConn over TLS.
type tlsErrConn struct {
	errConn
	tc  *tls.Conn
	raw net.Conn

	once  sync.Once
	state tls.ConnectionState
}

// ConnectionState completes the handshake (bounded) and returns its state;
// net/http calls it once, before reading the first request, to set
// Request.TLS.
func (c *tlsErrConn) ConnectionState() tls.ConnectionState {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
		defer cancel()
		err := c.tc.HandshakeContext(ctx)
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
			_, _ = c.raw.Write(c.s.edgeError(http.StatusBadRequest, "Client sent an HTTP request to an HTTPS server"))
			_ = c.raw.Close()
		}
		c.state = c.tc.ConnectionState()
	})
	return c.state
}

// looksLikeHTTP reports whether the first bytes of a TLS record are an
// HTTP request line instead.
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH":
		return true
	}
	return false
}

// The forms of net/http's own error answers (net/http/server.go, conn.serve
// and response.sendExpectationFailed).
var (
	plainErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")
	expectationFailed = []byte("HTTP/1.1 417 Expectation Failed\r\n")
)

// rewriteServerError returns the JSON form of p when p is one of
// net/http's own error answers, written in one piece.
func (s *Server) rewriteServerError(p []byte) ([]byte, bool) {
	if len(p) < 13 || !bytes.HasPrefix(p, []byte("HTTP/1.")) || p[8] != ' ' {
		return nil, false
	}
	code, err := strconv.Atoi(string(p[9:12]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	if bytes.HasPrefix(p, expectationFailed) {
		if !bytes.HasSuffix(p, []byte("Content-Length: 0\r\n\r\n")) {
			return nil, false
		}
		return s.edgeError(code, "Expectation Failed: only 'Expect: 100-continue' is supported"), true
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 0 || !bytes.HasPrefix(p[eol:], plainErrorHeaders) {
		return nil, false
	}
	// The body is "<code> <text>", "<code> <text>: <why>" or a sentence.
	body := string(p[eol+len(plainErrorHeaders):])
	why := ""
	if _, rest, ok := strings.Cut(body, ": "); ok && len(body) > 3 && body[0] >= '0' && body[0] <= '9' {
		why = strings.TrimSpace(rest)
	} else if len(body) > 0 && (body[0] < '0' || body[0] > '9') {
		why = strings.TrimSpace(body)
	}
	// 501 (unknown Transfer-Encoding) and 505 (unknown HTTP version) are
	// the client's doing, not a fault of this server: they are answered
	// 400, so that a 5xx from wsd always means wsd could not serve.
	detail := http.StatusText(code)
	if code == http.StatusNotImplemented || code == http.StatusHTTPVersionNotSupported {
		code = http.StatusBadRequest
	}
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		detail += ": the request line and headers are over the limit"
	case why != "":
		detail += ": " + why
	case code == http.StatusBadRequest:
		detail += ": the request line or a header is malformed (e.g. a path that is not valid percent-encoding)"
	}
	return s.edgeError(code, detail), true
}

// edgeError is a complete HTTP/1.1 answer with status code and the JSON
// error body, closing the connection, with the headers every answer has.
func (s *Server) edgeError(code int, detail string) []byte {
	body, _ := json.Marshal(client.ErrorBody{Detail: detail})
	body = append(body, '\n')
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Connection", "close")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set(client.HeaderErrorCode, codeInvalid)
	h.Set(client.HeaderIndex, strconv.FormatUint(s.c.FSM().State().Index(), 10))
	switch {
	case s.c.IsLeader():
		h.Set(client.HeaderKnownLeader, "true")
		h.Set(client.HeaderLastContact, "0")
	default:
		_, ok := s.c.Leader()
		h.Set(client.HeaderKnownLeader, strconv.FormatBool(ok))
		h.Set(client.HeaderLastContact, lastContactMS(s.c.LastContact()))
	}
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}
