package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Modes accepted in [Config.Mode].
const (
	// ModeNone turns authentication off: every request is [Anonymous].
	ModeNone = "none"
	// ModeOIDC verifies bearer JWTs from an OpenID Connect issuer.
	ModeOIDC = "oidc"
)

// Headers a trusted gateway sets when [Config.TrustPrincipalHeaders] is on.
const (
	HeaderPrincipalID     = "X-NMP-Principal-Id"
	HeaderPrincipalEmail  = "X-NMP-Principal-Email"
	HeaderPrincipalGroups = "X-NMP-Principal-Groups"
)

// Errors returned by [Authenticator.Authenticate]. Each is wrapped with the
// specific reason (for logs); match with errors.Is. Neither reason ever
// contains the credential itself.
var (
	// ErrNoCredentials means the request presented nothing: no
	// Authorization header and (when trusted) no principal headers.
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrInvalidCredentials means a presented credential was refused:
	// malformed, unsupported scheme or algorithm, bad signature, wrong
	// issuer or audience, expired, not yet valid, or missing the subject.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
)

// Authenticator decides who is calling. It never decides what the caller
// may do. Implementations are safe for concurrent use.
type Authenticator interface {
	// Authenticate returns the caller of r. On error the Principal is
	// [Anonymous] and the error matches ErrNoCredentials or
	// ErrInvalidCredentials. It may block on fetching the issuer's keys,
	// bounded by r's context.
	Authenticate(r *http.Request) (Principal, error)
}

// Config selects and configures an [Authenticator]. Start from
// [DefaultConfig]; [New] calls [Config.Validate].
type Config struct {
	// Mode is ModeNone or ModeOIDC.
	Mode string
	// Issuer is the OIDC issuer URL. Tokens must carry exactly this "iss".
	// Without JWKSFile it is also where discovery starts
	// (Issuer + "/.well-known/openid-configuration").
	Issuer string
	// Audience must be one of the token's "aud" values. Required in oidc mode.
	Audience string
	// JWKSFile, when set, is a static JWK Set (for air-gapped installs):
	// tokens are verified against its keys and Issuer, with no discovery and
	// no network. The file is re-read when it changes (checked at most every
	// few seconds); a change that does not parse keeps the previous keys.
	JWKSFile string
	// SubjectClaim, EmailClaim and GroupsClaim name the claims that give the
	// principal's ID, email and groups. Empty means "sub", "email" and
	// "groups". The groups claim may be a JSON array of strings or one
	// comma-separated string.
	SubjectClaim string
	EmailClaim   string
	GroupsClaim  string
	// TrustPrincipalHeaders accepts X-NMP-Principal-Id, -Email and -Groups
	// (comma-separated) from a gateway that authenticates callers and strips
	// these headers from client requests. The headers are read only when the
	// request has no Authorization header. Only valid in oidc mode.
	TrustPrincipalHeaders bool
	// AllowUnverifiedEmail keeps a token's email when the token carries no
	// "email_verified" claim at all, for issuers that never send it and
	// only hand out addresses they own. By default an email counts only
	// with "email_verified": true; an explicit false always drops it.
	AllowUnverifiedEmail bool
	// UsernamePrefix and GroupsPrefix are prepended to the principal's ID
	// and to each of its groups (from a token or trusted headers), as the
	// Kubernetes API server's --oidc-username-prefix and
	// --oidc-groups-prefix do: with both set, a user id, a group name and
	// an email can never be the same string, so a binding for one never
	// matches a caller through another (a group a user named after
	// someone's email, say). Role bindings then name prefixed ids and
	// groups ("user:alice", "group:admins"); emails stay bare. Empty means
	// no prefix. When both are set they must differ and neither may be a
	// prefix of the other.
	UsernamePrefix string
	GroupsPrefix   string
	// HTTPClient is used for discovery and key fetches. Nil means a client
	// with a 30 s timeout. A client without a timeout can leave a key
	// refresh hanging.
	HTTPClient *http.Client
	// ClockSkew is the tolerance applied to "exp" and "nbf", 0 to 10 minutes.
	ClockSkew time.Duration
	// Logger receives key reloads and their failures. Nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns authentication off, with the standard claim names
// and one minute of clock skew.
func DefaultConfig() Config {
	return Config{
		Mode:         ModeNone,
		SubjectClaim: "sub",
		EmailClaim:   "email",
		GroupsClaim:  "groups",
		ClockSkew:    time.Minute,
	}
}

// maxClockSkew bounds Config.ClockSkew.
const maxClockSkew = 10 * time.Minute

// Validate reports every problem with c, joined.
func (c Config) Validate() error {
	var errs []error
	switch c.Mode {
	case ModeNone:
		if c.TrustPrincipalHeaders {
			errs = append(errs, errors.New("auth: trusting principal headers needs mode \"oidc\"; with mode \"none\" every caller is anonymous"))
		}
	case ModeOIDC:
		if c.Issuer == "" {
			errs = append(errs, errors.New("auth: oidc mode needs an issuer"))
		} else if c.JWKSFile == "" {
			if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, fmt.Errorf("auth: issuer %q is not an http(s) URL (needed for discovery; set a JWKS file to verify without it)", c.Issuer))
			}
		}
		if c.Audience == "" {
			errs = append(errs, errors.New("auth: oidc mode needs an audience: tokens issued for other clients must not be accepted"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth: unknown mode %q (want %q or %q)", c.Mode, ModeNone, ModeOIDC))
	}
	if c.Mode == ModeNone && (c.UsernamePrefix != "" || c.GroupsPrefix != "" || c.AllowUnverifiedEmail) {
		errs = append(errs, errors.New("auth: principal prefixes and unverified emails need mode \"oidc\"; with mode \"none\" every caller is anonymous"))
	}
	for _, p := range []struct{ name, v string }{{"username prefix", c.UsernamePrefix}, {"groups prefix", c.GroupsPrefix}} {
		if p.v == "" {
			continue
		}
		if p.v == Everyone || checkName(p.v) != nil || len(p.v) > 64 || strings.ContainsAny(p.v, ", ") {
			errs = append(errs, fmt.Errorf("auth: %s %q must be at most 64 bytes of printable UTF-8 without spaces or commas, and not %q", p.name, p.v, Everyone))
		}
	}
	if u, g := c.UsernamePrefix, c.GroupsPrefix; u != "" && g != "" && (strings.HasPrefix(u, g) || strings.HasPrefix(g, u)) {
		errs = append(errs, fmt.Errorf("auth: username prefix %q and groups prefix %q overlap: a user id and a group name could still be the same string", u, g))
	}
	if c.ClockSkew < 0 || c.ClockSkew > maxClockSkew {
		errs = append(errs, fmt.Errorf("auth: clock skew %v outside 0 to %v", c.ClockSkew, maxClockSkew))
	}
	return errors.Join(errs...)
}

// New validates cfg and builds its Authenticator. In oidc mode without a
// JWKS file it runs discovery against the issuer, bounded by ctx, and fails
// if the issuer cannot be reached; keys are fetched on first use and again
// whenever a token names a key id the cached set lacks.
func New(ctx context.Context, cfg Config) (Authenticator, error) {
	return newAuthenticator(ctx, cfg, jwksFileCheckInterval)
}

func newAuthenticator(ctx context.Context, cfg Config, jwksEvery time.Duration) (Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == ModeNone {
		return noneAuthenticator{}, nil
	}
	return newOIDC(ctx, cfg, jwksEvery)
}

// noneAuthenticator is authentication turned off.
type noneAuthenticator struct{}

// Authenticate returns Anonymous and no error whatever r carries.
func (noneAuthenticator) Authenticate(*http.Request) (Principal, error) { return Anonymous, nil }

// discardLogger is used when Config.Logger is nil.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
