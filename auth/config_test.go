package auth

import (
	"testing"
	"time"
)

func TestConfig_Validate(t *testing.T) {
	oidc := func(edit func(*Config)) Config {
		c := DefaultConfig()
		c.Mode = ModeOIDC
		c.Issuer = "https://issuer.example.com/realms/nmp"
		c.Audience = "wsd"
		if edit != nil {
			edit(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "default", cfg: DefaultConfig()},
		{name: "oidc with discovery", cfg: oidc(nil)},
		{name: "oidc over http", cfg: oidc(func(c *Config) { c.Issuer = "http://keycloak:8080/realms/nmp" })},
		{name: "oidc with JWKS file and a non-URL issuer", cfg: oidc(func(c *Config) { c.Issuer, c.JWKSFile = "nmp-issuer", "/etc/wsd/jwks.json" })},
		{name: "oidc with trusted headers", cfg: oidc(func(c *Config) { c.TrustPrincipalHeaders = true })},
		{name: "oidc with empty claim names", cfg: oidc(func(c *Config) { c.SubjectClaim, c.EmailClaim, c.GroupsClaim = "", "", "" })},
		{name: "zero skew", cfg: oidc(func(c *Config) { c.ClockSkew = 0 })},

		{name: "zero value", cfg: Config{}, wantErr: true},
		{name: "unknown mode", cfg: oidc(func(c *Config) { c.Mode = "OIDC" }), wantErr: true},
		{name: "no issuer", cfg: oidc(func(c *Config) { c.Issuer = "" }), wantErr: true},
		{name: "issuer not a URL", cfg: oidc(func(c *Config) { c.Issuer = "nmp-issuer" }), wantErr: true},
		{name: "issuer with another scheme", cfg: oidc(func(c *Config) { c.Issuer = "ftp://issuer.example.com" }), wantErr: true},
		{name: "no audience", cfg: oidc(func(c *Config) { c.Audience = "" }), wantErr: true},
		{name: "negative skew", cfg: oidc(func(c *Config) { c.ClockSkew = -time.Second }), wantErr: true},
		{name: "huge skew", cfg: oidc(func(c *Config) { c.ClockSkew = time.Hour }), wantErr: true},
		{name: "trusted headers with auth off", cfg: func() Config { c := DefaultConfig(); c.TrustPrincipalHeaders = true; return c }(), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestNew_invalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeOIDC // no issuer, no audience
	if a, err := New(t.Context(), cfg); err == nil {
		t.Errorf("New(%+v) = %T, nil; want an error", cfg, a)
	}
}
