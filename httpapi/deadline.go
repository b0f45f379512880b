package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// Request deadlines.
//
// Every entities API request has a deadline: now plus X-Wsd-Timeout when
// the caller sends it (relative, since client clocks differ), clamped to
// [MinTimeout, Config.MaxTimeout], else now plus Config.DefaultTimeout.
// Other paths (health, cluster admin) honour the header when sent and
// otherwise keep their own fixed bounds. The deadline is the request
// context's: every wait of the request (for a leader, a read index, an
// applied index, a proposal) ends by it, and cluster.Node.Apply carries it
// to the leader as an absolute time; a write is never proposed after it.
// An answer at the deadline says whether the write may have happened
// (outcome_unknown) or surely did not (no_leader, unavailable).

// MinTimeout is the shortest deadline accepted; shorter values are
// raised to it.
const MinTimeout = 50 * time.Millisecond

// parseTimeout reads a X-Wsd-Timeout value: a Go duration or a number of
// seconds, positive.
func parseTimeout(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil {
		return d, d > 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= float64(1<<62)/float64(time.Second)) { // NaN too
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// withDeadline returns r with its deadline set (see above) and the
// function that releases it; a bad X-Wsd-Timeout is a 422 naming the
// header.
func (s *Server) withDeadline(r *http.Request) (*http.Request, context.CancelFunc, error) {
	d := time.Duration(0)
	if v := r.Header.Get(client.HeaderTimeout); v != "" {
		t, ok := parseTimeout(v)
		if !ok {
			var is issues
			is.add("duration_parsing", "Input should be a positive duration such as '3s' or '1500ms', or a number of seconds", v, "header", client.HeaderTimeout)
			return r, func() {}, is.err()
		}
		d = min(max(t, MinTimeout), s.cfg.MaxTimeout)
	} else if underBasePath(r.URL.Path) {
		d = s.cfg.DefaultTimeout
	}
	if d <= 0 {
		return r, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return r.WithContext(ctx), cancel, nil
}
