// Package httpapi is wsd's HTTP interface: the entities v2 API for
// workspaces and entity references (under client.BasePath), the health
// endpoints, the cluster endpoints (/v1/cluster/...: status, members,
// leave, remove a member, transfer leadership, snapshot and restore) and
// /openapi.json, built from the catalog in openapi.go and restricted to the
// routes actually registered. The node-to-node peer service (/v1/peer/) is
// not part of it: cluster serves it and cmd/wsd mounts it.
//
// Invariants:
//   - Every response is JSON (but the snapshot stream of GET
//     /v1/cluster/snapshot) and carries X-Wsd-Index, X-Wsd-Known-Leader and
//     X-Wsd-Last-Contact; every error response also carries
//     X-Wsd-Error-Code. Errors are turned into statuses in one place
//     (errors.go); a panic becomes a logged 500, never a dropped connection.
//   - Writes of the entities API are answered by the node that receives
//     them: it validates the request, builds the command (ids, timestamps
//     and the authenticated caller are decided here, never inside Apply)
//     and hands it to Cluster.Apply, which proposes it on the leader,
//     sending it over the cluster's authenticated peer service when this
//     node does not lead (see cluster/doc.go). HTTP requests are proxied
//     to the leader only for the cluster admin calls that must run there
//     (remove a member, transfer leadership, snapshot, restore).
//   - Every entities API request has a deadline (deadline.go): X-Wsd-Timeout
//     (relative, clamped to [MinTimeout, Config.MaxTimeout]; a bad value is
//     a 422) or Config.DefaultTimeout. Every wait of the request ends by
//     it; a write is never proposed after it, and the answer at the
//     deadline says whether it may have been applied (503 outcome_unknown)
//     or surely was not (503 no_leader or unavailable, with Retry-After).
//   - A read is answered from one *fsm.State, chosen once per request by
//     the read consistency level and X-Wsd-Min-Index, so one answer never
//     mixes two versions of the state. The read path takes no lock of its
//     own.
//   - Requests are validated before anything is proposed: bad input is a
//     422 listing every issue found. Body members the API does not know
//     are ignored (issue 15, as the NeMo platform: a newer SDK may send
//     them); members that name what the path fixes (name on an update,
//     workspace on a project, principal on a member change) are a 422
//     when they differ from it, so a rename is never silently dropped.
//   - List filters (filter=, search=, filter[...]) are parsed once per
//     request by package filter into one compiled expression (list.go
//     picks the syntax); a bad filter is a 400 {"detail":"Invalid filter
//     query: ..."}, after the parameters' 422. The state machine evaluates
//     it only over the records the caller may see.
//   - With Config.AuthEnabled, every request under the base path or to
//     /v1/cluster/* is authenticated by the node that receives it, before
//     it is read, routed on or forwarded: no or bad credentials are a 401
//     {"detail":"Unauthorized"} with WWW-Authenticate: Bearer. A write's
//     caller travels inside its command to the leader, which trusts it
//     because the peer service is authenticated; a proxied admin call
//     keeps its credentials and the leader authenticates it again.
//     /healthz, /readyz, /metrics and /openapi.json are not authenticated;
//     node-to-node calls go to the peer service (cluster.PeerHandler),
//     which has its own authentication.
//   - Cluster admin API with authentication on: status and members need an
//     authenticated caller; snapshot, restore, remove-member, leave and
//     transfer-leadership need PlatformAdmin on the system workspace,
//     decided by the node that carries the call out against a state at a
//     fresh read index. Every admin call, refused ones included, is logged
//     at INFO with its principal and remote address (status and members
//     at DEBUG).
//   - Authorization: every write command carries the caller (nil with
//     authentication off) and the state machine decides it against the
//     role bindings at the command's own log index, so a role revoked at
//     index i never authorises a write committed after i. Reads are
//     checked on the node that serves them, against the state they are
//     served from (auth.go: authorizeRead, visibleTo); the workspace list
//     holds, and counts, only the workspaces the caller holds a role in.
//     A refusal is a 403 {"detail":"Forbidden"} for a caller who holds a
//     role in the workspace, and the very 404 of a missing workspace for
//     one who holds none (reads here, writes in fsm), so that a
//     non-member cannot tell which names exist.
//   - No path is ever cleaned, rewritten or redirected (cmd/wsd serves the
//     router directly, without http.ServeMux): a request reaches the route
//     it names or gets a JSON 404. Names that are created ("principal",
//     entity names) are never "." or "..", and stored text is valid UTF-8
//     without control or bidi characters (text.go).
//   - Resources per client are bounded (limits.go, listener.go): every
//     request but the snapshot/restore streams has a deadline, streams
//     must make progress, write bodies must be declared JSON (415), and
//     the API listener caps open connections and turns net/http's own
//     plain-text error answers into the JSON error body.
//   - A node whose Cluster.Admission fails (its auth mode differs from the
//     cluster's) serves nothing but /healthz, /readyz, /v1/cluster/status
//     and /v1/cluster/members: every other route, and /readyz, answer 503
//     with code cluster_mismatch (admission.go).
//
// Who may import it: cmd/wsd and tests. It imports fsm (state, commands and
// errors), cluster (its sentinel errors and status types), auth (the
// Authenticator interface and its errors), client (wire DTOs only),
// gorilla/mux, google/uuid and the Prometheus client.
package httpapi
