package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The node-to-node peer service (/v1/peer/) on real processes: it is not
// part of the public API, and it refuses whoever does not hold the cluster
// secret or is not a member.

// peerTestKey is the gossip key (cluster secret) of the peer test cluster.
var peerTestKey = []byte("wsd-e2e-peer-cluster-secret-32b!")

// peerSign signs a peer request as cluster/peer_auth.go specifies, with
// the key derived from secret.
func peerSign(req *http.Request, secret []byte, node string, body []byte, at time.Time) {
	k := hmac.New(sha256.New, secret)
	k.Write([]byte("wsd peer service v1"))
	key := k.Sum(nil)
	ts := at.UnixNano()
	digest := sha256.Sum256(body)
	m := hmac.New(sha256.New, key)
	for _, part := range []string{req.Method, req.URL.Path, node, strconv.FormatInt(ts, 10)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	m.Write(digest[:])
	req.Header.Set("X-Wsd-Peer-Node", node)
	req.Header.Set("X-Wsd-Peer-Time", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Wsd-Peer-Mac", base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
}

func TestPeer_refusesOutsiders(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3, extraArgs: []string{"--gossip-key=" + base64.StdEncoding.EncodeToString(peerTestKey)}})
	l := c.leader()
	// Writes through a follower go over the authenticated peer service.
	f := c.followers(l)[0]
	if r, err := c.do(http.MethodPost, f.url()+base+"/workspaces", map[string]any{"name": "via-peer"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create through %s: %v %v", f.id, r, err)
	}
	before, err := c.status(l)
	if err != nil {
		t.Fatal(err)
	}

	post := func(path string, sign func(*http.Request, []byte)) response {
		t.Helper()
		body := []byte(`{}`)
		req, err := http.NewRequest(http.MethodPost, l.url()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sign != nil {
			sign(req, body)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return response{code: resp.StatusCode, header: resp.Header, body: b.Bytes()}
	}
	for _, tc := range []struct {
		name string
		sign func(*http.Request, []byte)
	}{
		{"unsigned", nil},
		{"unsigned with a member's id", func(r *http.Request, _ []byte) { r.Header.Set("X-Wsd-Peer-Node", f.id) }},
		{"signed with another secret", func(r *http.Request, b []byte) {
			peerSign(r, []byte("not-the-cluster-secret-32-bytes!"), f.id, b, time.Now())
		}},
		{"signed an hour ago", func(r *http.Request, b []byte) { peerSign(r, peerTestKey, f.id, b, time.Now().Add(-time.Hour)) }},
		{"a sender that is not a member", func(r *http.Request, b []byte) { peerSign(r, peerTestKey, "rogue", b, time.Now()) }},
	} {
		for _, path := range []string{"/v1/peer/read-index", "/v1/peer/stats", "/v1/peer/apply"} {
			if r := post(path, tc.sign); r.code != http.StatusForbidden || !strings.Contains(string(r.body), `"code":"forbidden"`) {
				t.Errorf("%s to %s: %s, want 403 forbidden", tc.name, path, r)
			}
		}
	}
	// A member with the secret is answered; the same request again is a
	// replay.
	at := time.Now()
	signed := func(r *http.Request, b []byte) { peerSign(r, peerTestKey, f.id, b, at) }
	if r := post("/v1/peer/read-index", signed); r.code != http.StatusOK || !strings.Contains(string(r.body), `"index":`) {
		t.Errorf("read index for a member: %s", r)
	}
	if r := post("/v1/peer/read-index", signed); r.code != http.StatusForbidden {
		t.Errorf("replayed read index: %s, want 403", r)
	}
	after, err := c.status(l)
	if err != nil {
		t.Fatal(err)
	}
	if after.FSMIndex != before.FSMIndex || after.Digest != before.Digest {
		t.Errorf("refused peer calls changed the state: %+v -> %+v", before, after)
	}
	// The peer service is not part of the public API.
	r, err := c.do(http.MethodGet, l.url()+"/openapi.json", nil)
	if err != nil || r.code != http.StatusOK {
		t.Fatalf("openapi: %v %v", r, err)
	}
	if strings.Contains(string(r.body), "/v1/peer") || strings.Contains(string(r.body), "read-index") {
		t.Error("/openapi.json documents the peer service")
	}
}
