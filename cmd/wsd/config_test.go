package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestParseFlags_joinOnlyUnlessExpectIsExplicit(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"no flags: a single node bootstraps", nil, nil, 1},
		{"join without expect: join only", []string{"--join=a:8301"}, nil, 0},
		{"join from the environment: join only", nil, map[string]string{"WSD_JOIN": "a:8301"}, 0},
		{"join with --bootstrap-expect=1", []string{"--join=a:8301", "--bootstrap-expect=1"}, nil, 1},
		{"join with --bootstrap-expect=3", []string{"--join=a:8301", "--bootstrap-expect", "3"}, nil, 3},
		{"join with WSD_BOOTSTRAP_EXPECT", []string{"--join=a:8301"}, map[string]string{"WSD_BOOTSTRAP_EXPECT": "1"}, 1},
		{"expect without join", []string{"--bootstrap-expect=3"}, nil, 3},
		{"explicit join only", []string{"--bootstrap-expect=0", "--join=a:8301"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.BootstrapExpect != tt.want {
				t.Errorf("BootstrapExpect = %d, want %d", c.BootstrapExpect, tt.want)
			}
		})
	}
}

func TestCheckAdmission(t *testing.T) {
	tls := []string{"--raft-tls-cert=c", "--raft-tls-key=k", "--raft-tls-ca=ca"}
	tests := []struct {
		name    string
		args    []string
		wantErr string // substring; "" means allowed
		wantLog string
	}{
		{"auth none needs nothing", nil, "", ""},
		{"oidc without secrets", []string{"--auth=oidc"}, "--gossip-key and --raft-tls-cert", ""},
		{"oidc without gossip key", append([]string{"--auth=oidc"}, tls...), "--gossip-key", ""},
		{"oidc without raft tls", []string{"--auth=oidc", "--gossip-key=x"}, "--raft-tls-cert", ""},
		{"oidc with half the raft tls", []string{"--auth=oidc", "--gossip-key=x", "--raft-tls-cert=c"}, "--raft-tls-cert", ""},
		{"oidc with both", append([]string{"--auth=oidc", "--gossip-key=x"}, tls...), "", ""},
		{"oidc, gossip off, raft tls", append([]string{"--auth=oidc", "--gossip-addr=off"}, tls...), "", ""},
		{"oidc, gossip off, no raft tls", []string{"--auth=oidc", "--gossip-addr=off"}, "--raft-tls-cert", ""},
		{"oidc insecure", []string{"--auth=oidc", "--insecure-cluster"}, "", "INSECURE CLUSTER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, func(string) string { return "" }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			err = checkAdmission(c, slog.New(slog.NewTextHandler(&logs, nil)))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkAdmission: %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--insecure-cluster")):
				t.Fatalf("checkAdmission: %v, want an error naming %s and --insecure-cluster", err, tt.wantErr)
			}
			if tt.wantLog != "" && (!strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "level=WARN")) {
				t.Errorf("log %q: want a WARN with %q", logs.String(), tt.wantLog)
			}
		})
	}
}
