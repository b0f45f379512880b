package fsm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Snapshot stream format, versions 1 to 3:
//
//	magic    8 bytes  "WSDSNAP\n"
//	version  2 bytes  big endian, SnapshotVersion
//	records  kind (1 byte), payload length (uvarint), JSON payload
//	         the first record is recMeta; then every workspace, project,
//	         reference and role binding in key order
//	         (version 3 only: then every remembered idempotency key,
//	         recIdem, in (principal, key) order)
//	trailer  kind recEnd, then the SHA-256 of every byte up to and
//	         including recEnd
//
// Version 2 adds the cluster settings (cluster_id, auth_mode) to the meta
// record. A state without cluster settings is written as version 1, byte
// for byte what older binaries wrote and read; a state with them as
// version 2, which older binaries refuse instead of dropping the settings.
//
// The format is streamed in both directions: neither side holds the whole
// snapshot in one buffer. Records are written in key order and JSON objects
// have a fixed field order, so one state always yields the same bytes.
//
// Version 3 adds recIdem records and the meta's "keys" count (cluster
// settings optional). A state that remembers no idempotency key is written
// as version 1 or 2 as above, byte for byte as before; one that does is
// version 3, which binaries reading only versions 1 and 2 refuse.
const (
	snapshotMagic   = "WSDSNAP\n"
	SnapshotVersion = 3
	// snapshotV1 is written for a state with neither cluster settings nor
	// idempotency keys, snapshotV2 for one with cluster settings and no
	// keys; SnapshotVersion (3) for one with keys (settings optional).
	snapshotV1 = 1
	snapshotV2 = 2

	recMeta      byte = 1
	recWorkspace byte = 2
	recRef       byte = 3
	recRole      byte = 4
	recProject   byte = 5
	recIdem      byte = 6
	recEnd       byte = 0xFF

	maxRecordLen = 1 << 20
)

type snapshotMeta struct {
	Index       uint64 `json:"index"`
	Initialized bool   `json:"initialized"`
	Workspaces  int    `json:"workspaces"`
	Projects    int    `json:"projects"`
	Refs        int    `json:"refs"`
	Roles       int    `json:"roles"`
	Keys        int    `json:"keys,omitempty"`
	ClusterID   string `json:"cluster_id,omitempty"`
	AuthMode    string `json:"auth_mode,omitempty"`
}

// ErrSnapshotCorrupt wraps every reason a snapshot stream is refused.
var ErrSnapshotCorrupt = errors.New("snapshot refused")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSnapshotCorrupt, fmt.Sprintf(format, args...))
}

type snapshotWriter struct {
	w    *bufio.Writer
	h    hash.Hash
	hdr  [1 + binary.MaxVarintLen64]byte
	body bytes.Buffer
	enc  *json.Encoder
	err  error
}

func (sw *snapshotWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	sw.h.Write(b)
	_, sw.err = sw.w.Write(b)
}

func (sw *snapshotWriter) record(kind byte, v any) {
	if sw.err != nil {
		return
	}
	sw.body.Reset()
	if err := sw.enc.Encode(v); err != nil {
		sw.err = err
		return
	}
	payload := bytes.TrimSuffix(sw.body.Bytes(), []byte{'\n'})
	sw.hdr[0] = kind
	n := binary.PutUvarint(sw.hdr[1:], uint64(len(payload)))
	sw.write(sw.hdr[:1+n])
	sw.write(payload)
}

// WriteSnapshot streams the state in the snapshot format.
func (s *State) WriteSnapshot(w io.Writer) error {
	return s.writeSnapshot(w, s.index)
}

func (s *State) writeSnapshot(w io.Writer, index uint64) error {
	sw := &snapshotWriter{w: bufio.NewWriterSize(w, 64<<10), h: sha256.New()}
	sw.enc = json.NewEncoder(&sw.body)
	version := snapshotV1
	switch {
	case s.idemByKey.Len() > 0:
		version = SnapshotVersion
	case s.clusterID != "":
		version = snapshotV2
	}
	sw.write([]byte(snapshotMagic))
	sw.write([]byte{byte(version >> 8), byte(version & 0xff)})
	sw.record(recMeta, snapshotMeta{
		Index: index, Initialized: s.initialized,
		Workspaces: s.wsByName.Len(), Projects: s.projByName.Len(), Refs: s.refs.Len(), Roles: s.roles.Len(),
		Keys: s.idemByKey.Len(), ClusterID: s.clusterID, AuthMode: s.authMode,
	})
	s.wsByName.Scan(func(v *Workspace) bool { sw.record(recWorkspace, v); return sw.err == nil })
	s.projByName.Scan(func(v *Project) bool { sw.record(recProject, v); return sw.err == nil })
	s.refs.Scan(func(v *EntityRef) bool { sw.record(recRef, v); return sw.err == nil })
	s.roles.Scan(func(v *RoleBinding) bool { sw.record(recRole, v); return sw.err == nil })
	s.idemByKey.Scan(func(v *idemRecord) bool { sw.record(recIdem, v); return sw.err == nil })
	if sw.err != nil {
		return sw.err
	}
	sw.write([]byte{recEnd})
	if sw.err != nil {
		return sw.err
	}
	if _, err := sw.w.Write(sw.h.Sum(nil)); err != nil {
		return err
	}
	return sw.w.Flush()
}

// Digest is a hex SHA-256 of the state's content, independent of the
// applied index, so nodes that applied the same commands compare equal.
func (s *State) Digest() string {
	h := sha256.New()
	if err := s.writeSnapshot(h, 0); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

type hashingReader struct {
	r *bufio.Reader
	h hash.Hash
}

func (hr *hashingReader) ReadByte() (byte, error) {
	b, err := hr.r.ReadByte()
	if err == nil {
		hr.h.Write([]byte{b})
	}
	return b, err
}

func (hr *hashingReader) readFull(b []byte) error {
	if _, err := io.ReadFull(hr.r, b); err != nil {
		return err
	}
	hr.h.Write(b)
	return nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields and
// nothing but white space after it.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More() would miss a stray '}' or ']'; only the end of input will do.
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// ReadSnapshot reads a whole snapshot stream into a new State. It checks the
// magic, the format version, every record, the record counts and the
// checksum, and returns an error wrapping ErrSnapshotCorrupt on any mismatch.
func ReadSnapshot(r io.Reader) (*State, error) {
	hr := &hashingReader{r: bufio.NewReaderSize(r, 64<<10), h: sha256.New()}
	head := make([]byte, len(snapshotMagic)+2)
	if err := hr.readFull(head); err != nil {
		return nil, corrupt("reading header: %v", err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return nil, corrupt("not a wsd snapshot (bad magic)")
	}
	version := int(head[8])<<8 | int(head[9])
	if version < snapshotV1 || version > SnapshotVersion {
		return nil, corrupt("snapshot format version %d is not supported (this binary reads versions %d to %d)", version, snapshotV1, SnapshotVersion)
	}
	s := newState()
	var meta *snapshotMeta
	var buf []byte
	for n := 0; ; n++ {
		kind, err := hr.ReadByte()
		if err != nil {
			return nil, corrupt("record %d: truncated: %v", n, err)
		}
		if kind == recEnd {
			want := hr.h.Sum(nil)
			got := make([]byte, sha256.Size)
			if _, err := io.ReadFull(hr.r, got); err != nil {
				return nil, corrupt("truncated checksum: %v", err)
			}
			if !bytes.Equal(got, want) {
				return nil, corrupt("checksum mismatch")
			}
			if _, err := hr.r.ReadByte(); err != io.EOF {
				return nil, corrupt("trailing data after checksum")
			}
			break
		}
		size, err := binary.ReadUvarint(hr)
		if err != nil {
			return nil, corrupt("record %d: bad length: %v", n, err)
		}
		if size > maxRecordLen {
			return nil, corrupt("record %d: length %d over the %d limit", n, size, maxRecordLen)
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if err := hr.readFull(buf); err != nil {
			return nil, corrupt("record %d: truncated: %v", n, err)
		}
		if n == 0 {
			if kind != recMeta {
				return nil, corrupt("first record is kind %d, want meta", kind)
			}
			meta = &snapshotMeta{}
			if err := decodeStrict(buf, meta); err != nil {
				return nil, corrupt("meta: %v", err)
			}
			if err := meta.checkSettings(version); err != nil {
				return nil, corrupt("meta: %v", err)
			}
			continue
		}
		if kind == recIdem && version < SnapshotVersion {
			return nil, corrupt("record %d: idempotency key in a version %d snapshot", n, version)
		}
		if err := s.restoreRecord(kind, buf); err != nil {
			return nil, corrupt("record %d: %v", n, err)
		}
	}
	if meta == nil {
		return nil, corrupt("no meta record")
	}
	if s.wsByName.Len() != meta.Workspaces || s.projByName.Len() != meta.Projects || s.refs.Len() != meta.Refs || s.roles.Len() != meta.Roles || s.idemByKey.Len() != meta.Keys {
		return nil, corrupt("record counts %d/%d/%d/%d/%d differ from the header's %d/%d/%d/%d/%d",
			s.wsByName.Len(), s.projByName.Len(), s.refs.Len(), s.roles.Len(), s.idemByKey.Len(), meta.Workspaces, meta.Projects, meta.Refs, meta.Roles, meta.Keys)
	}
	s.index, s.initialized = meta.Index, meta.Initialized
	s.clusterID, s.authMode = meta.ClusterID, meta.AuthMode
	return s, nil
}

// checkSettings checks the cluster settings of a meta record: none in
// version 1, a valid id and mode in version 2.
func (m *snapshotMeta) checkSettings(version int) error {
	if version == snapshotV1 {
		if m.ClusterID != "" || m.AuthMode != "" {
			return errors.New("cluster settings in a version 1 snapshot")
		}
		return nil
	}
	if version == SnapshotVersion && m.ClusterID == "" && m.AuthMode == "" {
		return nil // settings are optional beside idempotency keys
	}
	if !ValidClusterID(m.ClusterID) {
		return fmt.Errorf("cluster id %q is not a UUID", m.ClusterID)
	}
	if msg := validAuthMode(m.AuthMode); msg != "" {
		return fmt.Errorf("auth mode %q %s", m.AuthMode, msg)
	}
	return nil
}

// restoreRecord validates one record and adds it to s.
func (s *State) restoreRecord(kind byte, b []byte) error {
	switch kind {
	case recWorkspace:
		w := &Workspace{}
		if err := decodeStrict(b, w); err != nil {
			return err
		}
		if msg := ValidateName(w.Name); msg != "" {
			return fmt.Errorf("workspace name %q %s", w.Name, msg)
		}
		if w.ID == "" {
			return fmt.Errorf("workspace %q has no id", w.Name)
		}
		if _, dup := s.Workspace(w.Name); dup {
			return fmt.Errorf("workspace %q appears twice", w.Name)
		}
		if _, dup := s.WorkspaceByID(w.ID); dup {
			return fmt.Errorf("workspace id %q appears twice", w.ID)
		}
		s.putWorkspace(nil, w)
	case recProject:
		p := &Project{}
		if err := decodeStrict(b, p); err != nil {
			return err
		}
		if msg := ValidateName(p.Name); msg != "" || p.ID == "" {
			return fmt.Errorf("project %q invalid (%s) or without id", p.Name, msg)
		}
		if _, ok := s.Workspace(p.Workspace); !ok {
			return fmt.Errorf("project %q in unknown workspace %q", p.Name, p.Workspace)
		}
		if _, dup := s.Project(p.Workspace, p.Name); dup {
			return fmt.Errorf("project %q appears twice", p.Name)
		}
		if _, dup := s.projByID.Get(p); dup {
			return fmt.Errorf("project id %q appears twice", p.ID)
		}
		s.putProject(nil, p)
		s.addUsage(p.Workspace, ProjectEntityType, 1)
	case recRef:
		r := &EntityRef{}
		if err := decodeStrict(b, r); err != nil {
			return err
		}
		if ValidateEntityType(r.EntityType) != "" || ValidateEntityName(r.EntityName) != "" {
			return fmt.Errorf("invalid entity reference %q/%q", r.EntityType, r.EntityName)
		}
		if _, ok := s.Workspace(r.Workspace); !ok {
			return fmt.Errorf("reference in unknown workspace %q", r.Workspace)
		}
		if _, dup := s.Ref(r.Workspace, r.EntityType, r.EntityName); dup {
			return fmt.Errorf("reference %q/%q appears twice", r.EntityType, r.EntityName)
		}
		if r.Project != "" {
			if _, ok := s.Project(r.Workspace, r.Project); !ok {
				return fmt.Errorf("reference %q/%q names unknown project %q", r.EntityType, r.EntityName, r.Project)
			}
		}
		s.refs.Set(r)
		s.addUsage(r.Workspace, r.EntityType, 1)
		s.addProjectRefs(r.Workspace, r.Project, 1)
	case recIdem:
		return s.restoreIdem(b)
	case recRole:
		rb := &RoleBinding{}
		if err := decodeStrict(b, rb); err != nil {
			return err
		}
		if _, ok := s.Workspace(rb.Workspace); !ok {
			return fmt.Errorf("role binding in unknown workspace %q", rb.Workspace)
		}
		if _, dup := s.roles.Get(rb); dup || rb.Principal == "" {
			return fmt.Errorf("role binding %q invalid or repeated", rb.Principal)
		}
		s.roles.Set(rb)
	default:
		return fmt.Errorf("unknown record kind %d", kind)
	}
	return nil
}
