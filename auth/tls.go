package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// certCheckInterval is how often, at most, a handshake re-reads the
// certificate, key and CA files.
const certCheckInterval = time.Second

// CertReloader serves a certificate and key pair from files and picks up a
// rewrite of either without a restart. The files are checked during a
// handshake, at most once per second; a pair that does not load (say the
// certificate was rewritten but not yet the key) keeps the previous one in
// use until it does. It starts no goroutine and needs no Close. Safe for
// concurrent use.
type CertReloader struct {
	src *fileSource[*tls.Certificate]
}

// NewCertReloader loads certFile and keyFile (PEM); they must form a valid
// pair now.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	return newCertReloader(certFile, keyFile, certCheckInterval)
}

func newCertReloader(certFile, keyFile string, every time.Duration) (*CertReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("auth: TLS needs both a certificate file and a key file")
	}
	parse := func(c [][]byte) (*tls.Certificate, error) {
		cert, err := tls.X509KeyPair(c[0], c[1])
		if err != nil {
			return nil, fmt.Errorf("loading key pair %s, %s: %w", certFile, keyFile, err)
		}
		return &cert, nil
	}
	src, err := newFileSource(every, parse, certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &CertReloader{src: src}, nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.src.get(), nil
}

// GetClientCertificate is for tls.Config.GetClientCertificate. It offers
// the certificate whatever CAs the server names.
func (r *CertReloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.src.get(), nil
}

// Reload re-reads the files now. It returns why a change could not be used
// (the previous pair stays in use), or nil.
func (r *CertReloader) Reload() error { return r.src.reload() }

// LastError returns the last failure to read or load changed files, or nil
// when the pair in use is the one on disk. Suitable for a health check.
func (r *CertReloader) LastError() error { return r.src.lastError() }

// caPool is a CA bundle file re-read on change like a CertReloader.
type caPool struct {
	src *fileSource[*x509.CertPool]
}

func newCAPool(caFile string, every time.Duration) (*caPool, error) {
	parse := func(c [][]byte) (*x509.CertPool, error) {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c[0]) {
			return nil, fmt.Errorf("no PEM certificate in CA file %s", caFile)
		}
		return pool, nil
	}
	src, err := newFileSource(every, parse, caFile)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &caPool{src: src}, nil
}

// verifyPeer returns a tls.Config.VerifyConnection function that checks
// the peer's chain against the current CA pool for the given use. It does
// not check names: with a private cluster CA, holding a certificate it
// issued is the identity. It runs on resumed sessions too, so a session
// started under a CA that has since been removed is refused.
func (p *caPool) verifyPeer(usage x509.ExtKeyUsage) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("auth: peer presented no certificate")
		}
		opts := x509.VerifyOptions{
			Roots:         p.src.get(),
			Intermediates: x509.NewCertPool(),
			KeyUsages:     []x509.ExtKeyUsage{usage},
		}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
			return fmt.Errorf("auth: peer certificate: %w", err)
		}
		return nil
	}
}

// ServerTLSConfig returns a TLS 1.2+ server config that serves the pair in
// certFile/keyFile, reloaded on change. With clientCAFile set, every client
// must present a certificate that chains to a CA in that file (also
// reloaded on change) and allows client authentication.
//
// The client check is done in VerifyConnection rather than through
// ClientCAs, so that the CA file can change without a restart: ClientAuth
// reads RequireAnyClientCert, ConnectionState.VerifiedChains stays empty,
// and PeerCertificates[0] is the verified client certificate.
func ServerTLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, *CertReloader, error) {
	return serverTLSConfig(certFile, keyFile, clientCAFile, certCheckInterval)
}

func serverTLSConfig(certFile, keyFile, clientCAFile string, every time.Duration) (*tls.Config, *CertReloader, error) {
	rl, err := newCertReloader(certFile, keyFile, every)
	if err != nil {
		return nil, nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: rl.GetCertificate,
	}
	if clientCAFile != "" {
		pool, err := newCAPool(clientCAFile, every)
		if err != nil {
			return nil, nil, err
		}
		cfg.ClientAuth = tls.RequireAnyClientCert
		cfg.VerifyConnection = pool.verifyPeer(x509.ExtKeyUsageClientAuth)
	}
	return cfg, rl, nil
}

// MutualTLSConfig returns the two sides of a mutually authenticated TLS
// 1.2+ link for the raft transport. Each side presents the pair in
// certFile/keyFile and requires the peer's certificate to chain to caFile,
// all three reloaded on change. Verification ignores host names and IP
// addresses (raft dials IPs): a node certificate therefore needs both the
// server and client authentication key usages, or none.
func MutualTLSConfig(certFile, keyFile, caFile string) (server, client *tls.Config, err error) {
	return mutualTLSConfig(certFile, keyFile, caFile, certCheckInterval)
}

func mutualTLSConfig(certFile, keyFile, caFile string, every time.Duration) (server, client *tls.Config, err error) {
	if caFile == "" {
		return nil, nil, errors.New("auth: mutual TLS needs a CA file")
	}
	rl, err := newCertReloader(certFile, keyFile, every)
	if err != nil {
		return nil, nil, err
	}
	pool, err := newCAPool(caFile, every)
	if err != nil {
		return nil, nil, err
	}
	server = &tls.Config{
		MinVersion:       tls.VersionTLS12,
		GetCertificate:   rl.GetCertificate,
		ClientAuth:       tls.RequireAnyClientCert,
		VerifyConnection: pool.verifyPeer(x509.ExtKeyUsageClientAuth),
	}
	client = &tls.Config{
		MinVersion:           tls.VersionTLS12,
		GetClientCertificate: rl.GetClientCertificate,
		// The built-in check needs a host name; VerifyConnection checks the
		// chain against the cluster CA instead, so this skips nothing.
		InsecureSkipVerify: true,
		VerifyConnection:   pool.verifyPeer(x509.ExtKeyUsageServerAuth),
	}
	return server, client, nil
}

// ClientTLSConfig returns a TLS 1.2+ client config for requests forwarded
// between nodes. The server is verified the standard way, host name
// included, against caFile (or the system roots when caFile is empty); the
// CA file is read once. With certFile and keyFile set, it presents that
// pair (reloaded on change) as its client certificate.
func ClientTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	return clientTLSConfig(caFile, certFile, keyFile, certCheckInterval)
}

func clientTLSConfig(caFile, certFile, keyFile string, every time.Duration) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		b, err := readFileLimited(caFile, maxWatchedFileBytes)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("auth: no PEM certificate in CA file %s", caFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case certFile == "" && keyFile == "":
	case certFile == "" || keyFile == "":
		return nil, errors.New("auth: a client certificate needs both a certificate file and a key file")
	default:
		rl, err := newCertReloader(certFile, keyFile, every)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = rl.GetClientCertificate
	}
	return cfg, nil
}
