package client

import (
	"os"
	"strings"
)

// Environment variables read by FromEnv, the ones the platform's SDK and
// CLI read.
const (
	EnvBaseURL           = "NMP_BASE_URL"
	EnvAccessToken       = "NMP_ACCESS_TOKEN"
	EnvWorkloadToken     = "NEMO_WORKLOAD_TOKEN"
	EnvWorkloadTokenFile = "NEMO_WORKLOAD_TOKEN_FILE"
)

// FromEnv returns DefaultConfig set from the environment as a platform
// service finds it: the endpoints from NMP_BASE_URL (comma-separated for
// several nodes; DefaultEndpoint when unset), and the token from the first
// of NMP_ACCESS_TOKEN, NEMO_WORKLOAD_TOKEN (both static) and
// NEMO_WORKLOAD_TOKEN_FILE (a FileTokenSource, read again as the token
// expires) that is set. The endpoints are checked by New.
func FromEnv() Config { return configFromEnv(os.Getenv) }

func configFromEnv(getenv func(string) string) Config {
	cfg := DefaultConfig()
	if v := getenv(EnvBaseURL); strings.TrimSpace(v) != "" {
		cfg.Endpoints = nil
		for _, ep := range strings.Split(v, ",") {
			if ep = strings.TrimSpace(ep); ep != "" {
				cfg.Endpoints = append(cfg.Endpoints, ep)
			}
		}
	}
	cfg.TokenSource = TokenSourceFromEnv(getenv)
	return cfg
}

// TokenSourceFromEnv is the token source FromEnv picks, reading variables
// with getenv (os.Getenv); nil when none of them is set.
func TokenSourceFromEnv(getenv func(string) string) TokenSource {
	if v := strings.TrimSpace(getenv(EnvAccessToken)); v != "" {
		return StaticToken(v)
	}
	if v := strings.TrimSpace(getenv(EnvWorkloadToken)); v != "" {
		return StaticToken(v)
	}
	if v := strings.TrimSpace(getenv(EnvWorkloadTokenFile)); v != "" {
		return NewFileTokenSource(v)
	}
	return nil
}
