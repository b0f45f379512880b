package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig sets up HTTPS for the client's own transport (Config.TLS; it
// cannot be combined with Config.HTTPClient, whose transport is yours).
type TLSConfig struct {
	// CAFile is a PEM file of the certificate authorities trusted to sign
	// the server's certificate, added to CAPool. When both are empty the
	// system's roots are used.
	CAFile string
	// CAPool is a pool of trusted authorities.
	CAPool *x509.CertPool
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// servers that require one (mutual TLS).
	CertFile, KeyFile string
	// Certificates are client certificates already loaded.
	Certificates []tls.Certificate
	// ServerName, when set, is the name the server's certificate must
	// carry (default: the endpoint's host).
	ServerName string
}

// build returns the crypto/tls configuration, reading the files.
func (t *TLSConfig) build() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAPool != nil || t.CAFile != "" {
		pool := x509.NewCertPool()
		if t.CAPool != nil {
			pool = t.CAPool.Clone()
		}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("client: TLS CA file: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("client: TLS CA file %s holds no PEM certificate", t.CAFile)
			}
		}
		cfg.RootCAs = pool
	}
	cfg.Certificates = append(cfg.Certificates, t.Certificates...)
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client: TLS client certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	case t.CertFile != "" || t.KeyFile != "":
		return nil, errors.New("client: TLS client certificate: set both CertFile and KeyFile")
	}
	return cfg, nil
}
