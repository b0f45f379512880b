package testserver

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		RemoveBinaries()
		os.Exit(code)
	}))
}

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort() = %d, want a TCP port", p)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("listen on the free port %d: %v", p, err)
	}
	l.Close()
}

func TestModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "module github.com/wsd-dev/wsd\n"; !strings.HasPrefix(string(b), want) {
		t.Errorf("go.mod at %s starts %q, want %q", root, b[:min(len(b), 40)], want)
	}
}

func TestServer_LogTail(t *testing.T) {
	dir := t.TempDir()
	s := &Server{LogPath: filepath.Join(dir, LogName)}
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"short", "a\nb\n", "a\nb\n"},
		{"long keeps whole lines", strings.Repeat("x", logTailBytes) + "\nlast line\n", "last line\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(s.LogPath, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := string(s.LogTail()); got != tt.want {
				t.Errorf("LogTail() = %q, want %q", got[:min(len(got), 80)], tt.want)
			}
		})
	}
}

// TestStart runs a real node through its lifecycle.
func TestStart(t *testing.T) {
	s := Start(t, Options{})
	get := func() (int, error) {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(s.URL + "/readyz")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("readyz after Start = %d, %v; want 200", code, err)
	}
	if _, err := os.Stat(s.LogPath); err != nil {
		t.Errorf("log file: %v", err)
	}
	s.Restart(t)
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("readyz after Restart = %d, %v; want 200", code, err)
	}
	s.Kill()
	if s.Running() {
		t.Error("Running() after Kill = true, want false")
	}
	if _, err := get(); err == nil {
		t.Error("readyz answered after Kill, want a connection error")
	}
	s.Restart(t)
	s.Pause()
	s.Resume()
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("readyz after Pause and Resume = %d, %v; want 200", code, err)
	}
	s.Stop()
	if err := s.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}
}
