package fsm_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func nopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// Record kinds of snapshot format version 1, as documented in snapshot.go.
var recordKinds = map[byte]string{1: "meta", 2: "workspace", 3: "ref", 4: "role", 5: "project", 6: "idempotency_key"}

const recEnd = 0xFF

// snapRecord is one record of a snapshot stream.
type snapRecord struct {
	kind    byte
	payload []byte
}

// snapFile is a snapshot stream taken apart, so that tests can change it
// and put it back together with a valid checksum.
type snapFile struct {
	magic   string
	version uint16
	records []snapRecord
	sum     []byte
}

// parseSnap takes apart a well-formed stream independently of the reader
// under test.
func parseSnap(tb testing.TB, b []byte) snapFile {
	tb.Helper()
	if len(b) < 10 {
		tb.Fatalf("snapshot of %d bytes is shorter than its header", len(b))
	}
	sf := snapFile{magic: string(b[:8]), version: binary.BigEndian.Uint16(b[8:10])}
	rest := b[10:]
	for {
		if len(rest) == 0 {
			tb.Fatalf("snapshot ends without an end record")
		}
		kind := rest[0]
		rest = rest[1:]
		if kind == recEnd {
			if len(rest) != sha256.Size {
				tb.Fatalf("checksum: got %d bytes, want %d", len(rest), sha256.Size)
			}
			sf.sum = rest
			return sf
		}
		n, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < n {
			tb.Fatalf("record %d: bad length", len(sf.records))
		}
		sf.records = append(sf.records, snapRecord{kind, rest[w : w+int(n)]})
		rest = rest[w+int(n):]
	}
}

// bytes reassembles the stream with a fresh checksum.
func (sf snapFile) bytes() []byte {
	var b []byte
	b = append(b, sf.magic...)
	b = binary.BigEndian.AppendUint16(b, sf.version)
	for _, r := range sf.records {
		b = append(b, r.kind)
		b = binary.AppendUvarint(b, uint64(len(r.payload)))
		b = append(b, r.payload...)
	}
	b = append(b, recEnd)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// smallLog is a short, fixed log that touches every record kind.
func smallLog(tb testing.TB) []*raft.Log {
	tb.Helper()
	cmds := []fsm.Command{
		&fsm.Init{DefaultID: "0193a1c4-0000-7000-8000-000000000001", SystemID: "0193a1c4-0000-7000-8000-000000000002", At: at(0), By: "", AdminPrincipal: "root"},
		&fsm.CreateWorkspace{ID: "0193a1c4-0000-7000-8000-000000000003", Name: "ml-team", Description: ptr("Machine Learning Team workspace"), At: at(60), By: "alice@example.com", Caller: &fsm.Caller{ID: "alice", Email: "alice@example.com"}},
		&fsm.CreateWorkspace{ID: "0193a1c4-0000-7000-8000-000000000004", Name: "data", At: at(61), By: "bob"},
		&fsm.UpdateWorkspace{Name: "data", Description: ptr("Datasets <raw> & \"clean\""), DescriptionSet: true, At: at(62), By: "bob"},
		&fsm.CreateProject{ID: "0193a1c4-0000-7000-8000-000000000005", Workspace: "ml-team", Name: "llm", At: at(63), By: "alice@example.com"},
		&fsm.AcquireRef{Workspace: "ml-team", EntityType: "models", EntityName: "llama/3-8b", Project: "llm", At: at(64), By: "models-svc"},
		&fsm.AcquireRef{Workspace: "ml-team", EntityType: "datasets", EntityName: "squad ü", At: at(65), By: "data-svc"},
		&fsm.AddMember{Workspace: "ml-team", Principal: "bob", Roles: []string{"Editor"}, At: at(66), By: "alice@example.com"},
		createWS("refused-later", 67),
		&fsm.DeleteWorkspace{Name: "refused-later", At: at(68)},
		&fsm.DeleteWorkspace{Name: "ml-team", At: at(69)}, // refused: not empty
	}
	logs := make([]*raft.Log, len(cmds))
	for i, c := range cmds {
		logs[i] = logEntry(tb, uint64(i+1), c)
	}
	return logs
}

func smallState(tb testing.TB) *fsm.State {
	tb.Helper()
	f, _ := applyOneByOne(tb, smallLog(tb))
	return f.State()
}

// sameAnswers fails unless got answers every read the way want does.
func sameAnswers(t *testing.T, got, want *fsm.State) {
	t.Helper()
	if got.Index() != want.Index() || got.Initialized() != want.Initialized() || got.Digest() != want.Digest() {
		t.Errorf("index/initialized/digest: got %d/%v/%s, want %d/%v/%s",
			got.Index(), got.Initialized(), got.Digest(), want.Index(), want.Initialized(), want.Digest())
	}
	if got.WorkspaceCount() != want.WorkspaceCount() || got.RefCount() != want.RefCount() || got.ProjectCount() != want.ProjectCount() {
		t.Errorf("counts: got %d/%d/%d, want %d/%d/%d", got.WorkspaceCount(), got.RefCount(), got.ProjectCount(),
			want.WorkspaceCount(), want.RefCount(), want.ProjectCount())
	}
	for _, name := range allSorts {
		srt, _ := fsm.ParseSort(name)
		q := fsm.ListQuery{Sort: srt, Limit: 1000}
		gw, gn := got.ListWorkspaces(q)
		ww, wn := want.ListWorkspaces(q)
		if gn != wn || !slices.Equal(names(gw), names(ww)) {
			t.Errorf("ListWorkspaces(%s): got %v (%d), want %v (%d)", name, names(gw), gn, names(ww), wn)
		}
	}
	all, _ := want.ListWorkspaces(fsm.ListQuery{Limit: 1000})
	for _, w := range all {
		g, ok := got.Workspace(w.Name)
		if !ok {
			t.Errorf("Workspace(%q): missing", w.Name)
			continue
		}
		if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) || g.ID != w.ID || g.Index != w.Index ||
			(g.Description == nil) != (w.Description == nil) || (g.Description != nil && *g.Description != *w.Description) {
			t.Errorf("Workspace(%q): got %+v, want %+v", w.Name, g, w)
		}
		if gu, wu := got.Usage(w.Name), want.Usage(w.Name); gu.Total != wu.Total || !maps.Equal(gu.ByType, wu.ByType) {
			t.Errorf("Usage(%q): got %+v, want %+v", w.Name, gu, wu)
		}
		gr, _ := got.ListRefs(w.Name, "", 0, 1000)
		wr, _ := want.ListRefs(w.Name, "", 0, 1000)
		if !slices.Equal(refNames(gr), refNames(wr)) {
			t.Errorf("ListRefs(%q): got %v, want %v", w.Name, refNames(gr), refNames(wr))
		}
		gp, _ := got.ListProjects(w.Name, fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Limit: 1000})
		wp, _ := want.ListProjects(w.Name, fsm.ListQuery{Sort: fsm.Sort{Field: fsm.SortName}, Limit: 1000})
		if !slices.Equal(projNames(gp), projNames(wp)) {
			t.Errorf("ListProjects(%q): got %v, want %v", w.Name, projNames(gp), projNames(wp))
		}
		for _, p := range wp {
			if g, w := got.ProjectRefCount(p.Workspace, p.Name), want.ProjectRefCount(p.Workspace, p.Name); g != w {
				t.Errorf("ProjectRefCount(%q, %q): got %d, want %d", p.Workspace, p.Name, g, w)
			}
		}
		gb, wb := got.RoleBindings(w.Name), want.RoleBindings(w.Name)
		if len(gb) != len(wb) {
			t.Errorf("RoleBindings(%q): got %d, want %d", w.Name, len(gb), len(wb))
		}
		for i := range min(len(gb), len(wb)) {
			if gb[i].Principal != wb[i].Principal || !slices.Equal(gb[i].Roles, wb[i].Roles) {
				t.Errorf("RoleBindings(%q)[%d]: got %+v, want %+v", w.Name, i, gb[i], wb[i])
			}
		}
	}
}

func TestState_WriteSnapshot_roundTrip(t *testing.T) {
	tests := []struct {
		name  string
		state func(t *testing.T) *fsm.State
	}{
		{"empty", func(*testing.T) *fsm.State { return fsm.New(fsm.Options{}).State() }},
		{"small", func(t *testing.T) *fsm.State { return smallState(t) }},
		{"random", func(t *testing.T) *fsm.State { f, _ := applyOneByOne(t, randomLogs(t, 7, 500)); return f.State() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.state(t)
			b := snapshotBytes(t, s)
			r, err := fsm.ReadSnapshot(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ReadSnapshot: %v", err)
			}
			if again := snapshotBytes(t, r); !bytes.Equal(again, b) {
				t.Errorf("snapshot of the restored state differs: got %d bytes, want %d", len(again), len(b))
			}
			sameAnswers(t, r, s)
		})
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestFSM_Restore(t *testing.T) {
	src := smallState(t)
	b := snapshotBytes(t, src)

	f := fsm.New(fsm.Options{})
	old := f.State()
	rc := &closeRecorder{Reader: bytes.NewReader(b)}
	if err := f.Restore(rc); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if !rc.closed {
		t.Errorf("Restore did not close its reader")
	}
	select {
	case <-old.Changed():
	default:
		t.Errorf("the state published before Restore was not told it changed")
	}
	sameAnswers(t, f.State(), src)

	t.Run("over a live state", func(t *testing.T) {
		a := newInitialized(t)
		a.ok(createWS("only-here", 1))
		*a.idx = 1
		if err := a.f.Restore(nopCloser(b)); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		sameAnswers(t, a.state(), src)
		if _, ok := a.state().Workspace("only-here"); ok {
			t.Errorf("workspace from before the restore survived it")
		}
		// Applying continues from the restored content.
		*a.idx = src.Index()
		a.ok(createWS("after", 100))
		a.refused(createWS("ml-team", 101), fsm.CodeAlreadyExists)
	})
	t.Run("older snapshot keeps the index", func(t *testing.T) {
		f, _ := applyOneByOne(t, randomLogs(t, 9, 100))
		if err := f.Restore(nopCloser(b)); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := f.State().Index(); got != 100 {
			t.Errorf("Index after restoring an older snapshot: got %d, want 100", got)
		}
		if got, want := f.State().Digest(), src.Digest(); got != want {
			t.Errorf("digest: got %s, want %s", got, want)
		}
	})
}

// corruptions returns named broken variants of the well-formed stream b.
func corruptions(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	sf := parseSnap(t, b)
	edit := func(f func(sf *snapFile)) []byte {
		c := sf
		c.records = slices.Clone(sf.records)
		f(&c)
		return c.bytes()
	}
	set := func(i int, kind byte, payload string) func(sf *snapFile) {
		return func(sf *snapFile) { sf.records[i] = snapRecord{kind, []byte(payload)} }
	}
	meta := string(sf.records[0].payload)
	firstWS := string(sf.records[1].payload)
	flip := func(i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	out := map[string][]byte{
		"empty":                {},
		"flip middle byte":     flip(len(b) / 2),
		"flip first record":    flip(12),
		"flip checksum byte":   flip(len(b) - 5),
		"flip last byte":       flip(len(b) - 1),
		"flip end marker":      flip(len(b) - sha256.Size - 1),
		"wrong magic":          append([]byte("WSDSNAP\r"), b[8:]...),
		"wrong magic resummed": edit(func(sf *snapFile) { sf.magic = "NOTSNAP\n" }),
		"format version 4":     edit(func(sf *snapFile) { sf.version = 4 }),
		"format version 0":     edit(func(sf *snapFile) { sf.version = 0 }),
		"trailing garbage":     append(bytes.Clone(b), 0),
		"trailing copy":        append(bytes.Clone(b), b...),
		"more workspaces":      edit(set(0, 1, strings.Replace(meta, `"workspaces":`, `"workspaces":1`, 1))),
		"fewer refs":           edit(set(0, 1, strings.Replace(meta, `"refs":2`, `"refs":1`, 1))),
		"record dropped":       edit(func(sf *snapFile) { sf.records = slices.Delete(sf.records, 1, 2) }),
		"record repeated":      edit(func(sf *snapFile) { sf.records = slices.Insert(sf.records, 1, sf.records[1]) }),
		"no meta":              edit(func(sf *snapFile) { sf.records = sf.records[1:] }),
		"only end":             edit(func(sf *snapFile) { sf.records = nil }),
		"meta twice":           edit(func(sf *snapFile) { sf.records = slices.Insert(sf.records, 1, sf.records[0]) }),
		"unknown kind":         edit(func(sf *snapFile) { sf.records = append(sf.records, snapRecord{9, []byte("{}")}) }),
		"meta unknown field":   edit(set(0, 1, strings.Replace(meta, "{", `{"extra":1,`, 1))),
		"workspace bad json":   edit(set(1, 2, firstWS[:len(firstWS)-1])),
		"workspace trailing":   edit(set(1, 2, firstWS+"}")),
		"workspace bad name":   edit(set(1, 2, strings.Replace(firstWS, `"name":"`, `"name":"X`, 1))),
		"workspace no id":      edit(set(1, 2, `{"id":"","name":"aaa"}`)),
		"ref before workspace": edit(func(sf *snapFile) {
			sf.records = slices.Insert(sf.records, 1, snapRecord{3, []byte(`{"workspace":"data","entity_type":"m","entity_name":"n"}`)})
		}),
		"ref in unknown ws": edit(func(sf *snapFile) {
			sf.records = append(sf.records, snapRecord{3, []byte(`{"workspace":"nope","entity_type":"m","entity_name":"n"}`)})
		}),
		"ref bad type": edit(func(sf *snapFile) {
			sf.records = append(sf.records, snapRecord{3, []byte(`{"workspace":"data","entity_type":"projects","entity_name":"n"}`)})
		}),
		"role without name": edit(func(sf *snapFile) {
			sf.records = append(sf.records, snapRecord{4, []byte(`{"workspace":"data","principal":""}`)})
		}),
		"record over the limit": append(append(append([]byte{}, b[:10]...), 1), binary.AppendUvarint(nil, 1<<20+1)...),
		"length overflow":       append(append([]byte{}, b[:10]...), 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	}
	return out
}

func TestReadSnapshot_corrupt(t *testing.T) {
	b := snapshotBytes(t, smallState(t))
	live := newInitialized(t)
	live.ok(createWS("live", 1))
	wantDigest, wantIndex := live.state().Digest(), live.state().Index()

	check := func(t *testing.T, data []byte) {
		t.Helper()
		if s, err := fsm.ReadSnapshot(bytes.NewReader(data)); !errors.Is(err, fsm.ErrSnapshotCorrupt) {
			t.Errorf("ReadSnapshot: got %v, %v; want an error wrapping ErrSnapshotCorrupt", s, err)
		}
		if err := live.f.Restore(nopCloser(data)); !errors.Is(err, fsm.ErrSnapshotCorrupt) {
			t.Errorf("Restore: got %v, want an error wrapping ErrSnapshotCorrupt", err)
		}
		if got := live.state().Digest(); got != wantDigest {
			t.Errorf("live digest after a refused Restore: got %s, want %s", got, wantDigest)
		}
		if got := live.state().Index(); got != wantIndex {
			t.Errorf("live index after a refused Restore: got %d, want %d", got, wantIndex)
		}
	}
	for name, data := range corruptions(t, b) {
		t.Run(name, func(t *testing.T) { check(t, data) })
	}
	t.Run("truncated", func(t *testing.T) {
		for n := range len(b) {
			t.Run(strconv.Itoa(n), func(t *testing.T) { check(t, b[:n]) })
		}
	})
	t.Run("every byte flipped", func(t *testing.T) {
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0x80
			if _, err := fsm.ReadSnapshot(bytes.NewReader(c)); !errors.Is(err, fsm.ErrSnapshotCorrupt) {
				t.Errorf("byte %d flipped: got %v, want an error wrapping ErrSnapshotCorrupt", i, err)
			}
		}
	})
	t.Run("reader error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		_, err := fsm.ReadSnapshot(io.MultiReader(bytes.NewReader(b[:40]), iotestErrReader{boom}))
		if !errors.Is(err, fsm.ErrSnapshotCorrupt) {
			t.Errorf("ReadSnapshot: got %v, want an error wrapping ErrSnapshotCorrupt", err)
		}
	})
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestFSMSnapshot_Persist(t *testing.T) {
	stores := []struct {
		name  string
		store func(t *testing.T) raft.SnapshotStore
	}{
		{"inmem", func(*testing.T) raft.SnapshotStore { return raft.NewInmemSnapshotStore() }},
		{"file", func(t *testing.T) raft.SnapshotStore {
			s, err := raft.NewFileSnapshotStore(t.TempDir(), 2, io.Discard)
			if err != nil {
				t.Fatalf("NewFileSnapshotStore: %v", err)
			}
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			src, _ := applyOneByOne(t, randomLogs(t, 11, 300))
			store := st.store(t)
			snap, err := src.Snapshot()
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			// Applying after Snapshot must not leak into what Persist writes.
			want := snapshotBytes(t, src.State())
			src.Apply(logEntry(t, 10_000, createWS("after-snapshot", 10_000)))

			idx := src.State().Index()
			sink, err := store.Create(raft.SnapshotVersionMax, idx, 1, raft.Configuration{}, 1, nil)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if err := snap.Persist(sink); err != nil {
				t.Fatalf("Persist: %v", err)
			}
			snap.Release()

			metas, err := store.List()
			if err != nil || len(metas) != 1 {
				t.Fatalf("List: got %d snapshots, %v; want 1", len(metas), err)
			}
			_, rc, err := store.Open(metas[0].ID)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("reading the stored snapshot: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stored snapshot differs from the state at Snapshot time (%d vs %d bytes)", len(got), len(want))
			}
			_, rc, err = store.Open(metas[0].ID)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			dst := fsm.New(fsm.Options{})
			if err := dst.Restore(rc); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if _, ok := dst.State().Workspace("after-snapshot"); ok {
				t.Errorf("restored state holds a workspace created after Snapshot")
			}
			if !bytes.Equal(snapshotBytes(t, dst.State()), want) {
				t.Errorf("restored state writes a different snapshot")
			}
		})
	}
}

// failingSink fails every write after the first limit bytes.
type failingSink struct {
	limit     int
	cancelled bool
	closed    bool
}

func (s *failingSink) Write(p []byte) (int, error) {
	if len(p) > s.limit {
		n := s.limit
		s.limit = 0
		return n, errors.New("disk full")
	}
	s.limit -= len(p)
	return len(p), nil
}
func (s *failingSink) Close() error  { s.closed = true; return nil }
func (s *failingSink) ID() string    { return "failing" }
func (s *failingSink) Cancel() error { s.cancelled = true; return nil }

func TestFSMSnapshot_Persist_writeError(t *testing.T) {
	f, _ := applyOneByOne(t, randomLogs(t, 12, 3000))
	size := len(snapshotBytes(t, f.State()))
	for _, limit := range []int{0, 10, size / 2, size - 1} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			snap, _ := f.Snapshot()
			sink := &failingSink{limit: limit}
			if err := snap.Persist(sink); err == nil {
				t.Errorf("Persist: got nil, want the write error")
			}
			if !sink.cancelled || sink.closed {
				t.Errorf("sink: got cancelled %v closed %v, want cancelled and not closed", sink.cancelled, sink.closed)
			}
		})
	}
}

// renderSnap prints a snapshot stream one record a line, so that a change
// of the format shows up as a readable diff of the golden file.
func renderSnap(tb testing.TB, b []byte) string {
	tb.Helper()
	sf := parseSnap(tb, b)
	var sb strings.Builder
	fmt.Fprintf(&sb, "magic %q\nversion %d\n", sf.magic, sf.version)
	for _, r := range sf.records {
		kind, ok := recordKinds[r.kind]
		if !ok {
			kind = fmt.Sprintf("kind-%d", r.kind)
		}
		fmt.Fprintf(&sb, "%s %s\n", kind, r.payload)
	}
	fmt.Fprintf(&sb, "end sha256 %x\n", sf.sum)
	return sb.String()
}

// unrenderSnap turns a rendered snapshot back into the stream.
func unrenderSnap(tb testing.TB, text string) []byte {
	tb.Helper()
	kinds := map[string]byte{}
	for k, v := range recordKinds {
		kinds[v] = k
	}
	var sf snapFile
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		word, rest, _ := strings.Cut(sc.Text(), " ")
		switch word {
		case "magic":
			m, err := strconv.Unquote(rest)
			if err != nil {
				tb.Fatalf("golden magic %q: %v", rest, err)
			}
			sf.magic = m
		case "version":
			v, err := strconv.ParseUint(rest, 10, 16)
			if err != nil {
				tb.Fatalf("golden version %q: %v", rest, err)
			}
			sf.version = uint16(v)
		case "end":
			sum, err := hex.DecodeString(strings.TrimPrefix(rest, "sha256 "))
			if err != nil {
				tb.Fatalf("golden checksum: %v", err)
			}
			sf.sum = sum
		default:
			k, ok := kinds[word]
			if !ok {
				tb.Fatalf("golden line of unknown kind %q", word)
			}
			sf.records = append(sf.records, snapRecord{k, []byte(rest)})
		}
	}
	b := sf.bytes()
	if !bytes.Equal(b[len(b)-sha256.Size:], sf.sum) {
		tb.Fatalf("golden checksum %x does not match its records (%x)", sf.sum, b[len(b)-sha256.Size:])
	}
	return b
}

// TestState_WriteSnapshot_golden pins the snapshot format. A failure here
// means the bytes of a snapshot changed: that needs a new format version
// (old snapshots must stay readable), not just -update.
func TestState_WriteSnapshot_golden(t *testing.T) {
	path := filepath.Join("testdata", "snapshot_v1.golden")
	b := snapshotBytes(t, smallState(t))
	got := renderSnap(t, b)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	want := string(raw)
	if got != want {
		t.Errorf("snapshot format changed (run go test ./fsm -run WriteSnapshot_golden -update to accept):\ngot\n%s\nwant\n%s", got, want)
	}
	t.Run("golden still reads", func(t *testing.T) {
		old := unrenderSnap(t, want)
		s, err := fsm.ReadSnapshot(bytes.NewReader(old))
		if err != nil {
			t.Fatalf("ReadSnapshot(golden): %v", err)
		}
		sameAnswers(t, s, smallState(t))
		if again := snapshotBytes(t, s); !bytes.Equal(again, old) {
			t.Errorf("rewriting the golden snapshot changed its bytes")
		}
	})
}

func TestState_Digest(t *testing.T) {
	a := newInitialized(t)
	empty := fsm.New(fsm.Options{}).State().Digest()
	if len(empty) != 64 {
		t.Errorf("Digest: got %q, want 64 hex digits", empty)
	}
	d1 := a.state().Digest()
	if d1 == empty {
		t.Errorf("Digest after Init: got the empty state's digest")
	}
	a.f.Apply(&raft.Log{Index: 50, Type: raft.LogNoop})
	if d2 := a.state().Digest(); d2 != d1 {
		t.Errorf("Digest moved with the index alone: got %s, want %s", d2, d1)
	}
	a.ok(createWS("x", 1))
	if d3 := a.state().Digest(); d3 == d1 {
		t.Errorf("Digest did not move after a create")
	}
}
