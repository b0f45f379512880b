package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Authentication of the peer service (see doc.go).
//
// Every peer request carries three headers: the sender's raft server id,
// the time it was signed (Unix nanoseconds) and an HMAC-SHA256 over the
// method, the path, the sender id, the time and the SHA-256 of the body.
// The key is derived from the cluster secret (the gossip key) with a fixed
// label, so the gossip key itself never travels and is never used for two
// purposes. The receiver refuses (403) a request whose MAC does not verify,
// whose time is more than maxPeerSkew away from its own clock, whose MAC it
// has already seen (a replay inside the skew window), or whose sender is
// not a server of its raft configuration.

const (
	headerPeerNode = "X-Wsd-Peer-Node"
	headerPeerTime = "X-Wsd-Peer-Time"
	headerPeerMAC  = "X-Wsd-Peer-Mac"

	// peerKeyLabel separates the peer service key from every other use of
	// the cluster secret. Changing it is a protocol change.
	peerKeyLabel = "wsd peer service v1"

	// maxPeerSkew is the largest difference between the signing time of a
	// peer request and the receiver's clock. Node clocks must agree much
	// better than this (NTP): the deadline of a forwarded write is also an
	// absolute time.
	maxPeerSkew = 10 * time.Second

	// maxSeenMACs bounds the replay cache; beyond it, new requests are
	// refused (503) until old entries expire.
	maxSeenMACs = 1 << 18
)

// Errors of peer authentication.
var (
	errPeerUnsigned  = errors.New("peer request is not signed")
	errPeerBadMAC    = errors.New("peer request signature does not verify")
	errPeerSkew      = errors.New("peer request time is outside the allowed clock skew")
	errPeerReplay    = errors.New("peer request was already received (replay)")
	errPeerNotMember = errors.New("peer request sender is not a server of the raft configuration")
	errPeerNoKey     = errors.New("this node has no cluster secret (gossip key) and runs with authentication: it accepts no unauthenticated peer calls")
	errPeerBusy      = errors.New("too many peer requests in the replay window")
)

// peerKey derives the peer service key from the cluster secret; nil
// without one.
func peerKey(secret []byte) []byte {
	if len(secret) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(peerKeyLabel))
	return m.Sum(nil)
}

// peerMAC computes the MAC of one request.
func peerMAC(key []byte, method, path, node string, ts int64, body []byte) []byte {
	digest := sha256.Sum256(body)
	m := hmac.New(sha256.New, key)
	for _, part := range []string{method, path, node, strconv.FormatInt(ts, 10)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	m.Write(digest[:])
	return m.Sum(nil)
}

// signPeer sets the authentication headers of a peer request; without a
// key only the sender id is set.
func signPeer(h http.Header, key []byte, method, path, node string, body []byte, now time.Time) {
	h.Set(headerPeerNode, node)
	if key == nil {
		return
	}
	ts := now.UnixNano()
	h.Set(headerPeerTime, strconv.FormatInt(ts, 10))
	h.Set(headerPeerMAC, base64.RawURLEncoding.EncodeToString(peerMAC(key, method, path, node, ts, body)))
}

// peerVerifier checks peer requests and remembers the MACs it has
// accepted for the replay check.
type peerVerifier struct {
	key []byte
	// insecure: without a key, unauthenticated calls are accepted (a
	// cluster without authentication, see Config.InsecurePeers).
	insecure bool

	mu        sync.Mutex
	seen      map[string]time.Time // MAC → when it stops being acceptable anyway
	lastPrune time.Time
}

// verify authenticates a request with the given body; it returns the
// sender id. Membership is checked by the caller.
func (v *peerVerifier) verify(r *http.Request, body []byte, now time.Time) (string, error) {
	node := r.Header.Get(headerPeerNode)
	if v.key == nil {
		if !v.insecure {
			return "", errPeerNoKey
		}
		if node == "" {
			return "", errPeerUnsigned
		}
		return node, nil
	}
	tsStr, macStr := r.Header.Get(headerPeerTime), r.Header.Get(headerPeerMAC)
	if node == "" || tsStr == "" || macStr == "" {
		return "", errPeerUnsigned
	}
	ts, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return "", errPeerUnsigned
	}
	got, err := base64.RawURLEncoding.DecodeString(macStr)
	if err != nil {
		return "", errPeerBadMAC
	}
	if !hmac.Equal(got, peerMAC(v.key, r.Method, r.URL.Path, node, ts, body)) {
		return "", errPeerBadMAC
	}
	if d := now.Sub(time.Unix(0, ts)); d > maxPeerSkew || d < -maxPeerSkew {
		return "", errPeerSkew
	}
	if err := v.remember(macStr, time.Unix(0, ts).Add(maxPeerSkew), now); err != nil {
		return "", err
	}
	return node, nil
}

// remember records an accepted MAC until expires; a MAC seen before is a
// replay.
func (v *peerVerifier) remember(mac string, expires, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]time.Time{}
	}
	if _, dup := v.seen[mac]; dup {
		return errPeerReplay
	}
	if len(v.seen) >= maxSeenMACs/2 && now.Sub(v.lastPrune) > time.Second {
		v.lastPrune = now
		for k, exp := range v.seen {
			if now.After(exp) {
				delete(v.seen, k)
			}
		}
	}
	if len(v.seen) >= maxSeenMACs {
		return errPeerBusy
	}
	v.seen[mac] = expires
	return nil
}
