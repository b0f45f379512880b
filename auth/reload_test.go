package auth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeClock is a settable clock for fileSource.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestFileSource_get(t *testing.T) {
	path := filepath.Join(t.TempDir(), "value")
	writeFile(t, path, []byte("a"))
	var parses, reports int
	var lastReport error
	parse := func(c [][]byte) (string, error) {
		parses++
		if string(c[0]) == "bad" {
			return "", errors.New("bad contents")
		}
		return string(c[0]), nil
	}
	src, err := newFileSource(time.Second, parse, path)
	if err != nil {
		t.Fatalf("newFileSource: %v", err)
	}
	clock := &fakeClock{t: time.Now()}
	src.now = clock.now
	src.checked = clock.now()
	src.onReload = func(err error) { reports++; lastReport = err }

	steps := []struct {
		name        string
		write       string // file contents to write first; "-" removes the file
		advance     time.Duration
		want        string
		wantParses  int
		wantErr     bool
		wantReports int
	}{
		{name: "initial value", want: "a", wantParses: 1},
		{name: "change not seen within the interval", write: "b", advance: 500 * time.Millisecond, want: "a", wantParses: 1},
		{name: "change seen after the interval", advance: 500 * time.Millisecond, want: "b", wantParses: 2, wantReports: 1},
		{name: "unchanged file not parsed again", advance: time.Second, want: "b", wantParses: 2, wantReports: 1},
		{name: "bad contents keep the previous value", write: "bad", advance: time.Second, want: "b", wantParses: 3, wantErr: true, wantReports: 2},
		{name: "same bad contents not parsed again", advance: time.Second, want: "b", wantParses: 3, wantErr: true, wantReports: 2},
		{name: "good contents after bad", write: "c", advance: time.Second, want: "c", wantParses: 4, wantReports: 3},
		{name: "removed file keeps the value", write: "-", advance: time.Second, want: "c", wantParses: 4, wantErr: true, wantReports: 4},
		{name: "still removed: reported once", advance: time.Second, want: "c", wantParses: 4, wantErr: true, wantReports: 4},
		{name: "restored with the same contents", write: "c", advance: time.Second, want: "c", wantParses: 4, wantReports: 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			switch st.write {
			case "":
			case "-":
				if err := os.Remove(path); err != nil {
					t.Fatalf("Remove: %v", err)
				}
			default:
				writeFile(t, path, []byte(st.write))
			}
			clock.advance(st.advance)
			if got := src.get(); got != st.want {
				t.Errorf("get() = %q, want %q", got, st.want)
			}
			if parses != st.wantParses {
				t.Errorf("parses = %d, want %d", parses, st.wantParses)
			}
			if gotErr := src.lastError() != nil; gotErr != st.wantErr {
				t.Errorf("lastError() = %v, want error: %v", src.lastError(), st.wantErr)
			}
			if reports != st.wantReports {
				t.Errorf("onReload calls = %d (last %v), want %d", reports, lastReport, st.wantReports)
			}
		})
	}
}

func TestFileSource_reload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "value")
	writeFile(t, path, []byte("a"))
	src, err := newFileSource(time.Hour, func(c [][]byte) (string, error) { return string(c[0]), nil }, path)
	if err != nil {
		t.Fatalf("newFileSource: %v", err)
	}
	writeFile(t, path, []byte("b"))
	if got := src.get(); got != "a" {
		t.Fatalf("get() before reload = %q, want %q", got, "a")
	}
	if err := src.reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := src.get(); got != "b" {
		t.Errorf("get() after reload = %q, want %q", got, "b")
	}
}

func TestNewFileSource_errors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	writeFile(t, big, make([]byte, maxWatchedFileBytes+1))
	bad := filepath.Join(dir, "bad")
	writeFile(t, bad, []byte("x"))
	parse := func(c [][]byte) (int, error) {
		if string(c[0]) == "x" {
			return 0, errors.New("refused")
		}
		return len(c[0]), nil
	}
	for _, path := range []string{filepath.Join(dir, "missing"), big, bad} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := newFileSource(time.Second, parse, path); err == nil {
				t.Errorf("newFileSource(%s) = nil error, want one", path)
			}
		})
	}
}
