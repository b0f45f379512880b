package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wsd-dev/wsd/auth"
	"github.com/wsd-dev/wsd/cluster"
)

// security is what the flags say about identity and transport security.
type security struct {
	authn     auth.Authenticator
	authOn    bool
	serverTLS *tls.Config // API listener; nil for plain HTTP
	peerTLS   *tls.Config // client side of calls to peers' APIs
	raftTLS   *cluster.TLSPair
	gossipKey []byte
}

func (s *security) scheme() string {
	if s.serverTLS != nil {
		return "https://"
	}
	return "http://"
}

// checkAdmission refuses a node with authentication on whose cluster ports
// are open to anyone: joining must need the gossip key (when gossip runs)
// and the raft CA, unless the operator accepts the risk with
// --insecure-cluster, which is logged loudly.
func checkAdmission(cfg *config, log *slog.Logger) error {
	if cfg.Auth == auth.ModeNone {
		return nil
	}
	var missing []string
	if cfg.GossipAddr != "off" && cfg.GossipKey == "" {
		missing = append(missing, "--gossip-key")
	}
	if cfg.RaftTLSCert == "" || cfg.RaftTLSKey == "" || cfg.RaftTLSCA == "" {
		missing = append(missing, "--raft-tls-cert/--raft-tls-key/--raft-tls-ca")
	}
	if len(missing) == 0 {
		return nil
	}
	if !cfg.InsecureCluster {
		return fmt.Errorf("--auth %s needs cluster admission secrets: set %s (or pass --insecure-cluster to run without them: anyone who reaches the gossip or raft port can then join, receive every record and take over the cluster)",
			cfg.Auth, strings.Join(missing, " and "))
	}
	log.Warn("INSECURE CLUSTER: --insecure-cluster is set: authentication is on but the cluster ports are open; any host that reaches them can join, receive every record and take over the cluster",
		"missing", strings.Join(missing, ", "))
	return nil
}

func buildSecurity(ctx context.Context, cfg *config, log *slog.Logger) (*security, error) {
	s := &security{}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, fmt.Errorf("--tls-cert and --tls-key go together")
		}
		srv, _, err := auth.ServerTLSConfig(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("API TLS: %w", err)
		}
		s.serverTLS = srv
		peer, err := auth.ClientTLSConfig(cfg.TLSCA, cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("peer TLS: %w", err)
		}
		s.peerTLS = peer
	}
	if cfg.RaftTLSCert != "" || cfg.RaftTLSKey != "" || cfg.RaftTLSCA != "" {
		srv, cli, err := auth.MutualTLSConfig(cfg.RaftTLSCert, cfg.RaftTLSKey, cfg.RaftTLSCA)
		if err != nil {
			return nil, fmt.Errorf("raft TLS: %w", err)
		}
		s.raftTLS = &cluster.TLSPair{Server: srv, Client: cli}
	}
	if cfg.GossipKey != "" {
		key, err := base64.StdEncoding.DecodeString(cfg.GossipKey)
		if err != nil {
			return nil, fmt.Errorf("--gossip-key: not base64: %w", err)
		}
		if n := len(key); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("--gossip-key: %d bytes, want 16, 24 or 32", n)
		}
		s.gossipKey = key
	}
	acfg := auth.DefaultConfig()
	acfg.Mode = cfg.Auth
	acfg.Issuer = cfg.OIDCIssuer
	acfg.Audience = cfg.OIDCAudience
	acfg.JWKSFile = cfg.OIDCJWKSFile
	acfg.SubjectClaim, acfg.EmailClaim, acfg.GroupsClaim = cfg.ClaimSubject, cfg.ClaimEmail, cfg.ClaimGroups
	acfg.TrustPrincipalHeaders = cfg.TrustPrincipalHeaders
	acfg.AllowUnverifiedEmail = cfg.OIDCAllowUnverifiedEmail
	acfg.UsernamePrefix, acfg.GroupsPrefix = cfg.OIDCUsernamePrefix, cfg.OIDCGroupsPrefix
	acfg.Logger = log.With("component", "auth")
	acfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	if err := acfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	// Discovery needs the issuer: retry for a while so a node can start
	// while the issuer is still coming up.
	var err error
	for attempt := 0; ; attempt++ {
		s.authn, err = auth.New(ctx, acfg)
		if err == nil || attempt >= 30 || ctx.Err() != nil {
			break
		}
		log.Warn("authentication not ready; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s.authOn = cfg.Auth != auth.ModeNone
	return s, nil
}
