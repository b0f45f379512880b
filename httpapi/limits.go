package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wsd-dev/wsd/cluster"
)

// Resource limits of one request (issue 11). The HTTP server itself
// (cmd/wsd) bounds how long reading headers and bodies, writing answers
// and idle keep-alive connections may take, the size of the headers and
// the number of open connections (listener.go); what is decided per route
// is here:
//
//   - every request but the streams has a deadline on its context: its
//     own (X-Wsd-Timeout or Config.DefaultTimeout, deadline.go) under the
//     base path, and Config.MaxTimeout as a backstop everywhere else:
//     waits for a leader, an apply, an index or a forwarded answer end
//     with it;
//   - the streams (the snapshot download and the restore upload, which may
//     take as long as their size needs) have no overall deadline but must
//     make progress: each chunk written or read moves the connection's
//     deadline Config.StreamProgress ahead (http.ResponseController), so a
//     reader that stops reading, or a sender that stops sending, is cut off
//     after that time.

// Defaults of the limits in Config.
const (
	DefaultStreamProgress = 30 * time.Second

	// maxMinIndexAhead is how far X-Wsd-Min-Index may be ahead of this
	// node's commit index: further, no write acknowledged to anyone can
	// have reached that index, so the request is refused at once instead
	// of being held for MinIndexWait.
	maxMinIndexAhead = 100_000

	// streamChunk is the largest write a stream makes under one progress
	// deadline.
	streamChunk = 64 << 10
)

// Errors of the request limits.
var (
	errBodyTimeout = &httpError{status: http.StatusRequestTimeout, code: codeInvalid,
		detail: "The request body did not arrive in time"}
	errBodyAborted = &httpError{status: http.StatusBadRequest, code: codeInvalid,
		detail: "The request body could not be read: the connection ended before it was complete"}
	errMediaType = &httpError{status: http.StatusUnsupportedMediaType, code: codeInvalid,
		detail: "Unsupported Media Type: send the request body as Content-Type: application/json"}
)

// isStream reports whether path is one of the streaming routes.
func isStream(path string) bool {
	return path == clusterSnapshotPath || path == clusterRestorePath
}

// deadlines applies the per-request deadline, or the progress deadlines
// of a stream.
func (s *Server) deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r.URL.Path) {
			rc := http.NewResponseController(w)
			pw := &progressWriter{ResponseWriter: w, rc: rc, every: s.cfg.StreamProgress}
			var pr *progressReader
			if r.Body != nil && r.Body != http.NoBody {
				pr = &progressReader{ReadCloser: r.Body, rc: rc, every: s.cfg.StreamProgress}
				r.Body = pr
			}
			next.ServeHTTP(pw, r)
			if pr != nil {
				pr.linger()
			}
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.MaxTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// progressWriter gives every chunk of a stream StreamProgress to be
// written.
type progressWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	every time.Duration
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		c := b[:min(len(b), streamChunk)]
		_ = p.rc.SetWriteDeadline(time.Now().Add(p.every))
		m, err := p.ResponseWriter.Write(c)
		n += m
		if err != nil {
			return n, err
		}
		b = b[m:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the connection.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// Flush passes flushes through.
func (p *progressWriter) Flush() { _ = p.rc.Flush() }

// progressReader gives every read of a streamed body StreamProgress.
type progressReader struct {
	io.ReadCloser
	rc    *http.ResponseController
	every time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	_ = p.rc.SetReadDeadline(time.Now().Add(p.every))
	return p.ReadCloser.Read(b)
}

// Bounds of progressReader.linger.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 64 << 20
)

// linger runs once the handler has answered an upload: it reads and
// discards what the handler left unread (an early refusal: too large,
// not a snapshot, not allowed), for at most lingerTime and lingerBytes.
// A client still sending its body then reads the answer before the
// connection closes; closing a socket with unread data in it resets the
// connection, and the reset can destroy the answer before the client
// has read it (a 413 or 422 would then look like a broken connection).
func (p *progressReader) linger() {
	_ = p.rc.Flush()
	end := time.Now().Add(lingerTime)
	_ = p.rc.SetReadDeadline(end)
	buf := make([]byte, 32<<10)
	for n := 0; n < lingerBytes && time.Now().Before(end); {
		m, err := p.ReadCloser.Read(buf) // not p.Read: keep the linger deadline
		n += m
		if err != nil {
			return
		}
	}
}

// checkContentType refuses (415) a JSON write whose body is not declared
// as JSON: with a body, Content-Type must be application/json (a charset
// parameter, if any, utf-8); a call without a body has nothing to declare. This also keeps browsers from posting forms or text/plain
// across sites without a CORS preflight.
func checkContentType(r *http.Request) error {
	ct, hasCT := r.Header["Content-Type"]
	hasBody := r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
	if !hasBody {
		return nil // nothing to declare: a call without a body (an admin action) may carry any Content-Type
	}
	if !hasCT {
		return errMediaType
	}
	if len(ct) != 1 {
		return errMediaType
	}
	mt, params, err := mime.ParseMediaType(ct[0])
	if err != nil || mt != "application/json" {
		return errMediaType
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return errMediaType
		}
	}
	return nil
}

// bodyReadError classifies a failure to read a request body: the limit
// (413), a body that stopped arriving (408), or one cut short (400). None
// is the server's fault.
func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errBodyTimeout
	}
	return errBodyAborted
}

// minIndexTooFar refuses (422) an X-Wsd-Min-Index that is more than
// maxMinIndexAhead past the commit index this node knows.
func (s *Server) minIndexTooFar(want uint64) error {
	commit := s.c.StatusWith(cluster.StatusOptions{SkipDigest: true}).CommitIndex
	if want <= commit || want-commit <= maxMinIndexAhead {
		return nil
	}
	var is issues
	is.add("value_error", fmt.Sprintf("Value error, index %d is more than %d ahead of the cluster's commit index %d: no acknowledged write can have it", want, maxMinIndexAhead, commit),
		fmt.Sprint(want), "header", "X-Wsd-Min-Index")
	return is.err()
}
