// Package auth decides who is calling wsd, and secures the links between
// nodes. It does not decide what a caller may do: role bindings live in the
// replicated state, and the state machine checks a write against them at
// the log index where the write applies, so every node reaches the same
// decision. This package only supplies the names those checks match.
//
// Identity: an [Authenticator], built by [New] from a [Config], turns a
// request into a [Principal]:
//   - mode "none": every request is [Anonymous] and nothing is refused.
//   - mode "oidc": "Authorization: Bearer <JWT>" is verified with go-oidc
//     against the issuer's keys, found by discovery and re-fetched when a
//     token names an unknown key id, or against a static JWKS file that is
//     re-read when it changes. Behind a trusted gateway, and only when
//     enabled, the X-NMP-Principal-* headers stand in for a token on
//     requests that carry no Authorization header.
//
// [Principal.Names] lists the names a role binding may match: the id, the
// email, each group and "*" ([Everyone]), prefixed as configured.
//
// Transport: [ServerTLSConfig] for the HTTP API (optionally requiring
// client certificates), [MutualTLSConfig] for raft, and [ClientTLSConfig]
// for forwarding between nodes. Certificates, keys and CA bundles are re-read
// when their files change, so they rotate without a restart.
//
// Invariants:
//   - A Principal returned without error has a non-empty ID, or is
//     Anonymous (mode "none" only). Its strings are valid UTF-8, at most
//     1 KiB each, with no control characters; the ID and email are never
//     "*".
//   - Every refusal matches ErrNoCredentials or ErrInvalidCredentials with
//     errors.Is and wraps the reason for logs. No reason contains the
//     credential itself.
//   - Accepted tokens are compact JWS signed with RS256/384/512,
//     ES256/384/512 or PS256 by a key of the configured issuer, carry the
//     configured issuer and audience, have not expired and are not before
//     their "nbf" (both within ClockSkew), and name a subject. "none" and
//     HMAC algorithms are never accepted.
//   - A token's email counts only with email_verified true (the boolean or
//     the string "true"); with Config.AllowUnverifiedEmail also when the
//     claim is absent; email_verified=false never. So an issuer that lets
//     users type any address cannot hand out someone else's email
//     bindings.
//   - With Config.UsernamePrefix and GroupsPrefix (non-overlapping), the
//     ID is UsernamePrefix+subject and each group GroupsPrefix+name, from
//     tokens and trusted headers alike; emails stay bare. A user id, a
//     group and an email then never yield the same name (namespace.go).
//   - Trusted headers are read only when TrustPrincipalHeaders is set and
//     the request has no Authorization header; an invalid token never falls
//     back to them. The gateway must strip them from client requests.
//   - A key, certificate or CA file that changes into something unusable
//     leaves the previous one in use; nothing is ever left without keys.
//   - No goroutines of its own and no package-level mutable state. (go-oidc
//     fetches keys on a short-lived goroutine of its own.)
//
// Known limit: go-oidc re-fetches the issuer's key set whenever a token
// names a key id it has not cached, so unauthenticated callers can make
// the service fetch the issuer's keys repeatedly (never more than one fetch
// at a time).
//
// Who may import it: httpapi and cmd/wsd. It imports the standard
// library, github.com/coreos/go-oidc/v3 and github.com/go-jose/go-jose/v4,
// and no other wsd package.
package auth
