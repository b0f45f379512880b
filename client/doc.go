// Package client is the Go client of wsd, the workspace metadata service.
// Platform services use it to create, read, list, update and delete
// workspaces and their projects, and to hold entity references on them (a
// workspace cannot be deleted while a reference or a project is held in it).
//
// It is its own Go module, github.com/wsd-dev/wsd/client, whose go.mod
// requires nothing: it imports only the standard library (no raft, no
// storage engine, no wsd server package, no test helper), so importing it
// adds no module to a service's build. deps_test.go enforces this, and the
// tests that need a real wsd process live in the root module
// (test/clientserver).
//
// # Usage
//
//	c, err := client.New(client.FromEnv()) // NMP_BASE_URL; NMP_ACCESS_TOKEN, NEMO_WORKLOAD_TOKEN(_FILE)
//	if err != nil { ... }
//	defer c.Close()
//	ws, created, err := c.EnsureWorkspace(ctx, "ml-team", client.WithDescription("ML"))
//	ref, created, err := c.AcquireRef(ctx, "ml-team", "models", "llama-3/8b")
//	page, err := c.ListWorkspaces(ctx, client.ListOptions{
//		Where: client.Field("name").Contains("ml").And(client.Field("created_by").Eq("alice")),
//	})
//
// CreateWorkspace with ExistOK returns the existing workspace when the name
// is taken; EnsureWorkspace (EnsureProject) does the same and says whether
// the call created it.
//
// Filters: ListOptions.Where is built with Field, And, Or and Not and sent
// in the text syntax of the wire contract (filter.go; every value quoted,
// `"` and `\` escaped, field names checked), FilterText is sent unchanged,
// and Filter holds the older bracket form. FuzzFilterRender checks that a
// rendered filter stays one well-formed expression whatever the values.
//
// Every call takes a context first; the context bounds the whole call,
// retries included.
//
// Names go into the request path one escaped segment each (path.go): no
// value can change the path's shape. "/" is sent as %2F, and "." and ".."
// as %2E and %2E%2E (wsd decodes them back, and refuses to create such
// names); a call with an empty name fails with ErrInvalid before anything
// is sent. FuzzPathSegments checks it.
//
// # Authentication, TLS and members
//
// When the cluster has authentication on, set Config.Token (a fixed
// token) or Config.TokenSource: the source is asked for the token before
// every attempt, so tokens that expire are replaced. StaticToken never
// changes; FileTokenSource reads a mounted token file again before the
// token's exp claim and after the server refused it (401: the request is
// then sent once more with the new token; a 401 was not applied, so this
// holds for writes too). The token is sent as "Authorization: Bearer
// <token>". A call without valid credentials fails with ErrUnauthorized,
// one without the needed role with ErrForbidden.
//
// Config.TLS sets the authorities trusted for the server's certificate
// (CAFile, CAPool) and a client certificate (CertFile and KeyFile, or
// Certificates) on the client's own transport.
//
// The members of a workspace (who holds which role) are managed with
// WorkspaceMembers, AddMember, SetMemberRoles and RemoveMember; Members
// lists the servers of the cluster.
//
// # Errors
//
// An answer outside 2xx is a *StatusError with the HTTP status, the
// machine-readable code from the X-Wsd-Error-Code header, the server's
// detail message and, for 422, the validation issues. Test its class with
// errors.Is, never by matching the message:
//
//	_, err := c.DeleteWorkspace(ctx, "ml-team")
//	switch {
//	case err == nil:
//	case errors.Is(err, client.ErrNotFound): // already gone
//	case errors.Is(err, client.ErrNotEmpty): // references still held
//	case errors.Is(err, client.ErrInvalid):
//		var se *client.StatusError
//		errors.As(err, &se)
//		for _, issue := range se.Issues { log.Print(client.FormatIssue(issue)) }
//	case errors.Is(err, client.ErrUnavailable): // not applied; safe to retry later
//	case errors.Is(err, client.ErrOutcomeUnknown): // may be applied; read before retrying
//	default:
//	}
//
// The classes are ErrNotFound; ErrConflict, with the narrower
// ErrAlreadyExists, ErrNotEmpty and ErrBuiltin; ErrInvalid; ErrTooLarge;
// ErrUnauthorized; ErrForbidden; ErrUnavailable, with the narrower
// ErrNoLeader; and ErrOutcomeUnknown. The class is decided by the error
// code when the answer carries one and by the status otherwise (404, 409,
// 400/422, 413, 401, 403, 503). Transport failures are ErrUnavailable
// (or ErrOutcomeUnknown, see below); context errors remain visible to
// errors.Is(err, context.DeadlineExceeded).
//
// # Retries, failover and at-most-once writes
//
// The client sticks to one endpoint and moves to the next when it cannot
// connect, when the connection fails before an answer, or when the node
// answers 503. Within one call it retries up to Config.MaxRetries times
// (at least once per endpoint), backing off exponentially from
// Config.RetryBackoff and honouring Retry-After (capped at 5s) and the
// context.
//
// Reads (GET) are repeated after any transport failure and any 503.
// Every write carries a random Idempotency-Key, the same on each attempt
// of one call; the server applies a key at most once (per caller, for a
// bounded time and number of keys) and answers a repeat with the first
// answer (header X-Wsd-Idempotent-Replay). So a write is repeated when it
// certainly was not applied (the connection could not be made, no byte of
// the request was written, or 503 no_leader or unavailable) and also when
// its outcome is unknown (the connection broke after sending, or 503
// outcome_unknown): a create retried after a lost answer gets its 201,
// not a 409. Only when the attempts run out, or the context ends while
// waiting, does a write fail with ErrOutcomeUnknown. With
// Config.NoIdempotencyKeys (servers older than idempotency keys) a write
// whose outcome is unknown is never repeated, so it is applied at most
// once per call; read the state before repeating it.
//
// # Deadlines
//
// Every request carries X-Wsd-Timeout: what is left of the context's
// deadline (or of the HTTP client's Timeout, whichever is shorter), less a
// margin of a tenth (at most 500ms) so that the server's answer at its
// deadline arrives before the client gives up. The server never proposes
// a write after that deadline and answers by it: outcome_unknown when the
// write may have been applied, no_leader or unavailable when it surely
// was not.
//
// # Read-your-writes
//
// Every answer carries X-Wsd-Index, the replicated-log index it reflects.
// The client remembers the highest it has seen (LastIndex) and sends it as
// X-Wsd-Min-Index on every read, so a read served by any node reflects at
// least every write this client has seen acknowledged. WithConsistency and
// WithMinIndex tune individual reads.
package client
