package main

import (
	"io"
	"strings"
	"testing"
)

// Finding 4: a --max-stale the node cannot honour is refused at start.
func TestParseFlags_maxStaleBelowHeartbeat(t *testing.T) {
	env := func(string) string { return "" }
	_, err := parseFlags([]string{"--max-stale=200ms"}, env, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--max-stale 200ms is below 1s") {
		t.Fatalf("err = %v, want a refusal naming the 1s floor", err)
	}
	if _, err := parseFlags([]string{"--max-stale=1s"}, env, io.Discard); err != nil {
		t.Fatalf("--max-stale=1s: %v", err)
	}
}
