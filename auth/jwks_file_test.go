package auth

import (
	"bytes"
	"crypto/elliptic"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const fileIssuer = "https://issuer.internal.example"

func fileConfig(path string) Config {
	cfg := DefaultConfig()
	cfg.Mode = ModeOIDC
	cfg.Issuer = fileIssuer
	cfg.Audience = testAudience
	cfg.JWKSFile = path
	return cfg
}

func TestOIDCAuthenticator_Authenticate_jwksFile(t *testing.T) {
	k1 := rsaKey(t, "k1", jose.RS256)
	k2 := ecKey(t, "k2", jose.ES256, elliptic.P256())
	path := writeJWKS(t, filepath.Join(t.TempDir(), "jwks.json"), k1)
	var logs bytes.Buffer
	cfg := fileConfig(path)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	a, err := newAuthenticator(t.Context(), cfg, 0) // check the file on every token
	if err != nil {
		t.Fatalf("newAuthenticator: %v", err)
	}
	claims := claimsAt(fileIssuer, time.Now(), nil)
	alice := Principal{ID: "user-1", Email: "alice@example.com", Groups: []string{"ml", "admins"}}

	t.Run("key in file", func(t *testing.T) {
		checkAuth(t, a, request(t, bearer(k1.sign(t, claims))), alice, nil)
	})
	t.Run("key not in file", func(t *testing.T) {
		checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), Principal{}, ErrInvalidCredentials)
	})
	t.Run("wrong issuer", func(t *testing.T) {
		c := claimsAt("https://other.example", time.Now(), nil)
		checkAuth(t, a, request(t, bearer(k1.sign(t, c))), Principal{}, ErrInvalidCredentials)
	})
	t.Run("file replaced", func(t *testing.T) {
		writeJWKS(t, path, k2)
		checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), alice, nil)
		checkAuth(t, a, request(t, bearer(k1.sign(t, claims))), Principal{}, ErrInvalidCredentials)
		if !strings.Contains(logs.String(), "JWKS file reloaded") {
			t.Errorf("log = %q, want a reload message", logs.String())
		}
	})
	t.Run("broken file keeps the previous keys", func(t *testing.T) {
		writeFile(t, path, []byte(`{"keys": [`))
		checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), alice, nil)
		if !strings.Contains(logs.String(), "keeping the previous keys") {
			t.Errorf("log = %q, want a warning about the broken file", logs.String())
		}
	})
	t.Run("removed file keeps the previous keys", func(t *testing.T) {
		if err := os.Remove(path); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), alice, nil)
	})
	t.Run("restored file", func(t *testing.T) {
		writeJWKS(t, path, k1, k2)
		checkAuth(t, a, request(t, bearer(k1.sign(t, claims))), alice, nil)
		checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), alice, nil)
	})
}

func TestOIDCAuthenticator_Authenticate_jwksFileCheckInterval(t *testing.T) {
	k1 := rsaKey(t, "k1", jose.RS256)
	k2 := rsaKey(t, "k2", jose.RS256)
	path := writeJWKS(t, filepath.Join(t.TempDir(), "jwks.json"), k1)
	a, err := newAuthenticator(t.Context(), fileConfig(path), time.Hour)
	if err != nil {
		t.Fatalf("newAuthenticator: %v", err)
	}
	claims := claimsAt(fileIssuer, time.Now(), nil)
	writeJWKS(t, path, k2)
	// Within the interval the file is not read again.
	checkAuth(t, a, request(t, bearer(k1.sign(t, claims))), Principal{ID: "user-1", Email: "alice@example.com", Groups: []string{"ml", "admins"}}, nil)
	checkAuth(t, a, request(t, bearer(k2.sign(t, claims))), Principal{}, ErrInvalidCredentials)
}

func TestParseJWKS(t *testing.T) {
	rs := rsaKey(t, "rsa", jose.RS256)
	priv := jose.JSONWebKey{Key: rs.priv, KeyID: "priv", Algorithm: "RS256"}
	privJSON, err := priv.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	pubJSON, err := rs.publicJWK().MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	tests := []struct {
		name     string
		data     string
		wantKeys int
		wantErr  bool
	}{
		{name: "public key", data: `{"keys":[` + string(pubJSON) + `]}`, wantKeys: 1},
		{name: "private key reduced to public", data: `{"keys":[` + string(privJSON) + `]}`, wantKeys: 1},
		{name: "symmetric key skipped", data: `{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0","alg":"HS256"},` + string(pubJSON) + `]}`, wantKeys: 1},
		{name: "encryption key skipped", data: `{"keys":[` + strings.Replace(string(pubJSON), `"use":"sig"`, `"use":"enc"`, 1) + `]}`, wantErr: true},
		{name: "only symmetric", data: `{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0"}]}`, wantErr: true},
		{name: "empty set", data: `{"keys":[]}`, wantErr: true},
		{name: "not JSON", data: `keys`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := parseJWKS([]byte(tt.data))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseJWKS = %d keys, nil; want an error", len(ks.PublicKeys))
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJWKS: %v", err)
			}
			if got := len(ks.PublicKeys); got != tt.wantKeys {
				t.Errorf("parseJWKS keys = %d, want %d", got, tt.wantKeys)
			}
		})
	}
}

func TestNew_jwksFileErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.json")
	writeFile(t, garbage, []byte("not json"))
	empty := filepath.Join(dir, "empty.json")
	writeFile(t, empty, []byte(`{"keys":[]}`))
	for _, path := range []string{filepath.Join(dir, "missing.json"), garbage, empty} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if a, err := New(t.Context(), fileConfig(path)); err == nil {
				t.Errorf("New(JWKSFile=%s) = %T, nil; want an error", path, a)
			}
		})
	}
}
