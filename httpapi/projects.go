package httpapi

import "github.com/gorilla/mux"

// projectRoutes registers the projects API (see API.md "Projects").
func (s *Server) projectRoutes(r *mux.Router) {}
