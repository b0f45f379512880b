package fsm

import (
	"fmt"
	"unicode/utf8"
)

// Limits of the wire contract, enforced both at the HTTP edge and again in
// Apply so that no path can store a value the contract forbids.
const (
	MaxNameLen        = 63
	MaxDescriptionLen = 4096
	MaxEntityTypeLen  = 63
	MaxEntityNameLen  = 255
)

// ValidateName checks the RFC 1035 label rule used for workspace and project
// names: ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$. It returns a message that
// explains the first rule broken, or "" when the name is valid.
func ValidateName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > MaxNameLen:
		return fmt.Sprintf("must be at most %d characters", MaxNameLen)
	case name[0] < 'a' || name[0] > 'z':
		return "must start with a lowercase letter"
	case name[len(name)-1] == '-':
		return "must end with a lowercase letter or digit"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return "must contain only lowercase letters, digits and hyphens"
		}
	}
	return ""
}

// ValidateDescription checks the description limit (4096 bytes of UTF-8).
func ValidateDescription(d string) string {
	if len(d) > MaxDescriptionLen {
		return fmt.Sprintf("must be at most %d bytes", MaxDescriptionLen)
	}
	if !utf8.ValidString(d) {
		return "must be valid UTF-8"
	}
	return ""
}

// ValidateEntityType checks ^[a-z][a-z0-9_-]{0,62}$. The type "projects"
// is reserved: projects count under it in a workspace's usage.
func ValidateEntityType(t string) string {
	switch {
	case t == ProjectEntityType:
		return "'projects' is reserved for the workspace's projects"
	case t == "":
		return "must not be empty"
	case len(t) > MaxEntityTypeLen:
		return fmt.Sprintf("must be at most %d characters", MaxEntityTypeLen)
	case t[0] < 'a' || t[0] > 'z':
		return "must start with a lowercase letter"
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return "must contain only lowercase letters, digits, '_' and '-'"
		}
	}
	return ""
}

// ValidateEntityName checks 1–255 bytes of UTF-8 with no control characters.
func ValidateEntityName(n string) string {
	switch {
	case n == "":
		return "must not be empty"
	case len(n) > MaxEntityNameLen:
		return fmt.Sprintf("must be at most %d bytes", MaxEntityNameLen)
	case !utf8.ValidString(n):
		return "must be valid UTF-8"
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "must not contain control characters"
		}
	}
	return ""
}
