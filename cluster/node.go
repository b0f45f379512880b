package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/wsd-dev/wsd/fsm"
)

// Node is one wsd server: a raft peer holding the replicated FSM.
type Node struct {
	cfg   Config
	fsm   *fsm.FSM
	raft  *raft.Raft
	store *raftboltdb.BoltStore
	logs  raft.LogStore
	trans *raft.NetworkTransport
	tap   *commitTap // wraps trans; raft uses it

	// startIndex and startTerm are the last entry of the log at Open: the
	// node is not ready before it has applied it (see Ready).
	startIndex uint64
	startTerm  uint64
	startDone  atomic.Bool

	// barrierTerm is the term in which this node, as leader, has committed
	// a barrier: from then on its FSM holds every entry committed before it
	// became leader, and its applied index is a valid read index.
	barrierTerm atomic.Uint64
	// restoring is set while a user restore runs (backup.go).
	restoring atomic.Bool

	leaderChanges atomic.Uint64

	peers peerTable

	// peer is the client of other nodes' peer services, peerAuth the
	// check of calls to this node's (peer_*.go).
	peer     *peerClient
	peerAuth *peerVerifier
	// peerRefusedLog is when a refused peer call was last logged as a
	// warning (Unix ns).
	peerRefusedLog atomic.Int64
	peerCount      peerCounters

	gossip            *gossip
	pilot             *pilot
	autopilot         *autopilot.Autopilot
	removed           tombstones
	lastSavedPeers    []string
	lastBootstrapNote time.Time

	// knownID is the cluster id from the data dir or, once applied, from
	// the state (see identity.go).
	idMu    sync.Mutex
	knownID string
	foreign foreignAddrs
	notes   noteLimiter
	raftRef atomic.Pointer[raft.Raft] // n.raft, for the transport filter

	left     chan struct{}
	leftOnce sync.Once

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	notify   chan bool
	stop     chan struct{}
	wg       sync.WaitGroup
	closeMu  sync.Mutex
	closed   bool
	leaderMu sync.Mutex // serialises leader-only setup work
}

// Open starts the node: it opens (or creates) the stores under DataDir,
// starts the raft transport and bootstraps a new single-node cluster when
// BootstrapExpect is 1 and there is no raft state yet. A node that has
// state never bootstraps again; a join-only node (BootstrapExpect 0) never
// bootstraps at all.
func Open(cfg Config, f *fsm.FSM) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	knownID, err := loadClusterID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, fsm: f, notify: make(chan bool, 16), stop: make(chan struct{}), left: make(chan struct{}), knownID: knownID}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.peers.init()
	key := peerKey(cfg.GossipKey)
	n.peer = newPeerClient(cfg.NodeID, key, cfg.HTTPTLS)
	n.peerAuth = &peerVerifier{key: key, insecure: cfg.InsecurePeers}
	n.peers.set(Peer{ID: cfg.NodeID, RaftAddr: cfg.AdvertiseRaft, HTTPAddr: cfg.HTTPAdvertise})

	logOut := &slogWriter{log: cfg.Logger}
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: logOut, JSONFormat: true})

	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.DataDir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("open raft store: %w", err)
	}
	n.store = store
	logs, err := raft.NewLogCache(1024, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, 2, hlog.Named("snapshots"))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}
	trans, err := newTransport(cfg, hlog)
	if err != nil {
		store.Close()
		return nil, err
	}
	n.trans = trans
	// raft ← commit tap ← identity filter ← network transport: the tap
	// only sees RPCs from servers of this node's own cluster.
	n.tap = newCommitTap(newIdentityFilter(trans, n.rpcAllowed, n.stop))
	n.logs = logs

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.NotifyCh = n.notify
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 512
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = 10240
	rc.ShutdownOnRemove = false
	rc.NoLegacyTelemetry = true

	hasState, err := raft.HasExistingState(logs, store, snaps)
	if err != nil {
		n.closeStores()
		return nil, err
	}
	r, err := raft.NewRaft(rc, f, logs, store, snaps, n.tap)
	if err != nil {
		close(n.stop)
		n.closeStores()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	n.raftRef.Store(r)
	n.startIndex = r.LastIndex()
	var last raft.Log
	if err := logs.GetLog(n.startIndex, &last); err == nil {
		n.startTerm = last.Term
	}
	if !hasState && cfg.BootstrapExpect == 1 {
		err := n.await(context.Background(), r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
			ID: rc.LocalID, Address: raft.ServerAddress(cfg.AdvertiseRaft), Suffrage: raft.Voter,
		}}}))
		if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			n.Close()
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		cfg.Logger.Info("bootstrapped a new single-node cluster", "node", cfg.NodeID)
	}
	n.pilot = newPilot(n)
	n.autopilot = autopilot.New(r, n.pilot,
		autopilot.WithLogger(hlog.Named("autopilot")),
		autopilot.WithReconcileInterval(time.Second),
		autopilot.WithUpdateInterval(time.Second))
	if cfg.GossipAddr != "" {
		meta := Meta{
			ID: cfg.NodeID, RaftAddr: cfg.AdvertiseRaft, HTTPAddr: cfg.HTTPAdvertise,
			GossipAddr: cfg.AdvertiseGossip, Expect: cfg.BootstrapExpect, Version: cfg.Version,
			Bootstrapped: hasState || n.hasRaftState(),
			ClusterID:    knownID, Auth: n.authMode(), FSM: settingsCommandType,
		}
		g, err := newGossip(cfg, meta, n.peers.set, &n.foreign)
		if err != nil {
			n.Close()
			return nil, err
		}
		n.gossip = g
		n.wg.Add(2)
		go n.joinLoop(n.ctx)
		go n.reconnectLoop(n.ctx)
		if !meta.Bootstrapped && cfg.BootstrapExpect > 1 {
			n.wg.Add(1)
			go n.bootstrapLoop(n.ctx)
		}
	}
	n.observeLeaders()
	n.wg.Add(2)
	go n.watchLeadership()
	go n.watchIdentity()
	return n, nil
}

func (n *Node) closeStores() {
	if n.tap != nil {
		n.tap.Close()
	} else if n.trans != nil {
		n.trans.Close()
	}
	n.store.Close()
}

// FSM returns the node's state machine.
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// ID returns this node's raft server id.
func (n *Node) ID() string { return n.cfg.NodeID }

// watchLeadership reacts to leadership changes: a new leader commits a
// barrier (so its applied index becomes a valid read index) and then
// initialises the cluster if no Init has been applied yet.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	var stopDuties context.CancelFunc
	defer func() {
		if stopDuties != nil {
			stopDuties()
		}
	}()
	for {
		select {
		case <-n.stop:
			return
		case leader := <-n.notify:
			if stopDuties != nil {
				stopDuties()
				stopDuties = nil
			}
			if !leader {
				continue
			}
			if n.gossip != nil {
				n.gossip.setBootstrapped()
			}
			ctx, cancel := context.WithCancel(n.ctx)
			stopDuties = cancel
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.leaderDuties(ctx)
			}()
		}
	}
}

// leaderDuties runs while this node leads: the barrier and initialisation,
// then membership reconciliation and autopilot until leadership ends.
func (n *Node) leaderDuties(ctx context.Context) {
	n.becameLeader()
	if n.gossip == nil {
		return
	}
	n.autopilot.Start(ctx)
	n.reconcileLoop(ctx)
	<-n.autopilot.Stop()
}

func (n *Node) becameLeader() {
	n.leaderMu.Lock()
	defer n.leaderMu.Unlock()
	if err := n.ensureBarrier(); err != nil {
		n.cfg.Logger.Warn("leader barrier failed", "err", err)
		return
	}
	defer n.ensureSettings()
	if n.fsm.State().Initialized() {
		return
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err := n.applyLocal(&fsm.Init{DefaultID: uuid.NewString(), SystemID: uuid.NewString(), At: now, AdminPrincipal: n.cfg.AdminPrincipal}, n.cfg.ApplyTimeout)
	if err != nil {
		n.cfg.Logger.Warn("cluster initialisation failed; will retry on next leadership", "err", err)
		return
	}
	n.cfg.Logger.Info("cluster initialised with built-in workspaces")
}

// ensureBarrier commits a barrier in the current term once.
func (n *Node) ensureBarrier() error {
	term := n.raft.CurrentTerm()
	if n.barrierTerm.Load() == term {
		return nil
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
	defer cancel()
	if err := n.await(ctx, n.raft.Barrier(n.cfg.ApplyTimeout)); err != nil {
		return mapRaftError(err, false)
	}
	n.barrierTerm.Store(term)
	return nil
}

func (n *Node) applyLocal(c fsm.Command, timeout time.Duration) (fsm.Result, error) {
	data, err := fsm.Encode(c)
	if err != nil {
		return fsm.Result{}, err
	}
	f := n.raft.Apply(data, timeout)
	if err := n.await(context.Background(), f); err != nil {
		return fsm.Result{}, mapRaftError(err, true)
	}
	r, ok := f.Response().(fsm.Result)
	if !ok {
		return fsm.Result{}, fmt.Errorf("unexpected apply response %T", f.Response())
	}
	return r, r.Err
}

// mapRaftError turns raft's errors into this package's. proposed tells
// whether the entry may already be in the log.
func mapRaftError(err error, proposed bool) error {
	switch {
	case isConfigChangePending(err):
		// Refused before anything was proposed, proposed or not.
		return fmt.Errorf("%w: %w", ErrConfigChangePending, err)
	case isTransferTimeout(err):
		return fmt.Errorf("%w: %w", ErrTransferTimeout, err)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return ErrNotLeader
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNoLeader
	case errors.Is(err, raft.ErrRaftShutdown):
		if proposed {
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrShutdown)
		}
		return ErrShutdown
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrAbortedByRestore):
		if proposed {
			return ErrOutcomeUnknown
		}
		return ErrNotLeader
	}
	if proposed {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// IsLeader reports whether this node is the raft leader.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the current leader as this node knows it; ok is false
// when no leader is known.
func (n *Node) Leader() (Peer, bool) {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return Peer{}, false
	}
	p, ok := n.peers.get(string(id))
	if !ok {
		addr, _ := n.raft.LeaderWithID()
		return Peer{ID: string(id), RaftAddr: string(addr)}, true
	}
	return p, true
}

// LastContact is how long ago this node heard from the leader; 0 on the
// leader itself.
func (n *Node) LastContact() time.Duration {
	if n.IsLeader() {
		return 0
	}
	t := n.raft.LastContact()
	if t.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(t)
}

// ReadIndex returns an index that reflects every write acknowledged before
// the call: the leader's applied index, taken after its barrier of this
// term and confirmed by a quorum (VerifyLeader) afterwards. Only the leader
// can answer; others get ErrNotLeader.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if !n.IsLeader() {
		return 0, ErrNotLeader
	}
	if err := n.ensureBarrier(); err != nil {
		return 0, err
	}
	idx := n.fsm.State().Index()
	if err := n.await(ctx, n.raft.VerifyLeader()); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return 0, ErrNoLeader
		}
		return 0, mapRaftError(err, false)
	}
	return idx, nil
}

// WaitApplied waits until the local FSM has applied idx.
func (n *Node) WaitApplied(ctx context.Context, idx uint64) (*fsm.State, error) {
	return n.fsm.WaitForIndex(ctx, idx)
}

// RemoveServer (leader only) removes a server from the raft configuration.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	n.removed.add(id)
	if err := n.await(ctx, n.raft.RemoveServer(raft.ServerID(id), 0, timeoutFrom(ctx, 10*time.Second))); err != nil {
		return mapRaftError(err, false)
	}
	n.cfg.Logger.Info("removed server", "id", id)
	return nil
}

// TransferLeadership (leader only) hands leadership to another voter and
// waits until it is done.
func (n *Node) TransferLeadership(ctx context.Context) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if n.voters() <= 1 {
		return ErrOnlyVoter
	}
	if err := n.await(ctx, n.raft.LeadershipTransfer()); err != nil {
		return mapRaftError(err, false)
	}
	return nil
}

func timeoutFrom(ctx context.Context, def time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return min(def, time.Until(dl))
	}
	return def
}

// voters counts the voters of the current configuration.
func (n *Node) voters() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	c := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			c++
		}
	}
	return c
}

// Shutdown budgets. Close never waits longer than their sum plus the
// gossip leave (1 s): about 10 s in the worst case, well inside the 30 s a
// container runtime allows between SIGTERM and SIGKILL. Mid-election there
// is no leader to hand over from and the first step is skipped.
const (
	// closeTransferWait bounds the leadership hand-over of a leader.
	closeTransferWait = 3 * time.Second
	// closeRaftWait bounds raft's shutdown, and then separately the
	// node's own goroutines.
	closeRaftWait = 3 * time.Second
)

// Close stops the node gracefully: a leader with peers hands leadership
// over first, then the node leaves gossip (peers see it left, not failed)
// and raft stops. The raft state stays on disk: a restart resumes and
// rejoins; the leader only removes a server gone longer than
// DeadServerTimeout. Every step is bounded (see closeTransferWait): Close
// returns even if raft leaves a future unanswered.
func (n *Node) Close() error {
	n.closeMu.Lock()
	defer n.closeMu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	if n.raft != nil && n.IsLeader() && n.voters() > 1 {
		ctx, cancel := context.WithTimeout(context.Background(), closeTransferWait)
		if err := n.await(ctx, n.raft.LeadershipTransfer()); err != nil {
			n.cfg.Logger.Warn("leadership transfer on shutdown failed", "err", err)
		}
		cancel()
	}
	n.cancel()
	close(n.stop)
	if n.gossip != nil {
		_ = n.gossip.leave(time.Second)
		_ = n.gossip.shutdown()
	}
	var err error
	if n.raft != nil {
		if err = awaitFor(n.raft.Shutdown(), closeRaftWait); errors.Is(err, errWaitTimedOut) {
			n.cfg.Logger.Warn("raft did not stop in time; closing its transport and store under it", "wait", closeRaftWait)
		}
	}
	if !waitGroupFor(&n.wg, closeRaftWait) {
		n.cfg.Logger.Warn("node goroutines did not stop in time", "wait", closeRaftWait)
	}
	n.peer.close()
	n.tap.Close()
	if cerr := n.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// slogWriter adapts raft's log output (JSON lines from hclog) to slog.
type slogWriter struct {
	log interface{ Warn(string, ...any) }
}

func (w *slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("raft", "line", string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

var _ io.Writer = (*slogWriter)(nil)
