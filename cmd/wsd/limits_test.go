package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestHTTPLimits_maxConns(t *testing.T) {
	for _, tc := range []struct {
		flag   int
		nofile uint64
		want   int
	}{
		{0, 1024, 384},
		{0, 1 << 20, maxDerivedConns},
		{0, 260, minDerivedConns},
		{0, 0, maxDerivedConns},
		{0, 1 << 62, maxDerivedConns},
		{50, 1 << 20, 50},
	} {
		l := httpLimits{MaxConns: tc.flag}
		if got := l.maxConns(tc.nofile); got != tc.want {
			t.Errorf("flag %d, nofile %d: %d, want %d", tc.flag, tc.nofile, got, tc.want)
		}
	}
}

func TestHTTPLimits_flags(t *testing.T) {
	env := map[string]string{"WSD_HTTP_READ_TIMEOUT": "3s", "WSD_HTTP_MAX_CONNS": "9"}
	cfg, err := parseFlags([]string{"--http-max-header-bytes=8192"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.ReadTimeout != 3*time.Second || cfg.HTTP.MaxConns != 9 || cfg.HTTP.MaxHeaderBytes != 8192 {
		t.Errorf("limits %+v", cfg.HTTP)
	}
	for _, args := range [][]string{
		{"--http-write-timeout=10s", "--max-request-timeout=10s"},
		{"--http-read-timeout=0s"},
		{"--http-max-header-bytes=100"},
		{"--http-max-conns=-1"},
	} {
		if _, err := parseFlags(args, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "http") {
			t.Errorf("%v: err %v, want a refusal", args, err)
		}
	}
}
