package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/wsd-dev/wsd/client"
	"github.com/wsd-dev/wsd/fsm"
)

// withIdempotencyKey wraps c in fsm.Keyed when r carries an
// Idempotency-Key header (a malformed one is a 422 before anything is
// proposed). The key is scoped to the caller's subject ("" with
// authentication off), and the fingerprint is a hash of the request as
// sent (method, path, query, body): a retry regenerates ids and
// timestamps, but not these. See fsm.Keyed for what the state machine
// does with them.
func withIdempotencyKey(r *http.Request, body []byte, c fsm.Command) (fsm.Command, error) {
	vals, ok := r.Header[http.CanonicalHeaderKey(client.HeaderIdempotencyKey)]
	if !ok {
		return c, nil
	}
	key := ""
	if len(vals) == 1 {
		key = vals[0]
	}
	msg := fsm.ValidateIdempotencyKey(key)
	if len(vals) != 1 {
		msg = "should be sent once"
	}
	if msg != "" {
		return nil, &validationError{issues: []client.ValidationIssue{{
			Loc: []string{"header", client.HeaderIdempotencyKey}, Msg: "Idempotency key " + msg, Type: "value_error", Input: truncate(key, 200),
		}}}
	}
	principal := ""
	if caller := callerOf(r); caller != nil {
		principal = caller.ID
	}
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.EscapedPath(), r.URL.RawQuery} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return &fsm.Keyed{Key: key, Principal: principal, Fingerprint: hex.EncodeToString(h.Sum(nil)), Command: c}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
