package testserver

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports for servers started on fixed addresses in tests come from below
// the kernel's ephemeral range. The old helper listened on port 0, closed
// the listener and handed its port out: the kernel could give that port to
// any outgoing connection (a gossip probe, an HTTP client) before the
// server bound it, and the server then failed with "address already in
// use". On a clean-clone CI run that killed one node of a three-node
// cluster, and the other two waited for it forever (issue 12, finding 5).
// The kernel never picks a port outside ip_local_port_range, so once a
// port here is free, only another test can take it: this process never
// hands a port out twice, and different processes start at different
// offsets (from the pid) and skip ports they cannot bind right now.
var ports = &portPool{}

type portPool struct {
	mu     sync.Mutex
	lo, hi int // [lo, hi)
	next   int
	given  map[int]bool
}

const portSpan = 12000

func (p *portPool) init() {
	ephemeralLow := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				ephemeralLow = v
			}
		}
	}
	p.hi = ephemeralLow
	p.lo = max(1024, p.hi-portSpan)
	p.next = p.lo + os.Getpid()*37%(p.hi-p.lo)
	p.given = map[int]bool{}
}

// take returns a loopback port that is free for TCP and UDP (gossip uses
// both) and that this process has not handed out before.
func (p *portPool) take() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.given == nil {
		p.init()
	}
	for range p.hi - p.lo {
		port := p.next
		p.next++
		if p.next >= p.hi {
			p.next = p.lo
		}
		if p.given[port] || !bindable(port) {
			continue
		}
		p.given[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no free port in [%d, %d)", p.lo, p.hi)
}

func bindable(port int) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}

// FreePort returns a TCP and UDP port on 127.0.0.1 that is free, outside
// the kernel's ephemeral range, and not handed out before by this process.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := ports.take()
	if err != nil {
		t.Fatalf("testserver: free port: %v", err)
	}
	return port
}

// FreeAddr is FreePort as "127.0.0.1:port".
func FreeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(FreePort(t))
}
