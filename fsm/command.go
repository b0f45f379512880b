package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// CommandType identifies a log entry's command. Numbers are only ever
// added, never reused or renumbered: they are written into raft logs and
// snapshots that outlive any binary.
type CommandType uint8

// Command types. Each has its own version; see Versions.
const (
	InitType            CommandType = 1
	CreateWorkspaceType CommandType = 2
	UpdateWorkspaceType CommandType = 3
	DeleteWorkspaceType CommandType = 4
	AcquireRefType      CommandType = 5
	ReleaseRefType      CommandType = 6
	CreateProjectType   CommandType = 7
	UpdateProjectType   CommandType = 8
	DeleteProjectType   CommandType = 9
	AddMemberType       CommandType = 10
	SetMemberRolesType  CommandType = 11
	RemoveMemberType    CommandType = 12
	// ClusterSettingsType is 13, declared in apply_cluster.go.
)

// IgnoreUnknownFlag may be set on a command type by a newer binary for a
// command that older nodes can safely skip. An entry without it whose type
// or version this binary does not know stops the node instead of letting it
// diverge from its peers.
const IgnoreUnknownFlag CommandType = 0x80

// EnvelopeVersion is the version of the log entry envelope itself.
const EnvelopeVersion = 1

// Versions lists the newest version of each command type this binary
// understands. A command is encoded at that version and an entry with a
// newer one is refused.
var versions = map[CommandType]uint8{
	InitType:            1,
	CreateWorkspaceType: 1,
	UpdateWorkspaceType: 1,
	DeleteWorkspaceType: 1,
	AcquireRefType:      1,
	ReleaseRefType:      1,
	CreateProjectType:   1,
	UpdateProjectType:   1,
	DeleteProjectType:   1,
	AddMemberType:       2, // v2 (issue 15): merges into an existing member; JobRunner on system
	SetMemberRolesType:  2, // v2 (issue 15): creates a missing binding; [] removes it; JobRunner on system
	RemoveMemberType:    1,
	RestoredType:        1,
	ClusterSettingsType: 1,
}

// SupportedVersion returns the newest version of t this binary understands,
// or 0 when it does not know t at all.
func SupportedVersion(t CommandType) uint8 { return versions[t] }

func (t CommandType) String() string {
	switch t &^ IgnoreUnknownFlag {
	case InitType:
		return "init"
	case CreateWorkspaceType:
		return "create_workspace"
	case UpdateWorkspaceType:
		return "update_workspace"
	case DeleteWorkspaceType:
		return "delete_workspace"
	case AcquireRefType:
		return "acquire_ref"
	case ReleaseRefType:
		return "release_ref"
	case CreateProjectType:
		return "create_project"
	case UpdateProjectType:
		return "update_project"
	case DeleteProjectType:
		return "delete_project"
	case AddMemberType:
		return "add_member"
	case SetMemberRolesType:
		return "set_member_roles"
	case RemoveMemberType:
		return "remove_member"
	case RestoredType:
		return "restored"
	case ClusterSettingsType:
		return "cluster_settings"
	}
	return fmt.Sprintf("type_%d", uint8(t))
}

// Command is a typed state machine command. Everything non-deterministic
// (ids, timestamps, principals) is a field, filled in before the command is
// proposed; Apply never reads the clock or a random source.
type Command interface {
	Type() CommandType
}

// Init creates the built-in workspaces. It is idempotent: built-ins that
// already exist are left alone.
type Init struct {
	DefaultID string    `json:"default_id"`
	SystemID  string    `json:"system_id"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	// AdminPrincipal, when set, is granted PlatformAdmin on system.
	AdminPrincipal string `json:"admin_principal,omitempty"`
}

// CreateWorkspace creates a workspace; the name must be free.
type CreateWorkspace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Caller      *Caller   `json:"caller,omitempty"`
}

// UpdateWorkspace changes a workspace's description. When DescriptionSet is
// false the description is left as it is and only updated_at/by move.
type UpdateWorkspace struct {
	Name           string    `json:"name"`
	Description    *string   `json:"description"`
	DescriptionSet bool      `json:"description_set"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
	Caller         *Caller   `json:"caller,omitempty"`
}

// DeleteWorkspace deletes an empty, non-built-in workspace.
type DeleteWorkspace struct {
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Caller *Caller   `json:"caller,omitempty"`
}

// AcquireRef registers an entity reference; acquiring one that is already
// held is not an error (Result.Created is false).
type AcquireRef struct {
	Workspace  string    `json:"workspace"`
	EntityType string    `json:"entity_type"`
	EntityName string    `json:"entity_name"`
	Project    string    `json:"project,omitempty"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	Caller     *Caller   `json:"caller,omitempty"`
}

// ReleaseRef removes an entity reference.
type ReleaseRef struct {
	Workspace  string    `json:"workspace"`
	EntityType string    `json:"entity_type"`
	EntityName string    `json:"entity_name"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	Caller     *Caller   `json:"caller,omitempty"`
}

// CreateProject creates a project in an existing workspace; the name must
// be free in that workspace.
type CreateProject struct {
	ID          string    `json:"id"`
	Workspace   string    `json:"workspace"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Caller      *Caller   `json:"caller,omitempty"`
}

// UpdateProject changes a project's description (see UpdateWorkspace).
type UpdateProject struct {
	Workspace      string    `json:"workspace"`
	Name           string    `json:"name"`
	Description    *string   `json:"description"`
	DescriptionSet bool      `json:"description_set"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
	Caller         *Caller   `json:"caller,omitempty"`
}

// DeleteProject deletes a project no entity reference names.
type DeleteProject struct {
	Workspace string    `json:"workspace"`
	Name      string    `json:"name"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Caller    *Caller   `json:"caller,omitempty"`
}

// AddMember grants roles to a principal in a workspace. Version 2 adds
// the roles to an existing member's (version 1 refused an existing member
// with AlreadyExists) and knows JobRunner.
type AddMember struct {
	Workspace string    `json:"workspace"`
	Principal string    `json:"principal"`
	Roles     []string  `json:"roles"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Caller    *Caller   `json:"caller,omitempty"`
	// v1 is set by Decode for an entry written at version 1, which is
	// applied as version 1 applied it.
	v1 bool
}

// SetMemberRoles replaces a principal's roles. Version 2 also sets the
// roles of a principal that holds none yet (version 1: not found), an
// empty list removes the binding (version 1: invalid), and it knows
// JobRunner.
type SetMemberRoles struct {
	Workspace string    `json:"workspace"`
	Principal string    `json:"principal"`
	Roles     []string  `json:"roles"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Caller    *Caller   `json:"caller,omitempty"`
	v1        bool      // as AddMember.v1
}

// versioned is a command whose apply depends on the version its entry
// was written at.
type versioned interface{ decodedAt(v uint8) }

func (c *AddMember) decodedAt(v uint8)      { c.v1 = v == 1 }
func (c *SetMemberRoles) decodedAt(v uint8) { c.v1 = v == 1 }

// RemoveMember removes a principal's binding from a workspace.
type RemoveMember struct {
	Workspace string    `json:"workspace"`
	Principal string    `json:"principal"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Caller    *Caller   `json:"caller,omitempty"`
}

// Type implements Command.
func (*AddMember) Type() CommandType { return AddMemberType }

// Type implements Command.
func (*SetMemberRoles) Type() CommandType { return SetMemberRolesType }

// Type implements Command.
func (*RemoveMember) Type() CommandType { return RemoveMemberType }

// Type implements Command.
func (*CreateProject) Type() CommandType { return CreateProjectType }

// Type implements Command.
func (*UpdateProject) Type() CommandType { return UpdateProjectType }

// Type implements Command.
func (*DeleteProject) Type() CommandType { return DeleteProjectType }

// Type implements Command.
func (*Init) Type() CommandType { return InitType }

// Type implements Command.
func (*CreateWorkspace) Type() CommandType { return CreateWorkspaceType }

// Type implements Command.
func (*UpdateWorkspace) Type() CommandType { return UpdateWorkspaceType }

// Type implements Command.
func (*DeleteWorkspace) Type() CommandType { return DeleteWorkspaceType }

// Type implements Command.
func (*AcquireRef) Type() CommandType { return AcquireRefType }

// Type implements Command.
func (*ReleaseRef) Type() CommandType { return ReleaseRefType }

// newCommand returns an empty command of type t at version v, or nil when
// this binary does not understand that pair.
func newCommand(t CommandType, v uint8) Command {
	if v == 0 || v > versions[t] {
		return nil
	}
	switch t {
	case InitType:
		return &Init{}
	case CreateWorkspaceType:
		return &CreateWorkspace{}
	case UpdateWorkspaceType:
		return &UpdateWorkspace{}
	case DeleteWorkspaceType:
		return &DeleteWorkspace{}
	case AcquireRefType:
		return &AcquireRef{}
	case ReleaseRefType:
		return &ReleaseRef{}
	case CreateProjectType:
		return &CreateProject{}
	case UpdateProjectType:
		return &UpdateProject{}
	case DeleteProjectType:
		return &DeleteProject{}
	case AddMemberType:
		return &AddMember{}
	case SetMemberRolesType:
		return &SetMemberRoles{}
	case RemoveMemberType:
		return &RemoveMember{}
	case RestoredType:
		return &Restored{}
	case ClusterSettingsType:
		return &ClusterSettings{}
	}
	return nil
}

// Encode writes a command into a log entry:
//
//	byte 0   envelope version (EnvelopeVersion)
//	byte 1   command type, with IgnoreUnknownFlag possibly set
//	byte 2   command version
//	byte 3.. JSON payload
//
// A write carrying an idempotency key (*Keyed) is written in envelope
// version 2 instead; see encodeKeyed.
func Encode(c Command) ([]byte, error) {
	if k, ok := c.(*Keyed); ok {
		return encodeKeyed(k)
	}
	t := c.Type()
	v := versions[t]
	if v == 0 {
		return nil, fmt.Errorf("fsm: encode: unknown command type %d", t)
	}
	var buf bytes.Buffer
	buf.Grow(128)
	buf.Write([]byte{EnvelopeVersion, byte(t), v})
	if err := json.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("fsm: encode %s: %w", t, err)
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // drop the encoder's trailing newline
}

// UnknownCommandError reports a log entry this binary does not understand.
type UnknownCommandError struct {
	Envelope uint8
	Type     CommandType
	Version  uint8
}

func (e *UnknownCommandError) Error() string {
	return fmt.Sprintf("fsm: log entry with envelope %d, command %s version %d is not understood by this binary (it knows envelopes %d and %d, %s version %d)",
		e.Envelope, e.Type&^IgnoreUnknownFlag, e.Version, EnvelopeVersion, KeyedEnvelopeVersion, e.Type&^IgnoreUnknownFlag, versions[e.Type&^IgnoreUnknownFlag])
}

// Ignorable reports whether the entry was marked safe to skip.
func (e *UnknownCommandError) Ignorable() bool { return e.Type&IgnoreUnknownFlag != 0 }

// Decode parses a log entry written by Encode. An entry of an unknown
// envelope, type or version yields *UnknownCommandError; a known type whose
// payload does not parse yields a plain error. Decode never panics.
func Decode(b []byte) (Command, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("fsm: decode: entry of %d bytes is shorter than the 3-byte header", len(b))
	}
	env, t, v := b[0], CommandType(b[1]), b[2]
	if env == KeyedEnvelopeVersion {
		return decodeKeyed(b)
	}
	if env != EnvelopeVersion {
		return nil, &UnknownCommandError{Envelope: env, Type: t, Version: v}
	}
	// The flag only says what to do when the type is not understood; a
	// known type carrying it is applied like any other.
	c := newCommand(t&^IgnoreUnknownFlag, v)
	if c == nil {
		return nil, &UnknownCommandError{Envelope: env, Type: t, Version: v}
	}
	if err := decodeStrict(b[3:], c); err != nil {
		return nil, fmt.Errorf("fsm: decode %s v%d: %w", t, v, err)
	}
	if vc, ok := c.(versioned); ok {
		vc.decodedAt(v)
	}
	return c, nil
}
