package httpapi

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// serveWithListener serves a fake node's API through Server.Listener on a
// real http.Server, as cmd/wsd does.
func serveWithListener(t *testing.T, maxConns int, tlsConfig *tls.Config) string {
	t.Helper()
	_, api := newFakeServer(t, &fakeCluster{isLeader: always(true)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.Handler(), MaxHeaderBytes: 4 << 10, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(api.Listener(ln, maxConns, tlsConfig)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func rawExchange(t *testing.T, conn net.Conn, req string) (*http.Response, []byte) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", req[:min(len(req), 60)], err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestListener_serverErrorsAreJSON checks that the answers net/http gives
// itself, before any handler runs, carry the API's JSON error body and
// headers (issue 11: they were plain text).
func TestListener_serverErrorsAreJSON(t *testing.T) {
	addr := serveWithListener(t, 0, nil)
	for _, tc := range []struct {
		name, req string
		code      int
	}{
		{"bad escape", "GET /apis/entities/v2/workspaces/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 16<<10) + "\r\n\r\n", 431},
		{"no host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
		{"bad header", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400},
		{"HTTP/9.9", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400},
		{"transfer encoding", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n", 400},
		{"expect", "GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			resp, body := rawExchange(t, conn, tc.req)
			var e client.ErrorBody
			if resp.StatusCode != tc.code || json.Unmarshal(body, &e) != nil || e.Detail == "" {
				t.Fatalf("%d %q, want %d with a JSON detail", resp.StatusCode, body, tc.code)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get(client.HeaderErrorCode) != codeInvalid ||
				resp.Header.Get(client.HeaderIndex) == "" || resp.Header.Get(client.HeaderKnownLeader) == "" {
				t.Errorf("headers %v", resp.Header)
			}
		})
	}
}

// TestListener_capsConnections checks that past maxConns a connection is
// not served until another one closes.
func TestListener_capsConnections(t *testing.T) {
	addr := serveWithListener(t, 2, nil)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if resp, _ := rawExchange(t, c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
		held = append(held, c)
	}
	third, err := net.Dial("tcp", addr) // in the backlog, not accepted
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if _, err := io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	br := bufio.NewReader(third)
	if _, err := http.ReadResponse(br, nil); !os.IsTimeout(err) {
		t.Fatalf("a third connection with a cap of 2 was served (err %v)", err)
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a slot was freed: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestListener_TLS checks that requests over TLS are served with
// Request.TLS set, and that plain HTTP sent to the TLS port gets a JSON 400.
func TestListener_TLS(t *testing.T) {
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	cfg := hs.TLS.Clone()
	pool := hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	hs.Close()
	addr := serveWithListener(t, 4, cfg)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("healthz over TLS: %d", resp.StatusCode)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, body := rawExchange(t, conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	var e client.ErrorBody
	if r.StatusCode != 400 || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Detail, "HTTPS") {
		t.Fatalf("plain HTTP to the TLS port: %d %q", r.StatusCode, body)
	}
}
