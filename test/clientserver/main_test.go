// Package clientserver_test runs the client module's calls against real
// wsd processes. It lives in the root module because the client module
// (../../client) depends on the standard library only and so cannot
// import internal/testserver.
package clientserver_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		testserver.RemoveBinaries()
		os.Exit(code)
	}))
}

// deadEndpoint is a URL on which nothing listens.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func newClient(t *testing.T, endpoints ...string) *client.Client {
	t.Helper()
	return newClientWith(t, func(*client.Config) {}, endpoints...)
}

func newClientWith(t *testing.T, mod func(*client.Config), endpoints ...string) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Endpoints = endpoints
	cfg.RetryBackoff = 10 * time.Millisecond
	mod(&cfg)
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
