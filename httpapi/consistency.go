package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// readLevel is a read consistency level (?consistency=).
type readLevel uint8

const (
	// readDefault serves locally while the node is fresh enough (the
	// leader heard from within MaxStale and this node's applied index
	// within cluster.MaxApplyLag of the commit index the leader last
	// sent, see cluster.Node.FreshEnough); otherwise it waits for the
	// leader's read index locally, like readLinearizable.
	readDefault readLevel = iota
	// readStale serves locally whatever the leader state.
	readStale
	// readLinearizable reflects every write acknowledged before the read
	// began: a read index from the leader, applied locally.
	readLinearizable
)

// readOpts are a read's consistency requirements.
type readOpts struct {
	level    readLevel
	minIndex uint64
}

// parseReadOpts reads ?consistency= and X-Wsd-Min-Index.
func parseReadOpts(r *http.Request, q *query, is *issues) readOpts {
	var o readOpts
	if q.hasConsistency {
		switch q.consistency {
		case "default":
		case "stale":
			o.level = readStale
		case "linearizable":
			o.level = readLinearizable
		default:
			is.add("literal_error", "Input should be 'default', 'stale' or 'linearizable'", q.consistency, "query", "consistency")
		}
	}
	if v := r.Header.Get(client.HeaderMinIndex); v != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			is.add("int_parsing", "Input should be a valid non-negative integer, unable to parse string as an integer", v, "header", client.HeaderMinIndex)
		} else {
			o.minIndex = n
		}
	}
	return o
}

// readState returns the one state a read is answered from, as required by
// o. A read is always answered by this node: when it needs the leader (a
// linearizable read, or a default read on a node that is not FreshEnough:
// it has not heard from the leader within MaxStale, or it is more than
// cluster.MaxApplyLag entries behind the leader's commit index, or it is a
// leader not yet caught up with its own log) it gets the leader's read
// index (over the peer service, or its own) and waits until it has
// applied it.
func (s *Server) readState(_ http.ResponseWriter, r *http.Request, o readOpts) (*fsm.State, error) {
	ctx := r.Context()
	want := o.minIndex
	if want > s.c.FSM().State().Index() {
		// Far ahead of anything committed: refused at once, not held.
		if err := s.minIndexTooFar(want); err != nil {
			return nil, err
		}
	}
	if o.level == readLinearizable || (o.level == readDefault && !s.c.FreshEnough(s.cfg.MaxStale)) {
		idx, err := s.readIndexFor(r)
		if err != nil {
			return nil, err
		}
		want = max(want, idx)
	}
	st := s.c.FSM().State()
	if st.Index() >= want {
		return st, nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.MinIndexWait)
	defer cancel()
	st, err := s.c.WaitApplied(wctx, want)
	if err != nil {
		return nil, unavailable(fmt.Sprintf("This node has not applied index %d within %s (it is at %d); retry shortly", want, s.cfg.MinIndexWait, s.c.FSM().State().Index()))
	}
	return st, nil
}

// readIndexFor returns a read index from the leader, wherever it is,
// within LeaderWait and the request's deadline.
func (s *Server) readIndexFor(r *http.Request) (uint64, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LeaderWait)
	defer cancel()
	return s.c.LinearizableIndex(ctx)
}

// parseReadOnly reads the options of a read that takes no query parameter
// but ?consistency=.
func parseReadOnly(r *http.Request) (readOpts, error) {
	q := parseQuery(r.URL.RawQuery)
	var is issues
	ro := parseReadOpts(r, &q, &is)
	return ro, is.err()
}

// readIn answers a read of something inside the workspace {ws}: it reads
// the state ro asks for, refuses a workspace missing from it (404) or a
// caller without Viewer in it (403), and answers 200 with what answer
// returns. Answers and errors carry the index of the state read.
func (s *Server) readIn(w http.ResponseWriter, r *http.Request, ro readOpts, answer func(st *fsm.State, ws string) (any, error)) (reply, error) {
	st, err := s.readState(w, r, ro)
	if err != nil {
		return reply{}, err
	}
	ws, _ := pathVar(r, "ws")
	if _, ok := st.Workspace(ws); !ok {
		return reply{index: st.Index()}, workspaceNotFound(ws)
	}
	if err := s.authorizeRead(r, st, ws); err != nil {
		return reply{index: st.Index()}, err
	}
	body, err := answer(st, ws)
	if err != nil {
		return reply{index: st.Index()}, err
	}
	return reply{status: http.StatusOK, index: st.Index(), body: body}, nil
}
