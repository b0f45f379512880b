package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// Patterns of the wire contract, quoted in validation messages.
const (
	namePattern       = `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`
	entityTypePattern = `^[a-z][a-z0-9_-]{0,62}$`
)

// issues collects the validation problems of one request; every problem is
// reported, not only the first.
type issues []client.ValidationIssue

func (is *issues) add(typ, msg string, input any, loc ...string) {
	*is = append(*is, client.ValidationIssue{Loc: loc, Msg: msg, Type: typ, Input: input})
}

// err returns the 422 for the collected issues, or nil when there are none.
func (is issues) err() error {
	if len(is) == 0 {
		return nil
	}
	return &validationError{issues: is}
}

// readBody reads a write's body, up to MaxBodyBytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return nil, bodyReadError(err)
	}
	return b, nil
}

// decodeObject parses body as one JSON object and calls member for each of
// its members in order. A missing, malformed or non-object body is
// reported in is, member is not called and ok is false.
func decodeObject(body []byte, is *issues, member func(key string, raw json.RawMessage)) (ok bool) {
	var all json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		if len(bytes.TrimSpace(body)) == 0 {
			is.add("missing", "Field required", nil, "body")
			return false
		}
		is.add("json_invalid", "JSON decode error: "+err.Error(), nil, "body")
		return false
	}
	switch all[0] {
	case '{':
	case 'n':
		is.add("missing", "Field required", nil, "body")
		return false
	default:
		is.add("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", inputValue(all), "body")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(all))
	if _, err := dec.Token(); err != nil { // the opening brace
		is.add("json_invalid", "JSON decode error: "+err.Error(), nil, "body")
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		var raw json.RawMessage
		if err == nil && ok {
			err = dec.Decode(&raw)
		}
		if err != nil || !ok {
			// Unreachable after Unmarshal accepted the body; kept so a
			// decoder change cannot turn into a panic or a loop.
			is.add("json_invalid", "JSON decode error", nil, "body")
			return false
		}
		member(key, raw)
	}
	return true
}

// Unknown members of a request body are ignored (issue 15, as the NeMo
// platform: a newer SDK may send fields an older server does not know).
// Members that name what the path already fixes — "name" on an update,
// "workspace" on a project, "principal" on a member change — are read and
// refused with 422 when they disagree with the path (checkPathField), so
// an attempt to rename or move is never silently dropped.

// checkPathField refuses a body member that names something other than
// the path does; what is "workspace name", "project name", ...
func checkPathField(is *issues, raw json.RawMessage, key, pathValue, msg string) {
	if v, ok := decodeString(is, raw, "body", key); ok && v != pathValue {
		is.add("value_error", "Value error, "+msg, v, "body", key)
	}
}

// inputValue is the offending JSON value echoed in an issue. It is decoded
// rather than echoed raw so that the answer is valid UTF-8 whatever the
// request held; numbers keep their text.
func inputValue(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || v == nil {
		return json.RawMessage("null") // shown as "input": null, not left out
	}
	return v
}

// decodeString decodes raw as a JSON string; ok is false for any other
// JSON type (null included), which is reported in is as string_type.
func decodeString(is *issues, raw json.RawMessage, loc ...string) (string, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			if replacedRunes(raw) {
				is.add("string_unicode", "Input should be a valid string: invalid UTF-8 or an unpaired surrogate", v, loc...)
				return "", false
			}
			return v, true
		}
	}
	is.add("string_type", "Input should be a valid string", inputValue(raw), loc...)
	return "", false
}

// decodeNullableString decodes raw as a JSON string or null (nil).
func decodeNullableString(is *issues, raw json.RawMessage, loc ...string) (*string, bool) {
	if string(raw) == "null" {
		return nil, true
	}
	v, ok := decodeString(is, raw, loc...)
	if !ok {
		return nil, false
	}
	return &v, true
}

// checkName reports a workspace name that breaks the RFC 1035 label rule.
func checkName(is *issues, name string, loc ...string) bool {
	msg := fsm.ValidateName(name)
	switch {
	case msg == "":
		return true
	case name == "":
		is.add("string_too_short", "String should have at least 1 character", name, loc...)
	case len(name) > fsm.MaxNameLen:
		is.add("string_too_long", fmt.Sprintf("String should have at most %d characters", fsm.MaxNameLen), name, loc...)
	default:
		is.add("string_pattern_mismatch", fmt.Sprintf("String should match pattern '%s' (name %s)", namePattern, msg), name, loc...)
	}
	return false
}

// checkDescription reports a description over the limit.
func checkDescription(is *issues, d *string, loc ...string) bool {
	if d == nil {
		return true
	}
	msg := fsm.ValidateDescription(*d)
	if msg == "" {
		msg = textProblem(*d, true)
	}
	switch {
	case msg == "":
		return true
	case len(*d) > fsm.MaxDescriptionLen:
		is.add("string_too_long", fmt.Sprintf("String should have at most %d bytes", fsm.MaxDescriptionLen), *d, loc...)
	default:
		is.add("value_error", "Value error, description "+msg, *d, loc...)
	}
	return false
}

// checkEntityType reports an entity type that breaks its rule.
func checkEntityType(is *issues, t string, loc ...string) bool {
	msg := fsm.ValidateEntityType(t)
	switch {
	case msg == "":
		return true
	case t == fsm.ProjectEntityType:
		is.add("value_error", "Value error, "+msg, t, loc...)
	case t == "":
		is.add("string_too_short", "String should have at least 1 character", t, loc...)
	case len(t) > fsm.MaxEntityTypeLen:
		is.add("string_too_long", fmt.Sprintf("String should have at most %d characters", fsm.MaxEntityTypeLen), t, loc...)
	default:
		is.add("string_pattern_mismatch", fmt.Sprintf("String should match pattern '%s' (entity type %s)", entityTypePattern, msg), t, loc...)
	}
	return false
}

// checkEntityName reports an entity name that breaks its rule. A name
// about to be created is also checked by checkNewSegment.
func checkEntityName(is *issues, n string, loc ...string) bool {
	msg := fsm.ValidateEntityName(n)
	switch {
	case msg == "":
		return true
	case n == "":
		is.add("string_too_short", "String should have at least 1 character", n, loc...)
	case len(n) > fsm.MaxEntityNameLen:
		is.add("string_too_long", fmt.Sprintf("String should have at most %d bytes", fsm.MaxEntityNameLen), n, loc...)
	default:
		is.add("value_error", "Value error, entity name "+msg, n, loc...)
	}
	return false
}

// createWorkspaceBody is the decoded body of POST /workspaces.
type createWorkspaceBody struct {
	Name        string
	Description *string
}

// decodeCreateWorkspace decodes and validates {"name","description"?}.
func decodeCreateWorkspace(body []byte) (createWorkspaceBody, issues) {
	return decodeCreate(body, "")
}

// decodeCreate decodes a workspace's or, when pathWS is set, a project's
// create body; a project's may repeat its workspace, not name another.
func decodeCreate(body []byte, pathWS string) (createWorkspaceBody, issues) {
	var (
		out     createWorkspaceBody
		is      issues
		hasName bool
	)
	ok := decodeObject(body, &is, func(key string, raw json.RawMessage) {
		switch key {
		case "name":
			hasName = true
			if n, ok := decodeString(&is, raw, "body", "name"); ok && checkName(&is, n, "body", "name") {
				out.Name = n
			}
		case "description":
			d, ok := decodeNullableString(&is, raw, "body", "description")
			if ok && checkDescription(&is, d, "body", "description") {
				out.Description = d
			}
		case "workspace":
			if pathWS != "" {
				checkPathField(&is, raw, key, pathWS, fmt.Sprintf("a project is created in the workspace of the path ('%s')", pathWS))
			}
		}
	})
	if ok && !hasName {
		is.add("missing", "Field required", nil, "body", "name")
	}
	return out, is
}

// updateWorkspaceBody is the decoded body of PUT /workspaces/{name}.
type updateWorkspaceBody struct {
	Description    *string
	DescriptionSet bool
}

// decodeUpdateWorkspace decodes {"description"?, "name"?}; a name other
// than the path's is refused because names are immutable.
func decodeUpdateWorkspace(body []byte, pathName string) (updateWorkspaceBody, issues) {
	return decodeUpdate(body, "workspace", pathName, "")
}

// decodeUpdate decodes the update body of a workspace or a project (noun),
// which have the same shape and the same immutable names.
func decodeUpdate(body []byte, noun, pathName, pathWS string) (updateWorkspaceBody, issues) {
	var (
		out updateWorkspaceBody
		is  issues
	)
	decodeObject(body, &is, func(key string, raw json.RawMessage) {
		switch key {
		case "name":
			n, ok := decodeString(&is, raw, "body", "name")
			if ok && n != pathName {
				is.add("value_error", fmt.Sprintf("Value error, %s names are immutable: cannot rename '%s' to '%s'", noun, pathName, n), n, "body", "name")
			}
		case "description":
			d, ok := decodeNullableString(&is, raw, "body", "description")
			if ok && checkDescription(&is, d, "body", "description") {
				out.Description, out.DescriptionSet = d, true
			}
		case "workspace":
			if noun == "project" && pathWS != "" {
				checkPathField(&is, raw, key, pathWS, fmt.Sprintf("projects cannot move: '%s' is in workspace '%s'", pathName, pathWS))
			}
		}
	})
	return out, is
}

// pathVar returns a path variable, unescaped (the router matches on the
// escaped path so that %2F stays inside one segment). ok is false when it
// is not valid percent-encoding.
func pathVar(r *http.Request, name string) (string, bool) {
	v := mux.Vars(r)[name]
	u, err := url.PathUnescape(v)
	if err != nil {
		return v, false
	}
	return u, true
}

// checkNewSegment reports a name (principal, entity name) that is about
// to be created and breaks the rules of text.go: a dot segment ("." or
// ".."), or bidi controls. Names already stored stay removable: only
// creating one is refused.
func checkNewSegment(is *issues, what, v string, loc ...string) bool {
	if isDotSegment(v) {
		is.add("value_error", "Value error, "+what+" must not be '.' or '..'", v, loc...)
		return false
	}
	if msg := textProblem(v, false); msg != "" {
		is.add("value_error", "Value error, "+what+" "+msg, v, loc...)
		return false
	}
	return true
}
