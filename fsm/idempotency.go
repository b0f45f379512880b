package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Idempotency keys (issue 12).
//
// A write may carry an idempotency key chosen by its caller. The first
// entry with a given (principal, key) is applied and its answer remembered;
// a later entry with the same principal, key and request fingerprint is not
// applied again and gets the first answer (Result.Replayed), so a client
// may repeat a write whose outcome it does not know. The same key with a
// different fingerprint is refused with CodeConflict and changes nothing.
//
// Keys are remembered for IdempotencyWindow log entries and at most
// IdempotencyKeys of them: applying a keyed entry first forgets every key
// recorded IdempotencyWindow or more entries before it and, before it
// records a new key, the oldest while IdempotencyKeys are held. Both depend only on log indexes,
// so every replica forgets the same keys at the same entry; a lookup also
// ignores a key outside the window, whenever eviction last ran.
//
// In the log a keyed write is envelope version 2 (KeyedEnvelopeVersion),
// used only when a key is present: a node that knows only envelope 1
// refuses it instead of applying it twice. Snapshots holding keys are
// format version 3; without keys they stay version 1 or 2, byte for byte.
const (
	// KeyedEnvelopeVersion is the envelope of a write carrying a key.
	KeyedEnvelopeVersion = 2
	// IdempotencyKeys is the most keys remembered.
	IdempotencyKeys = 10000
	// IdempotencyWindow is how many log entries a key is remembered for.
	IdempotencyWindow = 100000
	// MaxIdempotencyKeyLen bounds a key's length.
	MaxIdempotencyKeyLen = 128
	maxFingerprintLen    = 128
)

// ValidateIdempotencyKey returns "" when key is acceptable, else what is
// wrong with it: 1 to 128 characters from A-Z a-z 0-9 and - _ . : + / =
// (UUIDs, ULIDs and base64 fit).
func ValidateIdempotencyKey(key string) string {
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return fmt.Sprintf("should have 1 to %d characters", MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '+', c == '/', c == '=':
		default:
			return "should only hold letters, digits and - _ . : + / ="
		}
	}
	return ""
}

// Keyed wraps a write command with the idempotency key its caller chose.
// Principal scopes the key (two callers never share keys; "" when
// authentication is off) and Fingerprint identifies the request the key
// was first used for (the HTTP layer hashes method, path and body: a
// retried request gets new ids and timestamps but the same fingerprint).
type Keyed struct {
	Key         string  `json:"key"`
	Principal   string  `json:"principal"`
	Fingerprint string  `json:"fingerprint"`
	Command     Command `json:"-"`
}

// Type implements Command: the wrapped command's type.
func (k *Keyed) Type() CommandType { return k.Command.Type() }

func (k *Keyed) validate() error {
	if msg := ValidateIdempotencyKey(k.Key); msg != "" {
		return fmt.Errorf("idempotency key %q %s", k.Key, msg)
	}
	if k.Fingerprint == "" || len(k.Fingerprint) > maxFingerprintLen {
		return fmt.Errorf("fingerprint of %d bytes (want 1 to %d)", len(k.Fingerprint), maxFingerprintLen)
	}
	if k.Command == nil {
		return errors.New("no command")
	}
	if _, nested := k.Command.(*Keyed); nested {
		return errors.New("nested keyed command")
	}
	return nil
}

// encodeKeyed writes the envelope-2 form:
//
//	byte 0   KeyedEnvelopeVersion
//	byte 1   command type, byte 2 command version (as in envelope 1)
//	uvarint  length of the key header, then the key header (JSON: key,
//	         principal, fingerprint)
//	rest     the command's JSON payload, as in envelope 1
func encodeKeyed(k *Keyed) ([]byte, error) {
	if err := k.validate(); err != nil {
		return nil, fmt.Errorf("fsm: encode keyed: %w", err)
	}
	inner, err := Encode(k.Command)
	if err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(inner) + len(hdr) + binary.MaxVarintLen64)
	buf.Write([]byte{KeyedEnvelopeVersion, inner[1], inner[2]})
	buf.Write(binary.AppendUvarint(nil, uint64(len(hdr))))
	buf.Write(hdr)
	buf.Write(inner[3:])
	return buf.Bytes(), nil
}

// decodeKeyed parses the envelope-2 form; b[0] is KeyedEnvelopeVersion.
func decodeKeyed(b []byte) (Command, error) {
	t, v := CommandType(b[1]), b[2]
	if newCommand(t&^IgnoreUnknownFlag, v) == nil {
		// Refused (or skipped, when marked) like any unknown command,
		// before its key header is even looked at.
		return nil, &UnknownCommandError{Envelope: KeyedEnvelopeVersion, Type: t, Version: v}
	}
	n, w := binary.Uvarint(b[3:])
	if w <= 0 || n > uint64(len(b)-3-w) {
		return nil, fmt.Errorf("fsm: decode keyed %s v%d: bad key header length", t, v)
	}
	hdr := b[3+w : 3+w+int(n)]
	k := &Keyed{}
	if err := decodeStrict(hdr, k); err != nil {
		return nil, fmt.Errorf("fsm: decode keyed %s v%d: key header: %w", t, v, err)
	}
	inner := make([]byte, 0, 3+len(b)-3-w-int(n))
	inner = append(inner, EnvelopeVersion, b[1], b[2])
	inner = append(inner, b[3+w+int(n):]...)
	c, err := Decode(inner)
	if err != nil {
		return nil, err
	}
	k.Command = c
	if err := k.validate(); err != nil {
		return nil, fmt.Errorf("fsm: decode keyed %s v%d: %w", t, v, err)
	}
	return k, nil
}

// idemRecord is one remembered key with the answer it got. Its values are
// immutable once stored.
type idemRecord struct {
	Principal   string       `json:"principal"`
	Key         string       `json:"key"`
	Fingerprint string       `json:"fingerprint"`
	Index       uint64       `json:"index"`
	At          time.Time    `json:"at"`
	Created     bool         `json:"created,omitempty"`
	Workspace   *Workspace   `json:"workspace,omitempty"`
	Project     *Project     `json:"project,omitempty"`
	Ref         *EntityRef   `json:"ref,omitempty"`
	Member      *RoleBinding `json:"member,omitempty"`
	Err         *idemError   `json:"error,omitempty"`
}

// idemError is a remembered domain refusal.
type idemError struct {
	Code  Code   `json:"code"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"msg"`
}

func lessIdemKey(a, b *idemRecord) bool {
	if a.Principal != b.Principal {
		return a.Principal < b.Principal
	}
	return a.Key < b.Key
}

func lessIdemIndex(a, b *idemRecord) bool { return a.Index < b.Index }

// applyKeyed applies a keyed write at log index idx: once per key.
func (s *State) applyKeyed(idx uint64, k *Keyed) Result {
	s.evictKeys(idx, false)
	if rec, ok := s.idemByKey.Get(&idemRecord{Principal: k.Principal, Key: k.Key}); ok && rec.Index+IdempotencyWindow > idx {
		if rec.Fingerprint != k.Fingerprint {
			return Result{Err: errorf(CodeConflict,
				"Idempotency-Key '%s' was already used for a different request (at log index %d); use a new key for a new request", k.Key, rec.Index)}
		}
		return rec.result()
	}
	r := s.apply(idx, k.Command)
	rec := &idemRecord{
		Principal: k.Principal, Key: k.Key, Fingerprint: k.Fingerprint, Index: idx, At: commandAt(k.Command), Created: r.Created,
		Workspace: r.Workspace, Project: r.Project, Ref: r.Ref, Member: r.Member,
	}
	var fe *Error
	if errors.As(r.Err, &fe) {
		rec.Err = &idemError{Code: fe.Code, Field: fe.Field, Msg: fe.Msg}
	}
	s.evictKeys(idx, true)
	s.putIdem(rec)
	return r
}

// result is the remembered answer, marked as a replay.
func (rec *idemRecord) result() Result {
	r := Result{Workspace: rec.Workspace, Project: rec.Project, Ref: rec.Ref, Member: rec.Member, Created: rec.Created, Replayed: true, At: rec.At}
	if rec.Err != nil {
		r.Err = &Error{Code: rec.Err.Code, Field: rec.Err.Field, Msg: rec.Err.Msg}
	}
	return r
}

// commandAt is the time decided for c before it was proposed.
func commandAt(c Command) time.Time {
	switch c := c.(type) {
	case *Init:
		return c.At
	case *CreateWorkspace:
		return c.At
	case *UpdateWorkspace:
		return c.At
	case *DeleteWorkspace:
		return c.At
	case *AcquireRef:
		return c.At
	case *ReleaseRef:
		return c.At
	case *CreateProject:
		return c.At
	case *UpdateProject:
		return c.At
	case *DeleteProject:
		return c.At
	case *AddMember:
		return c.At
	case *SetMemberRoles:
		return c.At
	case *RemoveMember:
		return c.At
	}
	return time.Time{}
}

func (s *State) putIdem(rec *idemRecord) {
	if old, ok := s.idemByKey.Get(rec); ok {
		s.idemByIndex.Delete(old)
	}
	s.idemByKey.Set(rec)
	s.idemByIndex.Set(rec)
}

// evictKeys forgets the keys outside the window of idx and, when room is
// needed for one more, the oldest while the table is full.
func (s *State) evictKeys(idx uint64, room bool) {
	for {
		oldest, ok := s.idemByIndex.Min()
		if !ok {
			return
		}
		if oldest.Index+IdempotencyWindow > idx && (!room || s.idemByIndex.Len() < IdempotencyKeys) {
			return
		}
		s.idemByIndex.Delete(oldest)
		s.idemByKey.Delete(oldest)
	}
}

// IdempotencyKeyCount is the number of keys remembered.
func (s *State) IdempotencyKeyCount() int { return s.idemByKey.Len() }

// restoreIdem validates one snapshot record of a remembered key.
func (s *State) restoreIdem(b []byte) error {
	rec := &idemRecord{}
	if err := decodeStrict(b, rec); err != nil {
		return err
	}
	if msg := ValidateIdempotencyKey(rec.Key); msg != "" {
		return fmt.Errorf("idempotency key %q %s", rec.Key, msg)
	}
	if rec.Index == 0 || rec.Fingerprint == "" {
		return fmt.Errorf("idempotency key %q without index or fingerprint", rec.Key)
	}
	if _, dup := s.idemByKey.Get(rec); dup {
		return fmt.Errorf("idempotency key %q appears twice", rec.Key)
	}
	if _, dup := s.idemByIndex.Get(rec); dup {
		return fmt.Errorf("two idempotency keys at index %d", rec.Index)
	}
	s.putIdem(rec)
	return nil
}
