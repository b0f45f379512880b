package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// signingAlgs are the only JWS algorithms accepted. Never "none" and never
// an HMAC algorithm: with those, anyone holding the public key could sign.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256,
}

// maxTokenBytes bounds a bearer token before any parsing.
const maxTokenBytes = 64 << 10

// defaultHTTPTimeout bounds discovery and key fetches when Config.HTTPClient
// is nil.
const defaultHTTPTimeout = 30 * time.Second

// oidcAuthenticator verifies bearer JWTs and, when enabled, trusted
// principal headers.
type oidcAuthenticator struct {
	verifier     *oidc.IDTokenVerifier
	subjectClaim string
	emailClaim   string
	groupsClaim  string
	trustHeaders bool
	// names applies the principal namespace options.
	names namespaces
	skew  time.Duration
	now   func() time.Time
}

func newOIDC(ctx context.Context, cfg Config, jwksEvery time.Duration) (*oidcAuthenticator, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = discardLogger()
	}
	a := &oidcAuthenticator{
		subjectClaim: orDefault(cfg.SubjectClaim, "sub"),
		emailClaim:   orDefault(cfg.EmailClaim, "email"),
		groupsClaim:  orDefault(cfg.GroupsClaim, "groups"),
		trustHeaders: cfg.TrustPrincipalHeaders,
		names:        namespaces{user: cfg.UsernamePrefix, group: cfg.GroupsPrefix, unverifiedEmail: cfg.AllowUnverifiedEmail},
		skew:         cfg.ClockSkew,
		now:          time.Now,
	}
	vcfg := &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: signingAlgs,
		// go-oidc checks "exp" against this clock; shifting it back by the
		// skew is the tolerance. "nbf" is checked in Authenticate.
		Now: func() time.Time { return a.now().Add(-a.skew) },
	}
	if cfg.JWKSFile != "" {
		keys, err := newFileKeySet(cfg.JWKSFile, jwksEvery, logger)
		if err != nil {
			return nil, err
		}
		a.verifier = oidc.NewVerifier(cfg.Issuer, keys, vcfg)
		return a, nil
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{
			Timeout:   defaultHTTPTimeout,
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
		}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discovering OIDC issuer %q: %w", cfg.Issuer, err)
	}
	a.verifier = provider.Verifier(vcfg)
	logger.Info("auth: OIDC issuer discovered", slog.String("issuer", cfg.Issuer), slog.String("audience", cfg.Audience))
	return a, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Authenticate implements [Authenticator].
func (a *oidcAuthenticator) Authenticate(r *http.Request) (Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		if a.trustHeaders {
			return a.names.fromHeaders(r.Header)
		}
		return Anonymous, fmt.Errorf("%w: no Authorization header", ErrNoCredentials)
	}
	if len(values) > 1 {
		return Anonymous, invalid(errors.New("more than one Authorization header"))
	}
	raw, err := bearerToken(values[0])
	if err != nil {
		return Anonymous, invalid(err)
	}
	if err := checkCompactJWS(raw); err != nil {
		return Anonymous, invalid(err)
	}
	tok, err := a.verifier.Verify(r.Context(), raw)
	if err != nil {
		return Anonymous, invalid(err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Anonymous, invalid(fmt.Errorf("decoding claims: %w", err))
	}
	if err := a.checkNotBefore(claims); err != nil {
		return Anonymous, invalid(err)
	}
	p, err := a.principalFromClaims(claims)
	if err != nil {
		return Anonymous, invalid(err)
	}
	return p, nil
}

// invalid wraps the reason a credential was refused.
func invalid(reason error) error {
	return fmt.Errorf("%w: %w", ErrInvalidCredentials, reason)
}

// bearerToken extracts the token from an Authorization header value
// (RFC 6750 section 2.1; the scheme is case-insensitive).
func bearerToken(header string) (string, error) {
	if len(header) > maxTokenBytes+len("Bearer ") {
		return "", fmt.Errorf("authorization header longer than %d bytes", maxTokenBytes)
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("authorization scheme is not Bearer")
	}
	tok := strings.TrimSpace(rest)
	if tok == "" {
		return "", errors.New("empty bearer token")
	}
	return tok, nil
}

// checkCompactJWS accepts only the compact serialisation of a signed JWT:
// three non-empty base64url segments. It refuses the JSON serialisation,
// encrypted tokens (five segments) and unsigned ones before any decoding.
func checkCompactJWS(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("token has %d segments, want 3", len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return fmt.Errorf("token segment %d is empty", i+1)
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("token segment %d is not base64url", i+1)
			}
		}
	}
	return nil
}

// checkNotBefore refuses a token whose "nbf" is later than now plus the
// skew. go-oidc tolerates five minutes; this applies the configured skew.
func (a *oidcAuthenticator) checkNotBefore(claims map[string]any) error {
	v, ok := claims["nbf"]
	if !ok || v == nil {
		return nil
	}
	secs, ok := v.(float64)
	if !ok || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return errors.New("nbf claim is not a number")
	}
	// Compare as floats: converting an out-of-range nbf to int64 first
	// could wrap it into the past.
	now := a.now()
	if secs > float64(now.Add(a.skew).Unix()) {
		return fmt.Errorf("token not valid before nbf=%g (now %s, skew %v)", secs, now.UTC().Format(time.RFC3339), a.skew)
	}
	return nil
}

// principalFromClaims reads the configured claims.
func (a *oidcAuthenticator) principalFromClaims(claims map[string]any) (Principal, error) {
	sub, ok := claims[a.subjectClaim].(string)
	if !ok || sub == "" {
		return Anonymous, fmt.Errorf("subject claim %q missing, empty or not a string", a.subjectClaim)
	}
	var email string
	switch v := claims[a.emailClaim].(type) {
	case nil:
	case string:
		email = strings.TrimSpace(v)
	default:
		return Anonymous, fmt.Errorf("email claim %q is not a string", a.emailClaim)
	}
	if email != "" && !a.names.emailCounts(claims["email_verified"]) {
		// An issuer that lets users type any address must not let them
		// claim the role bindings of whoever owns it.
		email = ""
	}
	groups, err := groupsClaim(claims[a.groupsClaim])
	if err != nil {
		return Anonymous, fmt.Errorf("groups claim %q: %w", a.groupsClaim, err)
	}
	return a.names.principal(sub, email, groups)
}

// groupsClaim accepts a JSON array of strings or a comma-separated string.
func groupsClaim(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return splitList(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for i, g := range v {
			s, ok := g.(string)
			if !ok {
				return nil, fmt.Errorf("element %d is not a string", i)
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	default:
		return nil, errors.New("neither an array of strings nor a string")
	}
}

// splitList splits a comma-separated list, trimming and dropping empties.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// fromHeaders reads the trusted gateway headers.
func (ns namespaces) fromHeaders(h http.Header) (Principal, error) {
	ids := h.Values(HeaderPrincipalID)
	emails := h.Values(HeaderPrincipalEmail)
	groupLines := h.Values(HeaderPrincipalGroups)
	if len(ids) == 0 && len(emails) == 0 && len(groupLines) == 0 {
		return Anonymous, fmt.Errorf("%w: no Authorization or principal headers", ErrNoCredentials)
	}
	if len(ids) != 1 {
		return Anonymous, invalid(fmt.Errorf("want exactly one %s header, got %d", HeaderPrincipalID, len(ids)))
	}
	if len(emails) > 1 {
		return Anonymous, invalid(fmt.Errorf("more than one %s header", HeaderPrincipalEmail))
	}
	var email string
	if len(emails) == 1 {
		email = strings.TrimSpace(emails[0])
	}
	var groups []string
	for _, line := range groupLines {
		groups = append(groups, splitList(line)...)
	}
	p, err := ns.principal(strings.TrimSpace(ids[0]), email, groups)
	if err != nil {
		return Anonymous, invalid(fmt.Errorf("principal headers: %w", err))
	}
	return p, nil
}
