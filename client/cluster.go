package client

import (
	"context"
	"errors"
	"net/http"
)

// Members lists the servers of the cluster, as seen by the current
// endpoint.
func (c *Client) Members(ctx context.Context) ([]ClusterMember, error) {
	var m ClusterMembers
	_, err := c.do(ctx, call{method: http.MethodGet, path: MembersPath, read: true}, &m)
	if err != nil {
		return nil, err
	}
	return m.Members, nil
}

// SyncEndpoints replaces the endpoint list with the HTTP addresses of the
// cluster's members. The current endpoint stays current if it is still a
// member. Members without a valid address are skipped; if none is left the
// list is not changed and an error is returned.
func (c *Client) SyncEndpoints(ctx context.Context) error {
	members, err := c.Members(ctx)
	if err != nil {
		return err
	}
	var eps []string
	seen := map[string]bool{}
	for _, m := range members {
		ep, err := normalizeEndpoint(m.HTTPAddr)
		if err != nil || seen[ep] {
			continue
		}
		seen[ep] = true
		eps = append(eps, ep)
	}
	if len(eps) == 0 {
		return errors.New("client: cluster members have no usable http_addr")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.endpoints[c.cur]
	c.endpoints, c.cur = eps, 0
	for i, ep := range eps {
		if ep == cur {
			c.cur = i
		}
	}
	return nil
}
