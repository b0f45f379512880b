package fsm

import "time"

// Workspace is one workspace as the state machine holds it. Values stored
// in State are never mutated: an update stores a new value.
type Workspace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
	// Index is the log index of the command that last wrote this record.
	Index uint64 `json:"index"`
}

// EntityRef is a reference held by a platform service on a workspace.
// It is keyed by (Workspace, EntityType, EntityName).
type EntityRef struct {
	Workspace  string    `json:"workspace"`
	EntityType string    `json:"entity_type"`
	EntityName string    `json:"entity_name"`
	Project    string    `json:"project,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	Index      uint64    `json:"index"`
}

// RoleBinding grants a principal roles in one workspace. The table exists
// from the first format version so that authentication needs no format
// change; bindings are written by the membership commands.
type RoleBinding struct {
	Workspace string    `json:"workspace"`
	Principal string    `json:"principal"`
	Roles     []string  `json:"roles"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
	Index     uint64    `json:"index"`
}

// Usage counts the entities held in one workspace.
type Usage struct {
	Total  int            `json:"total"`
	ByType map[string]int `json:"by_type"`
}

// Built-in workspaces, created by the Init command and never deletable.
const (
	DefaultWorkspace = "default"
	SystemWorkspace  = "system"

	DefaultDescription = "General-purpose workspace (all users have write access)"
	SystemDescription  = "Platform-provided resources (read-only for users)"
)

// IsBuiltin reports whether name is one of the built-in workspaces.
func IsBuiltin(name string) bool {
	return name == DefaultWorkspace || name == SystemWorkspace
}

// Project is a lightweight grouping inside a workspace, keyed by
// (Workspace, Name). Like workspaces, stored values are never mutated.
type Project struct {
	ID          string    `json:"id"`
	Workspace   string    `json:"workspace"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
	Index       uint64    `json:"index"`
}

// ProjectEntityType is the entity type under which projects count in a
// workspace's usage.
const ProjectEntityType = "projects"
