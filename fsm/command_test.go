package fsm_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/wsd-dev/wsd/fsm"
)

// exampleCommands holds one fully populated command of every type.
func exampleCommands() []fsm.Command {
	caller := &fsm.Caller{ID: "sub-1", Email: "alice@example.com", Groups: []string{"ml", "ops"}}
	return []fsm.Command{
		&fsm.Init{DefaultID: "d", SystemID: "s", At: at(1), By: "boot", AdminPrincipal: "root"},
		&fsm.CreateWorkspace{ID: "u", Name: "ml-team", Description: ptr("Machine Learning <Team> & co"), At: at(2), By: "alice", Caller: caller},
		&fsm.UpdateWorkspace{Name: "ml-team", Description: ptr("é"), DescriptionSet: true, At: at(3), By: "bob", Caller: caller},
		&fsm.DeleteWorkspace{Name: "ml-team", At: at(4), By: "carol", Caller: caller},
		&fsm.AcquireRef{Workspace: "ml-team", EntityType: "models", EntityName: "llama/3 \"8b\"", Project: "p", At: at(5), By: "svc", Caller: caller},
		&fsm.ReleaseRef{Workspace: "ml-team", EntityType: "models", EntityName: "llama/3", At: at(6), By: "svc", Caller: caller},
		&fsm.CreateProject{ID: "p-1", Workspace: "ml-team", Name: "p", Description: ptr("d"), At: at(7), By: "alice", Caller: caller},
		&fsm.UpdateProject{Workspace: "ml-team", Name: "p", DescriptionSet: true, At: at(8), By: "alice", Caller: caller},
		&fsm.DeleteProject{Workspace: "ml-team", Name: "p", At: at(9), By: "alice", Caller: caller},
		&fsm.AddMember{Workspace: "ml-team", Principal: "bob", Roles: []string{"Editor"}, At: at(10), By: "alice", Caller: caller},
		&fsm.SetMemberRoles{Workspace: "ml-team", Principal: "bob", Roles: []string{"Admin", "Viewer"}, At: at(11), By: "alice", Caller: caller},
		&fsm.RemoveMember{Workspace: "ml-team", Principal: "bob", At: at(12), By: "alice"},
		&fsm.Restored{SnapshotIndex: 4107, Digest: "abc", At: at(14), By: "root"},
		&fsm.ClusterSettings{ClusterID: "6f1c2a8e-3b7d-4c59-9e2f-0a1b2c3d4e5f", AuthMode: "oidc"},
	}
}

func TestEncode_roundTrip(t *testing.T) {
	seen := map[fsm.CommandType]bool{}
	for _, c := range exampleCommands() {
		t.Run(c.Type().String(), func(t *testing.T) {
			seen[c.Type()] = true
			b := mustEncode(t, c)
			if want := []byte{fsm.EnvelopeVersion, byte(c.Type()), fsm.SupportedVersion(c.Type())}; !bytes.Equal(b[:3], want) {
				t.Errorf("header: got % x, want % x", b[:3], want)
			}
			if bytes.HasSuffix(b, []byte("\n")) {
				t.Errorf("entry ends in a newline: %q", b)
			}
			got, err := fsm.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("Decode(Encode(c)):\ngot  %#v\nwant %#v", got, c)
			}
			if again := mustEncode(t, got); !bytes.Equal(again, b) {
				t.Errorf("second Encode:\ngot  %s\nwant %s", again, b)
			}
		})
	}
	// Every type this binary knows has an example above.
	for ct := fsm.CommandType(0); ct < fsm.IgnoreUnknownFlag; ct++ {
		if fsm.SupportedVersion(ct) != 0 && !seen[ct] {
			t.Errorf("command type %d (%s) has no example in exampleCommands", ct, ct)
		}
	}
}

type strangeCommand struct{}

func (strangeCommand) Type() fsm.CommandType { return 99 }

func TestEncode_unknownType(t *testing.T) {
	if b, err := fsm.Encode(strangeCommand{}); err == nil {
		t.Errorf("Encode(type 99): got %q, nil; want an error", b)
	}
}

func TestCommandType_String(t *testing.T) {
	tests := []struct {
		t    fsm.CommandType
		want string
	}{
		{fsm.InitType, "init"},
		{fsm.CreateWorkspaceType, "create_workspace"},
		{fsm.RemoveMemberType, "remove_member"},
		{fsm.CreateWorkspaceType | fsm.IgnoreUnknownFlag, "create_workspace"},
		{99, "type_99"},
		{0, "type_0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("String: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecode_refused(t *testing.T) {
	valid := mustEncode(t, createWS("x", 1))
	payload := string(valid[3:])
	next := fsm.SupportedVersion(fsm.CreateWorkspaceType) + 1
	tests := []struct {
		name      string
		entry     []byte
		unknown   bool // *UnknownCommandError
		ignorable bool
	}{
		{"empty", nil, false, false},
		{"one byte", []byte{1}, false, false},
		{"two bytes", []byte{1, 2}, false, false},
		{"header only", []byte{1, 2, 1}, false, false},
		{"unknown type", []byte("\x01\x63\x01{}"), true, false},
		{"type zero", []byte("\x01\x00\x01{}"), true, false},
		{"unknown type ignorable", []byte("\x01\xe3\x01{}"), true, true},
		{"newer version of a known type", append([]byte{1, byte(fsm.CreateWorkspaceType), next}, payload...), true, false},
		{"version zero", append([]byte{1, byte(fsm.CreateWorkspaceType), 0}, payload...), true, false},
		{"newer envelope", append([]byte{3, byte(fsm.CreateWorkspaceType), 1}, payload...), true, false},
		{"envelope zero", append([]byte{0, byte(fsm.CreateWorkspaceType), 1}, payload...), true, false},
		{"unknown field", []byte("\x01\x02\x01" + strings.Replace(payload, `"name"`, `"surprise":1,"name"`, 1)), false, false},
		{"not json", []byte("\x01\x02\x01not json"), false, false},
		{"truncated payload", valid[:len(valid)-1], false, false},
		{"trailing value", []byte("\x01\x02\x01" + payload + ` {}`), false, false},
		{"trailing brace", []byte("\x01\x02\x01" + payload + `}`), false, false},
		{"trailing bracket", []byte("\x01\x02\x01" + payload + `]`), false, false},
		{"wrong field type", []byte("\x01\x02\x01" + strings.Replace(payload, `"name":"x"`, `"name":7`, 1)), false, false},
		{"bad time", []byte("\x01\x02\x01" + strings.Replace(payload, `"at":"`, `"at":"yesterday`, 1)), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fsm.Decode(tt.entry)
			if err == nil {
				t.Fatalf("Decode(%q): got %#v, nil; want an error", tt.entry, c)
			}
			var u *fsm.UnknownCommandError
			if got := errors.As(err, &u); got != tt.unknown {
				t.Fatalf("Decode(%q) error %v: *UnknownCommandError got %v, want %v", tt.entry, err, got, tt.unknown)
			}
			if tt.unknown && u.Ignorable() != tt.ignorable {
				t.Errorf("Ignorable: got %v, want %v", u.Ignorable(), tt.ignorable)
			}
		})
	}
}

func TestDecode_tolerated(t *testing.T) {
	valid := mustEncode(t, createWS("x", 1))
	tests := []struct {
		name  string
		entry []byte
	}{
		{"trailing whitespace", append(bytes.Clone(valid), " \n\t"...)},
		{"missing optional fields", []byte(`` + "\x01\x02\x01" + `{"name":"x"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fsm.Decode(tt.entry); err != nil {
				t.Errorf("Decode(%q): got %v, want no error", tt.entry, err)
			}
		})
	}
}

// mustPanic runs f and returns the value it panicked with.
func mustPanic(t *testing.T, f func()) (v any) {
	t.Helper()
	defer func() {
		v = recover()
		if v == nil {
			t.Errorf("got no panic, want one")
		}
	}()
	f()
	return nil
}

func TestFSM_Apply_undecodablePanics(t *testing.T) {
	newer := mustEncode(t, createWS("x", 1))
	newer[2] = fsm.SupportedVersion(fsm.CreateWorkspaceType) + 1
	tests := []struct {
		name string
		data []byte
	}{
		{"unknown type", []byte("\x01\x63\x01{}")},
		{"newer version", newer},
		{"unknown field", []byte("\x01\x02\x01{\"bogus\":1}")},
		{"short", []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fsm.New(fsm.Options{})
			v := mustPanic(t, func() {
				f.Apply(&raft.Log{Index: 4711, Term: 1, Type: raft.LogCommand, Data: tt.data})
			})
			if msg := fmt.Sprint(v); !strings.Contains(msg, "4711") {
				t.Errorf("panic message: got %q, want it to name index 4711", msg)
			}
		})
	}
}

func TestFSM_Apply_ignorableUnknown(t *testing.T) {
	a := newInitialized(t)
	a.ok(createWS("ws", 1))
	before := a.state().Digest()
	tests := []struct {
		name string
		data []byte
	}{
		{"unknown type", []byte("\x01\xe3\x01{\"whatever\":true}")},
		{"unknown type, newer version", []byte("\x01\xe3\x09anything")},
		{"newer envelope", []byte("\x03\xe3\x01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.T(t)
			idx := a.next()
			r := toResult(t, a.f.Apply(&raft.Log{Index: idx, Term: 1, Type: raft.LogCommand, Data: tt.data}))
			wantCode(t, r.Err, fsm.CodeUnsupported)
			if !errors.Is(r.Err, fsm.ErrUnsupported) {
				t.Errorf("errors.Is(%v, ErrUnsupported): got false, want true", r.Err)
			}
			if r.Index != idx {
				t.Errorf("Result.Index: got %d, want %d", r.Index, idx)
			}
			if got := a.state().Index(); got != idx {
				t.Errorf("State.Index: got %d, want %d", got, idx)
			}
			if got := a.state().Digest(); got != before {
				t.Errorf("digest: got %s, want %s", got, before)
			}
		})
	}
}

// The flag only matters when the type is not understood: a known type and
// version carrying it is applied.
func TestFSM_Apply_knownTypeWithIgnoreFlag(t *testing.T) {
	a := newInitialized(t)
	data := mustEncode(t, createWS("flagged", 1))
	data[1] |= byte(fsm.IgnoreUnknownFlag)
	c, err := fsm.Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if c.Type() != fsm.CreateWorkspaceType {
		t.Errorf("Type: got %s, want %s", c.Type(), fsm.CreateWorkspaceType)
	}
	r := toResult(t, a.f.Apply(&raft.Log{Index: a.next(), Term: 1, Type: raft.LogCommand, Data: data}))
	if r.Err != nil || !r.Created {
		t.Errorf("Apply: got %+v, want the workspace created", r)
	}
	t.Run("newer version is skipped", func(t *testing.T) {
		a := a.T(t)
		data := mustEncode(t, createWS("newer", 2))
		data[1] |= byte(fsm.IgnoreUnknownFlag)
		data[2] = fsm.SupportedVersion(fsm.CreateWorkspaceType) + 1
		before := a.state().Digest()
		r := toResult(t, a.f.Apply(&raft.Log{Index: a.next(), Term: 1, Type: raft.LogCommand, Data: data}))
		wantCode(t, r.Err, fsm.CodeUnsupported)
		if got := a.state().Digest(); got != before {
			t.Errorf("digest: got %s, want %s", got, before)
		}
	})
}

func TestFSM_Apply_nonCommandEntries(t *testing.T) {
	a := newInitialized(t)
	before := a.state().Digest()
	for _, typ := range []raft.LogType{raft.LogConfiguration, raft.LogNoop, raft.LogBarrier} {
		t.Run(typ.String(), func(t *testing.T) {
			a := a.T(t)
			idx := a.next()
			if got := a.f.Apply(&raft.Log{Index: idx, Term: 2, Type: typ, Data: []byte("not a command")}); got != nil {
				t.Errorf("Apply: got %v, want nil", got)
			}
			if got := a.state().Index(); got != idx {
				t.Errorf("State.Index: got %d, want %d", got, idx)
			}
			if got := a.state().Digest(); got != before {
				t.Errorf("digest: got %s, want %s", got, before)
			}
		})
	}
	t.Run("in a batch", func(t *testing.T) {
		a := a.T(t)
		i1, i2, i3 := a.next(), a.next(), a.next()
		out := a.f.ApplyBatch([]*raft.Log{
			logEntry(t, i1, createWS("b1", 5)),
			{Index: i2, Term: 2, Type: raft.LogConfiguration},
			logEntry(t, i3, createWS("b2", 5)),
		})
		if len(out) != 3 || out[1] != nil {
			t.Fatalf("ApplyBatch: got %v, want three results with nil in the middle", out)
		}
		for _, i := range []int{0, 2} {
			if r := toResult(t, out[i]); r.Err != nil || !r.Created {
				t.Errorf("result %d: got %+v, want created", i, r)
			}
		}
		if got := a.state().Index(); got != i3 {
			t.Errorf("State.Index: got %d, want %d", got, i3)
		}
	})
}

func TestFSM_Apply_indexNeverMovesBack(t *testing.T) {
	a := newInitialized(t)
	a.f.Apply(&raft.Log{Index: 10, Type: raft.LogNoop})
	a.f.Apply(&raft.Log{Index: 5, Type: raft.LogNoop})
	if got := a.state().Index(); got != 10 {
		t.Errorf("State.Index: got %d, want 10", got)
	}
}

type countingObserver struct{ entries, calls int }

func (o *countingObserver) ObserveApply(entries int, _ time.Duration) {
	o.entries += entries
	o.calls++
}

func TestFSM_ApplyBatch_observer(t *testing.T) {
	obs := &countingObserver{}
	f := fsm.New(fsm.Options{Observer: obs})
	f.ApplyBatch([]*raft.Log{logEntry(t, 1, initCmd()), logEntry(t, 2, createWS("a", 1))})
	f.Apply(logEntry(t, 3, createWS("b", 1)))
	if obs.entries != 3 || obs.calls != 2 {
		t.Errorf("observer: got %d entries in %d calls, want 3 in 2", obs.entries, obs.calls)
	}
}
