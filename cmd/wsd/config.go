package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wsd-dev/wsd/cluster"
)

// config is everything the daemon is started with.
type config struct {
	NodeID          string
	DataDir         string
	HTTPAddr        string
	RaftAddr        string
	GossipAddr      string
	Advertise       string
	Join            []string
	BootstrapExpect int
	// BootstrapExpectSet: --bootstrap-expect (or WSD_BOOTSTRAP_EXPECT)
	// was given. Without it, a node given --join is join-only
	// (BootstrapExpect 0): it never bootstraps a cluster of its own.
	BootstrapExpectSet bool
	DeadServerTimeout  time.Duration
	GossipLocal        bool
	MaxStale           time.Duration
	LeaderWait         time.Duration
	RequestTimeout     time.Duration
	MaxRequestTimeout  time.Duration
	LogLevel           string
	LogFormat          string
	// MaxRestoreMiB is the largest snapshot a restore accepts, in MiB.
	MaxRestoreMiB int

	// Authentication and transport security.
	Auth                  string
	OIDCIssuer            string
	OIDCAudience          string
	OIDCJWKSFile          string
	ClaimSubject          string
	ClaimEmail            string
	ClaimGroups           string
	TrustPrincipalHeaders bool
	// Principal namespaces (auth.Config.AllowUnverifiedEmail,
	// UsernamePrefix, GroupsPrefix).
	OIDCAllowUnverifiedEmail bool
	OIDCUsernamePrefix       string
	OIDCGroupsPrefix         string
	AdminPrincipal           string
	TLSCert                  string
	TLSKey                   string
	TLSClientCA              string
	TLSCA                    string
	RaftTLSCert              string
	RaftTLSKey               string
	RaftTLSCA                string
	GossipKey                string
	// InsecureCluster lets a node with authentication on run without
	// gossip encryption or raft mutual TLS.
	InsecureCluster bool

	// HTTP server limits (see limits.go).
	HTTP httpLimits
}

// parseFlags reads flags; each flag's default comes from its WSD_* twin in
// the environment when set (WSD_DATA_DIR for --data-dir, and so on).
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	host, _ := os.Hostname()
	c := &config{}
	fs := flag.NewFlagSet("wsd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, def, usage string) {
		if v := getenv(envName(name)); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" ("+envName(name)+")")
	}
	var errs []string
	integer := func(p *int, name string, def int, usage string) {
		if v := getenv(envName(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: not an integer", envName(name), v))
			}
			def = n
		}
		fs.IntVar(p, name, def, usage+" ("+envName(name)+")")
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		if v := getenv(envName(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: not a duration", envName(name), v))
			}
			def = d
		}
		fs.DurationVar(p, name, def, usage+" ("+envName(name)+")")
	}
	boolean := func(p *bool, name string, def bool, usage string) {
		if v := getenv(envName(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: not a boolean", envName(name), v))
			}
			def = b
		}
		fs.BoolVar(p, name, def, usage+" ("+envName(name)+")")
	}
	str(&c.NodeID, "node-id", host, "raft server id, stable across restarts")
	str(&c.DataDir, "data-dir", "./wsd-data", "directory for the raft log, stable store and snapshots")
	str(&c.HTTPAddr, "http-addr", ":8080", "address the HTTP API listens on")
	str(&c.RaftAddr, "raft-addr", ":8300", "address the raft transport listens on")
	str(&c.GossipAddr, "gossip-addr", ":8301", "address gossip (memberlist) listens on; \"off\" disables it")
	str(&c.Advertise, "advertise", "", "host other nodes reach this node by (default: the listen host, or 127.0.0.1)")
	var join string
	str(&join, "join", "", "comma-separated gossip addresses or DNS names to join (retried until one answers)")
	integer(&c.BootstrapExpect, "bootstrap-expect", 1, "number of servers that bootstrap the cluster together; 0 = join only (the default when --join is given)")
	dur(&c.DeadServerTimeout, "dead-server-timeout", 5*time.Minute, "how long a server may be gone before the leader removes it")
	boolean(&c.GossipLocal, "gossip-local", false, "use fast loopback gossip timings (tests, single host)")
	dur(&c.MaxStale, "max-stale", 5*time.Second, "longest leader silence after which default reads go to the leader (at least 1s)")
	dur(&c.LeaderWait, "leader-wait", 7*time.Second, "how long a write waits for a leader before 503")
	integer(&c.MaxRestoreMiB, "max-restore-mib", 1024, "largest snapshot POST /v1/cluster/restore accepts, in MiB (the leader holds it in memory to verify it)")
	dur(&c.RequestTimeout, "request-timeout", 10*time.Second, "deadline of an API request that sends no X-Wsd-Timeout")
	dur(&c.MaxRequestTimeout, "max-request-timeout", time.Minute, "longest X-Wsd-Timeout honoured (longer values are lowered to it)")
	str(&c.Auth, "auth", "none", "authentication: none or oidc")
	str(&c.OIDCIssuer, "oidc-issuer", "", "OIDC issuer URL (discovery and JWKS)")
	str(&c.OIDCAudience, "oidc-audience", "", "audience tokens must carry")
	str(&c.OIDCJWKSFile, "oidc-jwks-file", "", "static JWKS file instead of issuer discovery (air-gapped installs)")
	str(&c.ClaimSubject, "oidc-claim-subject", "sub", "claim holding the principal id")
	str(&c.ClaimEmail, "oidc-claim-email", "email", "claim holding the email")
	str(&c.ClaimGroups, "oidc-claim-groups", "groups", "claim holding the groups")
	boolean(&c.TrustPrincipalHeaders, "trust-principal-headers", false, "accept X-NMP-Principal-* headers from a trusted gateway")
	boolean(&c.OIDCAllowUnverifiedEmail, "oidc-allow-unverified-email", false, "let a token's email count without an email_verified claim (issuers that never send it); email_verified=false never counts")
	str(&c.OIDCUsernamePrefix, "oidc-username-prefix", "", "prefix added to every user id (e.g. \"user:\"), so ids never collide with emails or groups")
	str(&c.OIDCGroupsPrefix, "oidc-groups-prefix", "", "prefix added to every group name (e.g. \"group:\"), so groups never collide with user ids or emails")
	str(&c.AdminPrincipal, "admin-principal", "", "principal granted PlatformAdmin when the cluster is first initialised")
	str(&c.TLSCert, "tls-cert", "", "API server certificate (PEM); enables HTTPS")
	str(&c.TLSKey, "tls-key", "", "API server key (PEM)")
	str(&c.TLSClientCA, "tls-client-ca", "", "CA that API client certificates must chain to (optional)")
	str(&c.TLSCA, "tls-ca", "", "CA that peers' API certificates chain to (for forwarding between nodes)")
	str(&c.RaftTLSCert, "raft-tls-cert", "", "raft transport certificate (mutual TLS)")
	str(&c.RaftTLSKey, "raft-tls-key", "", "raft transport key")
	str(&c.RaftTLSCA, "raft-tls-ca", "", "cluster CA for the raft transport")
	str(&c.GossipKey, "gossip-key", "", "base64 key (16, 24 or 32 bytes) that encrypts gossip")
	httpFlags(&c.HTTP, dur, integer)
	boolean(&c.InsecureCluster, "insecure-cluster", false, "with --auth oidc, run without --gossip-key or raft mutual TLS (anyone reaching the cluster ports can join)")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "text", "text or json")
	if len(errs) > 0 {
		return nil, fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, j := range strings.Split(join, ",") {
		if j = strings.TrimSpace(j); j != "" {
			c.Join = append(c.Join, j)
		}
	}
	c.BootstrapExpectSet = getenv(envName("bootstrap-expect")) != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "bootstrap-expect" {
			c.BootstrapExpectSet = true
		}
	})
	if !c.BootstrapExpectSet && len(c.Join) > 0 {
		c.BootstrapExpect = 0 // join only: never bootstrap alone
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.HTTP.validate(c.MaxRequestTimeout); err != nil {
		return nil, err
	}
	if c.MaxStale < cluster.MinMaxStale {
		return nil, fmt.Errorf("--max-stale %s is below %s: a node cannot tell staleness under raft's heartbeat timeout apart from a healthy cluster, so it could not honour it", c.MaxStale, cluster.MinMaxStale)
	}
	return c, nil
}

func envName(flagName string) string {
	return "WSD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// advertised returns host:port for addr with the host replaced by the
// advertise host, or by 127.0.0.1 when the listen host is a wildcard.
func advertised(addr, advertise string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	switch {
	case advertise != "":
		host = advertise
	case host == "" || host == "0.0.0.0" || host == "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
