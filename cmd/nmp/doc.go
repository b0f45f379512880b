// Command nmp is the command-line client of the workspace service, with
// the commands, flags and output of the platform's CLI:
//
//	nmp workspaces create NAME [--description "..."] [--exist-ok] [--input-file F | --input-data JSON]
//	nmp workspaces list [--page N] [--page-size N] [--sort -created_at] [--filter EXPR] [--all-pages]
//	nmp workspaces get NAME
//	nmp workspaces update NAME (--description "..." | --clear-description | --input-file F | --input-data JSON)
//	nmp workspaces delete NAME
//	nmp workspaces usage NAME
//	nmp workspaces members list|create|update|delete --workspace W [--principal P] [--roles R]... (NMP_WORKSPACE)
//	nmp projects create|list|get|update|delete ... --workspace W   (or NMP_WORKSPACE=W; same flags and output as workspaces)
//	nmp refs acquire|release WORKSPACE ENTITY_TYPE ENTITY_NAME [--project P]
//	nmp refs list WORKSPACE [--entity-type T]
//	nmp version
//
// NAME may also be given as --name. --filter passes its value to the
// server unchanged (text or JSON syntax: name:"ml-team", name~"ml" AND
// created_at>="2025-01-01", {"name":{"$in":["a","b"]}}); the older
// FIELD=VALUE and FIELD[$OP]=VALUE forms, repeatable, are sent as bracket
// keys. --input-file (- for stdin) and --input-data give the request body
// as a JSON or YAML object; flags win over its fields, unused fields (id,
// created_at, ...) are ignored.
//
// Global flags, accepted by every subcommand before or after its
// arguments: --base-url (NMP_BASE_URL, default http://localhost:8080; a
// comma-separated list names several nodes and the client fails over
// between them), --token (default: NMP_ACCESS_TOKEN, then
// NEMO_WORKLOAD_TOKEN, NEMO_WORKLOAD_TOKEN_FILE, NMP_TOKEN), -f/--output-format
// table|json|yaml|markdown|csv|raw (NMP_OUTPUT_FORMAT; -o/--output are
// aliases), -c/--output-columns, --no-truncate, and --timeout.
//
// Output: when no format is chosen (flag or NMP_OUTPUT_FORMAT), a table
// on a terminal and JSON otherwise; an explicit table is a table even
// into a pipe. table prints aligned columns and markdown a Markdown table,
// both cutting values over 50 characters unless --no-truncate and printing
// "No data to display" for an empty list; csv prints the same columns
// (header only when empty, values in full). json (indented), yaml and raw
// (one line of JSON) print the API objects as the service returns them
// (for a list, the page with its pagination; with --all-pages, the list of
// items); -c applies to table, markdown and csv. A delete prints
// "✓ Deleted successfully" except in json, yaml and raw, which show the
// server's answer.
//
// Exit status: 0 on success (and for -h/--help); 1 when the call fails,
// with the kind of error first and the service's detail on stderr ("Not
// found: Workspace 'x' not found", "Conflict: ...", "Permission denied:
// Forbidden"; for a validation error one "loc: msg" line per issue); 2 for
// a wrong command line.
//
// nmp imports only the client module, the standard library and a YAML
// encoder. main only calls run; each command group has its own file.
package main
