package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzAuthenticateHeader sends arbitrary Authorization values, alongside
// trusted principal headers that must be ignored whenever an Authorization
// header is present. Nothing may panic, and nothing may authenticate: the
// fuzzer never holds the signing key, and the only seed signed with it is
// expired.
func FuzzAuthenticateHeader(f *testing.F) {
	key := rsaKey(f, "k1", jose.RS256)
	other := rsaKey(f, "k1", jose.RS256)
	cfg := fileConfig(writeJWKS(f, filepath.Join(f.TempDir(), "jwks.json"), key))
	cfg.TrustPrincipalHeaders = true
	a, err := New(f.Context(), cfg)
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	now := time.Now()
	valid := claimsAt(fileIssuer, now, nil)
	expired := claimsAt(fileIssuer, now, map[string]any{"exp": now.Add(-time.Hour).Unix()})

	for _, seed := range []string{
		"",
		"Bearer",
		"Bearer ",
		"bearer a.b.c",
		"Basic YWxpY2U6c2VjcmV0",
		"Bearer " + key.sign(f, expired),
		"Bearer " + other.sign(f, valid),
		"Bearer " + unsignedToken(f, valid, ""),
		"Bearer " + unsignedToken(f, valid, "c2ln"),
		"Bearer " + hs256WithPublicKey(f, key, valid),
		"Bearer eyJhbGciOiJSUzI1NiJ9.e30.",
		"Bearer e30.e30.e30",
		"Bearer \x00.\xff.\n",
		`Bearer {"payload":"e30","signatures":[{"protected":"eyJhbGciOiJub25lIn0","signature":""}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/apis/entities/v2/workspaces", nil)
		r.Header.Set("Authorization", header)
		r.Header.Set(HeaderPrincipalID, "mallory")
		p, err := a.Authenticate(r)
		if err == nil {
			t.Fatalf("Authenticate(%q) = %+v, nil; want a refusal", header, p)
		}
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("Authenticate(%q) error = %v, want %v", header, err, ErrInvalidCredentials)
		}
		if !p.IsAnonymous() {
			t.Fatalf("Authenticate(%q) principal on error = %+v, want Anonymous", header, p)
		}
	})
}
