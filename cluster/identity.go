package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// Cluster identity.
//
// A cluster's id is a UUID chosen by its first leader and committed in the
// log with fsm.ClusterSettings, together with the cluster-wide auth mode.
// Every node learns it by applying the log (or a snapshot), stores it in
// its data dir (cluster-id) so that it is known before the log is replayed
// at the next start, and gossips it in Meta.ClusterID. What keeps two
// clusters apart:
//
//   - gossip (node side): memberlist's alive and merge delegates refuse a
//     node whose gossiped id differs from ours, so neither side ever lists
//     the other as a member; a join into another cluster fails and is
//     logged once, naming both ids;
//   - reconcile (leader side, the main guard): the leader never adds a
//     server whose id differs from the cluster's, nor one that has raft
//     state (Meta.Bootstrapped) but no id and is not in the configuration;
//   - bootstrap: a node told to --join without an explicit
//     --bootstrap-expect never bootstraps alone (BootstrapExpect 0), so a
//     slow join target cannot make it found a cluster of its own;
//   - raft RPCs: the transport refuses RPCs from a raft address gossip has
//     shown to belong to another cluster (see identityFilter), so a foreign
//     leader that still lists this node cannot overwrite its log.
//
// Ids are not secrets: admission needs the gossip key and the raft CA.

// clusterIDFile holds the cluster id in the data dir once known.
const clusterIDFile = "cluster-id"

// settingsCommandType is the highest command type a node must understand
// before the leader may commit fsm.ClusterSettings; nodes gossip theirs in
// Meta.FSM. An older binary would stop on the entry, so the leader waits
// until every server of the configuration runs a binary that knows it.
const settingsCommandType = int(fsm.ClusterSettingsType)

// ErrAuthModeMismatch: this node's authentication flags disagree with the
// cluster-wide auth mode committed in the log; the node refuses to serve.
var ErrAuthModeMismatch = errors.New("this node's --auth differs from the cluster's auth mode")

func loadClusterID(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, clusterIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if !fsm.ValidClusterID(id) {
		return "", fmt.Errorf("%s: %q is not a cluster id", filepath.Join(dir, clusterIDFile), id)
	}
	return id, nil
}

func saveClusterID(dir, id string) error {
	tmp := filepath.Join(dir, clusterIDFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(id + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, clusterIDFile))
}

// ClusterID is the id of the cluster this node belongs to, empty while it
// does not know one (a fresh node not yet added, or a cluster whose first
// leader has not committed its settings yet).
func (n *Node) ClusterID() string {
	if id := n.fsm.State().ClusterID(); id != "" {
		return id
	}
	n.idMu.Lock()
	defer n.idMu.Unlock()
	return n.knownID
}

func (n *Node) authMode() string {
	if n.cfg.AuthMode == "" {
		return fsm.AuthNone
	}
	return n.cfg.AuthMode
}

// Admission returns nil when this node may serve, or an error wrapping
// ErrAuthModeMismatch when its authentication flags disagree with the
// cluster's auth mode.
func (n *Node) Admission() error {
	mode := n.fsm.State().AuthMode()
	if mode == "" || mode == n.authMode() {
		return nil
	}
	return fmt.Errorf("%w: this node runs with --auth %s, cluster %s runs with auth mode %s; restart it with the cluster's authentication flags",
		ErrAuthModeMismatch, n.authMode(), n.ClusterID(), mode)
}

// watchIdentity follows the applied state: once it carries a cluster id
// the id is stored in the data dir and gossiped.
func (n *Node) watchIdentity() {
	defer n.wg.Done()
	var mismatchLogged bool
	for {
		st := n.fsm.State()
		if id := st.ClusterID(); id != "" {
			n.learnClusterID(id)
		}
		if err := n.Admission(); err != nil && !mismatchLogged {
			mismatchLogged = true
			n.cfg.Logger.Error("refusing to serve", "err", err)
		}
		select {
		case <-n.stop:
			return
		case <-st.Changed():
		}
	}
}

// learnClusterID records the replicated cluster id: in the data dir and in
// gossip.
func (n *Node) learnClusterID(id string) {
	n.idMu.Lock()
	old := n.knownID
	if old == id {
		n.idMu.Unlock()
		return
	}
	n.knownID = id
	n.idMu.Unlock()
	if old != "" {
		// Only a restore of another cluster's snapshot replaces the id.
		n.cfg.Logger.Warn("the replicated state carries another cluster id; adopting it", "old_cluster_id", old, "cluster_id", id)
	} else {
		n.cfg.Logger.Info("cluster id known", "cluster_id", id)
	}
	if err := saveClusterID(n.cfg.DataDir, id); err != nil {
		n.cfg.Logger.Error("storing the cluster id in the data dir failed", "err", err)
	}
	if n.gossip != nil {
		n.gossip.setClusterID(id)
	}
}

// ensureSettings (leader) commits the cluster settings when the state has
// none yet: a new cluster, or one written by an older binary. It waits
// until every other server of the configuration gossips that it
// understands the command. The auth mode is the strictest one any server
// runs with, so a node mis-started without authentication cannot choose
// "none" for a cluster whose other nodes authenticate.
//
// It also turns authentication on for a cluster recorded without it, once
// every server of the configuration runs with the same authenticated mode
// (all restarted with it); it never turns authentication off.
func (n *Node) ensureSettings() {
	st := n.fsm.State()
	if !st.Initialized() || !n.IsLeader() {
		return
	}
	id := st.ClusterID()
	raise := id != "" && st.AuthMode() == fsm.AuthNone && n.authMode() != fsm.AuthNone
	if id != "" && !raise {
		return
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	members := map[string]memberState{}
	if n.gossip != nil {
		members = n.gossip.snapshot()
	}
	mode := n.authMode()
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == n.cfg.NodeID {
			continue
		}
		m, ok := members[string(s.ID)]
		if !ok || m.meta.FSM < settingsCommandType {
			n.noteOnce("settings-wait", "not recording the cluster settings yet: a server does not gossip that it understands them (older binary, or not seen yet)", "server", s.ID)
			return
		}
		if raise && m.meta.Auth != mode {
			n.noteOnce("auth-raise-wait", "not turning authentication on yet: a server still runs with another auth mode", "server", s.ID, "its_mode", m.meta.Auth, "mode", mode)
			return
		}
		if m.meta.Auth != "" && m.meta.Auth != fsm.AuthNone {
			mode = m.meta.Auth
		}
	}
	if id == "" {
		id = uuid.NewString()
		n.idMu.Lock()
		if n.knownID != "" {
			id = n.knownID // stored by an earlier run whose entry was lost with the log
		}
		n.idMu.Unlock()
	}
	_, err := n.applyLocal(&fsm.ClusterSettings{ClusterID: id, AuthMode: mode}, n.cfg.ApplyTimeout)
	if err != nil {
		n.cfg.Logger.Warn("recording the cluster settings failed; will retry", "err", err)
		return
	}
	n.cfg.Logger.Info("cluster settings recorded", "cluster_id", id, "auth_mode", mode)
}

// stepDownIfRefused (leader) hands leadership to a voter that runs with
// the cluster's auth mode when this node's flags disagree with it: a node
// that refuses to serve should not lead.
func (n *Node) stepDownIfRefused() {
	if n.Admission() == nil || !n.IsLeader() || n.gossip == nil {
		return
	}
	want := n.fsm.State().AuthMode()
	members := n.gossip.snapshot()
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	for _, s := range f.Configuration().Servers {
		m, ok := members[string(s.ID)]
		if string(s.ID) == n.cfg.NodeID || s.Suffrage != raft.Voter || !ok || !m.alive || m.meta.Auth != want {
			continue
		}
		n.cfg.Logger.Warn("this node's auth mode differs from the cluster's; handing leadership over", "to", s.ID)
		if err := n.raft.LeadershipTransferToServer(s.ID, s.Address).Error(); err != nil {
			n.cfg.Logger.Warn("leadership transfer failed", "err", err)
		}
		return
	}
}

// admissible (leader) decides whether reconcile may add (or re-address) a
// gossip member: "" when it may, else why not.
func (n *Node) admissible(m Meta, inConfig bool) string {
	ours := n.ClusterID()
	switch {
	case m.ClusterID != "" && ours != "" && m.ClusterID != ours:
		return fmt.Sprintf("it belongs to cluster %s and this is cluster %s", m.ClusterID, ours)
	case inConfig:
		return ""
	case m.ClusterID != "" && ours == "":
		return fmt.Sprintf("it belongs to cluster %s and this cluster has not recorded its id yet", m.ClusterID)
	case m.Bootstrapped && m.ClusterID == "":
		return "it has raft state of its own but no cluster id (bootstrapped elsewhere, or by an older binary)"
	}
	return ""
}

// noteOnce logs msg at most once per key every noteInterval.
func (n *Node) noteOnce(key, msg string, args ...any) {
	if !n.notes.due(key) {
		return
	}
	n.cfg.Logger.Info(msg, args...)
}

const noteInterval = 10 * time.Minute

// noteLimiter remembers when each key was last logged.
type noteLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (l *noteLimiter) due(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if t, ok := l.last[key]; ok && time.Since(t) < noteInterval {
		return false
	}
	l.last[key] = time.Now()
	return true
}

// foreignMarker ends every foreignError message; log lines that carry it
// were already logged once by checkPeer.
const foreignMarker = "(two clusters never merge; check --join and the data dirs)"

// foreignError is why gossip refuses a node of another cluster.
func foreignError(name, theirs, ours string) error {
	return fmt.Errorf("gossip member %s belongs to cluster %s but this node belongs to cluster %s: refusing it %s", name, theirs, ours, foreignMarker)
}

// memberlistLog turns memberlist's log lines into slog records at their
// own level ("[DEBUG] ...", "[ERR] ..."), and drops the repeats of an
// identity refusal, which checkPeer logs once.
type memberlistLog struct {
	log *slog.Logger
}

func (w *memberlistLog) Write(p []byte) (int, error) {
	line := string(trimNewline(p))
	if strings.Contains(line, foreignMarker) {
		return len(p), nil
	}
	level := slog.LevelWarn
	for prefix, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo, "[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError} {
		if i := strings.Index(line, prefix); i >= 0 && i < 32 {
			level = l
			line = strings.TrimSpace(line[i+len(prefix):])
			break
		}
	}
	w.log.Log(context.Background(), level, "memberlist", "line", line)
	return len(p), nil
}

// checkPeer is the gossip-side identity check of one node.
func (g *gossip) checkPeer(peer *memberlist.Node) error {
	var m Meta
	if json.Unmarshal(peer.Meta, &m) != nil || m.ID == "" {
		return nil // not a wsd server; observe ignores it
	}
	g.mu.Lock()
	ours, self := g.self.ClusterID, g.self.ID
	pin := ours == "" && m.ClusterID != "" && m.ID != self
	if pin {
		// A fresh node takes the first cluster id it meets as its own and
		// gossips it, so that it joins one cluster only, even when its
		// join targets span two: the other cluster's nodes are refused
		// here and its leader refuses to add a node of another id.
		g.self.ClusterID, ours = m.ClusterID, m.ClusterID
	}
	g.mu.Unlock()
	if pin {
		g.log.Info("joining cluster", "cluster_id", ours, "via", m.ID)
		g.bg.Add(1)
		go func() {
			defer g.bg.Done()
			_ = g.ml.UpdateNode(2 * time.Second)
		}()
	}
	if m.ID == self || m.ClusterID == "" || ours == "" || m.ClusterID == ours {
		if m.ClusterID == ours && ours != "" {
			g.foreign.unmark(m.RaftAddr) // the address now serves one of ours
		}
		return nil
	}
	err := foreignError(m.ID, m.ClusterID, ours)
	g.foreign.mark(m.RaftAddr)
	if g.notes.due("foreign/" + m.ID + "/" + m.ClusterID) {
		g.log.Error("refusing a node of another cluster", "err", err, "peer", m.ID, "peer_cluster_id", m.ClusterID, "cluster_id", ours)
	}
	return err
}

type aliveDelegate gossip

func (d *aliveDelegate) NotifyAlive(peer *memberlist.Node) error {
	return (*gossip)(d).checkPeer(peer)
}

type mergeDelegate gossip

func (d *mergeDelegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if err := (*gossip)(d).checkPeer(p); err != nil {
			return err
		}
	}
	return nil
}

// foreignAddrs are raft addresses gossip has shown to belong to another
// cluster.
type foreignAddrs struct {
	mu sync.Mutex
	m  map[string]bool
}

func (f *foreignAddrs) mark(addr string) {
	if addr == "" {
		return
	}
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]bool{}
	}
	f.m[addr] = true
	f.mu.Unlock()
}

func (f *foreignAddrs) unmark(addr string) {
	f.mu.Lock()
	delete(f.m, addr)
	f.mu.Unlock()
}

func (f *foreignAddrs) has(addr string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[addr]
}

// identityFilter is the raft transport with a node-side identity check.
// raft itself accepts AppendEntries from any leader with a high enough
// term and would overwrite this node's log; the filter refuses RPCs
// (heartbeats included) before raft sees them when the sender is not one
// of ours (see Node.rpcAllowed). Everything else passes unchanged and in
// order.
type identityFilter struct {
	*raft.NetworkTransport
	allowed func(id, addr string) bool
	out     chan raft.RPC
}

var errForeignRPC = errors.New("refused: the sender is not a server of this node's cluster")

func newIdentityFilter(t *raft.NetworkTransport, allowed func(id, addr string) bool, stop <-chan struct{}) *identityFilter {
	f := &identityFilter{NetworkTransport: t, allowed: allowed, out: make(chan raft.RPC)}
	go f.run(stop)
	return f
}

func (f *identityFilter) refused(rpc raft.RPC) bool {
	h, ok := rpc.Command.(raft.WithRPCHeader)
	if !ok {
		return false
	}
	hdr := h.GetRPCHeader()
	if f.allowed(string(hdr.ID), string(hdr.Addr)) {
		return false
	}
	rpc.Respond(nil, errForeignRPC)
	return true
}

func (f *identityFilter) run(stop <-chan struct{}) {
	in := f.NetworkTransport.Consumer()
	for {
		select {
		case <-stop:
			return
		case rpc := <-in:
			if f.refused(rpc) {
				continue
			}
			select {
			case f.out <- rpc:
			case <-stop:
				return
			}
		}
	}
}

// Consumer implements raft.Transport.
func (f *identityFilter) Consumer() <-chan raft.RPC { return f.out }

// SetHeartbeatHandler implements raft.Transport: heartbeats take a fast
// path that bypasses Consumer, so they are filtered here.
func (f *identityFilter) SetHeartbeatHandler(cb func(raft.RPC)) {
	if cb == nil {
		f.NetworkTransport.SetHeartbeatHandler(nil)
		return
	}
	f.NetworkTransport.SetHeartbeatHandler(func(rpc raft.RPC) {
		if !f.refused(rpc) {
			cb(rpc)
		}
	})
}

// rpcAllowed decides whether a raft RPC from server id, advertising addr
// (its transport's address: an IP where the configuration may hold a DNS
// name, hence the id too), reaches raft:
//   - never from an address gossip has shown to belong to another cluster;
//   - always on a node with an empty configuration (a fresh node waiting
//     to be added by the leader of the cluster it joins);
//   - otherwise only from a server of this node's configuration, or from
//     a gossip member of this node's cluster (a server added while this
//     node was away, whose configuration is therefore stale).
//
// So a leader of another cluster that still lists this node (it was wiped
// and bootstrapped anew on the same address, say) can neither overwrite
// its log nor disturb its elections.
func (n *Node) rpcAllowed(id, addr string) bool {
	if n.foreign.has(addr) {
		n.noteForeignRPC(addr, "gossip shows it belongs to another cluster")
		return false
	}
	r := n.raftRef.Load()
	if r == nil {
		return true // raft is starting
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return true
	}
	servers := f.Configuration().Servers
	if len(servers) == 0 {
		return true
	}
	for _, s := range servers {
		if string(s.ID) == id || string(s.Address) == addr {
			return true
		}
	}
	if n.gossip != nil {
		ours := n.ClusterID()
		for mid, m := range n.gossip.snapshot() {
			if m.alive && (mid == id || m.meta.RaftAddr == addr) && m.meta.ClusterID == ours {
				return true
			}
		}
	}
	n.noteForeignRPC(addr, "it is neither in this node's raft configuration nor a gossip member of its cluster")
	return false
}

func (n *Node) noteForeignRPC(addr, why string) {
	if n.notes.due("foreign-rpc/" + addr) {
		n.cfg.Logger.Error("refusing raft RPCs from a server of another cluster", "raft_addr", addr, "reason", why, "cluster_id", n.ClusterID())
	}
}

// keepClusterSettings returns the state to restore: the backup's data
// with this cluster's settings. A restore replaces the data, never the
// cluster's identity or auth mode (a backup of another cluster, or of one
// without authentication, would otherwise bring its own); every node
// installs the same rewritten snapshot, so they stay identical.
func (n *Node) keepClusterSettings(restored *fsm.State) *fsm.State {
	cur := n.fsm.State()
	if cur.ClusterID() == "" || (restored.ClusterID() == cur.ClusterID() && restored.AuthMode() == cur.AuthMode()) {
		return restored
	}
	if restored.ClusterID() != "" && restored.ClusterID() != cur.ClusterID() {
		n.cfg.Logger.Warn("restoring a backup of another cluster: its data replaces this cluster's, its cluster id and auth mode do not",
			"backup_cluster_id", restored.ClusterID(), "cluster_id", cur.ClusterID())
	}
	return restored.WithClusterSettings(cur.ClusterID(), cur.AuthMode())
}
