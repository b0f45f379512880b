package testserver

import (
	"net"
	"strconv"
	"testing"
)

// Ports are distinct, outside the ephemeral range, and bindable when
// handed out.
func TestFreePort_distinctOutsideEphemeral(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p < ports.lo || p >= ports.hi {
			t.Fatalf("port %d outside [%d, %d)", p, ports.lo, ports.hi)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d not bindable: %v", p, err)
		}
		l.Close()
	}
}
