package client_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// authFake answers 401 unless the bearer token is one of valid, and
// records the tokens it was sent.
type authFake struct {
	*fake
	mu    sync.Mutex
	valid map[string]bool
	seen  []string
}

func newAuthFake(t *testing.T, valid ...string) *authFake {
	a := &authFake{valid: map[string]bool{}}
	for _, v := range valid {
		a.valid[v] = true
	}
	a.fake = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		tok := r.Header.Get("Authorization")
		a.seen = append(a.seen, tok)
		ok := a.valid[tok]
		a.mu.Unlock()
		if !ok {
			writeError(w, http.StatusUnauthorized, client.CodeUnauthorized, "Unauthorized")
			return
		}
		writeJSON(w, http.StatusCreated, workspace("a"))
	})
	return a
}

func (a *authFake) tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seen)
}

func tokenSourceClient(t *testing.T, url string, ts client.TokenSource) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{url}
	cfg.TokenSource = ts
	cfg.RetryBackoff = time.Millisecond
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeToken(t *testing.T, path, tok string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// jwt is an unsigned token with the given expiry (the client never
// verifies; it only reads "exp").
func jwt(sub string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, exp.Unix()))) + ".sig"
}

func TestToken_static(t *testing.T) {
	a := newAuthFake(t, "Bearer s3cret")
	c := tokenSourceClient(t, a.URL, client.StaticToken("s3cret"))
	if _, err := c.CreateWorkspace(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	// Config.Token is the same as a StaticToken.
	c2 := newTokenClient(t, a.URL, "wrong")
	if _, err := c2.CreateWorkspace(ctxT(t), "a"); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("wrong static token: err = %v, want ErrUnauthorized", err)
	}
	if got, want := a.tokens(), []string{"Bearer s3cret", "Bearer wrong"}; !slices.Equal(got, want) {
		t.Errorf("tokens sent = %q, want %q (a static token is not retried after 401)", got, want)
	}
}

func newTokenClient(t *testing.T, url, token string) *client.Client {
	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{url}
	cfg.Token = token
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestToken_fileRereadAfter401: the file source keeps its token until the
// server refuses it, then reads the file again and the call (a write) is
// sent once more with the new token, once only.
func TestToken_fileRereadAfter401(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	writeToken(t, path, "old")
	a := newAuthFake(t, "Bearer old")
	c := tokenSourceClient(t, a.URL, client.NewFileTokenSource(path))
	ctx := ctxT(t)
	if _, err := c.CreateWorkspace(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	// The platform rotates the token; the server stops accepting the old one.
	writeToken(t, path, "new")
	a.mu.Lock()
	a.valid = map[string]bool{"Bearer new": true}
	a.mu.Unlock()
	if _, err := c.CreateWorkspace(ctx, "a"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if _, err := c.CreateWorkspace(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, want := a.tokens(), []string{"Bearer old", "Bearer old", "Bearer new", "Bearer new"}; !slices.Equal(got, want) {
		t.Errorf("tokens sent = %q, want %q", got, want)
	}

	// The file still holds the refused token: no second request.
	a.mu.Lock()
	a.valid = map[string]bool{}
	a.seen = nil
	a.mu.Unlock()
	if _, err := c.CreateWorkspace(ctx, "a"); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("refused token: err = %v, want ErrUnauthorized", err)
	}
	if got, want := a.tokens(), []string{"Bearer new"}; !slices.Equal(got, want) {
		t.Errorf("tokens sent = %q, want %q (the same token is not sent again)", got, want)
	}
	// A new token refused as well: sent once more, once only.
	writeToken(t, path, "newer")
	a.mu.Lock()
	a.seen = nil
	a.mu.Unlock()
	if _, err := c.CreateWorkspace(ctx, "a"); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("refused token: err = %v, want ErrUnauthorized", err)
	}
	if got, want := a.tokens(), []string{"Bearer new", "Bearer newer"}; !slices.Equal(got, want) {
		t.Errorf("tokens sent = %q, want %q (one re-read, then give up)", got, want)
	}
}

// TestToken_fileRereadOnExpiry: a JWT is read again from the file before
// its exp claim, without waiting for a 401.
func TestToken_fileRereadOnExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	soon, later := jwt("svc", time.Now().Add(10*time.Second)), jwt("svc", time.Now().Add(time.Hour))
	writeToken(t, path, soon)
	ts := client.NewFileTokenSource(path)
	ctx := context.Background()
	// Within the 30s skew of expiry: every call reads the file.
	if got, err := ts.Token(ctx); err != nil || got != soon {
		t.Fatalf("Token = %q, %v; want the file's token", got, err)
	}
	writeToken(t, path, later)
	if got, _ := ts.Token(ctx); got != later {
		t.Fatalf("Token = %q; want the re-read token, the first one expires within the skew", got)
	}
	// A token valid for an hour is kept even when the file changes.
	writeToken(t, path, "other")
	if got, _ := ts.Token(ctx); got != later {
		t.Errorf("Token = %q; want the cached token", got)
	}
	ts.InvalidateToken("not the cached one")
	if got, _ := ts.Token(ctx); got != later {
		t.Errorf("Token after invalidating another token = %q; want the cached one", got)
	}
	ts.InvalidateToken(later)
	if got, _ := ts.Token(ctx); got != "other" {
		t.Errorf("Token after invalidation = %q; want the file's new content", got)
	}
}

func TestToken_fileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	writeToken(t, empty, "  ")
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, workspace("a")) })
	for _, path := range []string{filepath.Join(dir, "missing"), empty} {
		c := tokenSourceClient(t, f.URL, client.NewFileTokenSource(path))
		if _, err := c.GetWorkspace(ctxT(t), "a"); err == nil {
			t.Errorf("token file %s: no error", path)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent without a token, want 0", n)
	}
	cfg := client.DefaultConfig()
	cfg.Token, cfg.TokenSource = "a", client.StaticToken("b")
	if _, err := client.New(cfg); err == nil {
		t.Error("New with Token and TokenSource: no error")
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	writeToken(t, file, "from-file")
	for _, k := range []string{client.EnvBaseURL, client.EnvAccessToken, client.EnvWorkloadToken, client.EnvWorkloadTokenFile} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	token := func(cfg client.Config) string {
		if cfg.TokenSource == nil {
			return "<none>"
		}
		tok, err := cfg.TokenSource.Token(ctx)
		if err != nil {
			return "error: " + err.Error()
		}
		return tok
	}
	cfg := client.FromEnv()
	if !slices.Equal(cfg.Endpoints, []string{client.DefaultEndpoint}) || token(cfg) != "<none>" {
		t.Errorf("empty environment: endpoints %q, token %q; want the default endpoint and none", cfg.Endpoints, token(cfg))
	}
	t.Setenv(client.EnvBaseURL, "https://a:8080, https://b:8080")
	t.Setenv(client.EnvWorkloadTokenFile, file)
	cfg = client.FromEnv()
	if !slices.Equal(cfg.Endpoints, []string{"https://a:8080", "https://b:8080"}) || token(cfg) != "from-file" {
		t.Errorf("endpoints %q, token %q; want both endpoints and the file's token", cfg.Endpoints, token(cfg))
	}
	t.Setenv(client.EnvWorkloadToken, "workload")
	if got := token(client.FromEnv()); got != "workload" {
		t.Errorf("token = %q, want NEMO_WORKLOAD_TOKEN before the file", got)
	}
	t.Setenv(client.EnvAccessToken, "access")
	if got := token(client.FromEnv()); got != "access" {
		t.Errorf("token = %q, want NMP_ACCESS_TOKEN first", got)
	}
	if _, err := client.New(client.FromEnv()); err != nil {
		t.Errorf("New(FromEnv()): %v", err)
	}
}
