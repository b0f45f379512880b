package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// jwksFileCheckInterval is how often, at most, a static JWKS file is
// checked for changes.
const jwksFileCheckInterval = 5 * time.Second

// fileKeySet is an oidc.KeySet backed by a JWK Set file that may be
// replaced while the process runs (key rotation in an air-gapped install).
type fileKeySet struct {
	src *fileSource[*oidc.StaticKeySet]
}

func newFileKeySet(path string, every time.Duration, logger *slog.Logger) (*fileKeySet, error) {
	var count int
	parse := func(contents [][]byte) (*oidc.StaticKeySet, error) {
		ks, err := parseJWKS(contents[0])
		if err != nil {
			return nil, fmt.Errorf("JWKS file %s: %w", path, err)
		}
		count = len(ks.PublicKeys)
		return ks, nil
	}
	src, err := newFileSource(every, parse, path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	logger.Info("auth: JWKS file loaded", slog.String("path", path), slog.Int("keys", count))
	src.onReload = func(err error) {
		if err != nil {
			logger.Warn("auth: JWKS file changed but cannot be used; keeping the previous keys",
				slog.String("path", path), slog.Any("error", err))
			return
		}
		logger.Info("auth: JWKS file reloaded", slog.String("path", path), slog.Int("keys", count))
	}
	return &fileKeySet{src: src}, nil
}

// VerifySignature implements oidc.KeySet with the file's current keys.
func (k *fileKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	return k.src.get().VerifySignature(ctx, jwt)
}

// parseJWKS keeps the RSA and EC signing keys of a JWK Set. Private keys
// are reduced to their public halves; symmetric and encryption keys are
// skipped. A set with no usable key is an error.
func parseJWKS(data []byte) (*oidc.StaticKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parsing JWK Set: %w", err)
	}
	var keys []crypto.PublicKey
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch key := k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, key)
		case *rsa.PrivateKey:
			keys = append(keys, &key.PublicKey)
		case *ecdsa.PrivateKey:
			keys = append(keys, &key.PublicKey)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no RSA or EC signing key in JWK Set")
	}
	return &oidc.StaticKeySet{PublicKeys: keys}, nil
}
