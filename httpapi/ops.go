package httpapi

import "github.com/gorilla/mux"

// opsRoutes registers the operational endpoints outside the base path
// (OpenAPI document, backup and restore).
func (s *Server) opsRoutes(r *mux.Router) {}
