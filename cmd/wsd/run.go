package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wsd-dev/wsd/cluster"
	"github.com/wsd-dev/wsd/fsm"
	"github.com/wsd-dev/wsd/httpapi"
	"github.com/wsd-dev/wsd/telemetry"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "version" {
		fmt.Fprintln(stdout, "wsd", version)
		return nil
	}
	if isAdminCommand(args) {
		return runAdmin(ctx, args, getenv, stdout, stderr)
	}
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log)
}

func newLogger(cfg *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", cfg.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", cfg.LogFormat)
}

func serve(ctx context.Context, cfg *config, log *slog.Logger) error {
	log = log.With("node", cfg.NodeID)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if err := checkAdmission(cfg, log); err != nil {
		return err
	}
	sec, err := buildSecurity(ctx, cfg, log)
	if err != nil {
		return err
	}
	// Listen first so that the advertised HTTP address is the real one.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	defer ln.Close()
	httpAdv, err := advertised(ln.Addr().String(), cfg.Advertise)
	if err != nil {
		return err
	}
	raftAdv, err := advertised(cfg.RaftAddr, cfg.Advertise)
	if err != nil {
		return err
	}

	gossipAddr := ""
	if cfg.GossipAddr != "off" {
		gossipAddr = cfg.GossipAddr
	}
	gossipAdv := ""
	if gossipAddr != "" {
		if gossipAdv, err = advertised(gossipAddr, cfg.Advertise); err != nil {
			return err
		}
	}
	if _, err := telemetry.InstallBridge(reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	fsmMetrics, err := telemetry.NewFSMMetrics(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	f := fsm.New(fsm.Options{Logger: log.With("component", "fsm"), Observer: fsmMetrics})
	node, err := cluster.Open(cluster.Config{
		NodeID:        cfg.NodeID,
		DataDir:       cfg.DataDir,
		RaftAddr:      cfg.RaftAddr,
		AdvertiseRaft: raftAdv,
		HTTPAdvertise: sec.scheme() + httpAdv,
		HTTPTLS:       sec.peerTLS,
		RaftTLS:       sec.raftTLS,
		GossipKey:     sec.gossipKey,
		// Without a gossip key the peer service is unauthenticated: only
		// acceptable in a cluster without authentication.
		InsecurePeers:     !sec.authOn,
		AdminPrincipal:    cfg.AdminPrincipal,
		GossipAddr:        gossipAddr,
		AdvertiseGossip:   gossipAdv,
		GossipLocal:       cfg.GossipLocal,
		Join:              cfg.Join,
		BootstrapExpect:   cfg.BootstrapExpect,
		AuthMode:          cfg.Auth,
		DeadServerTimeout: cfg.DeadServerTimeout,
		Version:           version,
		ApplyTimeout:      10 * time.Second,
		LeaderWait:        cfg.LeaderWait,
		SnapshotThreshold: 8192,
		SnapshotInterval:  2 * time.Minute,
		Logger:            log.With("component", "cluster"),
	}, f)
	if err != nil {
		return err
	}
	if err := reg.Register(node.Collector()); err != nil {
		node.Close()
		return fmt.Errorf("metrics: %w", err)
	}
	defer func() {
		if err := node.Close(); err != nil {
			log.Warn("closing raft", "err", err)
		}
	}()

	hcfg := httpapi.DefaultConfig()
	hcfg.Cluster = node
	hcfg.Logger = log.With("component", "http")
	hcfg.MaxStale = cfg.MaxStale
	hcfg.LeaderWait = cfg.LeaderWait
	if cfg.MaxRestoreMiB <= 0 {
		return fmt.Errorf("--max-restore-mib=%d: must be positive", cfg.MaxRestoreMiB)
	}
	hcfg.MaxRestoreBytes = int64(cfg.MaxRestoreMiB) << 20
	hcfg.DefaultTimeout = cfg.RequestTimeout
	hcfg.MaxTimeout = cfg.MaxRequestTimeout
	hcfg.Registerer = reg
	hcfg.Authenticator = sec.authn
	hcfg.AuthEnabled = sec.authOn
	hcfg.StreamProgress = cfg.HTTP.StreamProgress
	if sec.peerTLS != nil {
		hcfg.ForwardTransport = httpapi.NewForwardTransport(sec.peerTLS)
	}
	api, err := httpapi.New(hcfg)
	if err != nil {
		return err
	}
	defer api.Close()
	srv := &http.Server{
		Handler:  rootHandler(promhttpHandler(reg), node.PeerHandler(), api.Handler()),
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	cfg.HTTP.server(srv)
	fds := nofile()
	maxConns := cfg.HTTP.maxConns(fds)
	// The API's listener caps connections, does TLS and gives net/http's
	// own error answers the JSON body (httpapi.Server.Listener).
	ln = api.Listener(ln, maxConns, sec.serverTLS)
	log.Info("http limits", "max_conns", maxConns, "nofile", fds, "read_timeout", cfg.HTTP.ReadTimeout,
		"write_timeout", cfg.HTTP.WriteTimeout, "request_timeout", cfg.RequestTimeout, "max_request_timeout", cfg.MaxRequestTimeout, "max_header_bytes", cfg.HTTP.MaxHeaderBytes)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("wsd serving", "http", httpAdv, "raft", raftAdv, "data_dir", cfg.DataDir, "version", version)
	if cfg.BootstrapExpect == 0 {
		log.Info("join only: this node never bootstraps a cluster of its own; it waits to be added by the leader of the cluster it joins", "join", cfg.Join)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	case <-node.Left():
		log.Info("this node left the cluster")
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}
