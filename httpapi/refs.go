package httpapi

import (
	"net/http"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// refDTO is the wire form of an entity reference.
func refDTO(r *fsm.EntityRef) client.EntityRef {
	return client.EntityRef{
		Workspace:  r.Workspace,
		EntityType: r.EntityType,
		EntityName: r.EntityName,
		Project:    r.Project,
		CreatedAt:  client.Time{Time: r.CreatedAt},
		CreatedBy:  r.CreatedBy,
	}
}

// refPath reads and validates {ws}/{entity_type}/{entity_name}. A bad type
// or name is a 422 on its path parameter; a workspace name that cannot
// exist is a 404.
func refPath(r *http.Request) (ws, entityType, entityName string, err error) {
	var is issues
	entityType, ok := pathVar(r, "entity_type")
	if ok {
		checkEntityType(&is, entityType, "path", "entity_type")
	} else {
		is.add("value_error", "Value error, entity type is not valid percent-encoding", entityType, "path", "entity_type")
	}
	entityName, ok = pathVar(r, "entity_name")
	if ok {
		checkEntityName(&is, entityName, "path", "entity_name")
	} else {
		is.add("value_error", "Value error, entity name is not valid percent-encoding", entityName, "path", "entity_name")
	}
	if err := is.err(); err != nil {
		return "", "", "", err
	}
	ws, ok = pathVar(r, "ws")
	if !ok || fsm.ValidateName(ws) != "" {
		return "", "", "", workspaceNotFound(ws)
	}
	return ws, entityType, entityName, nil
}

// acquireRef: PUT /workspaces/{ws}/entity-refs/{type}/{name}[?project=p].
// 201 when the reference is new, 200 when it was already held.
func (s *Server) acquireRef(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, typ, name, err := refPath(r)
	if err != nil {
		return reply{}, err
	}
	var is issues
	if !checkNewSegment(&is, "entity name", name, "path", "entity_name") {
		return reply{}, is.err()
	}
	q := parseQuery(r.URL.RawQuery)
	res, err := s.apply(w, r, body, &fsm.AcquireRef{
		Workspace:  ws,
		EntityType: typ,
		EntityName: name,
		Project:    q.project,
		At:         now(),
		By:         principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return reply{status: status, index: res.Index, body: refDTO(res.Ref)}, nil
}

// releaseRef: DELETE /workspaces/{ws}/entity-refs/{type}/{name}; answers
// with the released reference.
func (s *Server) releaseRef(w http.ResponseWriter, r *http.Request, body []byte) (reply, error) {
	ws, typ, name, err := refPath(r)
	if err != nil {
		return reply{}, err
	}
	res, err := s.apply(w, r, body, &fsm.ReleaseRef{
		Workspace:  ws,
		EntityType: typ,
		EntityName: name,
		At:         now(),
		By:         principal(r),
	})
	if err != nil {
		return reply{index: res.Index}, err
	}
	return reply{status: http.StatusOK, index: res.Index, body: refDTO(res.Ref)}, nil
}

// listRefs: GET /workspaces/{ws}/entity-refs?entity_type=&page=&page_size=,
// ordered by (type, name).
func (s *Server) listRefs(w http.ResponseWriter, r *http.Request) (reply, error) {
	q := parseQuery(r.URL.RawQuery)
	var is issues
	ro := parseReadOpts(r, &q, &is)
	p := parseList(&q, false, &is)
	if q.entityType != "" {
		checkEntityType(&is, q.entityType, "query", "entity_type")
	}
	if err := is.err(); err != nil {
		return reply{}, err
	}
	return s.readIn(w, r, ro, func(st *fsm.State, ws string) (any, error) {
		list, total := st.ListRefs(ws, q.entityType, p.offset(), p.pageSize)
		data := make([]client.EntityRef, len(list))
		for i, ref := range list {
			data[i] = refDTO(ref)
		}
		return client.EntityRefPage{Data: data, Pagination: p.pagination(len(data), total)}, nil
	})
}

// usage: GET /workspaces/{ws}/usage.
func (s *Server) usage(w http.ResponseWriter, r *http.Request) (reply, error) {
	ro, err := parseReadOnly(r)
	if err != nil {
		return reply{}, err
	}
	return s.readIn(w, r, ro, func(st *fsm.State, ws string) (any, error) {
		u := st.Usage(ws)
		return client.Usage{Workspace: ws, Total: u.Total, ByType: u.ByType}, nil
	})
}
