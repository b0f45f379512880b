// Package oidctest is an OpenID Connect issuer for tests: a local HTTP
// server that publishes a discovery document and a JWK Set, with an RSA
// key generated per issuer, and helpers that mint tokens for it, valid or
// deliberately broken (expired, not yet valid, wrong issuer, audience or
// key, "alg":"none", malformed).
//
// It uses the standard library only, so wsd processes started by a test
// (e2e, testserver) can point --oidc-issuer at it. Test binaries only may
// import it.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Audience is the audience every token minted by Token carries; start wsd
// with --oidc-audience=wsd (auth.Config.Audience = Audience).
const Audience = "wsd"

// Key is an RSA signing key with its key id.
type Key struct {
	ID   string
	priv *rsa.PrivateKey
}

// NewKey generates a 2048-bit RSA key.
func NewKey(t testing.TB, id string) Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: generating a key: %v", err)
	}
	return Key{ID: id, priv: priv}
}

// Issuer is a running test issuer. Its URL is the issuer identifier
// tokens carry in "iss".
type Issuer struct {
	URL string
	Key Key

	srv    *httptest.Server
	client *http.Client
}

// New starts an issuer on a loopback port (plain HTTP) and closes it when
// the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{Key: NewKey(t, "test-key-1")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                iss.URL,
			"jwks_uri":                              iss.URL + "/keys",
			"authorization_endpoint":                iss.URL + "/authorize",
			"token_endpoint":                        iss.URL + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"keys": []any{iss.Key.publicJWK()}})
	})
	iss.srv = httptest.NewServer(mux)
	iss.URL = iss.srv.URL
	iss.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(func() {
		iss.client.CloseIdleConnections()
		iss.srv.Close()
	})
	return iss
}

// HTTPClient is a client for discovery and key fetches whose idle
// connections are closed when the test ends (for auth.Config.HTTPClient).
func (iss *Issuer) HTTPClient() *http.Client { return iss.client }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (k Key) publicJWK() map[string]any {
	pub := k.priv.PublicKey
	return map[string]any{
		"kty": "RSA",
		"kid": k.ID,
		"alg": "RS256",
		"use": "sig",
		"n":   b64(pub.N.Bytes()),
		"e":   b64(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// Claims returns the claims of a valid token for subject sub: this
// issuer, the Audience, issued now and expiring in an hour. An empty
// email or no groups leave those claims out.
func (iss *Issuer) Claims(sub, email string, groups ...string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": iss.URL,
		"aud": Audience,
		"sub": sub,
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	if email != "" {
		c["email"] = email
		c["email_verified"] = true
	}
	if len(groups) > 0 {
		c["groups"] = groups
	}
	return c
}

// Token returns a valid token for sub (see Claims).
func (iss *Issuer) Token(t testing.TB, sub, email string, groups ...string) string {
	t.Helper()
	return iss.Sign(t, iss.Claims(sub, email, groups...))
}

// Sign signs claims with the issuer's key (RS256).
func (iss *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return iss.Key.Sign(t, claims)
}

// Sign signs claims with k (RS256), naming k.ID in the header. A key the
// issuer does not publish gives a token that must be refused.
func (k Key) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	input := b64JSON(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.ID}) + "." + b64JSON(t, claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatalf("oidctest: signing: %v", err)
	}
	return input + "." + b64(sig)
}

// Unsigned returns claims as a token with "alg":"none" and an empty
// signature.
func Unsigned(t testing.TB, claims map[string]any) string {
	t.Helper()
	return b64JSON(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64JSON(t, claims) + "."
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return b64(b)
}
