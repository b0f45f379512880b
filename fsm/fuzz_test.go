package fsm_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

var nameRule = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{
		"", "a", "z", "ml-team", "a-", "-a", "a--b", "A", "aB", "1a", "a1", "a_b", "a.b", "a b", "é", "aé",
		"a\n", "a\x00", strings.Repeat("a", 63), strings.Repeat("a", 64), "a" + strings.Repeat("-", 61) + "b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		msg := fsm.ValidateName(name)
		if got, want := msg == "", nameRule.MatchString(name); got != want {
			t.Errorf("ValidateName(%q) = %q: valid got %v, want %v (by the regexp)", name, msg, got, want)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, c := range exampleCommands() {
		f.Add(mustEncode(f, c))
		f.Add(mustEncode(f, &fsm.Keyed{Key: "k-1", Principal: "alice", Fingerprint: "fp", Command: c}))
	}
	for _, b := range []string{
		"", "\x01", "\x01\x02\x01", "\x01\x02\x01{}", "\x01\x02\x01null", "\x01\x02\x01{}}", "\x01\x63\x01{}",
		"\x01\xe3\x01{}", "\x02\x02\x01{}", "\x01\x02\x02{}", "\x01\x05\x01{\"at\":\"2026-01-01T00:00:00+05:00\"}",
		"\x01\x0a\x01{\"roles\":[],\"caller\":{\"id\":\"x\",\"groups\":[]}}", "\x01\x02\x01{\"NAME\":\"x\",\"name\":\"y\"}",
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := fsm.Decode(b)
		if err != nil {
			if c != nil {
				t.Errorf("Decode(%q): got a command %#v with error %v", b, c, err)
			}
			var u *fsm.UnknownCommandError
			if errors.As(err, &u) && u.Error() == "" {
				t.Errorf("Decode(%q): UnknownCommandError without a message", b)
			}
			return
		}
		if got, want := c.Type(), fsm.CommandType(b[1])&^fsm.IgnoreUnknownFlag; got != want {
			t.Errorf("Decode(%q): type got %d, want %d from the header", b, got, want)
		}
		enc, err := fsm.Encode(c)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)): %v", b, err)
		}
		c2, err := fsm.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))) = Decode(%q): %v", b, enc, err)
		}
		// Equal as commands: the same bytes on the wire. (Field by field,
		// an empty slice may come back nil, and a time in the local zone
		// comes back in UTC.)
		enc2, err := fsm.Encode(c2)
		if err != nil {
			t.Fatalf("second Encode: %v", err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Errorf("round trip of %q not stable:\nfirst  %q\nsecond %q", b, enc, enc2)
		}
	})
}

func FuzzReadSnapshot(f *testing.F) {
	small := snapshotBytes(f, smallState(f))
	f.Add(small)
	f.Add(snapshotBytes(f, fsm.New(fsm.Options{}).State()))
	rf, _ := applyOneByOne(f, randomLogs(f, 5, 30))
	f.Add(snapshotBytes(f, rf.State()))
	f.Add(snapshotBytes(f, keyedState(f))) // format version 2
	f.Add(small[:len(small)/2])
	f.Add([]byte("WSDSNAP\n\x00\x01\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := fsm.ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, fsm.ErrSnapshotCorrupt) {
				t.Errorf("ReadSnapshot: got %v, want an error wrapping ErrSnapshotCorrupt", err)
			}
			if s != nil {
				t.Errorf("ReadSnapshot: got a state with error %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := s.WriteSnapshot(&buf); err != nil {
			t.Fatalf("WriteSnapshot of a state read from %d bytes: %v", len(b), err)
		}
		s2, err := fsm.ReadSnapshot(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("ReadSnapshot of a rewritten snapshot: %v", err)
		}
		if got, want := s2.Digest(), s.Digest(); got != want {
			t.Errorf("digest after rewrite: got %s, want %s", got, want)
		}
		if got, want := s2.Index(), s.Index(); got != want {
			t.Errorf("index after rewrite: got %d, want %d", got, want)
		}
		var buf2 bytes.Buffer
		if err := s2.WriteSnapshot(&buf2); err != nil || !bytes.Equal(buf2.Bytes(), buf.Bytes()) {
			t.Errorf("second rewrite differs from the first (err %v)", err)
		}
	})
}
