package charttest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestChart_Template_bootstrapExpect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		values   map[string]any
		replicas int32
		want     string
	}{
		{"one server", map[string]any{"replicas": 1}, 1, "1"},
		{"defaults", nil, 3, "3"},
		{"five servers", map[string]any{"replicas": 5}, 5, "5"},
		{"pinned below replicas", map[string]any{"replicas": 5, "bootstrapExpect": 3}, 5, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Render(t, tt.values)
			wantFlag(t, m.Container(t).Args, "bootstrap-expect", tt.want)
			if got := *m.StatefulSet(t).Spec.Replicas; got != tt.replicas {
				t.Errorf("replicas %d, want %d", got, tt.replicas)
			}
		})
	}
}

func TestChart_Template_apiTLS(t *testing.T) {
	t.Parallel()
	m := Render(t, map[string]any{
		"tls":            map[string]any{"api": map[string]any{"enabled": true, "secretName": "api-cert", "peerCA": false}},
		"serviceMonitor": map[string]any{"enabled": true},
	})
	c := m.Container(t)
	// Without client certificates the kubelet can still call the
	// endpoints, over HTTPS without verification.
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("%s probe %+v, want httpGet over HTTPS", name, p)
		}
	}
	wantFlag(t, c.Args, "tls-cert", "/etc/wsd/tls/api/tls.crt")
	for _, off := range []string{"tls-ca", "tls-client-ca"} {
		if v, ok := flagValue(c.Args, off); ok {
			t.Errorf("--%s=%s rendered though not enabled", off, v)
		}
	}
	if got := m.ServiceMonitors[0].Object["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)["scheme"]; got != "https" {
		t.Errorf("ServiceMonitor scheme %v, want https", got)
	}
}

// Bad values must fail at render time, through the schema or the chart's
// own cross-field checks, with a message that names the value.
func TestChart_Template_rejectsBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values map[string]any
		set    []string
		want   string
	}{
		{name: "replicas not a number", set: []string{"--set", "replicas=three"}, want: "replicas"},
		{name: "replicas zero", values: map[string]any{"replicas": 0}, want: "replicas"},
		{name: "unknown top-level key", values: map[string]any{"replica": 3}, want: "replica"},
		{name: "unknown nested key", values: map[string]any{"config": map[string]any{"logLevl": "info"}}, want: "logLevl"},
		{name: "log level", values: map[string]any{"config": map[string]any{"logLevel": "verbose"}}, want: "logLevel"},
		{name: "duration without unit", values: map[string]any{"config": map[string]any{"maxStale": "5"}}, want: "maxStale"},
		{name: "duration as number", set: []string{"--set", "config.leaderWait=7"}, want: "leaderWait"},
		{name: "auth mode", values: map[string]any{"auth": map[string]any{"mode": "ldap"}}, want: "mode"},
		{name: "oidc without issuer", values: map[string]any{"auth": map[string]any{"mode": "oidc", "oidc": map[string]any{"audience": "wsd"}}}, want: "auth.oidc.issuer"},
		{name: "oidc without audience", values: map[string]any{"auth": map[string]any{"mode": "oidc", "oidc": map[string]any{"issuer": "https://idp"}}}, want: "auth.oidc.audience"},
		{name: "api tls without secret", values: map[string]any{"tls": map[string]any{"api": map[string]any{"enabled": true}}}, want: "tls.api.secretName"},
		{name: "client ca without api tls", values: map[string]any{"tls": map[string]any{"api": map[string]any{"clientCA": map[string]any{"enabled": true}}}}, want: "tls.api.enabled"},
		{name: "oidc without raft tls", values: map[string]any{"auth": oidcValues(), "tls": map[string]any{"raft": map[string]any{"enabled": false}}}, want: "insecureCluster"},
		{name: "oidc without gossip encryption", values: map[string]any{"auth": oidcValues(), "gossip": map[string]any{"encryption": map[string]any{"enabled": false}}}, want: "insecureCluster"},
		{name: "bootstrap above replicas", values: map[string]any{"replicas": 3, "bootstrapExpect": 5}, want: "bootstrapExpect"},
		{name: "anti-affinity mode", values: map[string]any{"podAntiAffinity": "sometimes"}, want: "podAntiAffinity"},
		{name: "security context typo", values: map[string]any{"securityContext": map[string]any{"readOnlyRootFileSystem": true}}, want: "readOnlyRootFileSystem"},
		{name: "port out of range", values: map[string]any{"ports": map[string]any{"raft": 70000}}, want: "raft"},
		{name: "bad secret name", values: map[string]any{"tls": map[string]any{"raft": map[string]any{"enabled": true, "secretName": "Raft_TLS"}}}, want: "secretName"},
		{name: "bad volume size", values: map[string]any{"persistence": map[string]any{"size": "lots"}}, want: "size"},
		{name: "short grace period", values: map[string]any{"terminationGracePeriodSeconds": 5}, want: "terminationGracePeriodSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Template(t, tt.values, tt.set...)
			if err == nil {
				t.Fatalf("helm template accepted the values; want an error naming %q:\n%s", tt.want, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("error does not name %q:\n%s", tt.want, out)
			}
		})
	}
}
