package testserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds the wait for /readyz after a start.
	readyTimeout = 20 * time.Second
	// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
	// portAttempts is how often Start picks new ports when a port it chose
	// was taken before wsd could bind it.
	portAttempts = 3
	// logTailBytes is how much of the log is shown on failure.
	logTailBytes = 16 << 10
	// LogName is the file in the data directory that receives the node's
	// stdout and stderr.
	LogName = "wsd.log"
)

// Options configures Start.
type Options struct {
	// DataDir is the node's data directory; empty means a new t.TempDir().
	DataDir string
	// Args are extra wsd flags, added after the ones Start sets, so they
	// can override them (the last occurrence of a flag wins).
	Args []string
	// Env are extra environment variables ("KEY=value") on top of the test
	// process's environment.
	Env []string
}

// Server is one running (or stopped) wsd process. Its data directory and
// ports stay the same across Restart.
type Server struct {
	// URL is the base URL of the HTTP API, e.g. http://127.0.0.1:41234.
	URL string
	// DataDir is the node's data directory.
	DataDir string
	// HTTPAddr and RaftAddr are the host:port the node listens on.
	HTTPAddr, RaftAddr string
	// LogPath is the file receiving the node's output.
	LogPath string

	t    testing.TB
	bin  string
	args []string
	env  []string
	http *http.Client

	mu     sync.Mutex
	proc   *process
	paused bool
}

// process is one run of the binary.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // exit error, set before done is closed
}

// Start builds wsd if needed, starts a single node on free loopback ports,
// waits until GET /readyz answers 200 and registers t.Cleanup to stop it.
// It fails the test, with the tail of the node's log, when the node does
// not become ready within 20s.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, _ := Build(t)
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	s := &Server{
		DataDir: dir,
		LogPath: filepath.Join(dir, LogName),
		t:       t,
		bin:     bin,
		env:     append(os.Environ(), opts.Env...),
		http:    &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("testserver: tail of %s:\n%s", s.LogPath, s.LogTail())
		}
	})
	var err error
	for range portAttempts {
		s.HTTPAddr = "127.0.0.1:" + strconv.Itoa(FreePort(t))
		s.RaftAddr = "127.0.0.1:" + strconv.Itoa(FreePort(t))
		s.URL = "http://" + s.HTTPAddr
		s.args = append([]string{
			"--data-dir=" + s.DataDir,
			"--http-addr=" + s.HTTPAddr,
			"--raft-addr=" + s.RaftAddr,
			// A single node needs no gossip; this also keeps parallel
			// nodes off the default gossip port.
			"--gossip-addr=off",
		}, opts.Args...)
		if err = s.start(); err != nil {
			break
		}
		if err = s.waitReady(); err == nil {
			return s
		}
		s.Stop()
		if !bytes.Contains(s.LogTail(), []byte("address already in use")) {
			break
		}
	}
	t.Fatalf("testserver: %v", err)
	return nil
}

// start launches the binary with the server's arguments.
func (s *Server) start() error {
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== testserver: starting %s %q\n", s.bin, s.args)
	cmd := exec.Command(s.bin, s.args...)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start wsd: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc, s.paused = p, false
	s.mu.Unlock()
	return nil
}

// waitReady polls /readyz until it answers 200, the process exits or the
// timeout passes.
func (s *Server) waitReady() error {
	p := s.current()
	deadline := time.Now().Add(readyTimeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("wsd exited before it was ready: %v", p.err)
		default:
		}
		resp, err := s.http.Get(s.URL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("wsd at %s not ready after %s (last /readyz: %s)", s.URL, readyTimeout, last)
}

func (s *Server) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// Running reports whether the process is alive (paused counts as alive).
func (s *Server) Running() bool {
	p := s.current()
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits for the process to exit, sending SIGKILL if
// it is still running after 10s. A paused process is resumed so that it
// can handle the signal. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	p := s.current()
	if p == nil || !s.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	s.mu.Lock()
	paused := s.paused
	s.paused = false
	s.mu.Unlock()
	if paused {
		_ = resume(p.cmd.Process)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		s.t.Logf("testserver: wsd at %s ignored SIGTERM for %s; killing it", s.URL, stopTimeout)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL and waits for the process to exit, like a crash.
func (s *Server) Kill() {
	p := s.current()
	if p == nil || !s.Running() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Wait waits for the process to exit and returns its exit error (nil for
// status 0). It returns immediately if the server was never started.
func (s *Server) Wait() error {
	p := s.current()
	if p == nil {
		return nil
	}
	<-p.done
	return p.err
}

// Restart stops the process if it runs, starts it again with the same data
// directory, ports and flags, and waits until it is ready.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		t.Fatalf("testserver: restart: %v", err)
	}
	if err := s.waitReady(); err != nil {
		t.Fatalf("testserver: restart: %v\ntail of %s:\n%s", err, s.LogPath, s.LogTail())
	}
}

// Pause stops the process with SIGSTOP: it keeps its sockets but answers
// nothing, like a hung node.
func (s *Server) Pause() {
	p := s.current()
	if p == nil || !s.Running() {
		return
	}
	if err := pause(p.cmd.Process); err != nil {
		s.t.Errorf("testserver: pause: %v", err)
		return
	}
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() {
	p := s.current()
	if p == nil || !s.Running() {
		return
	}
	if err := resume(p.cmd.Process); err != nil {
		s.t.Errorf("testserver: resume: %v", err)
		return
	}
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
}

// LogTail returns the last 16 KiB of the node's log.
func (s *Server) LogTail() []byte {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return []byte(err.Error())
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return []byte(err.Error())
	}
	off := max(fi.Size()-logTailBytes, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, fi.Size()-off))
	if err != nil && !errors.Is(err, io.EOF) {
		return []byte(err.Error())
	}
	if off > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return b
}

// Pid returns the process id of the running node, or 0 when it is not
// running (tests read /proc/<pid> to count its descriptors).
func (s *Server) Pid() int {
	p := s.current()
	if p == nil || p.cmd.Process == nil {
		return 0
	}
	select {
	case <-p.done:
		return 0
	default:
	}
	return p.cmd.Process.Pid
}
