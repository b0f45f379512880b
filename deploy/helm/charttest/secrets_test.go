package charttest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func oidcValues() map[string]any {
	return map[string]any{"mode": "oidc", "oidc": map[string]any{"issuer": "https://idp.example.com", "audience": "wsd"}}
}

// TestChart_Template_admissionSecretsByDefault: with the defaults the chart
// turns on raft mutual TLS and gossip encryption with secrets it generates:
// a CA and a certificate the daemon can use for both ends of raft, and a
// 32-byte gossip key, kept on uninstall.
func TestChart_Template_admissionSecretsByDefault(t *testing.T) {
	t.Parallel()
	m := Render(t, nil)
	c := m.Container(t)
	sts := m.StatefulSet(t)
	if len(m.Secrets) != 2 {
		t.Fatalf("got %d Secrets, want 2 (raft TLS and gossip key)", len(m.Secrets))
	}
	for _, s := range m.Secrets {
		if s.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Errorf("Secret %s: annotations %v, want helm.sh/resource-policy: keep", s.Name, s.Annotations)
		}
		if s.Namespace != Namespace || !selects(map[string]string{"app.kubernetes.io/instance": ReleaseName}, s.Labels) {
			t.Errorf("Secret %s: namespace %q labels %v", s.Name, s.Namespace, s.Labels)
		}
	}

	t.Run("raft tls", func(t *testing.T) {
		s := m.Secret("wsd-raft-tls")
		if s == nil || s.Type != corev1.SecretTypeTLS {
			t.Fatalf("Secret wsd-raft-tls: %+v, want a kubernetes.io/tls Secret", s)
		}
		dir := "/etc/wsd/tls/raft"
		wantFlag(t, c.Args, "raft-tls-cert", dir+"/tls.crt")
		wantFlag(t, c.Args, "raft-tls-key", dir+"/tls.key")
		wantFlag(t, c.Args, "raft-tls-ca", dir+"/ca.crt")
		i := slices.IndexFunc(sts.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "raft-tls" })
		if i < 0 || sts.Spec.Template.Spec.Volumes[i].Secret == nil || sts.Spec.Template.Spec.Volumes[i].Secret.SecretName != "wsd-raft-tls" {
			t.Fatalf("no raft-tls volume from Secret wsd-raft-tls")
		}
		pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
		if err != nil {
			t.Fatalf("tls.crt and tls.key: %v", err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(s.Data["ca.crt"])
		if block == nil {
			t.Fatal("ca.crt is not PEM")
		}
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil || !ca.IsCA {
			t.Fatalf("ca.crt: %v (IsCA %v)", err, ca != nil && ca.IsCA)
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		// The daemon checks the chain and the key usage of each end, not
		// host names (see auth.MutualTLSConfig).
		for _, eku := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{eku}}); err != nil {
				t.Errorf("certificate does not verify against ca.crt for usage %v: %v", eku, err)
			}
		}
		want := "*.wsd-headless.wsd.svc.cluster.local"
		if !slices.Contains(cert.DNSNames, want) {
			t.Errorf("certificate names %v, want %s among them", cert.DNSNames, want)
		}
	})

	t.Run("gossip key", func(t *testing.T) {
		s := m.Secret("wsd-gossip")
		if s == nil {
			t.Fatal("no Secret wsd-gossip")
		}
		e := envVar(c, "WSD_GOSSIP_KEY")
		if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
			e.ValueFrom.SecretKeyRef.Name != "wsd-gossip" || e.ValueFrom.SecretKeyRef.Key != "gossip-key" {
			t.Fatalf("WSD_GOSSIP_KEY: %+v, want it from Secret wsd-gossip, key gossip-key", e)
		}
		key, err := base64.StdEncoding.DecodeString(string(s.Data["gossip-key"]))
		if err != nil || len(key) != 32 {
			t.Errorf("gossip key: %d bytes (%v), want the base64 of 32 bytes", len(key), err)
		}
	})

	t.Run("exported pods carry them", func(t *testing.T) {
		pods, _ := RenderedPods(t, nil)
		for _, p := range pods {
			if p.Env["WSD_GOSSIP_KEY"] == "" || p.Files["/etc/wsd/tls/raft/tls.crt"] == "" || p.Files["/etc/wsd/tls/raft/ca.crt"] == "" {
				t.Errorf("pod %s: env %v, files %v: want the gossip key and the raft files", p.Name, p.Env, slices.Collect(maps.Keys(p.Files)))
			}
		}
	})
}

// TestChart_Template_admissionSecretsNamedOrOff: named Secrets are used
// as they are and nothing is generated; switched off, neither the flags
// nor the Secrets appear, which authentication refuses unless
// insecureCluster says so.
func TestChart_Template_admissionSecretsNamedOrOff(t *testing.T) {
	t.Parallel()
	t.Run("named", func(t *testing.T) {
		m := Render(t, map[string]any{
			"tls":    map[string]any{"raft": map[string]any{"secretName": "my-raft"}},
			"gossip": map[string]any{"encryption": map[string]any{"secretName": "my-gossip", "key": "k"}},
		})
		if len(m.Secrets) != 0 {
			t.Errorf("got %d Secrets, want none when both are named", len(m.Secrets))
		}
		c := m.Container(t)
		if e := envVar(c, "WSD_GOSSIP_KEY"); e == nil || e.ValueFrom.SecretKeyRef.Name != "my-gossip" || e.ValueFrom.SecretKeyRef.Key != "k" {
			t.Errorf("WSD_GOSSIP_KEY: %+v, want my-gossip/k", e)
		}
		vols := m.StatefulSet(t).Spec.Template.Spec.Volumes
		if !slices.ContainsFunc(vols, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "my-raft" }) {
			t.Errorf("no volume from Secret my-raft: %+v", vols)
		}
	})
	off := map[string]any{
		"tls":    map[string]any{"raft": map[string]any{"enabled": false}},
		"gossip": map[string]any{"encryption": map[string]any{"enabled": false}},
	}
	t.Run("off", func(t *testing.T) {
		m := Render(t, off)
		c := m.Container(t)
		if len(m.Secrets) != 0 || envVar(c, "WSD_GOSSIP_KEY") != nil {
			t.Errorf("Secrets %d, WSD_GOSSIP_KEY %v: want neither", len(m.Secrets), envVar(c, "WSD_GOSSIP_KEY"))
		}
		for _, f := range []string{"raft-tls-cert", "insecure-cluster"} {
			if _, ok := flagValue(c.Args, f); ok {
				t.Errorf("--%s in args %q", f, c.Args)
			}
		}
	})
	t.Run("oidc needs them", func(t *testing.T) {
		off["auth"] = oidcValues()
		if out, err := Template(t, off); err == nil {
			t.Fatalf("oidc without admission secrets rendered:\n%s", out)
		}
		off["insecureCluster"] = true
		c := Render(t, off).Container(t)
		wantFlag(t, c.Args, "insecure-cluster", "true")
		wantFlag(t, c.Args, "auth", "oidc")
	})
	t.Run("oidc with the defaults", func(t *testing.T) {
		c := Render(t, map[string]any{"auth": oidcValues()}).Container(t)
		if _, ok := flagValue(c.Args, "insecure-cluster"); ok {
			t.Errorf("args %q: --insecure-cluster with the default secrets", c.Args)
		}
	})
}
