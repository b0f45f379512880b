package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// testKey is a signing key with its JWK id and algorithm.
type testKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func (k testKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// rsaKey generates a 2048-bit RSA key: the smallest go-jose accepts.
func rsaKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("rsa.GenerateKey: %v", err)
	}
	return testKey{kid: kid, alg: alg, priv: priv}
}

func ecKey(t testing.TB, kid string, alg jose.SignatureAlgorithm, curve elliptic.Curve) testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatalf("ecdsa.GenerateKey: %v", err)
	}
	return testKey{kid: kid, alg: alg, priv: priv}
}

func edKey(t testing.TB, kid string) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("ed25519.GenerateKey: %v", err)
	}
	return testKey{kid: kid, alg: jose.EdDSA, priv: priv}
}

// sign returns a compact JWS of claims signed by k.
func (k testKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("jose.NewSigner(%s): %v", k.alg, err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("json.Marshal(claims): %v", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("CompactSerialize: %v", err)
	}
	return tok
}

// b64 is base64url without padding, as JWS uses.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return b64(b)
}

// unsignedToken hand-builds a token with "alg":"none" and the given
// signature segment.
func unsignedToken(t testing.TB, claims map[string]any, sig string) string {
	t.Helper()
	return b64JSON(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64JSON(t, claims) + "." + sig
}

// hs256WithPublicKey hand-builds the classic confusion attack: an HS256
// token whose HMAC secret is the issuer's public key in PEM.
func hs256WithPublicKey(t testing.TB, k testKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatalf("MarshalPKIXPublicKey: %v", err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signingInput := b64JSON(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.kid}) + "." + b64JSON(t, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signingInput))
	return signingInput + "." + b64(mac.Sum(nil))
}

// testIssuer is an OIDC issuer over TLS: discovery document and JWKS.
type testIssuer struct {
	srv *httptest.Server

	mu        sync.Mutex
	keys      []testKey
	jwksFetch atomic.Int64
}

func newTestIssuer(t testing.TB, keys ...testKey) *testIssuer {
	t.Helper()
	iss := &testIssuer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.srv.URL,
			"jwks_uri":                              iss.srv.URL + "/keys",
			"authorization_endpoint":                iss.srv.URL + "/authorize",
			"token_endpoint":                        iss.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA", "HS256", "none"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		iss.jwksFetch.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(iss.jwks())
	})
	iss.srv = httptest.NewUnstartedServer(mux)
	iss.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	iss.srv.StartTLS()
	t.Cleanup(iss.srv.Close)
	return iss
}

// URL is the issuer identifier.
func (iss *testIssuer) URL() string { return iss.srv.URL }

// serve replaces the keys the issuer publishes.
func (iss *testIssuer) serve(keys ...testKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.keys = keys
}

func (iss *testIssuer) jwks() jose.JSONWebKeySet {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return keySet(iss.keys...)
}

func keySet(keys ...testKey) jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	return set
}

// writeJWKS writes the public keys as a JWK Set file and returns its path.
func writeJWKS(t testing.TB, path string, keys ...testKey) string {
	t.Helper()
	b, err := json.Marshal(keySet(keys...))
	if err != nil {
		t.Fatalf("json.Marshal(jwks): %v", err)
	}
	writeFile(t, path, b)
	return path
}

// writeFile replaces path atomically, as a config-map or secret update does.
func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatalf("Rename: %v", err)
	}
}
