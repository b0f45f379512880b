package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wsdCmd runs the wsd binary's admin subcommand args and returns its
// combined output.
func (c *testCluster) wsdCmd(args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(c.wsd, args...)
	cmd.Env = append(os.Environ(), "WSD_ADDR=") // only --addr decides
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("wsd %s: no answer within 2 minutes", strings.Join(args, " "))
	}
}

func (c *testCluster) mustWsd(args ...string) string {
	c.t.Helper()
	out, err := c.wsdCmd(args...)
	if err != nil {
		c.t.Fatalf("wsd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// digests returns every running node's state digest.
func (c *testCluster) digests() (map[string]string, error) {
	out := map[string]string{}
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		s, err := c.status(n)
		if err != nil {
			return nil, err
		}
		out[n.id] = s.Digest
	}
	return out, nil
}

// allDigests waits until every running node reports digest want.
func (c *testCluster) allDigests(timeout time.Duration, want string) {
	c.t.Helper()
	eventually(c.t, timeout, "every node at digest "+want[:12], func() error {
		ds, err := c.digests()
		if err != nil {
			return err
		}
		for id, d := range ds {
			if d != want {
				return fmt.Errorf("%s has digest %.12s", id, d)
			}
		}
		return nil
	})
}

func mustDo(t *testing.T, c *testCluster, method, url string, body any, want int) response {
	t.Helper()
	r, err := c.do(method, url, body)
	if err != nil || r.code != want {
		t.Fatalf("%s %s: %v %v, want %d", method, url, r, err, want)
	}
	return r
}

// Save a snapshot, change the data, restore it: every node comes back to
// the saved state. Corrupt and foreign snapshots are refused and change
// nothing.
func TestOps_backupRestore(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	fs := c.followers(leader)
	for i := range 6 {
		mustCreate(t, c, fs[i%2], fmt.Sprintf("bk-%d", i))
	}
	for i := range 20 {
		mustDo(t, c, http.MethodPut, fmt.Sprintf("%s%s/workspaces/bk-%d/entity-refs/models/m-%d", fs[0].url(), base, 1+i%3, i), nil, http.StatusCreated)
	}
	saved := c.sameDigest(15 * time.Second) // the cluster is quiet: this is what the snapshot holds
	file := filepath.Join(t.TempDir(), "backup.snap")
	out := c.mustWsd("snapshot", "save", file, "--addr", fs[0].url()) // through a follower
	if !strings.Contains(out, "digest "+saved) {
		t.Fatalf("snapshot save output %q does not name the cluster's digest %s", out, saved)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot: %d bytes (8 workspaces, 20 refs): %s", fi.Size(), strings.TrimSpace(out))

	// Change the data.
	mustCreate(t, c, leader, "after-backup")
	mustDo(t, c, http.MethodDelete, fs[1].url()+base+"/workspaces/bk-0", nil, http.StatusOK)
	mustDo(t, c, http.MethodDelete, fs[0].url()+base+"/workspaces/bk-1/entity-refs/models/m-0", nil, http.StatusOK)
	if changed := c.sameDigest(15 * time.Second); changed == saved {
		t.Fatal("digest unchanged by the writes")
	}

	out = c.mustWsd("snapshot", "restore", file, "--addr", fs[1].url())
	t.Logf("restore: %s", strings.TrimSpace(out))
	c.allDigests(30*time.Second, saved)
	for _, n := range c.nodes {
		mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces/after-backup?consistency=stale", nil, http.StatusNotFound)
		mustDo(t, c, http.MethodGet, n.url()+base+"/workspaces/bk-0?consistency=stale", nil, http.StatusOK)
	}

	// Refused snapshots leave every node as it is.
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"corrupt":          bytes.Clone(good),
		"wrong magic":      bytes.Clone(good),
		"format version 3": bytes.Clone(good),
	}
	bad["corrupt"][len(good)/2] ^= 0x40
	copy(bad["wrong magic"], "ZIPFILE\n")
	bad["format version 3"][8], bad["format version 3"][9] = 0, 3
	before, err := c.digests()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range bad {
		p := filepath.Join(t.TempDir(), "bad.snap")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := c.wsdCmd("snapshot", "restore", p, "--addr", fs[0].url())
		if err == nil || !strings.Contains(out, "422") || !strings.Contains(out, "Snapshot refused, the cluster is unchanged") {
			t.Fatalf("%s: restore = %v\n%s\nwant a 422 refusal", name, err, out)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(out))
		// Straight to the leader's API too.
		req, _ := http.NewRequest(http.MethodPost, leader.url()+"/v1/cluster/restore", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Detail []struct {
				Loc  []string `json:"loc"`
				Msg  string   `json:"msg"`
				Type string   `json:"type"`
			} `json:"detail"`
		}
		derr := json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || derr != nil || len(e.Detail) != 1 || e.Detail[0].Type != "snapshot_invalid" {
			t.Fatalf("%s: POST /v1/cluster/restore = %d %+v (%v), want 422 snapshot_invalid", name, resp.StatusCode, e, derr)
		}
	}
	time.Sleep(500 * time.Millisecond)
	after, err := c.digests()
	if err != nil {
		t.Fatal(err)
	}
	for id, d := range before {
		if after[id] != d {
			t.Fatalf("%s: digest %s after refused restores, was %s", id, after[id], d)
		}
	}
	// The cluster is writable after it all.
	mustCreate(t, c, fs[0], "after-restore")
}

// wsd members, transfer-leadership, leave and remove-member against a
// running cluster of four.
func TestOps_membershipCommands(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 4})
	old := c.leader()
	out := c.mustWsd("members", "--addr", old.url())
	for _, n := range c.nodes {
		if !strings.Contains(out, n.id) {
			t.Fatalf("members output lacks %s:\n%s", n.id, out)
		}
	}
	eventually(t, 30*time.Second, "four voters", func() error {
		out, err := c.wsdCmd("members", "--addr", old.url())
		if err != nil {
			return err
		}
		if n := strings.Count(out, " voter "); n != 4 {
			return fmt.Errorf("%d voters:\n%s", n, out)
		}
		return nil
	})

	// Hand leadership over, asking a follower (forwarded to the leader).
	out = c.mustWsd("transfer-leadership", "--addr", c.followers(old)[0].url())
	t.Logf("transfer-leadership: %s", strings.TrimSpace(out))
	var leader *node
	eventually(t, 20*time.Second, "a new leader", func() error {
		leader = c.leader()
		if leader == old {
			return fmt.Errorf("%s still leads", old.id)
		}
		return nil
	})

	// The leader leaves for good: it hands leadership over, is removed and
	// its process exits.
	out = c.mustWsd("leave", "--addr", leader.url())
	t.Logf("leave: %s", strings.TrimSpace(out))
	leader.mu.Lock()
	exited := leader.done
	leader.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s still runs 30s after leaving", leader.id)
	}
	c.wait(leader)
	leader.mu.Lock()
	code := leader.cmd.ProcessState.ExitCode()
	leader.mu.Unlock()
	if code != 0 {
		t.Fatalf("%s exited with %d after leaving, want 0", leader.id, code)
	}
	leader = c.leader()
	if ms, err := c.members(leader); err != nil || len(ms) != 3 {
		t.Fatalf("members after leave = %+v (%v), want 3", ms, err)
	}

	// Remove a dead server, asking a follower.
	fs := c.followers(leader)
	victim, other := fs[0], fs[1]
	c.kill(victim)
	out = c.mustWsd("remove-member", victim.id, "--addr", other.url())
	t.Logf("remove-member: %s", strings.TrimSpace(out))
	ms, err := c.members(leader)
	if err != nil || len(ms) != 2 || memberIDs(ms) != memberIDs([]member{{ID: leader.id, Suffrage: "voter"}, {ID: other.id, Suffrage: "voter"}}) {
		t.Fatalf("members after removal = %+v (%v), want %s and %s", ms, err, leader.id, other.id)
	}
	if out, err := c.wsdCmd("remove-member", victim.id, "--addr", leader.url()); err == nil || !strings.Contains(out, "404") {
		t.Fatalf("removing %s again = %v %s, want a 404", victim.id, err, out)
	}
	mustCreate(t, c, other, "after-membership-changes")
}

// /openapi.json on a real node lists every path, /metrics included, and
// each is served.
func TestOps_openAPIServed(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 1})
	n := c.nodes[0]
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := c.getJSON(n.url()+"/openapi.json", &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/metrics", "/healthz", "/v1/cluster/snapshot", "/v1/cluster/restore", base + "/workspaces/{name}"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("%s is not documented", p)
		}
	}
	for p, item := range doc.Paths {
		if _, ok := item["get"]; !ok || strings.Contains(p, "{") {
			continue
		}
		r, err := c.do(http.MethodGet, n.url()+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.code == http.StatusNotFound || r.code == http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", p, r.code)
		}
	}
}
