package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"
)

// FuzzGossipMeta feeds arbitrary gossip metadata to the membership view:
// what is not a wsd server's metadata (or is this node's own) is ignored,
// anything else is recorded as it decodes, and nothing panics.
func FuzzGossipMeta(f *testing.F) {
	for _, s := range []string{
		`{"id":"n2","raft":"10.0.0.2:8300","http":"http://10.0.0.2:8080","gossip":"10.0.0.2:8301","expect":3,"version":"v1","bootstrapped":true}`,
		`{"id":""}`, `{"id":"self"}`, `null`, `[]`, `{"id":1}`, `{"id":"n3","expect":-9223372036854775808}`,
		`{"id":"n4","raft":"` + "\x00" + `"}`, `{"id":"n5"}trailing`, "",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, meta []byte, alive bool) {
		var peers []Peer
		g := &gossip{self: Meta{ID: "self"}, members: map[string]*memberState{}, changed: make(chan struct{}, 1),
			onPeer: func(p Peer) { peers = append(peers, p) }}
		g.observe(&memberlist.Node{Name: "x", Meta: meta}, alive)
		var m Meta
		valid := json.Unmarshal(meta, &m) == nil && m.ID != "" && m.ID != "self"
		if !valid {
			if len(g.members) != 0 || len(peers) != 0 {
				t.Fatalf("metadata %q recorded: %v %v", meta, g.members, peers)
			}
			return
		}
		st := g.members[m.ID]
		if len(g.members) != 1 || st == nil || st.meta != m || st.alive != alive {
			t.Fatalf("metadata %q: members %v, want %+v", meta, g.members, m)
		}
		if alive != (len(peers) == 1) || (alive && peers[0] != (Peer{ID: m.ID, RaftAddr: m.RaftAddr, HTTPAddr: m.HTTPAddr})) {
			t.Fatalf("metadata %q: peers %v", meta, peers)
		}
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzAutopilotStats feeds arbitrary answers of a peer's stats call (the
// peer service) to the autopilot's stats fetch: only a 200 whose body is
// the asked server's stats gives stats, faithful to them, with a last
// contact that is -1 (unknown) or not negative; nothing panics.
func FuzzAutopilotStats(f *testing.F) {
	f.Add(200, []byte(`{"id":"n2","term":3,"last_index":42,"last_contact_ns":15000000}`))
	f.Add(200, []byte(`{"id":"n2","term":3,"last_index":42,"last_contact_ns":-1}`))
	f.Add(200, []byte(`{"id":"n2","last_contact_ns":9223372036854775807}`))
	f.Add(200, []byte(`{"id":"n2","last_contact_ns":-5}`))
	f.Add(200, []byte(`{"id":"other"}`))
	f.Add(500, []byte(`{"id":"n2"}`))
	f.Add(200, []byte(`{"id":"n2","term":-1}`))
	f.Add(200, []byte(`garbage`))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		if code < 100 || code > 999 {
			code = 200
		}
		pc := newPeerClient("self", nil, nil)
		pc.tr.DialContext = nil
		rt := roundTrip(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		pc.tr.RegisterProtocol("http", rt)
		p := &pilot{n: &Node{cfg: Config{NodeID: "self"}, peer: pc}}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, err := p.fetch(ctx, raft.ServerID("n2"), &autopilot.Server{ID: "n2", Meta: map[string]string{"http": "http://n2"}})
		if err != nil {
			return
		}
		var want peerStatsReply
		if code != 200 || json.NewDecoder(bytes.NewReader(body)).Decode(&want) != nil || want.ID != "n2" {
			t.Fatalf("%d %q gave stats %+v", code, body, st)
		}
		if st.LastIndex != want.LastIndex || st.LastTerm != want.Term {
			t.Fatalf("%q gave %+v", body, st)
		}
		if st.LastContact < 0 && st.LastContact != -1 {
			t.Fatalf("%q: last contact %s", body, st.LastContact)
		}
		if want.LastContactNS >= 0 && st.LastContact < 0 {
			t.Fatalf("%q: last contact %d ns became %s", body, want.LastContactNS, st.LastContact)
		}
	})
}

// FuzzReadIndexAnswer feeds arbitrary answers of the leader's read-index
// call (the peer service) to a follower's peer client: only a 200 whose
// body is a read index gives one, faithfully; anything else is an error,
// and nothing panics.
func FuzzReadIndexAnswer(f *testing.F) {
	f.Add(200, []byte(`{"index":42}`))
	f.Add(200, []byte(`{"index":-1}`))
	f.Add(200, []byte(`{"index":18446744073709551616}`))
	f.Add(503, []byte(`{"code":"no_leader","detail":"x"}`))
	f.Add(500, []byte(`{"detail":"x"}`))
	f.Add(200, []byte(`{"index":1}{"index":2}`))
	f.Add(200, []byte(`[`))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		if code < 100 || code > 999 {
			code = 200
		}
		pc := newPeerClient("self", nil, nil)
		pc.tr.RegisterProtocol("http", roundTrip(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		idx, err := pc.readIndex(ctx, "http://leader")
		if err != nil {
			return
		}
		var want peerReadIndexReply
		if code != 200 || json.Unmarshal(body, &want) != nil || idx != want.Index {
			t.Fatalf("%d %q: index %d", code, body, idx)
		}
	})
}
