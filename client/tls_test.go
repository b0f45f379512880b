package client_test

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
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for a server (on 127.0.0.1) or a
// client.
func (ca *testCA) issue(t *testing.T, serial int64, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "svc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLS_caAndClientCertificate: a server that requires a client
// certificate signed by its CA is reached with CAFile (or CAPool) and
// CertFile/KeyFile, and refused without them.
func TestTLS_caAndClientCertificate(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	srvCert, srvKey := ca.issue(t, 2, true)
	cliCert, cliKey := ca.issue(t, 3, false)
	serverPair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, workspace("a"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverPair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = discardLog() // the refused handshakes below
	srv.StartTLS()
	t.Cleanup(srv.Close)

	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	certFile := writeFile(t, dir, "cert.pem", cliCert)
	keyFile := writeFile(t, dir, "key.pem", cliKey)

	tlsClient := func(tc *client.TLSConfig) (*client.Client, error) {
		cfg := client.DefaultConfig()
		cfg.Endpoints = []string{srv.URL}
		cfg.MaxRetries = -1
		cfg.TLS = tc
		c, err := client.New(cfg)
		if c != nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, err
	}
	for name, tc := range map[string]*client.TLSConfig{
		"ca file":           {CAFile: caFile, CertFile: certFile, KeyFile: keyFile},
		"ca pool and certs": {CAPool: pool, Certificates: []tls.Certificate{mustPair(t, cliCert, cliKey)}},
	} {
		c, err := tlsClient(tc)
		if err != nil {
			t.Fatalf("%s: New: %v", name, err)
		}
		if _, err := c.GetWorkspace(ctxT(t), "a"); err != nil {
			t.Errorf("%s: get over mutual TLS: %v", name, err)
		}
	}
	for name, tc := range map[string]*client.TLSConfig{
		"no client certificate": {CAFile: caFile},
		"system roots only":     {CertFile: certFile, KeyFile: keyFile},
	} {
		c, err := tlsClient(tc)
		if err != nil {
			t.Fatalf("%s: New: %v", name, err)
		}
		if _, err := c.GetWorkspace(ctxT(t), "a"); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("%s: err = %v, want a TLS failure (ErrUnavailable)", name, err)
		}
	}
	for name, tc := range map[string]*client.TLSConfig{
		"missing ca file":   {CAFile: filepath.Join(dir, "nope")},
		"ca file not pem":   {CAFile: keyFile + "x"},
		"cert without key":  {CertFile: certFile},
		"key is not a cert": {CertFile: keyFile, KeyFile: keyFile},
	} {
		if _, err := tlsClient(tc); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	cfg := client.DefaultConfig()
	cfg.TLS, cfg.HTTPClient = &client.TLSConfig{CAFile: caFile}, &http.Client{}
	if _, err := client.New(cfg); err == nil {
		t.Error("New with TLS and HTTPClient: no error")
	}
}

func mustPair(t *testing.T, cert, key []byte) tls.Certificate {
	t.Helper()
	p, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
