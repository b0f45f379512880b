package auth

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// maxWatchedFileBytes bounds each file a fileSource reads.
const maxWatchedFileBytes = 4 << 20

// fileSource holds a value parsed from one or more files and re-parses it
// when their contents change. It has no goroutine: get checks the files at
// most once per interval, on the caller's goroutine. Contents are compared
// byte for byte, so a rewrite within the file system's timestamp
// resolution is still seen, and an unchanged file is never re-parsed. A
// change that fails to read or parse keeps the previous value; the same
// bad contents are not parsed again.
type fileSource[T any] struct {
	paths    []string
	parse    func(contents [][]byte) (T, error)
	interval time.Duration
	now      func() time.Time
	// onReload, if set, is called (with mu held) after each attempt to load
	// changed contents: err is nil when the new value is in use.
	onReload func(err error)

	mu       sync.Mutex
	value    T
	loaded   [][]byte // contents value was parsed from
	rejected [][]byte // last contents that failed to parse
	checked  time.Time
	err      error // last failure to read or parse; nil after a success
}

// newFileSource loads the files once; that first load must succeed.
func newFileSource[T any](interval time.Duration, parse func([][]byte) (T, error), paths ...string) (*fileSource[T], error) {
	s := &fileSource[T]{paths: paths, parse: parse, interval: interval, now: time.Now}
	contents, err := s.read()
	if err != nil {
		return nil, err
	}
	v, err := parse(contents)
	if err != nil {
		return nil, err
	}
	s.value, s.loaded, s.checked = v, contents, s.now()
	return s, nil
}

// get returns the current value, reloading first if the check is due and
// the files changed.
func (s *fileSource[T]) get() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.checked) >= s.interval {
		s.checked = now
		s.refreshLocked()
	}
	return s.value
}

// reload checks the files now, whatever the interval, and returns the
// error that keeps a change from being used (nil if none).
func (s *fileSource[T]) reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked = s.now()
	s.refreshLocked()
	return s.err
}

// lastError returns the last failure to read or parse changed files, or
// nil if the files in use are the latest.
func (s *fileSource[T]) lastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *fileSource[T]) refreshLocked() {
	contents, err := s.read()
	if err != nil {
		if s.err == nil || s.err.Error() != err.Error() {
			s.report(err)
		}
		s.err = err
		return
	}
	if sameContents(contents, s.loaded) {
		s.err = nil
		return
	}
	if sameContents(contents, s.rejected) {
		return
	}
	v, err := s.parse(contents)
	if err != nil {
		s.rejected, s.err = contents, err
		s.report(err)
		return
	}
	s.value, s.loaded, s.rejected, s.err = v, contents, nil, nil
	s.report(nil)
}

func (s *fileSource[T]) report(err error) {
	if s.onReload != nil {
		s.onReload(err)
	}
}

func (s *fileSource[T]) read() ([][]byte, error) {
	out := make([][]byte, len(s.paths))
	for i, p := range s.paths {
		b, err := readFileLimited(p, maxWatchedFileBytes)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

func sameContents(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
