// Package httpapi is wsd's HTTP interface: the entities v2 API for
// workspaces and entity references (under client.BasePath), the health
// endpoints and the cluster endpoints (/v1/cluster/...).
//
// Invariants:
//   - Every response is JSON and carries X-Wsd-Index, X-Wsd-Known-Leader and
//     X-Wsd-Last-Contact; every error response also carries
//     X-Wsd-Error-Code. Errors are turned into statuses in one place
//     (errors.go); a panic becomes a logged 500, never a dropped connection.
//   - Writes run on the leader. A write that arrives at a follower is
//     proxied to the leader with its method, path, query, headers and body
//     intact, and the leader's answer is passed back unchanged; the client
//     never sees a redirect. Ids, timestamps and principals are decided by
//     the node that proposes the command, never inside Apply.
//   - A read is answered from one *fsm.State, chosen once per request by
//     the read consistency level and X-Wsd-Min-Index, so one answer never
//     mixes two versions of the state. The read path takes no lock of its
//     own.
//   - Requests are validated before anything is proposed: bad input is a
//     422 listing every issue found, never a silently dropped field.
//
// Who may import it: cmd/wsd and tests. It imports fsm (state, commands and
// errors), cluster (its sentinel errors and status types), client (wire
// DTOs only), gorilla/mux, google/uuid and the Prometheus client.
package httpapi
