package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// newTransport returns the raft transport bound to RaftAddr and advertising
// AdvertiseRaft: plain TCP, or mutual TLS when RaftTLS is set (both sides
// verify the peer against the cluster CA, so a node without it cannot join
// or be joined).
func newTransport(cfg Config, log hclog.Logger) (*raft.NetworkTransport, error) {
	resolved, err := resolveHostPort(context.Background(), cfg.AdvertiseRaft)
	if err != nil {
		return nil, fmt.Errorf("advertise raft addr: %w", err)
	}
	adv, err := net.ResolveTCPAddr("tcp", resolved)
	if err != nil {
		return nil, fmt.Errorf("advertise raft addr %q: %w", cfg.AdvertiseRaft, err)
	}
	if cfg.RaftTLS == nil {
		t, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, adv, 5, 10*time.Second, log.Named("transport"))
		if err != nil {
			return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
		}
		return t, nil
	}
	ln, err := net.Listen("tcp", cfg.RaftAddr)
	if err != nil {
		return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
	}
	stream := &tlsStream{Listener: tls.NewListener(ln, cfg.RaftTLS.Server), adv: adv, client: cfg.RaftTLS.Client}
	return raft.NewNetworkTransportWithLogger(stream, 5, 10*time.Second, log.Named("transport")), nil
}

// TLSPair is the server and client side of a mutual TLS setup.
type TLSPair struct {
	Server *tls.Config
	Client *tls.Config
}

// tlsStream is a raft.StreamLayer over mutual TLS.
type tlsStream struct {
	net.Listener
	adv    net.Addr
	client *tls.Config
}

func (s *tlsStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	conn, err := tls.DialWithDialer(d, "tcp", string(addr), s.client)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

func (s *tlsStream) Addr() net.Addr { return s.adv }
