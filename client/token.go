package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// TokenSource supplies the bearer token of each request. The client asks
// for a token before every attempt, so a source may hand out a fresh one
// whenever the old one expires. Token must be safe for concurrent use; an
// empty token sends no Authorization header.
//
// There is no OAuth dependency: a source reads the token from wherever the
// platform puts it (StaticToken, FileTokenSource, or your own type).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenInvalidator is implemented by a TokenSource that can drop a token
// the server refused. After a 401 the client calls InvalidateToken with
// the refused token and, if the source then gives a different token,
// sends the request once more (a 401 was not applied, so this is safe for
// writes too).
type TokenInvalidator interface {
	InvalidateToken(refused string)
}

// StaticToken is a token that never changes.
type StaticToken string

// Token returns the token itself.
func (s StaticToken) Token(context.Context) (string, error) { return string(s), nil }

// FileTokenSource reads the token from a file, such as the projected
// service-account token a platform mounts (NEMO_WORKLOAD_TOKEN_FILE) that
// is rewritten before it expires. It keeps the token it read and reads the
// file again when the token is about to expire (a JWT's "exp" claim, read
// without verifying: the server verifies) or after the server refused it
// with 401. Surrounding white space is ignored.
type FileTokenSource struct {
	path string
	// Skew: the file is read again this long before the token's expiry.
	skew time.Duration
	now  func() time.Time

	mu  sync.Mutex
	tok string
	exp time.Time // zero when unknown
}

// NewFileTokenSource returns a source reading the token from path.
func NewFileTokenSource(path string) *FileTokenSource {
	return &FileTokenSource{path: path, skew: 30 * time.Second, now: time.Now}
}

// Token returns the cached token, reading the file first when there is
// none, or it expires within the skew.
func (f *FileTokenSource) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok != "" && (f.exp.IsZero() || f.now().Add(f.skew).Before(f.exp)) {
		return f.tok, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("wsd: token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("wsd: token file %s is empty", f.path)
	}
	f.tok, f.exp = tok, jwtExpiry(tok)
	return tok, nil
}

// InvalidateToken forgets refused if it is the cached token, so that the
// next Token reads the file again.
func (f *FileTokenSource) InvalidateToken(refused string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok == refused {
		f.tok, f.exp = "", time.Time{}
	}
}

// jwtExpiry is the "exp" claim of a JWT, unverified; zero when tok is not
// a JWT or has none.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == "" {
		return time.Time{}
	}
	secs, err := claims.Exp.Float64()
	if err != nil || secs <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(secs), 0)
}

// errNoTokenSource is returned for a config with both Token and
// TokenSource.
var errNoTokenSource = errors.New("client: set Token or TokenSource, not both")
