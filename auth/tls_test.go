package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("CreateCertificate(CA): %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func randomSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("rand.Int: %v", err)
	}
	return n
}

// leaf is an issued certificate: its PEM files' contents and serial.
type leaf struct {
	certPEM, keyPEM []byte
	serial          *big.Int
	pair            tls.Certificate
}

// issue signs a leaf for name with the given extended key usages (none
// means the extension is absent), valid for 127.0.0.1 and localhost.
func (ca *testCA) issue(t *testing.T, name string, usages ...x509.ExtKeyUsage) leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usages,
		DNSNames:     []string{name, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("CreateCertificate(%s): %v", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("MarshalPKCS8PrivateKey: %v", err)
	}
	l := leaf{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		serial:  tmpl.SerialNumber,
	}
	if l.pair, err = tls.X509KeyPair(l.certPEM, l.keyPEM); err != nil {
		t.Fatalf("X509KeyPair: %v", err)
	}
	return l
}

// write stores the leaf as dir/name.crt and dir/name.key.
func (l leaf) write(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writeFile(t, certFile, l.certPEM)
	writeFile(t, keyFile, l.keyPEM)
	return certFile, keyFile
}

func writeCA(t *testing.T, path string, cas ...*testCA) string {
	t.Helper()
	var b []byte
	for _, ca := range cas {
		b = append(b, ca.pem...)
	}
	writeFile(t, path, b)
	return path
}

var (
	serverAuth = x509.ExtKeyUsageServerAuth
	clientAuth = x509.ExtKeyUsageClientAuth
)

// serveTLS accepts TLS connections on 127.0.0.1 until the test ends; each
// completed handshake is answered with "ok".
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("tls.Listen: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				_, _ = io.WriteString(c, "ok")
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// dialTLS connects, reads the server's "ok" and returns the serial of the
// certificate the server presented.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*big.Int, error) {
	t.Helper()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// With TLS 1.3 the server judges the client certificate after the
	// client's handshake returns: a refusal shows up on the first read.
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		return nil, err
	}
	if string(buf) != "ok" {
		return nil, errors.New("unexpected reply " + string(buf))
	}
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber, nil
}

func TestServerTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca, foreign := newTestCA(t, "cluster CA"), newTestCA(t, "foreign CA")
	caFile := writeCA(t, filepath.Join(dir, "ca.pem"), ca)
	srvLeaf := ca.issue(t, "wsd-0", serverAuth)
	certFile, keyFile := srvLeaf.write(t, dir, "server")
	cfg, rl, err := serverTLSConfig(certFile, keyFile, caFile, 0)
	if err != nil {
		t.Fatalf("serverTLSConfig: %v", err)
	}
	addr := serveTLS(t, cfg)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	client := func(certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12}
	}

	tests := []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{name: "client certificate from the CA", cfg: client(ca.issue(t, "client", clientAuth).pair)},
		{name: "client certificate without key usages", cfg: client(ca.issue(t, "client").pair)},
		{name: "TLS 1.2 client", cfg: func() *tls.Config {
			c := client(ca.issue(t, "client", clientAuth).pair)
			c.MaxVersion = tls.VersionTLS12
			return c
		}()},
		{name: "no client certificate", cfg: client(), wantErr: true},
		{name: "client certificate from another CA", cfg: client(foreign.issue(t, "client", clientAuth).pair), wantErr: true},
		{name: "server-only certificate as client", cfg: client(ca.issue(t, "client", serverAuth).pair), wantErr: true},
		{name: "TLS 1.1 client", cfg: func() *tls.Config {
			c := client(ca.issue(t, "client", clientAuth).pair)
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return c
		}(), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serial, err := dialTLS(t, addr, tt.cfg)
			if tt.wantErr {
				if err == nil {
					t.Fatal("dial succeeded, want the server to refuse")
				}
				t.Logf("refused as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			if serial.Cmp(srvLeaf.serial) != 0 {
				t.Errorf("server certificate serial = %v, want %v", serial, srvLeaf.serial)
			}
		})
	}

	clientCert := client(ca.issue(t, "client", clientAuth).pair)
	t.Run("server certificate reloaded", func(t *testing.T) {
		next := ca.issue(t, "wsd-0", serverAuth)
		next.write(t, dir, "server")
		serial, err := dialTLS(t, addr, clientCert)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		if serial.Cmp(next.serial) != 0 {
			t.Errorf("server certificate serial after rewrite = %v, want %v (the new one)", serial, next.serial)
		}
		if err := rl.LastError(); err != nil {
			t.Errorf("LastError() = %v, want nil", err)
		}

		// A certificate written without its key yet keeps the old pair.
		half := ca.issue(t, "wsd-0", serverAuth)
		writeFile(t, certFile, half.certPEM)
		if serial, err = dialTLS(t, addr, clientCert); err != nil {
			t.Fatalf("dial with a half-written pair: %v", err)
		}
		if serial.Cmp(next.serial) != 0 {
			t.Errorf("serial with a half-written pair = %v, want %v (the previous one)", serial, next.serial)
		}
		if rl.LastError() == nil {
			t.Error("LastError() = nil with a mismatched pair on disk, want an error")
		}
		writeFile(t, keyFile, half.keyPEM)
		if serial, err = dialTLS(t, addr, clientCert); err != nil {
			t.Fatalf("dial: %v", err)
		}
		if serial.Cmp(half.serial) != 0 {
			t.Errorf("serial once the key is written = %v, want %v", serial, half.serial)
		}
	})
	t.Run("client CA reloaded", func(t *testing.T) {
		writeCA(t, caFile, foreign)
		if _, err := dialTLS(t, addr, clientCert); err == nil {
			t.Error("client of the removed CA accepted, want refused")
		}
		if _, err := dialTLS(t, addr, client(foreign.issue(t, "client", clientAuth).pair)); err != nil {
			t.Errorf("client of the new CA refused: %v", err)
		}
	})
}

func TestServerTLSConfig_noClientCA(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "cluster CA")
	certFile, keyFile := ca.issue(t, "wsd-0", serverAuth).write(t, dir, "server")
	cfg, _, err := ServerTLSConfig(certFile, keyFile, "")
	if err != nil {
		t.Fatalf("ServerTLSConfig: %v", err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want %x", cfg.MinVersion, tls.VersionTLS12)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	if _, err := dialTLS(t, serveTLS(t, cfg), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}); err != nil {
		t.Errorf("dial without a client certificate: %v", err)
	}
}

func TestServerTLSConfig_errors(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "cluster CA")
	certFile, keyFile := ca.issue(t, "wsd-0", serverAuth).write(t, dir, "server")
	otherCert, _ := ca.issue(t, "wsd-1", serverAuth).write(t, dir, "other")
	notPEM := filepath.Join(dir, "not.pem")
	writeFile(t, notPEM, []byte("not PEM"))
	tests := []struct {
		name                string
		cert, key, clientCA string
	}{
		{name: "missing certificate", cert: filepath.Join(dir, "missing.crt"), key: keyFile},
		{name: "no key file", cert: certFile},
		{name: "key of another certificate", cert: otherCert, key: keyFile},
		{name: "missing CA file", cert: certFile, key: keyFile, clientCA: filepath.Join(dir, "missing.pem")},
		{name: "CA file without certificates", cert: certFile, key: keyFile, clientCA: notPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ServerTLSConfig(tt.cert, tt.key, tt.clientCA); err == nil {
				t.Error("ServerTLSConfig = nil error, want one")
			}
		})
	}
}

// handshakePair runs one TLS handshake over loopback TCP and returns each
// side's error, the server's including its first read.
func handshakePair(t *testing.T, serverCfg, clientCfg *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			serverErr = err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		s := tls.Server(c, serverCfg)
		if serverErr = s.Handshake(); serverErr == nil {
			_, serverErr = io.WriteString(s, "ok")
		}
	})
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	cl := tls.Client(c, clientCfg)
	if clientErr = cl.Handshake(); clientErr == nil {
		buf := make([]byte, 2)
		_, clientErr = io.ReadFull(cl, buf)
	}
	c.Close()
	wg.Wait()
	return serverErr, clientErr
}

func TestMutualTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca, foreign := newTestCA(t, "cluster CA"), newTestCA(t, "foreign CA")
	caFile := writeCA(t, filepath.Join(dir, "ca.pem"), ca)
	both := []x509.ExtKeyUsage{serverAuth, clientAuth}
	node := func(t *testing.T, issuer *testCA, name string, usages ...x509.ExtKeyUsage) (server, client *tls.Config) {
		t.Helper()
		certFile, keyFile := issuer.issue(t, name, usages...).write(t, t.TempDir(), name)
		server, client, err := MutualTLSConfig(certFile, keyFile, caFile)
		if err != nil {
			t.Fatalf("MutualTLSConfig: %v", err)
		}
		return server, client
	}

	tests := []struct {
		name            string
		serverIssuer    *testCA
		serverUsages    []x509.ExtKeyUsage
		clientIssuer    *testCA
		clientUsages    []x509.ExtKeyUsage
		wantServerError bool
		wantClientError bool
	}{
		{name: "both from the cluster CA", serverIssuer: ca, serverUsages: both, clientIssuer: ca, clientUsages: both},
		{name: "certificates without key usages", serverIssuer: ca, clientIssuer: ca},
		{name: "server from a foreign CA", serverIssuer: foreign, serverUsages: both, clientIssuer: ca, clientUsages: both, wantClientError: true},
		{name: "client from a foreign CA", serverIssuer: ca, serverUsages: both, clientIssuer: foreign, clientUsages: both, wantServerError: true},
		{name: "client certificate lacks client auth", serverIssuer: ca, serverUsages: both, clientIssuer: ca,
			clientUsages: []x509.ExtKeyUsage{serverAuth}, wantServerError: true},
		{name: "server certificate lacks server auth", serverIssuer: ca, serverUsages: []x509.ExtKeyUsage{clientAuth},
			clientIssuer: ca, clientUsages: both, wantClientError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The names match neither the address dialled nor each other:
			// verification must not depend on them.
			serverCfg, _ := node(t, tt.serverIssuer, "node-a", tt.serverUsages...)
			_, clientCfg := node(t, tt.clientIssuer, "node-b", tt.clientUsages...)
			serverErr, clientErr := handshakePair(t, serverCfg, clientCfg)
			if tt.wantServerError && serverErr == nil {
				t.Error("server accepted the client, want refused")
			}
			if tt.wantClientError && clientErr == nil {
				t.Error("client accepted the server, want refused")
			}
			if !tt.wantServerError && !tt.wantClientError && (serverErr != nil || clientErr != nil) {
				t.Errorf("handshake: server error %v, client error %v; want both nil", serverErr, clientErr)
			}
		})
	}

	t.Run("missing CA file", func(t *testing.T) {
		certFile, keyFile := ca.issue(t, "node-a", both...).write(t, t.TempDir(), "node")
		if _, _, err := MutualTLSConfig(certFile, keyFile, ""); err == nil {
			t.Error("MutualTLSConfig without a CA = nil error, want one")
		}
	})
}

func TestClientTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "cluster CA")
	caFile := writeCA(t, filepath.Join(dir, "ca.pem"), ca)
	certFile, keyFile := ca.issue(t, "wsd-0", serverAuth).write(t, dir, "server")
	srvCfg, _, err := ServerTLSConfig(certFile, keyFile, caFile)
	if err != nil {
		t.Fatalf("ServerTLSConfig: %v", err)
	}
	addr := serveTLS(t, srvCfg)
	clientCert, clientKey := ca.issue(t, "wsd-1", clientAuth).write(t, dir, "client")

	tests := []struct {
		name       string
		caFile     string
		cert, key  string
		serverName string
		wantErr    bool
	}{
		{name: "CA and client certificate", caFile: caFile, cert: clientCert, key: clientKey},
		{name: "name in the certificate", caFile: caFile, cert: clientCert, key: clientKey, serverName: "wsd-0"},
		{name: "name not in the certificate", caFile: caFile, cert: clientCert, key: clientKey, serverName: "wsd-9", wantErr: true},
		{name: "no client certificate", caFile: caFile, wantErr: true},
		{name: "system roots do not know the cluster CA", cert: clientCert, key: clientKey, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ClientTLSConfig(tt.caFile, tt.cert, tt.key)
			if err != nil {
				t.Fatalf("ClientTLSConfig: %v", err)
			}
			cfg.ServerName = tt.serverName
			_, err = dialTLS(t, addr, cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("dial error = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
	t.Run("certificate without key", func(t *testing.T) {
		if _, err := ClientTLSConfig(caFile, clientCert, ""); err == nil {
			t.Error("ClientTLSConfig = nil error, want one")
		}
	})
}
