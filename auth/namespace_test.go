package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Finding 7: a role binding for the email admin@corp.test must match only
// a caller whose issuer verified that email, never one whose subject or
// group is that string (with the prefixes set), nor one whose email is
// unverified or whose verification is unknown (by default).
func TestPrincipalNamespaces(t *testing.T) {
	rs := rsaKey(t, "rsa-1", jose.RS256)
	iss := newTestIssuer(t, rs)
	now := time.Now()
	tok := func(edits map[string]any) http.Header { return bearer(rs.sign(t, claimsAt(iss.URL(), now, edits))) }
	const target = "admin@corp.test"
	prefixed := func(c *Config) { c.UsernamePrefix, c.GroupsPrefix = "user:", "group:" }
	both := func(c *Config) { prefixed(c); c.TrustPrincipalHeaders = true }
	tests := []struct {
		name    string
		edit    func(*Config)
		header  http.Header
		matches bool
	}{
		{"verified email", nil, tok(map[string]any{"email": target, "email_verified": true}), true},
		{"verified email, prefixes set", prefixed, tok(map[string]any{"email": target, "email_verified": true}), true},
		{"email_verified false", nil, tok(map[string]any{"email": target, "email_verified": false}), false},
		{"email_verified missing", nil, tok(map[string]any{"email": target, "email_verified": nil}), false},
		{"email_verified \"yes\"", nil, tok(map[string]any{"email": target, "email_verified": "yes"}), false},
		{"subject is the email, prefixes set", prefixed, tok(map[string]any{"sub": target, "email": nil}), false},
		{"group is the email, prefixes set", prefixed, tok(map[string]any{"groups": []string{target}}), false},
		{"group is the email, comma list, prefixes set", prefixed, tok(map[string]any{"groups": "ops," + target}), false},
		{"trusted header id is the email, prefixes set", both, http.Header{HeaderPrincipalID: {target}}, false},
		{"trusted header group is the email, prefixes set", both, http.Header{HeaderPrincipalID: {"m"}, HeaderPrincipalGroups: {target}}, false},
		// Without the prefixes, ids and groups share the namespace of
		// emails: the risk the README describes.
		{"subject is the email, no prefixes", nil, tok(map[string]any{"sub": target, "email": nil}), true},
		{"group is the email, no prefixes", nil, tok(map[string]any{"groups": []string{target}}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, oidcConfig(iss, tt.edit))
			p, err := a.Authenticate(request(t, tt.header))
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(p.Names(), target); got != tt.matches {
				t.Errorf("names %q contain %q: %v, want %v", p.Names(), target, got, tt.matches)
			}
		})
	}
	// With the prefixes, an id and a group never yield the same name, and
	// a group never yields a user's name.
	a := mustNew(t, oidcConfig(iss, prefixed))
	p, err := a.Authenticate(request(t, tok(map[string]any{"sub": "bob", "groups": []string{"bob", "user:bob"}, "email": nil})))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"user:bob", "group:bob", "group:user:bob", Everyone}; !slices.Equal(p.Names(), want) {
		t.Errorf("names = %q, want %q", p.Names(), want)
	}
}

func TestConfig_Validate_prefixes(t *testing.T) {
	for _, tt := range []struct {
		user, group, wantErr string
	}{
		{"user:", "group:", ""},
		{"oidc:", "", ""},
		{"", "g/", ""},
		{"x", "x", "overlap"},
		{"u", "user:", "overlap"},
		{"*", "", "must be"},
		{"a b", "", "must be"},
		{"", "a,b", "must be"},
		{strings.Repeat("p", 65), "", "must be"},
	} {
		cfg := DefaultConfig()
		cfg.Mode, cfg.Issuer, cfg.Audience = ModeOIDC, "https://issuer.test", "wsd"
		cfg.UsernamePrefix, cfg.GroupsPrefix = tt.user, tt.group
		err := cfg.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("prefixes %q, %q: Validate() = %v, want %q", tt.user, tt.group, err, tt.wantErr)
		}
	}
	cfg := DefaultConfig()
	cfg.GroupsPrefix = "g:"
	if err := cfg.Validate(); err == nil {
		t.Error("a groups prefix in mode none: Validate() = nil, want an error")
	}
}
