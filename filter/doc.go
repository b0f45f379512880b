// Package filter is the list filter language of the wire contract
// (API.md, "filter"): three syntaxes — text (name:"ml-team"), a JSON
// object ({"name":{"$like":"ml"}}) and bracket query keys
// (filter[name][$like]=ml) — each parsed by its own parser into the one
// typed expression, Expr, which the state machine evaluates over the
// records a caller may see.
//
// Invariants:
//   - Every parser enforces the same limits (MaxBytes of filter text,
//     MaxClauses comparisons, each value of an IN list counting as one,
//     MaxLikeChars per contains pattern, MaxDepth of nesting) and reports
//     any problem as *Error, which the HTTP edge answers with 400
//     {"detail":"Invalid filter query: ..."}. A parser never panics.
//   - An Expr is compiled while it is parsed: timestamps are parsed and
//     contains patterns tokenised once per request, never per record, so
//     matching one record costs O(clauses · field length), whatever the
//     length of the filter's values.
//   - Evaluation is three-valued, as SQL: a comparison on an empty field
//     (no description, created_by "" when auth is off) is unknown unless it
//     asks for null, a negation of unknown stays unknown, and only a true
//     result matches. So a negation never matches a record whose field is
//     empty.
//   - Evaluation reads only the Record it is given: no clock, no globals,
//     and it allocates nothing (a contains match decodes a short value
//     into a stack buffer and reads a long one in place).
//
// It imports the standard library only; fsm and httpapi import it.
package filter
