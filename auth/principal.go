package auth

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Everyone is the role-binding principal that matches every authenticated
// caller. It is always the last of [Principal.Names] and never an ID.
const Everyone = "*"

// maxNameBytes bounds each identity string (id, email, group) taken from a
// token or a trusted header.
const maxNameBytes = 1024

// Principal is an authenticated caller. Every Principal returned by an
// [Authenticator] without error has a non-empty ID, unless it is
// [Anonymous] (authentication is off).
type Principal struct {
	// ID is the stable user id: the token's subject claim or the
	// X-NMP-Principal-Id header.
	ID string
	// Email is empty when the credential carries none (or an unverified one).
	Email string
	// Groups are trimmed, non-empty and free of duplicates, in the order
	// the credential listed them.
	Groups []string
}

// Anonymous is the zero Principal: what the "none" mode returns for every
// request. It has no names and matches no role binding, not even
// [Everyone]. Never assign to it.
var Anonymous = Principal{}

// IsAnonymous reports whether p is the zero principal (no ID).
func (p Principal) IsAnonymous() bool { return p.ID == "" }

// Names returns every name a role binding may match for p, without
// duplicates: the ID, the email if any, each group, and [Everyone]. It
// returns nil for an anonymous principal.
func (p Principal) Names() []string {
	if p.IsAnonymous() {
		return nil
	}
	names := make([]string, 0, len(p.Groups)+3)
	seen := make(map[string]struct{}, cap(names))
	add := func(n string) {
		if n == "" {
			return
		}
		if _, dup := seen[n]; dup {
			return
		}
		seen[n] = struct{}{}
		names = append(names, n)
	}
	add(p.ID)
	add(p.Email)
	for _, g := range p.Groups {
		add(g)
	}
	add(Everyone)
	return names
}

// newPrincipal checks and normalises the identity strings a credential
// carried. Errors describe the problem without repeating the values.
func newPrincipal(id, email string, groups []string) (Principal, error) {
	if id == "" {
		return Anonymous, errors.New("no subject")
	}
	if id == Everyone {
		return Anonymous, fmt.Errorf("subject is the reserved name %q", Everyone)
	}
	if err := checkName(id); err != nil {
		return Anonymous, fmt.Errorf("subject: %w", err)
	}
	if email == Everyone {
		return Anonymous, fmt.Errorf("email is the reserved name %q", Everyone)
	}
	if err := checkName(email); err != nil {
		return Anonymous, fmt.Errorf("email: %w", err)
	}
	var out []string
	seen := make(map[string]struct{}, len(groups))
	for i, g := range groups {
		if g == "" {
			continue
		}
		if err := checkName(g); err != nil {
			return Anonymous, fmt.Errorf("group %d: %w", i, err)
		}
		if _, dup := seen[g]; dup {
			continue
		}
		seen[g] = struct{}{}
		out = append(out, g)
	}
	return Principal{ID: id, Email: email, Groups: out}, nil
}

// checkName refuses strings that could not be stored or logged safely.
func checkName(s string) error {
	if len(s) > maxNameBytes {
		return fmt.Errorf("longer than %d bytes", maxNameBytes)
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errors.New("contains a control character")
		}
	}
	return nil
}
