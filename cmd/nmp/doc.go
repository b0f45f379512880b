// Command nmp is the command-line client of the workspace service, with
// the commands users of the platform CLI already know:
//
//	nmp workspaces create --name ml-team --description "Machine Learning Team workspace"
//	nmp workspaces list [--page N] [--page-size N] [--sort -created_at] [--filter name=x] [--filter 'name[$like]=ml-%'] [--all-pages]
//	nmp workspaces get NAME
//	nmp workspaces update NAME --description "..."
//	nmp workspaces delete NAME
//	nmp workspaces usage NAME
//	nmp projects create|list|get|update|delete ... --workspace W   (or NMP_WORKSPACE=W; same flags and output as workspaces)
//	nmp refs acquire|release WORKSPACE ENTITY_TYPE ENTITY_NAME [--project P]
//	nmp refs list WORKSPACE [--entity-type T]
//	nmp version
//
// Global flags, accepted by every subcommand before or after its
// arguments: --base-url (NMP_BASE_URL, default http://localhost:8080; a
// comma-separated list names several nodes and the client fails over
// between them), --token (NMP_TOKEN, sent as a bearer token), -o/--output
// table|json|yaml, and --timeout.
//
// Output: table prints aligned columns; json (indented) and yaml print the
// API objects as the service returns them (for a list, the page with its
// pagination; with --all-pages, the list of items).
//
// Exit status: 0 on success; 1 when the call fails, with the service's
// detail on stderr ("Error: Workspace 'x' not found"; for a validation
// error one "loc: msg" line per issue); 2 for a wrong command line.
//
// nmp imports only the client package, the standard library and a YAML
// encoder. main only calls run; each command group has its own file.
package main
