package auth

import "strings"

// namespaces keeps the three kinds of principal names apart (see
// Config.UsernamePrefix, GroupsPrefix and AllowUnverifiedEmail).
//
// A role binding names a bare string, and a caller matches it through its
// id, its email or any of its groups. Without prefixes the three share one
// namespace: a binding meant for the email admin@corp.test also matches a
// caller whose subject, or one of whose groups, is that string. Prefixing
// ids and groups makes the namespaces disjoint; an email counts only when
// the issuer says it verified it.
type namespaces struct {
	user, group     string
	unverifiedEmail bool
}

// principal builds the principal from the credential's strings, with the
// prefixes applied (the checks of newPrincipal run on the prefixed names).
func (ns namespaces) principal(id, email string, groups []string) (Principal, error) {
	if id != "" && ns.user != "" {
		id = ns.user + id
	}
	if ns.group != "" {
		prefixed := make([]string, 0, len(groups))
		for _, g := range groups {
			if g != "" {
				prefixed = append(prefixed, ns.group+g)
			}
		}
		groups = prefixed
	}
	return newPrincipal(id, email, groups)
}

// emailCounts reports whether a token's email may name the caller, given
// its email_verified claim v: only when v is true (a boolean, or the
// string "true" some issuers send), or, with unverifiedEmail, when the
// claim is absent. An explicit false never counts.
func (ns namespaces) emailCounts(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true
		case "false":
			return false
		}
		return false
	case nil:
		return ns.unverifiedEmail
	}
	return false
}
