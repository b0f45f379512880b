package fsm

import (
	"strings"
	"testing"
)

// TestCompileLike_boundedByValue checks what makes the cost of a filter
// independent of its pattern (issue 11): runs of % collapse into one
// token, and a pattern that needs more characters than a value has is
// refused before any matching.
func TestCompileLike_boundedByValue(t *testing.T) {
	m := compileLike(strings.Repeat("%", 1<<20))
	if len(m.toks) != 1 || m.need != 0 || !m.match("any-name") {
		t.Errorf("1 MiB of %%: %d tokens, need %d; want 1 token matching everything", len(m.toks), m.need)
	}
	m = compileLike(strings.Repeat("%a", 1<<19))
	if m.need != 1<<19 {
		t.Errorf("need = %d, want %d", m.need, 1<<19)
	}
	if m.match(strings.Repeat("a", 63)) {
		t.Errorf("a pattern needing 2^19 characters matched 63")
	}
	m = compileLike(`a\%b_%%c`)
	if m.need != 5 || len(m.toks) != 6 {
		t.Errorf(`a\%%b_%%%%c: need %d, %d tokens; want 5 and 6`, m.need, len(m.toks))
	}
}
