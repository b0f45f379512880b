package cluster

import (
	"context"
	"fmt"
	"net"
	"time"
)

// resolveTimeout bounds how long a node waits for its own advertised name
// to resolve. In Kubernetes a pod's DNS record appears shortly after the
// pod starts, so failing at once would only cost a restart.
const resolveTimeout = 2 * time.Minute

// resolveHostPort turns host:port into ip:port, retrying until the name
// resolves or resolveTimeout passes.
func resolveHostPort(ctx context.Context, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if net.ParseIP(host) != nil {
		return addr, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	var r net.Resolver
	for {
		ips, err := r.LookupIPAddr(ctx, host)
		if err == nil && len(ips) > 0 {
			return net.JoinHostPort(ips[0].IP.String(), port), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("resolving %q: %w (last error: %v)", host, ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}
