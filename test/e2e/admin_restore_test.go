package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSnapshot is a restore body generated lazily, never held whole in
// memory nor written to disk: size bytes of either noise or, when valid,
// a wsd snapshot header followed by well-formed workspace records (a
// snapshot that only its missing end would give away).
type fakeSnapshot struct {
	valid bool
	size  int64
	sent  atomic.Int64
	buf   []byte
	i     int
}

func (f *fakeSnapshot) Read(p []byte) (int, error) {
	left := f.size - f.sent.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	if len(f.buf) == 0 {
		f.buf = f.next()
	}
	n := copy(p, f.buf)
	if int64(n) > left {
		n = int(left)
	}
	f.buf = f.buf[n:]
	f.sent.Add(int64(n))
	return n, nil
}

func snapRecord(b *bytes.Buffer, kind byte, payload string) {
	b.WriteByte(kind)
	var l [binary.MaxVarintLen64]byte
	b.Write(l[:binary.PutUvarint(l[:], uint64(len(payload)))])
	b.WriteString(payload)
}

func (f *fakeSnapshot) next() []byte {
	if !f.valid {
		return bytes.Repeat([]byte("not a snapshot "), 4096)
	}
	var b bytes.Buffer
	if f.i == 0 {
		b.WriteString("WSDSNAP\n\x00\x01")
		snapRecord(&b, 1, `{"index":1,"initialized":true,"workspaces":1000000000,"projects":0,"refs":0,"roles":0}`)
	}
	for range 256 {
		f.i++
		snapRecord(&b, 2, fmt.Sprintf(`{"id":"id-%012d","name":"w-%012d","description":null,"created_at":"2026-01-01T00:00:00Z","created_by":"x","updated_at":"2026-01-01T00:00:00Z","updated_by":"x","index":1}`, f.i, f.i))
	}
	return b.Bytes()
}

// dirBytes is the total size of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil && !d.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// restoreRaw sends a restore with body (ContentLength size; -1: chunked)
// and returns the answer and how long it took.
func (c *testCluster) restoreRaw(token string, n *node, ctype string, body io.Reader, size int64) (response, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, n.url()+"/v1/cluster/restore", body)
	if err != nil {
		return response{}, 0, err
	}
	req.ContentLength = size
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	cl := &http.Client{Timeout: 2 * time.Minute}
	resp, err := cl.Do(req)
	if err != nil {
		return response{}, time.Since(start), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{code: resp.StatusCode, header: resp.Header, body: b}, time.Since(start), err
}

const gib2 = int64(2) << 30

// Finding 5: a restore body is refused before it costs disk. Wrong
// content types are a 415; a 2 GiB upload, announced or chunked, valid-
// looking or noise, through the leader or a follower, is refused after
// the server has read at most a few MiB of it (413 over the limit, 422 as
// soon as the header shows it is no snapshot); one restore runs at a time
// (409 with Retry-After); an upload that breaks off is a 4xx-class
// refusal logged below ERROR; the data directories stay small and the data
// unchanged.
func TestAdmin_restoreRefusedEarly(t *testing.T) {
	c, _, root := adminCluster(t, "--max-restore-mib=16")
	leader := c.leader()
	fs := c.followers(leader)
	old := c.saveSnapshot(root, leader)
	if r, err := c.as(root, http.MethodPost, leader.url()+base+"/workspaces", map[string]any{"name": "precious"}); err != nil || r.code != http.StatusCreated {
		t.Fatalf("create: %v %v", r, err)
	}
	before := c.sameDigest(15 * time.Second)

	// Content types other than application/octet-stream: 415, even for a
	// valid snapshot from the PlatformAdmin.
	for _, n := range []*node{leader, fs[0]} {
		for _, ct := range []string{"", "application/json", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain"} {
			r, _, err := c.restoreRaw(root, n, ct, bytes.NewReader(old), int64(len(old)))
			if err != nil || r.code != http.StatusUnsupportedMediaType || !bytes.Contains(r.body, []byte(`"detail"`)) {
				t.Errorf("restore on %s with Content-Type %q: %v %v, want 415 with a detail", n.id, ct, r, err)
			}
		}
	}

	// 2 GiB uploads.
	for _, k := range []struct {
		name    string
		n       *node
		valid   bool
		chunked bool
		want    int
	}{
		{"announced, leader", leader, true, false, http.StatusRequestEntityTooLarge},
		{"announced, follower", fs[0], true, false, http.StatusRequestEntityTooLarge},
		{"chunked snapshot-like, leader", leader, true, true, http.StatusRequestEntityTooLarge},
		{"chunked snapshot-like, follower", fs[1], true, true, http.StatusRequestEntityTooLarge},
		{"chunked noise, follower", fs[0], false, true, http.StatusUnprocessableEntity},
	} {
		body := &fakeSnapshot{valid: k.valid, size: gib2}
		size := gib2
		if k.chunked {
			size = -1
		}
		r, took, err := c.restoreRaw(root, k.n, "application/octet-stream", body, size)
		if err != nil || r.code != k.want || !bytes.Contains(r.body, []byte(`"detail"`)) {
			t.Errorf("%s: %v %v, want %d with a detail", k.name, r, err, k.want)
		}
		sent := body.sent.Load()
		t.Logf("%s: %d after %v, %d MiB of 2048 sent", k.name, r.code, took.Round(time.Millisecond), sent>>20)
		if sent > 64<<20 {
			t.Errorf("%s: the client got to send %d MiB before the refusal, want at most 64", k.name, sent>>20)
		}
	}

	// One restore at a time: a first one sends a snapshot-like stream to
	// the leader and stalls; a second is refused with 409 and Retry-After.
	pr, pw := io.Pipe()
	first := make(chan error, 1)
	go func() {
		r, _, err := c.restoreRaw(root, leader, "application/octet-stream", pr, -1)
		if err == nil {
			err = fmt.Errorf("the stalled restore got an answer: %v", r)
		}
		first <- err
	}()
	gen := &fakeSnapshot{valid: true, size: 8 << 20}
	// Once 8 MiB went through the pipe, more than the sockets buffer, the
	// leader is reading the first body.
	if _, err := io.Copy(pw, gen); err != nil {
		t.Fatal(err)
	}
	r, _, err := c.restoreRaw(root, fs[0], "application/octet-stream", bytes.NewReader(old), int64(len(old)))
	if err != nil || r.code != http.StatusConflict || r.header.Get("Retry-After") == "" {
		t.Errorf("concurrent restore: %v %v, want 409 with Retry-After", r, err)
	}
	// The first upload breaks off.
	pw.CloseWithError(fmt.Errorf("client gone"))
	<-first

	// Refused or broken off, nothing changed; nothing was logged at ERROR;
	// the data directories stayed small.
	if after := c.sameDigest(15 * time.Second); after != before {
		t.Fatalf("digest changed from %.12s to %.12s", before, after)
	}
	eventually(t, 10*time.Second, "the broken-off upload logged", func() error {
		b, _ := os.ReadFile(filepath.Join(leader.dataDir, "..", leader.id+".log"))
		if !strings.Contains(string(b), "restore upload broke off") {
			return fmt.Errorf("no line about the broken-off upload in %s's log", leader.id)
		}
		return nil
	})
	for _, n := range c.nodes {
		b, _ := os.ReadFile(filepath.Join(n.dataDir, "..", n.id+".log"))
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "level=ERROR") {
				t.Errorf("%s logged an error: %s", n.id, line)
			}
		}
		if sz := dirBytes(t, n.dataDir); sz > 32<<20 {
			t.Errorf("%s's data directory holds %d MiB after the refused uploads", n.id, sz>>20)
		}
	}
	// The gate is open again: the PlatformAdmin's restore goes through.
	if r, _, err := c.restoreRaw(root, fs[1], "application/octet-stream", bytes.NewReader(old), int64(len(old))); err != nil || r.code != http.StatusOK {
		t.Fatalf("restore after the refusals: %v %v", r, err)
	}
}

// Finding 5, the disk: a node whose data directory has 96 MiB free refuses
// a 2 GiB snapshot (under the size limit) with 507 before reading it.
func TestAdmin_restoreRefusedWhenDiskSmall(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 1, extraArgs: []string{"--max-restore-mib=4096"}})
	n := c.nodes[0]
	c.stop(n)
	small := filepath.Join(t.TempDir(), "small")
	if err := os.MkdirAll(small, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", small).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", small).Run() })
	dst := filepath.Join(small, n.id)
	if out, err := exec.Command("cp", "-a", n.dataDir, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	n.dataDir = dst
	c.restart(n)
	t.Cleanup(func() { c.kill(n) }) // before the umount
	c.waitReady(n)
	before := c.sameDigest(15 * time.Second)
	body := &fakeSnapshot{valid: true, size: gib2}
	r, took, err := c.restoreRaw("", n, "application/octet-stream", body, gib2)
	if err != nil || r.code != http.StatusInsufficientStorage || !bytes.Contains(r.body, []byte(`"detail"`)) {
		t.Fatalf("2 GiB restore onto 96 MiB: %v %v, want 507 with a detail", r, err)
	}
	t.Logf("507 after %v, %d MiB of 2048 sent", took.Round(time.Millisecond), body.sent.Load()>>20)
	if sent := body.sent.Load(); sent > 64<<20 {
		t.Errorf("the client got to send %d MiB before the refusal", sent>>20)
	}
	if sz := dirBytes(t, n.dataDir); sz > 32<<20 {
		t.Errorf("data directory holds %d MiB", sz>>20)
	}
	if after := c.sameDigest(15 * time.Second); after != before {
		t.Fatal("digest changed")
	}
}
