package httpapi

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wsd-dev/wsd/client"
)

// The OpenAPI document served at /openapi.json is built from apiCatalog:
// one entry per path and method the service implements. Only the entries
// whose path is registered on the router are served, so the document
// always describes this binary; openapi_test.go checks the converse (every
// registered route is documented, with every method it answers).

// obj is a JSON object of the document.
type obj = map[string]any

// apiOp is one documented operation.
type apiOp struct {
	path, method string
	op           obj
	// external marks an endpoint the daemon serves next to this router
	// (/metrics, in cmd/wsd): always documented.
	external bool
}

// templateParam matches a gorilla/mux path variable, with or without a
// pattern: {name} or {name:.+}.
var templateParam = regexp.MustCompile(`\{([^{}:]+)(:[^{}]*)?\}`)

// pathShape reduces a path template to its shape, variables unnamed, so
// that /a/{ws} and /a/{name:.+} compare equal.
func pathShape(tmpl string) string { return templateParam.ReplaceAllString(tmpl, "{}") }

// openAPIPathOf turns a mux template into an OpenAPI path ({name:.+} to
// {name}).
func openAPIPathOf(tmpl string) string { return templateParam.ReplaceAllString(tmpl, "{$1}") }

// registeredRoutes returns the path templates registered on r.
func registeredRoutes(r *mux.Router) []string {
	var out []string
	_ = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if t, err := route.GetPathTemplate(); err == nil {
			out = append(out, t)
		}
		return nil
	})
	return out
}

// buildOpenAPI returns the document for the registered path templates.
func buildOpenAPI(registered []string) obj {
	shapes := map[string]bool{}
	for _, t := range registered {
		shapes[pathShape(t)] = true
	}
	paths := obj{}
	tags := map[string]bool{}
	for _, e := range apiCatalog() {
		if !e.external && !shapes[pathShape(e.path)] {
			continue
		}
		p := openAPIPathOf(e.path)
		item, ok := paths[p].(obj)
		if !ok {
			item = obj{}
			paths[p] = item
		}
		item[strings.ToLower(e.method)] = e.op
		for _, t := range e.op["tags"].([]string) {
			tags[t] = true
		}
	}
	var tagList []obj
	for _, t := range oaSortedKeys(tags) {
		tagList = append(tagList, obj{"name": t, "description": tagDescriptions[t]})
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "wsd workspace service",
			"version": "2",
			"description": "Workspaces, projects, members and entity references of the NeMo Platform entities API v2, " +
				"served by every node of a wsd cluster (writes are forwarded to the raft leader), " +
				"plus the cluster administration and operational endpoints.",
		},
		"tags":       tagList,
		"paths":      paths,
		"components": obj{"schemas": oaSchemas(), "headers": oaCommonHeaders(), "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
	}
}

func oaSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var tagDescriptions = map[string]string{
	"workspaces":  "Workspaces (NeMo Platform entities API v2).",
	"entity-refs": "References platform services hold on a workspace's entities.",
	"projects":    "Projects: lighter-weight grouping inside a workspace.",
	"members":     "Members of a workspace and their roles (with authentication on).",
	"cluster":     "Cluster administration; not under the base path.",
	"operations":  "Health, metrics and this document.",
}

// Schema and response helpers.

func oaRef(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func oaStr(desc string) obj { return obj{"type": "string", "description": desc} }

func oaInteger(desc string) obj { return obj{"type": "integer", "description": desc} }

func oaBoolean(desc string) obj { return obj{"type": "boolean", "description": desc} }

func oaTimestamp(desc string) obj {
	return obj{"type": "string", "format": "date-time", "description": desc}
}

func oaArray(items obj) obj { return obj{"type": "array", "items": items} }

func oaObject(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// oaRequest is a request body's schema: members it does not list are
// ignored (issue 15: a newer SDK may send fields an older server does
// not know).
func oaRequest(required []string, props obj) obj {
	o := oaObject(required, props)
	o["additionalProperties"] = true
	return o
}

func oaJSONBody(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func oaOkResp(desc string, schema obj) obj {
	return obj{"description": desc, "content": oaJSONBody(schema), "headers": obj{
		client.HeaderIndex:       obj{"$ref": "#/components/headers/Index"},
		client.HeaderKnownLeader: obj{"$ref": "#/components/headers/KnownLeader"},
		client.HeaderLastContact: obj{"$ref": "#/components/headers/LastContact"},
	}}
}

func oaErrResp(desc string) obj {
	return obj{"description": desc, "content": oaJSONBody(oaRef("Error")), "headers": obj{
		client.HeaderErrorCode: obj{"$ref": "#/components/headers/ErrorCode"},
	}}
}

func oaValidationResp(desc string) obj {
	return obj{"description": desc, "content": oaJSONBody(oaRef("ValidationError")), "headers": obj{
		client.HeaderErrorCode: obj{"$ref": "#/components/headers/ErrorCode"},
	}}
}

func oaUnavailableResp() obj {
	return obj{"description": "No leader could be reached in time, or the node is shutting down (code no_leader or unavailable: nothing happened, retry), " +
		"or a forwarded write's outcome is unknown (code outcome_unknown: read before repeating it).",
		"content": oaJSONBody(oaRef("Error")), "headers": obj{
			"Retry-After":          obj{"description": "Seconds to wait; set when the request had no effect.", "schema": obj{"type": "integer"}},
			client.HeaderErrorCode: obj{"$ref": "#/components/headers/ErrorCode"},
		}}
}

func oaPathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
}

func oaQueryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

// readParams are the consistency controls every entity read takes.
func oaReadParams() []obj {
	return []obj{
		oaQueryParam("consistency", "default: served locally if the leader was heard from within max-stale and this node is within 32 entries of the leader's commit index, else by the leader; "+
			"stale: served locally whatever the leader state; linearizable: reflects every write acknowledged before the read.",
			obj{"type": "string", "enum": []string{"default", "stale", "linearizable"}, "default": "default"}),
		{"name": client.HeaderMinIndex, "in": "header", "required": false,
			"description": "Wait (bounded) until this node has applied this log index: read-your-writes across nodes.",
			"schema":      obj{"type": "integer", "minimum": 0}},
	}
}

// filterDescription documents the filter language (API.md; package
// filter).
const filterDescription = "Filter, same language for workspaces and projects. Fields: id, name, description, created_at, " +
	"created_by, updated_at, updated_by. A value starting with { is JSON, anything else is text. " +
	`Text: name:"ml-team" (equals, case-sensitive), name~"team" (contains, case-insensitive; % and _ inside are wildcards, ` +
	`\ escapes them), > >= < <=, name IN ["a","b"], name NOT IN [...], - before a clause or group negates it, ` +
	`clauses side by side are ANDed, AND/OR (AND binds tighter), parentheses group; values: "string" (\" escapes a quote), ` +
	`a number, or null (description:null = no description); timestamps compare as instants, ISO 8601 with an offset ` +
	`or UTC (created_at>="2025-01-01T10:00:00+02:00"). ` +
	`JSON: {"name":"a"}, {"name":{"$like":"ml"}}, $eq $lt $lte $gt $gte $in $nin ($in/$nin: an array or a comma-separated string), ` +
	`several fields ANDed, {"$and":[...]}, {"$or":[...]}, {"$not":{...}}. ` +
	"Brackets, read only when neither filter nor search is given: filter[name]=a, filter[name][$like]=ml, " +
	"filter[name][$in]=a,b; several keys ANDed. A negation never matches a record whose field is empty. " +
	"Limits: 4096 bytes, 32 clauses (each value of an IN list counts), a contains value of 256 characters, " +
	"32 levels of nesting. A bad filter answers 400 {\"detail\":\"Invalid filter query: ...\"}."

func oaPageParams(sortFilter bool) []obj {
	ps := []obj{
		oaQueryParam("page", "Page number, from 1.", obj{"type": "integer", "minimum": 1, "default": 1}),
		oaQueryParam("page_size", "Records per page.", obj{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
	}
	if sortFilter {
		ps = append(ps,
			oaQueryParam("sort", "Order; ties are broken by name.", obj{"type": "string", "default": "-created_at",
				"enum": []string{"created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"}}),
			oaQueryParam("filter", filterDescription, obj{"type": "string", "maxLength": 4096}),
			oaQueryParam("search", "Old alias of filter, read when filter is absent.", obj{"type": "string", "maxLength": 4096}),
		)
	}
	return ps
}

// op builds an operation. Entity API operations (auth=true) document the
// bearer token and the 401/403 answers.
func oaOp(id, tag, summary string, auth bool, params []obj, body obj, responses obj) obj {
	o := obj{"operationId": id, "tags": []string{tag}, "summary": summary, "responses": responses}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = body
		responses["415"] = oaErrResp("The body is not declared as Content-Type: application/json.")
		responses["408"] = oaErrResp("The body did not arrive in time.")
		responses["400"] = oaErrResp("The body was cut short, or the request is malformed.")
	}
	responses["503"] = oaUnavailableResp()
	responses["500"] = oaErrResp("Internal error.")
	if auth {
		o["security"] = []obj{{"bearer": []string{}}, {}}
		responses["401"] = oaErrResp("Authentication is on and the caller is not authenticated.")
		responses["403"] = oaErrResp("The caller holds a role in the workspace, but not the one the action needs (a caller without any role gets the 404 of a missing workspace).")
	}
	return o
}

func oaJSONRequest(schema obj) obj {
	return obj{"required": true, "content": oaJSONBody(schema)}
}

func oaParams(groups ...[]obj) []obj {
	var out []obj
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func oaCommonHeaders() obj {
	return obj{
		"Index":       obj{"description": "The replicated-log index the answer reflects.", "schema": obj{"type": "integer"}},
		"KnownLeader": obj{"description": "Whether the answering node knows a leader.", "schema": obj{"type": "string", "enum": []string{"true", "false"}}},
		"LastContact": obj{"description": "Milliseconds since the answering node heard from the leader (0 on the leader, -1 never).", "schema": obj{"type": "integer"}},
		"ErrorCode": obj{"description": "Machine-readable class of an error answer.", "schema": obj{"type": "string", "enum": []string{
			codeNotFound, codeAlreadyExists, codeNotEmpty, codeBuiltin, codeConflict, codeInvalid, codeTooLarge,
			codeUnauthorized, codeForbidden, codeNoLeader, codeOutcomeUnknown, codeUnavailable, codeInternal}}},
	}
}

func oaSchemas() obj {
	name := obj{"type": "string", "pattern": namePattern, "minLength": 1, "maxLength": 63,
		"description": "RFC 1035 label: lowercase letters, digits and hyphens, starting with a letter."}
	description := obj{"type": []string{"string", "null"}, "maxLength": 4096, "description": "At most 4096 bytes of UTF-8; null when unset."}
	pagination := oaRef("Pagination")
	return obj{
		"Error": oaObject([]string{"detail"}, obj{"detail": oaStr("What went wrong.")}),
		"ValidationError": oaObject([]string{"detail"}, obj{
			"detail": oaArray(oaRef("ValidationIssue")),
		}),
		"ValidationIssue": oaObject([]string{"loc", "msg", "type"}, obj{
			"loc":   obj{"type": "array", "items": obj{"type": "string"}, "description": `Where: ["body",field], ["query",param], ["path",param] or ["header",name].`},
			"msg":   oaStr("What is wrong."),
			"type":  oaStr("Class of the problem, e.g. string_pattern_mismatch, json_invalid, extra_forbidden."),
			"input": obj{"description": "The offending input, when there is one."},
		}),
		"Pagination": oaObject([]string{"page", "page_size", "current_page_size", "total_pages", "total_results"}, obj{
			"page": oaInteger("This page's number."), "page_size": oaInteger("Requested page size."),
			"current_page_size": oaInteger("Records on this page."), "total_pages": oaInteger("Pages in all."),
			"total_results": oaInteger("Matching records in all."),
		}),
		"Workspace": oaObject([]string{"id", "name", "description", "created_at", "created_by", "updated_at", "updated_by"}, obj{
			"id": obj{"type": "string", "format": "uuid", "description": "Generated once, never reused."}, "name": name,
			"description": description,
			"created_at":  oaTimestamp("RFC 3339, UTC, microseconds."), "created_by": oaStr(`Principal; "" when auth is off.`),
			"updated_at": oaTimestamp("RFC 3339, UTC, microseconds."), "updated_by": oaStr(`Principal; "" when auth is off.`),
		}),
		"CreateWorkspaceRequest": oaRequest([]string{"name"}, obj{"name": name, "description": description}),
		"UpdateWorkspaceRequest": oaRequest(nil, obj{
			"name":        obj{"type": "string", "description": "Optional; must equal the path name (names are immutable)."},
			"description": description,
		}),
		"WorkspacePage": oaObject([]string{"data", "pagination", "sort", "filter"}, obj{
			"data": oaArray(oaRef("Workspace")), "pagination": pagination, "sort": oaStr("The order applied."),
			"filter": obj{"type": []string{"object", "null"}, "description": "The parsed filter, or null."},
		}),
		"DeleteResponse": oaObject([]string{"message", "id", "deleted_at"}, obj{
			"message": oaStr("What was deleted."), "id": oaStr("The name deleted."), "deleted_at": oaTimestamp("When."),
		}),
		"EntityRef": oaObject([]string{"workspace", "entity_type", "entity_name", "created_at", "created_by"}, obj{
			"workspace":   oaStr("Workspace holding the reference."),
			"entity_type": obj{"type": "string", "pattern": entityTypePattern},
			"entity_name": obj{"type": "string", "minLength": 1, "maxLength": 255, "description": "No control characters; may contain /."},
			"project":     oaStr("Project the entity belongs to, when it names one."),
			"created_at":  oaTimestamp("When it was acquired."), "created_by": oaStr("Principal."),
		}),
		"EntityRefPage": oaObject([]string{"data", "pagination"}, obj{"data": oaArray(oaRef("EntityRef")), "pagination": pagination}),
		"Usage": oaObject([]string{"workspace", "total", "by_type"}, obj{
			"workspace": oaStr("Workspace name."), "total": oaInteger("Entities referenced, projects included."),
			"by_type": obj{"type": "object", "additionalProperties": obj{"type": "integer"}, "description": "Count per entity type."},
		}),
		"Project": oaObject([]string{"id", "name", "workspace", "description", "created_at", "created_by", "updated_at", "updated_by"}, obj{
			"id": obj{"type": "string", "format": "uuid"}, "name": name, "workspace": oaStr("Workspace name."),
			"description": description,
			"created_at":  oaTimestamp("RFC 3339, UTC."), "created_by": oaStr("Principal."),
			"updated_at": oaTimestamp("RFC 3339, UTC."), "updated_by": oaStr("Principal."),
		}),
		"CreateProjectRequest": oaRequest([]string{"name"}, obj{"name": name, "description": description}),
		"UpdateProjectRequest": oaRequest(nil, obj{
			"name":        obj{"type": "string", "description": "Optional; must equal the path name."},
			"description": description,
		}),
		"ProjectPage": oaObject([]string{"data", "pagination", "sort", "filter"}, obj{
			"data": oaArray(oaRef("Project")), "pagination": pagination, "sort": oaStr("The order applied."),
			"filter": obj{"type": []string{"object", "null"}},
		}),
		"Member": oaObject([]string{"principal", "roles", "granted_at", "granted_by"}, obj{
			"principal":  oaStr("User id, email, group name, or * (every authenticated user)."),
			"roles":      oaArray(oaRef("Role")),
			"granted_at": oaTimestamp("When."), "granted_by": oaStr("Principal."),
		}),
		"Role": obj{"type": "string", "enum": []string{"Viewer", "Editor", "Admin", "WorkspaceCreator", "PlatformAdmin", "JobRunner"},
			"description": "WorkspaceCreator and PlatformAdmin exist on the system workspace only."},
		"MemberList":            oaObject([]string{"data"}, obj{"data": oaArray(oaRef("Member"))}),
		"AddMemberRequest":      oaRequest([]string{"principal"}, obj{"principal": oaStr("Who."), "roles": obj{"type": "array", "items": oaRef("Role"), "default": []string{"Editor"}}}),
		"SetMemberRolesRequest": oaRequest([]string{"roles"}, obj{"roles": oaArray(oaRef("Role"))}),
		"MemberRemoved":         oaObject([]string{"id", "message", "deleted_count"}, obj{"id": oaStr("Principal."), "message": oaStr("What happened."), "deleted_count": oaInteger("Bindings removed.")}),
		"Peer": oaObject([]string{"id", "raft_addr", "http_addr"}, obj{
			"id": oaStr("Raft server id."), "raft_addr": oaStr("Raft transport address."), "http_addr": oaStr("Base URL of its HTTP API."),
		}),
		"ClusterStatus": oaObject([]string{"id", "state", "term", "leader", "commit_index", "applied_index", "last_index", "fsm_index", "last_contact_ms", "ready"}, obj{
			"id": oaStr("This node."), "cluster_id": oaStr("The cluster's id (a UUID recorded by its first leader); absent while unknown."),
			"state": obj{"type": "string", "enum": []string{"Follower", "Candidate", "Leader", "Shutdown"}},
			"term":  oaInteger("Raft term."), "leader": obj{"oneOf": []obj{oaRef("Peer"), {"type": "null"}}},
			"commit_index": oaInteger("Highest committed log index known."), "applied_index": oaInteger("Highest index handed to the state machine."),
			"last_index": oaInteger("Last log index stored."), "fsm_index": oaInteger("Index the state reflects."),
			"last_contact_ms": oaInteger("Milliseconds since the leader was heard from (0 on the leader, -1 never)."),
			"digest":          oaStr("SHA-256 of the state content (independent of the index); absent with digest=false."),
			"ready":           oaBoolean("What /readyz reports."),
		}),
		"ClusterMember": oaObject([]string{"id", "http_addr"}, obj{
			"id": oaStr("Raft server id."), "raft_addr": oaStr("Raft transport address."), "http_addr": oaStr("Base URL of its HTTP API."),
			"suffrage": obj{"type": "string", "enum": []string{"voter", "nonvoter"}}, "leader": oaBoolean("Whether it leads."),
		}),
		"ClusterMembers": oaObject([]string{"members"}, obj{"members": oaArray(oaRef("ClusterMember"))}),
		"AdminReply": oaObject([]string{"message", "id"}, obj{
			"message": oaStr("What happened."), "id": oaStr("The server concerned (for a transfer: the old leader)."),
			"leader": oaStr("After a transfer: the new leader, when already known."),
		}),
		"RestoreReply": oaObject([]string{"message", "index", "digest"}, obj{
			"message": oaStr("What happened."), "index": oaInteger("Index of the entry that marks the restore: a node that has applied it holds the restored state (use with X-Wsd-Min-Index)."),
			"digest": oaStr("State digest after the restore: equals the saved state's digest."),
		}),
		"HealthStatus": oaObject([]string{"status"}, obj{"status": obj{"type": "string", "enum": []string{"ok"}}}),
	}
}

// apiCatalog lists every endpoint the service implements.
func apiCatalog() []apiOp {
	ws := client.BasePath + "/workspaces"
	wsParam := oaPathParam("ws", "Workspace name.")
	r404 := func(what string) obj { return oaErrResp(what + " not found.") }
	r422 := oaValidationResp("Invalid path, query or body.")
	created := func(desc, schema string) obj { return oaOkResp(desc, oaRef(schema)) }

	return []apiOp{
		// Workspaces.
		{path: ws, method: http.MethodGet, op: oaOp("listWorkspaces", "workspaces", "List workspaces (with auth on: those the caller holds a role in)", true,
			oaParams(oaPageParams(true), oaReadParams()), nil,
			obj{"200": oaOkResp("One page.", oaRef("WorkspacePage")), "400": oaErrResp("Invalid filter query."), "422": r422})},
		{path: ws, method: http.MethodPost, op: oaOp("createWorkspace", "workspaces", "Create a workspace; the creator becomes its Admin", true,
			[]obj{oaQueryParam("wait_role_propagation", "Accepted and ignored: role bindings commit with the workspace.", obj{"type": "boolean"})},
			oaJSONRequest(oaRef("CreateWorkspaceRequest")),
			obj{"201": created("Created.", "Workspace"), "409": oaErrResp("A workspace of that name exists."), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{name}", method: http.MethodGet, op: oaOp("getWorkspace", "workspaces", "Get a workspace", true,
			oaParams([]obj{oaPathParam("name", "Workspace name.")}, oaReadParams()), nil,
			obj{"200": oaOkResp("The workspace.", oaRef("Workspace")), "404": r404("Workspace"), "422": r422})},
		{path: ws + "/{name}", method: http.MethodPut, op: oaOp("updateWorkspace", "workspaces", "Update a workspace's description (names are immutable)", true,
			[]obj{oaPathParam("name", "Workspace name.")}, oaJSONRequest(oaRef("UpdateWorkspaceRequest")),
			obj{"200": oaOkResp("Updated.", oaRef("Workspace")), "404": r404("Workspace"), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{name}", method: http.MethodDelete, op: oaOp("deleteWorkspace", "workspaces", "Delete an empty workspace", true,
			[]obj{oaPathParam("name", "Workspace name.")}, nil,
			obj{"200": oaOkResp("Deleted.", oaRef("DeleteResponse")), "404": r404("Workspace"), "409": oaErrResp("Not empty (the message says what is left), or built-in.")})},

		// Entity references.
		{path: ws + "/{ws}/entity-refs", method: http.MethodGet, op: oaOp("listEntityRefs", "entity-refs", "List a workspace's entity references, ordered by type and name", true,
			oaParams([]obj{wsParam, oaQueryParam("entity_type", "Only this type.", obj{"type": "string", "pattern": entityTypePattern})}, oaPageParams(false), oaReadParams()), nil,
			obj{"200": oaOkResp("One page.", oaRef("EntityRefPage")), "404": r404("Workspace"), "422": r422})},
		{path: ws + "/{ws}/entity-refs/{entity_type}/{entity_name}", method: http.MethodPut, op: oaOp("acquireEntityRef", "entity-refs", "Acquire a reference (idempotent)", true,
			[]obj{wsParam, oaPathParam("entity_type", "Entity type, e.g. models."), oaPathParam("entity_name", "Entity name, URL-escaped (may contain /)."),
				oaQueryParam("project", "Project the entity belongs to; it must exist.", obj{"type": "string"})}, nil,
			obj{"201": created("Acquired.", "EntityRef"), "200": oaOkResp("Already held.", oaRef("EntityRef")), "404": r404("Workspace or project"), "422": r422})},
		{path: ws + "/{ws}/entity-refs/{entity_type}/{entity_name}", method: http.MethodDelete, op: oaOp("releaseEntityRef", "entity-refs", "Release a reference", true,
			[]obj{wsParam, oaPathParam("entity_type", "Entity type."), oaPathParam("entity_name", "Entity name, URL-escaped.")}, nil,
			obj{"200": oaOkResp("Released.", oaRef("EntityRef")), "404": r404("Reference"), "422": r422})},
		{path: ws + "/{ws}/usage", method: http.MethodGet, op: oaOp("getUsage", "entity-refs", "Count a workspace's entities by type", true,
			oaParams([]obj{wsParam}, oaReadParams()), nil,
			obj{"200": oaOkResp("Counts.", oaRef("Usage")), "404": r404("Workspace"), "422": r422})},

		// Projects.
		{path: ws + "/{ws}/projects", method: http.MethodGet, op: oaOp("listProjects", "projects", "List a workspace's projects", true,
			oaParams([]obj{wsParam}, oaPageParams(true), oaReadParams()), nil,
			obj{"200": oaOkResp("One page.", oaRef("ProjectPage")), "400": oaErrResp("Invalid filter query."), "404": r404("Workspace"), "422": r422})},
		{path: ws + "/{ws}/projects", method: http.MethodPost, op: oaOp("createProject", "projects", "Create a project", true,
			[]obj{wsParam}, oaJSONRequest(oaRef("CreateProjectRequest")),
			obj{"201": created("Created.", "Project"), "404": r404("Workspace"), "409": oaErrResp("A project of that name exists in the workspace."), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{ws}/projects/{name}", method: http.MethodGet, op: oaOp("getProject", "projects", "Get a project", true,
			oaParams([]obj{wsParam, oaPathParam("name", "Project name.")}, oaReadParams()), nil,
			obj{"200": oaOkResp("The project.", oaRef("Project")), "404": r404("Workspace or project"), "422": r422})},
		{path: ws + "/{ws}/projects/{name}", method: http.MethodPut, op: oaOp("updateProject", "projects", "Update a project's description", true,
			[]obj{wsParam, oaPathParam("name", "Project name.")}, oaJSONRequest(oaRef("UpdateProjectRequest")),
			obj{"200": oaOkResp("Updated.", oaRef("Project")), "404": r404("Workspace or project"), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{ws}/projects/{name}", method: http.MethodDelete, op: oaOp("deleteProject", "projects", "Delete a project no reference names", true,
			[]obj{wsParam, oaPathParam("name", "Project name.")}, nil,
			obj{"200": oaOkResp("Deleted.", oaRef("DeleteResponse")), "404": r404("Workspace or project"), "409": oaErrResp("Entity references name the project.")})},

		// Members.
		{path: ws + "/{ws}/members", method: http.MethodGet, op: oaOp("listMembers", "members", "List a workspace's members", true,
			oaParams([]obj{wsParam}, oaReadParams()), nil,
			obj{"200": oaOkResp("The members.", oaRef("MemberList")), "404": r404("Workspace"), "422": r422})},
		{path: ws + "/{ws}/members", method: http.MethodPost, op: oaOp("addMember", "members", "Add a member", true,
			[]obj{wsParam}, oaJSONRequest(oaRef("AddMemberRequest")),
			obj{"201": created("Added.", "Member"), "404": r404("Workspace"), "409": oaErrResp("Already a member."), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{ws}/members/{principal}", method: http.MethodPut, op: oaOp("setMemberRoles", "members", "Replace a member's roles", true,
			[]obj{wsParam, oaPathParam("principal", "Member principal, URL-escaped.")}, oaJSONRequest(oaRef("SetMemberRolesRequest")),
			obj{"200": oaOkResp("Updated.", oaRef("Member")), "404": r404("Workspace or member"), "409": oaErrResp("Would remove the last Admin, or the last PlatformAdmin of system."), "413": oaErrResp("Body over 64 KiB."), "422": r422})},
		{path: ws + "/{ws}/members/{principal}", method: http.MethodDelete, op: oaOp("removeMember", "members", "Remove a member", true,
			[]obj{wsParam, oaPathParam("principal", "Member principal, URL-escaped.")}, nil,
			obj{"200": oaOkResp("Removed.", oaRef("MemberRemoved")), "404": r404("Workspace or member"), "409": oaErrResp("Would remove the last Admin, or the last PlatformAdmin of system.")})},

		// Cluster administration.
		{path: clusterStatusPath, method: http.MethodGet, op: oaOp("clusterStatus", "cluster", "This node's view of the cluster (any authenticated caller)", true,
			[]obj{oaQueryParam("digest", "false skips the state digest, which walks the whole state.", obj{"type": "boolean", "default": true})}, nil,
			obj{"200": oaOkResp("Status.", oaRef("ClusterStatus")), "422": r422})},
		{path: clusterMembersPath, method: http.MethodGet, op: oaOp("clusterMembers", "cluster", "The servers of the raft configuration (any authenticated caller)", true, nil, nil,
			obj{"200": oaOkResp("Members.", oaRef("ClusterMembers"))})},
		{path: clusterMemberPath, method: http.MethodDelete, op: oaOp("removeServer", "cluster",
			"Remove a (dead) server from the raft configuration; done by the leader, forwarded from other nodes (PlatformAdmin)", true,
			[]obj{oaPathParam("id", "Raft server id.")}, nil,
			obj{"200": oaOkResp("Removed.", oaRef("AdminReply")), "404": oaErrResp("Not a member."), "409": oaErrResp("The server is the leader.")})},
		{path: clusterLeavePath, method: http.MethodPost, op: oaOp("leaveCluster", "cluster",
			"The receiving node leaves the cluster for good (a leader hands leadership over first), then its process stops (PlatformAdmin)", true, nil, nil,
			obj{"200": oaOkResp("Left.", oaRef("AdminReply")), "409": oaErrResp("The node is the only voter.")})},
		{path: clusterTransferPath, method: http.MethodPost, op: oaOp("transferLeadership", "cluster",
			"The leader hands leadership to another voter; forwarded from other nodes (PlatformAdmin)", true, nil, nil,
			obj{"200": oaOkResp("Transferred.", oaRef("AdminReply")), "409": oaErrResp("There is no other voter.")})},
		{path: clusterSnapshotPath, method: http.MethodGet, op: oaOp("saveSnapshot", "cluster",
			"Stream a consistent snapshot of the whole state (every write acknowledged before the call); forwarded to the leader (PlatformAdmin)", true, nil, nil,
			obj{"200": obj{"description": "The snapshot (wsd snapshot format, version 1). X-Wsd-Index is the index it reflects.",
				"content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}},
				"headers": obj{client.HeaderIndex: obj{"$ref": "#/components/headers/Index"},
					"Content-Disposition": obj{"description": `attachment; filename="wsd-<index>.snap"`, "schema": obj{"type": "string"}}}}})},
		{path: clusterRestorePath, method: http.MethodPost, op: oaOp("restoreSnapshot", "cluster",
			"Replace the whole cluster's state with a snapshot (up to --max-restore-mib), verified completely before anything is written; one at a time; forwarded to the leader (PlatformAdmin)", true, nil,
			obj{"required": true, "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}},
			obj{"200": oaOkResp("Restored.", oaRef("RestoreReply")), "413": oaErrResp("Over the size limit (--max-restore-mib)."),
				"400": oaErrResp("The upload broke off; the cluster is unchanged."),
				"409": oaErrResp("Another restore is in progress (Retry-After)."),
				"415": oaErrResp("The body is not application/octet-stream."),
				"507": oaErrResp("The leader's data directory has not room enough for the snapshot; the cluster is unchanged."),
				"422": oaValidationResp("Corrupt, truncated or foreign snapshot (bad magic, unsupported format version); the cluster is unchanged.")})},

		// Operations.
		{path: "/healthz", method: http.MethodGet, op: oaOp("healthz", "operations", "The process is alive", false, nil, nil,
			obj{"200": oaOkResp("Alive.", oaRef("HealthStatus"))})},
		{path: "/readyz", method: http.MethodGet, op: oaOp("readyz", "operations", "The node can serve: a leader is known, the state is initialised and caught up", false, nil, nil,
			obj{"200": oaOkResp("Ready.", oaRef("HealthStatus"))})},
		{path: "/metrics", method: http.MethodGet, external: true, op: oaOp("metrics", "operations", "Prometheus metrics of this node", false, nil, nil,
			obj{"200": obj{"description": "Prometheus text exposition format.",
				"content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}})},
		{path: openAPIPath, method: http.MethodGet, op: oaOp("openapi", "operations", "This document", false, nil, nil,
			obj{"200": obj{"description": "OpenAPI 3.1 document.", "content": oaJSONBody(obj{"type": "object"})}})},
	}
}
