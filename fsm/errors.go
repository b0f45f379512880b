package fsm

import "fmt"

// Code classifies a domain error. Codes are part of the wire contract: the
// HTTP layer sends them in X-Wsd-Error-Code and the client maps them back.
type Code string

// The domain error codes decided by the state machine.
const (
	CodeNotFound      Code = "not_found"
	CodeAlreadyExists Code = "already_exists"
	CodeNotEmpty      Code = "not_empty"
	CodeBuiltin       Code = "builtin"
	CodeConflict      Code = "conflict"
	CodeInvalid       Code = "invalid"
	CodeUnsupported   Code = "unsupported"
	CodeForbidden     Code = "forbidden"
)

// Error is a domain error returned as a value from Apply (never a panic):
// the command was understood and refused, and state did not change.
type Error struct {
	Code Code
	// Field names the offending input for CodeInvalid ("name", "entity_type").
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrNotFound) and friends match any *Error with
// the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Code == e.Code
}

// Sentinels for errors.Is. They carry no message; real errors do.
var (
	ErrNotFound      = &Error{Code: CodeNotFound}
	ErrAlreadyExists = &Error{Code: CodeAlreadyExists}
	ErrNotEmpty      = &Error{Code: CodeNotEmpty}
	ErrBuiltin       = &Error{Code: CodeBuiltin}
	ErrConflict      = &Error{Code: CodeConflict}
	ErrInvalid       = &Error{Code: CodeInvalid}
	ErrUnsupported   = &Error{Code: CodeUnsupported}
	ErrForbidden     = &Error{Code: CodeForbidden}
)

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func workspaceNotFound(name string) *Error {
	return errorf(CodeNotFound, "Workspace '%s' not found", name)
}
