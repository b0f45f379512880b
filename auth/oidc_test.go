package auth

import (
	"crypto/elliptic"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const testAudience = "wsd"

// claimsAt returns a valid claim set for iss at now, changed by edits: a
// nil value removes the claim.
func claimsAt(iss string, now time.Time, edits map[string]any) map[string]any {
	c := map[string]any{
		"iss":   iss,
		"aud":   testAudience,
		"sub":   "user-1",
		"email": "alice@example.com",
		// A verified email, as most issuers send it: an email counts only
		// with email_verified true (see the cases that remove it).
		"email_verified": true,
		"groups":         []string{"ml", "admins"},
		"iat":            now.Unix(),
		"nbf":            now.Add(-time.Minute).Unix(),
		"exp":            now.Add(time.Hour).Unix(),
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// oidcConfig is an oidc-mode Config for iss, changed by edit if non-nil.
func oidcConfig(iss *testIssuer, edit func(*Config)) Config {
	cfg := DefaultConfig()
	cfg.Mode = ModeOIDC
	cfg.Issuer = iss.URL()
	cfg.Audience = testAudience
	cfg.HTTPClient = iss.srv.Client()
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

func mustNew(t *testing.T, cfg Config) Authenticator {
	t.Helper()
	a, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// request builds a request with the given header lines.
func request(t *testing.T, header http.Header) *http.Request {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/apis/entities/v2/workspaces", nil)
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v) // canonicalises k, as net/http does
		}
	}
	return r
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// checkAuth compares Authenticate's result with want and wantErr.
func checkAuth(t *testing.T, a Authenticator, r *http.Request, want Principal, wantErr error) {
	t.Helper()
	got, err := a.Authenticate(r)
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("Authenticate error = %v, want %v", err, wantErr)
		}
		t.Logf("refused as expected: %v", err)
		if !reflect.DeepEqual(got, Anonymous) {
			t.Errorf("Authenticate principal on error = %+v, want Anonymous", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("Authenticate: unexpected error %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Authenticate = %+v, want %+v", got, want)
	}
}

func TestOIDCAuthenticator_Authenticate(t *testing.T) {
	rs := rsaKey(t, "rsa-1", jose.RS256)
	ps := testKey{kid: "ps-1", alg: jose.PS256, priv: rsaKey(t, "", jose.PS256).priv}
	es := ecKey(t, "ec-256", jose.ES256, elliptic.P256())
	es384 := ecKey(t, "ec-384", jose.ES384, elliptic.P384())
	ed := edKey(t, "ed-1")
	impostor := testKey{kid: rs.kid, alg: jose.RS256, priv: rsaKey(t, "", jose.RS256).priv}
	ghost := rsaKey(t, "ghost", jose.RS256)
	iss := newTestIssuer(t, rs, ps, es, es384, ed)
	now := time.Now()
	claims := func(edits map[string]any) map[string]any { return claimsAt(iss.URL(), now, edits) }
	alice := Principal{ID: "user-1", Email: "alice@example.com", Groups: []string{"ml", "admins"}}

	tests := []struct {
		name    string
		edit    func(*Config)
		header  http.Header
		want    Principal
		wantErr error
	}{
		{name: "RS256 with groups array", header: bearer(rs.sign(t, claims(nil))), want: alice},
		{name: "PS256", header: bearer(ps.sign(t, claims(nil))), want: alice},
		{name: "ES256", header: bearer(es.sign(t, claims(nil))), want: alice},
		{name: "ES384", header: bearer(es384.sign(t, claims(nil))), want: alice},
		{name: "groups as comma-separated string",
			header: bearer(rs.sign(t, claims(map[string]any{"groups": " ml, admins ,,ml"}))), want: alice},
		{name: "groups array trimmed and deduplicated",
			header: bearer(rs.sign(t, claims(map[string]any{"groups": []string{"ml", " ml ", "", "admins"}}))), want: alice},
		{name: "custom claim names",
			edit: func(c *Config) { c.SubjectClaim, c.EmailClaim, c.GroupsClaim = "oid", "upn", "roles" },
			header: bearer(rs.sign(t, claims(map[string]any{
				"oid": "0f1e", "upn": "bob@example.com", "roles": []string{"ops"},
				"sub": "ignored", "email": "ignored@example.com", "groups": []string{"ignored"},
			}))),
			want: Principal{ID: "0f1e", Email: "bob@example.com", Groups: []string{"ops"}}},
		{name: "audience list containing ours",
			header: bearer(rs.sign(t, claims(map[string]any{"aud": []string{"other", testAudience}}))), want: alice},
		{name: "subject only",
			header: bearer(rs.sign(t, claims(map[string]any{"email": nil, "groups": nil}))), want: Principal{ID: "user-1"}},
		{name: "null groups", header: bearer(rs.sign(t, claims(map[string]any{"groups": []string(nil)}))),
			want: Principal{ID: "user-1", Email: "alice@example.com"}},
		{name: "unverified email dropped",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": false}))),
			want:   Principal{ID: "user-1", Groups: []string{"ml", "admins"}}},
		{name: "unverified email as string dropped",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": "false"}))),
			want:   Principal{ID: "user-1", Groups: []string{"ml", "admins"}}},
		{name: "verified email kept",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": true}))), want: alice},
		{name: "verified email as string kept",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": "true"}))), want: alice},
		{name: "email without email_verified dropped",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": nil}))),
			want:   Principal{ID: "user-1", Groups: []string{"ml", "admins"}}},
		{name: "email with a malformed email_verified dropped",
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": 1}))),
			want:   Principal{ID: "user-1", Groups: []string{"ml", "admins"}}},
		{name: "email without email_verified kept when allowed",
			edit:   func(c *Config) { c.AllowUnverifiedEmail = true },
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": nil}))), want: alice},
		{name: "explicitly unverified email dropped even when allowed",
			edit:   func(c *Config) { c.AllowUnverifiedEmail = true },
			header: bearer(rs.sign(t, claims(map[string]any{"email_verified": false}))),
			want:   Principal{ID: "user-1", Groups: []string{"ml", "admins"}}},
		{name: "prefixed user and groups, bare email",
			edit:   func(c *Config) { c.UsernamePrefix, c.GroupsPrefix = "user:", "group:" },
			header: bearer(rs.sign(t, claims(nil))),
			want:   Principal{ID: "user:user-1", Email: "alice@example.com", Groups: []string{"group:ml", "group:admins"}}},
		{name: "expired within clock skew",
			header: bearer(rs.sign(t, claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()}))), want: alice},
		{name: "nbf within clock skew",
			header: bearer(rs.sign(t, claims(map[string]any{"nbf": now.Add(10 * time.Second).Unix()}))), want: alice},
		{name: "scheme is case-insensitive",
			header: http.Header{"Authorization": {"bearer " + rs.sign(t, claims(nil))}}, want: alice},
		{name: "trusted headers ignored when a token is present",
			edit:   func(c *Config) { c.TrustPrincipalHeaders = true },
			header: http.Header{"Authorization": {"Bearer " + rs.sign(t, claims(nil))}, HeaderPrincipalID: {"mallory"}},
			want:   alice},

		{name: "no Authorization header", header: http.Header{}, wantErr: ErrNoCredentials},
		{name: "expired", header: bearer(rs.sign(t, claims(map[string]any{"exp": now.Add(-time.Hour).Unix()}))), wantErr: ErrInvalidCredentials},
		{name: "expired beyond zero skew",
			edit:   func(c *Config) { c.ClockSkew = 0 },
			header: bearer(rs.sign(t, claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()}))), wantErr: ErrInvalidCredentials},
		{name: "no exp", header: bearer(rs.sign(t, claims(map[string]any{"exp": nil}))), wantErr: ErrInvalidCredentials},
		{name: "not yet valid", header: bearer(rs.sign(t, claims(map[string]any{"nbf": now.Add(time.Hour).Unix()}))), wantErr: ErrInvalidCredentials},
		{name: "nbf beyond int64", header: bearer(rs.sign(t, claims(map[string]any{"nbf": 1e300}))), wantErr: ErrInvalidCredentials},
		{name: "nbf not a number", header: bearer(rs.sign(t, claims(map[string]any{"nbf": "soon"}))), wantErr: ErrInvalidCredentials},
		{name: "wrong issuer", header: bearer(rs.sign(t, claims(map[string]any{"iss": "https://evil.example.com"}))), wantErr: ErrInvalidCredentials},
		{name: "wrong audience", header: bearer(rs.sign(t, claims(map[string]any{"aud": "other-service"}))), wantErr: ErrInvalidCredentials},
		{name: "no audience", header: bearer(rs.sign(t, claims(map[string]any{"aud": nil}))), wantErr: ErrInvalidCredentials},
		{name: "unknown key", header: bearer(ghost.sign(t, claims(nil))), wantErr: ErrInvalidCredentials},
		{name: "known kid, other key", header: bearer(impostor.sign(t, claims(nil))), wantErr: ErrInvalidCredentials},
		{name: "alg none, empty signature", header: bearer(unsignedToken(t, claims(nil), "")), wantErr: ErrInvalidCredentials},
		{name: "alg none, some signature", header: bearer(unsignedToken(t, claims(nil), b64([]byte("sig")))), wantErr: ErrInvalidCredentials},
		{name: "HS256 with the public key as secret", header: bearer(hs256WithPublicKey(t, rs, claims(nil))), wantErr: ErrInvalidCredentials},
		{name: "EdDSA not accepted", header: bearer(ed.sign(t, claims(nil))), wantErr: ErrInvalidCredentials},
		{name: "two segments", header: bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"), wantErr: ErrInvalidCredentials},
		{name: "four segments", header: bearer("a.b.c.d"), wantErr: ErrInvalidCredentials},
		{name: "five segments (JWE)", header: bearer("a.b.c.d.e"), wantErr: ErrInvalidCredentials},
		{name: "empty segment", header: bearer("a..c"), wantErr: ErrInvalidCredentials},
		{name: "bad base64", header: bearer("!!!.###.$$$"), wantErr: ErrInvalidCredentials},
		{name: "padded base64", header: bearer(b64([]byte(`{"alg":"RS256"}`)) + "=.e30.c2ln"), wantErr: ErrInvalidCredentials},
		{name: "header not JSON", header: bearer(b64([]byte("not json")) + "." + b64JSON(t, claims(nil)) + "." + b64([]byte("sig"))), wantErr: ErrInvalidCredentials},
		{name: "payload not JSON", header: bearer(b64JSON(t, map[string]any{"alg": "RS256", "kid": rs.kid}) + "." + b64([]byte("not json")) + "." + b64([]byte("sig"))), wantErr: ErrInvalidCredentials},
		{name: "JSON serialisation", header: bearer(`{"payload":"e30","signatures":[]}`), wantErr: ErrInvalidCredentials},
		{name: "Bearer with empty token", header: http.Header{"Authorization": {"Bearer "}}, wantErr: ErrInvalidCredentials},
		{name: "Bearer alone", header: http.Header{"Authorization": {"Bearer"}}, wantErr: ErrInvalidCredentials},
		{name: "empty Authorization header", header: http.Header{"Authorization": {""}}, wantErr: ErrInvalidCredentials},
		{name: "Basic scheme", header: http.Header{"Authorization": {"Basic YWxpY2U6c2VjcmV0"}}, wantErr: ErrInvalidCredentials},
		{name: "token without scheme", header: http.Header{"Authorization": {rs.sign(t, claims(nil))}}, wantErr: ErrInvalidCredentials},
		{name: "two Authorization headers",
			header: http.Header{"Authorization": {"Bearer " + rs.sign(t, claims(nil)), "Bearer " + rs.sign(t, claims(nil))}}, wantErr: ErrInvalidCredentials},
		{name: "oversized token", header: bearer(strings.Repeat("a", maxTokenBytes+1)), wantErr: ErrInvalidCredentials},
		{name: "no subject", header: bearer(rs.sign(t, claims(map[string]any{"sub": nil}))), wantErr: ErrInvalidCredentials},
		{name: "empty subject", header: bearer(rs.sign(t, claims(map[string]any{"sub": ""}))), wantErr: ErrInvalidCredentials},
		{name: "subject not a string", header: bearer(rs.sign(t, claims(map[string]any{"sub": 42}))), wantErr: ErrInvalidCredentials},
		{name: "subject is the wildcard", header: bearer(rs.sign(t, claims(map[string]any{"sub": "*"}))), wantErr: ErrInvalidCredentials},
		{name: "subject with a control character", header: bearer(rs.sign(t, claims(map[string]any{"sub": "a\nb"}))), wantErr: ErrInvalidCredentials},
		{name: "custom subject claim missing",
			edit:   func(c *Config) { c.SubjectClaim = "oid" },
			header: bearer(rs.sign(t, claims(nil))), wantErr: ErrInvalidCredentials},
		{name: "email not a string", header: bearer(rs.sign(t, claims(map[string]any{"email": []string{"a@b"}}))), wantErr: ErrInvalidCredentials},
		{name: "groups a number", header: bearer(rs.sign(t, claims(map[string]any{"groups": 7}))), wantErr: ErrInvalidCredentials},
		{name: "groups array with a number", header: bearer(rs.sign(t, claims(map[string]any{"groups": []any{"ml", 7}}))), wantErr: ErrInvalidCredentials},
		{name: "group too long", header: bearer(rs.sign(t, claims(map[string]any{"groups": []string{strings.Repeat("g", maxNameBytes+1)}}))), wantErr: ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, oidcConfig(iss, tt.edit))
			checkAuth(t, a, request(t, tt.header), tt.want, tt.wantErr)
		})
	}
}

func TestOIDCAuthenticator_Authenticate_keyRotation(t *testing.T) {
	old := rsaKey(t, "2026-01", jose.RS256)
	next := ecKey(t, "2026-02", jose.ES256, elliptic.P256())
	iss := newTestIssuer(t, old)
	a := mustNew(t, oidcConfig(iss, nil))
	now := time.Now()
	claims := claimsAt(iss.URL(), now, nil)
	alice := Principal{ID: "user-1", Email: "alice@example.com", Groups: []string{"ml", "admins"}}

	checkAuth(t, a, request(t, bearer(old.sign(t, claims))), alice, nil)
	checkAuth(t, a, request(t, bearer(old.sign(t, claims))), alice, nil)
	if got, want := iss.jwksFetch.Load(), int64(1); got != want {
		t.Fatalf("JWKS fetches after two tokens with a known key = %d, want %d (keys must be cached)", got, want)
	}

	// Before rotation a token signed with the next key is refused.
	checkAuth(t, a, request(t, bearer(next.sign(t, claims))), Principal{}, ErrInvalidCredentials)

	// go-oidc hands a finished fetch to callers that arrive before its
	// goroutine has stored the keys, so right after a fetch a caller may
	// still see the previous set: wait for the refresh, as a retrying
	// client would.
	iss.serve(next)
	tok := next.sign(t, claims)
	eventually(t, func() error {
		_, err := a.Authenticate(request(t, bearer(tok)))
		return err
	})
	checkAuth(t, a, request(t, bearer(tok)), alice, nil)

	// Once the refreshed set is stored the retired key no longer verifies.
	retired := old.sign(t, claims)
	eventually(t, func() error {
		if _, err := a.Authenticate(request(t, bearer(retired))); err == nil {
			return errors.New("token signed with the retired key still accepted")
		}
		return nil
	})
	checkAuth(t, a, request(t, bearer(tok)), alice, nil)
}

func TestOIDCAuthenticator_Authenticate_trustedHeaders(t *testing.T) {
	iss := newTestIssuer(t, rsaKey(t, "rsa-1", jose.RS256))
	tests := []struct {
		name    string
		trust   bool
		header  http.Header
		want    Principal
		wantErr error
	}{
		{name: "on: id, email and groups", trust: true,
			header: http.Header{HeaderPrincipalID: {"user-7"}, HeaderPrincipalEmail: {"carol@example.com"}, HeaderPrincipalGroups: {"ml, ops,,ml"}},
			want:   Principal{ID: "user-7", Email: "carol@example.com", Groups: []string{"ml", "ops"}}},
		{name: "on: id only", trust: true, header: http.Header{HeaderPrincipalID: {" user-7 "}}, want: Principal{ID: "user-7"}},
		{name: "on: groups over several lines", trust: true,
			header: http.Header{HeaderPrincipalID: {"user-7"}, HeaderPrincipalGroups: {"ml", "ops"}},
			want:   Principal{ID: "user-7", Groups: []string{"ml", "ops"}}},
		{name: "on: no headers", trust: true, header: http.Header{}, wantErr: ErrNoCredentials},
		{name: "on: email without id", trust: true, header: http.Header{HeaderPrincipalEmail: {"carol@example.com"}}, wantErr: ErrInvalidCredentials},
		{name: "on: empty id", trust: true, header: http.Header{HeaderPrincipalID: {"  "}}, wantErr: ErrInvalidCredentials},
		{name: "on: wildcard id", trust: true, header: http.Header{HeaderPrincipalID: {"*"}}, wantErr: ErrInvalidCredentials},
		{name: "on: two ids", trust: true, header: http.Header{HeaderPrincipalID: {"a", "b"}}, wantErr: ErrInvalidCredentials},
		{name: "on: two emails", trust: true,
			header: http.Header{HeaderPrincipalID: {"a"}, HeaderPrincipalEmail: {"a@x", "b@x"}}, wantErr: ErrInvalidCredentials},
		{name: "on: control character", trust: true, header: http.Header{HeaderPrincipalID: {"a\x00b"}}, wantErr: ErrInvalidCredentials},
		{name: "on: invalid token does not fall back to headers", trust: true,
			header: http.Header{"Authorization": {"Bearer x.y.z"}, HeaderPrincipalID: {"user-7"}}, wantErr: ErrInvalidCredentials},
		{name: "off: headers ignored", trust: false,
			header: http.Header{HeaderPrincipalID: {"user-7"}, HeaderPrincipalEmail: {"carol@example.com"}}, wantErr: ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, oidcConfig(iss, func(c *Config) { c.TrustPrincipalHeaders = tt.trust }))
			checkAuth(t, a, request(t, tt.header), tt.want, tt.wantErr)
		})
	}
}

func TestNoneAuthenticator_Authenticate(t *testing.T) {
	a := mustNew(t, DefaultConfig())
	for _, h := range []http.Header{
		{},
		{"Authorization": {"Bearer not-a-token"}},
		{HeaderPrincipalID: {"user-7"}},
	} {
		got, err := a.Authenticate(request(t, h))
		if err != nil || !got.IsAnonymous() {
			t.Errorf("Authenticate(%v) = %+v, %v; want Anonymous, nil", h, got, err)
		}
	}
}

func TestNew_discovery(t *testing.T) {
	iss := newTestIssuer(t, rsaKey(t, "rsa-1", jose.RS256))
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{name: "issuer mismatch", edit: func(c *Config) { c.Issuer = iss.URL() + "/" }},
		{name: "no discovery document", edit: func(c *Config) { c.Issuer = iss.URL() + "/tenant" }},
		{name: "untrusted TLS certificate", edit: func(c *Config) { c.HTTPClient = &http.Client{Timeout: 5 * time.Second} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oidcConfig(iss, tt.edit)
			if a, err := New(t.Context(), cfg); err == nil {
				t.Errorf("New(%+v) = %T, nil; want an error", cfg, a)
			}
			if cfg.HTTPClient != nil {
				cfg.HTTPClient.CloseIdleConnections()
			}
		})
	}
}

// eventually retries f every 10ms until it returns nil, for at most 5s.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after 5s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
