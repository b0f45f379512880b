package httpapi

import "github.com/gorilla/mux"

// memberRoutes registers the members API (see API.md "Members and roles").
func (s *Server) memberRoutes(r *mux.Router) {}
