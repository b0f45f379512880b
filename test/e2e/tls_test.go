package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/internal/oidctest"
)

// testCA is a certificate authority made up by a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func serial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeCA writes the CA certificate into dir and returns its path.
func (ca *testCA) writeCA(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue writes a node certificate for 127.0.0.1 and localhost, good for
// both TLS server and client use, and its key into dir.
func (ca *testCA) issue(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// raftTLSArgs are the raft mutual TLS flags.
func raftTLSArgs(cert, key, ca string) []string {
	return []string{"--raft-tls-cert=" + cert, "--raft-tls-key=" + key, "--raft-tls-ca=" + ca}
}

// TestTLS_securedClusterWithAuth runs three nodes with HTTPS on the API,
// mutual TLS on raft, encrypted gossip and OIDC authentication:
//   - it works through a follower, and forwarding keeps the caller's
//     identity (created_by, the creator's Admin binding, refusals);
//   - a plain-text or untrusting client is refused;
//   - a node whose raft certificate comes from another CA never becomes a
//     voter and never receives any data, and a node without the gossip
//     key is never seen at all.
func TestTLS_securedClusterWithAuth(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "wsd test cluster CA")
	caFile := ca.writeCA(t, dir, "ca.pem")
	apiCert, apiKey := ca.issue(t, dir, "api")
	raftCert, raftKey := ca.issue(t, dir, "raft")
	gk := make([]byte, 32)
	if _, err := rand.Read(gk); err != nil {
		t.Fatal(err)
	}
	gossipKey := base64.StdEncoding.EncodeToString(gk)
	iss := oidctest.New(t)

	common := append([]string{
		"--tls-cert=" + apiCert, "--tls-key=" + apiKey, "--tls-ca=" + caFile,
	}, authArgs(iss)...)
	args := append(slices.Clone(common), raftTLSArgs(raftCert, raftKey, caFile)...)
	args = append(args, "--gossip-key="+gossipKey)
	clientTLS := &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
	c := newCluster(t, clusterOpts{size: 3, tls: clientTLS, extraArgs: args, adminToken: iss.Token(t, adminPrincipal, "")})
	leader := c.leader()
	fs := c.followers(leader)
	ctx := ctxT(t, 2*time.Minute)

	ms, err := c.members(leader)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Suffrage != "voter" || len(m.HTTPAddr) < 8 || m.HTTPAddr[:8] != "https://" {
			t.Fatalf("member %+v: want a voter with an https address", m)
		}
	}

	// Through a follower, as alice (any user may create: "*" holds
	// WorkspaceCreator on system from initialisation).
	aliceTok := iss.Token(t, "alice", "alice@example.com")
	alice := c.tokenClient(aliceTok, fs[0])
	ws, err := alice.CreateWorkspace(ctx, "secure")
	if err != nil {
		t.Fatalf("create through follower %s: %v", fs[0].id, err)
	}
	if ws.CreatedBy != "alice@example.com" || ws.UpdatedBy != "alice@example.com" {
		t.Errorf("created_by, updated_by = %q, %q; want alice@example.com", ws.CreatedBy, ws.UpdatedBy)
	}
	members, err := alice.WorkspaceMembers(ctx, "secure")
	if err != nil {
		t.Fatalf("members: %v", err)
	}
	if len(members) != 1 || members[0].Principal != "alice" || !slices.Equal(members[0].Roles, []string{client.RoleAdmin}) {
		t.Errorf("members = %+v, want alice (the creator's subject) as Admin", members)
	}
	// Every node serves the same, authorised, answer.
	root := iss.Token(t, adminPrincipal, "")
	for _, n := range c.nodes {
		got, err := c.tokenClient(root, n).GetWorkspace(ctx, "secure", client.WithMinIndex(alice.LastIndex()))
		if err != nil || got.CreatedBy != "alice@example.com" || got.ID != ws.ID {
			t.Errorf("%s: %+v, %v; want the workspace created by alice@example.com", n.id, got, err)
		}
	}

	// Bob holds no role in it: refused on reads by the follower, on
	// writes by the leader the follower forwards to, as if it did not
	// exist (a non-member cannot tell hidden from missing).
	bob := c.tokenClient(iss.Token(t, "bob", ""), fs[1])
	if _, err := bob.GetWorkspace(ctx, "secure"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("bob reads: %v, want ErrNotFound", err)
	}
	desc := "bob was here"
	if _, err := bob.UpdateWorkspace(ctx, "secure", &desc); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("bob writes through %s: %v, want ErrNotFound", fs[1].id, err)
	}
	if _, err := c.tokenClient("", fs[1]).GetWorkspace(ctx, "secure"); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("anonymous read: %v, want ErrUnauthorized", err)
	}
	if _, err := alice.AddMember(ctx, "secure", "bob"); err != nil {
		t.Fatalf("add bob: %v", err)
	}
	got, err := bob.UpdateWorkspace(ctx, "secure", &desc)
	if err != nil || got.UpdatedBy != "bob" || got.CreatedBy != "alice@example.com" {
		t.Errorf("bob writes as Editor: %+v, %v; want updated_by bob", got, err)
	}

	// A plain-text client is refused, and so is one that does not trust
	// the cluster CA; neither changes anything.
	for _, n := range c.nodes {
		plain := "http://" + n.addr() + ":" + strconv.Itoa(n.httpPort)
		r, err := c.as(aliceTok, http.MethodPost, plain+base+"/workspaces", map[string]any{"name": "plain-" + n.id})
		if err == nil && r.code < 400 {
			t.Errorf("%s: plain-text create answered %s", n.id, r)
		}
		untrusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
		resp, err := untrusting.Get(n.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: a client that does not trust the cluster CA got %s", n.id, resp.Status)
		}
		untrusting.CloseIdleConnections()
		if _, err := alice.GetWorkspace(ctx, "plain-"+n.id); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("%s: workspace of the plain-text request: %v, want ErrNotFound", n.id, err)
		}
	}

	// A fourth node with the right API certificate and gossip key but a
	// raft certificate from another CA; a fifth with the right
	// certificates but not the cluster's gossip key (authArgs gives it
	// another one).
	foreign := newTestCA(t, "foreign CA")
	fCert, fKey := foreign.issue(t, dir, "foreign-raft")
	fCA := foreign.writeCA(t, dir, "foreign-ca.pem")
	n4Args := append(slices.Clone(common), raftTLSArgs(fCert, fKey, fCA)...)
	n4 := c.add("n4", clusterOpts{tls: clientTLS, extraArgs: append(n4Args, "--gossip-key="+gossipKey)})
	n5 := c.add("n5", clusterOpts{tls: clientTLS, extraArgs: append(slices.Clone(common), raftTLSArgs(raftCert, raftKey, caFile)...)})

	// Keep writing while they try, for longer than autopilot takes to
	// promote a healthy server (5s).
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if _, err := alice.CreateWorkspace(ctx, fmt.Sprintf("during-%d", i)); err != nil {
			t.Fatalf("write while n4 and n5 try to join: %v", err)
		}
		ms, err := c.members(leader)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.ID == n4.id && m.Suffrage == "voter" {
				t.Fatalf("n4, with a raft certificate from another CA, became a voter: %+v", ms)
			}
			if m.ID == n5.id {
				t.Fatalf("n5, without the gossip key, became a member: %+v", ms)
			}
		}
		for _, n := range []*node{n4, n5} {
			s, err := c.status(n)
			if err != nil {
				continue // still starting
			}
			if s.FSMIndex != 0 || s.Leader != nil || s.Ready {
				t.Fatalf("%s received data or found the leader: %+v", n.id, s)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, n := range []*node{n4, n5} {
		if !n.running() {
			t.Fatalf("%s exited; it should keep trying to join", n.id)
		}
		if _, err := c.tokenClient(root, n).GetWorkspace(ctx, "secure", client.WithConsistency(client.ConsistencyStale)); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("%s serves secure: %v, want ErrNotFound (it has no data)", n.id, err)
		}
		c.kill(n)
	}
	c.sameDigest(15 * time.Second)
}
