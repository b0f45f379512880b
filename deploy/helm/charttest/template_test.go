package charttest

import (
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func wantFlag(t *testing.T, args []string, name, want string) {
	t.Helper()
	got, ok := flagValue(args, name)
	if !ok {
		t.Errorf("--%s missing from args %q", name, args)
		return
	}
	if got != want {
		t.Errorf("--%s = %q, want %q", name, got, want)
	}
}

func envVar(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func containerPort(t *testing.T, c *corev1.Container, name string) corev1.ContainerPort {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("container has no port %q; has %+v", name, c.Ports)
	return corev1.ContainerPort{}
}

func servicePort(t *testing.T, s *corev1.Service, name string) corev1.ServicePort {
	t.Helper()
	for _, p := range s.Spec.Ports {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("Service %s has no port %q; has %+v", s.Name, name, s.Spec.Ports)
	return corev1.ServicePort{}
}

// selects reports whether selector matches every label in it against labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestChart_Template_defaults(t *testing.T) {
	t.Parallel()
	m := Render(t, nil)
	checkObjects(t, m)
	sts := m.StatefulSet(t)
	c := m.Container(t)
	pod := sts.Spec.Template

	t.Run("objects", func(t *testing.T) {
		if got := len(m.Services); got != 2 {
			t.Errorf("got %d Services, want 2 (headless and client)", got)
		}
		if got := len(m.PodDisruptionBudgets); got != 1 {
			t.Errorf("got %d PodDisruptionBudgets, want 1", got)
		}
		if got := len(m.ServiceAccounts); got != 1 {
			t.Errorf("got %d ServiceAccounts, want 1", got)
		}
		if got := len(m.ServiceMonitors); got != 0 {
			t.Errorf("got %d ServiceMonitors, want 0 unless serviceMonitor.enabled", got)
		}
	})

	t.Run("statefulset", func(t *testing.T) {
		if sts.Name != "wsd" {
			t.Errorf("name %q, want wsd", sts.Name)
		}
		if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
			t.Errorf("replicas %v, want 3", sts.Spec.Replicas)
		}
		if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			t.Errorf("podManagementPolicy %q, want Parallel", sts.Spec.PodManagementPolicy)
		}
		if sts.Spec.ServiceName != "wsd-headless" {
			t.Errorf("serviceName %q, want wsd-headless", sts.Spec.ServiceName)
		}
		if !selects(sts.Spec.Selector.MatchLabels, pod.Labels) {
			t.Errorf("selector %v does not select pod labels %v", sts.Spec.Selector.MatchLabels, pod.Labels)
		}
		if got := pod.Spec.TerminationGracePeriodSeconds; got == nil || *got != 30 {
			t.Errorf("terminationGracePeriodSeconds %v, want 30", got)
		}
		if got := pod.Spec.AutomountServiceAccountToken; got == nil || *got {
			t.Errorf("automountServiceAccountToken %v, want false", got)
		}
		if pod.Spec.ServiceAccountName != "wsd" {
			t.Errorf("serviceAccountName %q, want wsd", pod.Spec.ServiceAccountName)
		}
	})

	t.Run("volume", func(t *testing.T) {
		if len(sts.Spec.VolumeClaimTemplates) != 1 {
			t.Fatalf("got %d volumeClaimTemplates, want 1", len(sts.Spec.VolumeClaimTemplates))
		}
		pvc := sts.Spec.VolumeClaimTemplates[0]
		if pvc.Name != "data" {
			t.Errorf("claim template %q, want data", pvc.Name)
		}
		if got := pvc.Spec.Resources.Requests.Storage().String(); got != "2Gi" {
			t.Errorf("storage %s, want 2Gi", got)
		}
		if pvc.Spec.StorageClassName != nil {
			t.Errorf("storageClassName %q, want unset (the cluster default)", *pvc.Spec.StorageClassName)
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.Name == "data" && v.MountPath == "/data" }) {
			t.Errorf("volume data is not mounted at /data: %+v", c.VolumeMounts)
		}
	})

	t.Run("args", func(t *testing.T) {
		const headless = "wsd-headless.wsd.svc.cluster.local"
		wantFlag(t, c.Args, "node-id", "$(POD_NAME)")
		wantFlag(t, c.Args, "data-dir", "/data")
		wantFlag(t, c.Args, "http-addr", ":8080")
		wantFlag(t, c.Args, "raft-addr", ":8300")
		wantFlag(t, c.Args, "gossip-addr", ":8301")
		wantFlag(t, c.Args, "advertise", "$(POD_NAME)."+headless)
		wantFlag(t, c.Args, "join", headless+":8301")
		wantFlag(t, c.Args, "bootstrap-expect", "3")
		wantFlag(t, c.Args, "log-format", "json")
		// Raft mutual TLS and gossip encryption are on by default (see
		// secrets_test.go); the key never travels on the command line.
		wantFlag(t, c.Args, "raft-tls-cert", "/etc/wsd/tls/raft/tls.crt")
		for _, off := range []string{"auth", "oidc-issuer", "admin-principal", "tls-cert", "tls-client-ca", "gossip-key", "insecure-cluster"} {
			if v, ok := flagValue(c.Args, off); ok {
				t.Errorf("--%s=%s rendered with default values; want it only when enabled", off, v)
			}
		}
		pn := envVar(c, "POD_NAME")
		if pn == nil || pn.ValueFrom == nil || pn.ValueFrom.FieldRef == nil || pn.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("POD_NAME env %+v, want the downward API metadata.name", pn)
		}
		if e := envVar(c, "WSD_GOSSIP_KEY"); e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Error("WSD_GOSSIP_KEY not taken from a Secret with the default gossip encryption")
		}
	})

	t.Run("ports", func(t *testing.T) {
		for _, p := range []struct {
			name  string
			port  int32
			proto corev1.Protocol
		}{
			{"http", 8080, corev1.ProtocolTCP},
			{"raft", 8300, corev1.ProtocolTCP},
			{"gossip-tcp", 8301, corev1.ProtocolTCP},
			{"gossip-udp", 8301, corev1.ProtocolUDP},
		} {
			got := containerPort(t, c, p.name)
			if got.ContainerPort != p.port || got.Protocol != p.proto {
				t.Errorf("port %s = %d/%s, want %d/%s", p.name, got.ContainerPort, got.Protocol, p.port, p.proto)
			}
		}
	})

	t.Run("probes", func(t *testing.T) {
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			path  string
		}{
			{"liveness", c.LivenessProbe, "/healthz"},
			{"readiness", c.ReadinessProbe, "/readyz"},
		} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%s probe %+v, want an httpGet", p.name, p.probe)
				continue
			}
			g := p.probe.HTTPGet
			if g.Path != p.path || g.Port != intstr.FromString("http") || g.Scheme != corev1.URISchemeHTTP {
				t.Errorf("%s probe %s %v %s, want %s on port http over HTTP", p.name, g.Path, g.Port.String(), g.Scheme, p.path)
			}
		}
	})

	t.Run("security", func(t *testing.T) {
		ps := pod.Spec.SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != 65532 {
			t.Errorf("pod securityContext %+v, want runAsNonRoot and runAsUser 65532", ps)
		}
		if ps == nil || ps.FSGroup == nil || *ps.FSGroup != 65532 {
			t.Errorf("pod securityContext %+v, want fsGroup 65532 so the volume is writable", ps)
		}
		sc := c.SecurityContext
		if sc == nil {
			t.Fatal("container has no securityContext")
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("container runAsNonRoot %v runAsUser %v, want true and 65532", sc.RunAsNonRoot, sc.RunAsUser)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
			t.Errorf("capabilities %+v, want drop [ALL] and nothing added", sc.Capabilities)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("seccompProfile %+v, want RuntimeDefault", sc.SeccompProfile)
		}
	})

	t.Run("anti-affinity", func(t *testing.T) {
		a := pod.Spec.Affinity
		if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
			t.Fatalf("affinity %+v, want one preferred pod anti-affinity term", a)
		}
		if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 0 {
			t.Error("required anti-affinity rendered by default")
		}
		term := a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
		if term.TopologyKey != "kubernetes.io/hostname" || !selects(term.LabelSelector.MatchLabels, pod.Labels) {
			t.Errorf("anti-affinity term %+v does not spread these pods over hosts", term)
		}
	})

	t.Run("headless service", func(t *testing.T) {
		s := m.Service(t, "wsd-headless")
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("clusterIP %q, want None", s.Spec.ClusterIP)
		}
		if !s.Spec.PublishNotReadyAddresses {
			t.Error("publishNotReadyAddresses is false: pods could never find each other before a leader exists")
		}
		if !selects(s.Spec.Selector, pod.Labels) {
			t.Errorf("selector %v does not select pod labels %v", s.Spec.Selector, pod.Labels)
		}
		for _, p := range []struct {
			name  string
			port  int32
			proto corev1.Protocol
		}{
			{"http", 8080, corev1.ProtocolTCP},
			{"raft", 8300, corev1.ProtocolTCP},
			{"gossip-tcp", 8301, corev1.ProtocolTCP},
			{"gossip-udp", 8301, corev1.ProtocolUDP},
		} {
			got := servicePort(t, s, p.name)
			if got.Port != p.port || got.Protocol != p.proto || got.TargetPort != intstr.FromString(p.name) {
				t.Errorf("port %s = %d/%s -> %s, want %d/%s -> %s", p.name, got.Port, got.Protocol, got.TargetPort.String(), p.port, p.proto, p.name)
			}
		}
	})

	t.Run("client service", func(t *testing.T) {
		s := m.Service(t, "wsd")
		if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.ClusterIP == corev1.ClusterIPNone {
			t.Errorf("type %q clusterIP %q, want a ClusterIP Service with an address", s.Spec.Type, s.Spec.ClusterIP)
		}
		if s.Spec.PublishNotReadyAddresses {
			t.Error("client Service publishes pods that are not ready")
		}
		if !selects(s.Spec.Selector, pod.Labels) {
			t.Errorf("selector %v does not select pod labels %v", s.Spec.Selector, pod.Labels)
		}
		if len(s.Spec.Ports) != 1 {
			t.Fatalf("ports %+v, want only http", s.Spec.Ports)
		}
		if p := servicePort(t, s, "http"); p.Port != 8080 || p.TargetPort != intstr.FromString("http") {
			t.Errorf("http port %d -> %s, want 8080 -> http", p.Port, p.TargetPort.String())
		}
	})

	t.Run("pdb", func(t *testing.T) {
		pdb := m.PodDisruptionBudgets[0]
		if pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != intstr.FromInt32(1) {
			t.Errorf("maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
		}
		if pdb.Spec.MinAvailable != nil {
			t.Errorf("minAvailable %v set alongside maxUnavailable", pdb.Spec.MinAvailable)
		}
		if pdb.Spec.Selector == nil || !selects(pdb.Spec.Selector.MatchLabels, pod.Labels) {
			t.Errorf("selector %v does not select pod labels %v", pdb.Spec.Selector, pod.Labels)
		}
	})
}

func TestChart_Template_allOptions(t *testing.T) {
	t.Parallel()
	values := LoadValues(t, filepath.Join("testdata", "all-options.yaml"))
	m := Render(t, values)
	checkObjects(t, m)
	sts := m.StatefulSet(t)
	c := m.Container(t)
	pod := sts.Spec.Template
	const headless = "meta-headless.wsd.svc.k8s.example.internal"

	t.Run("args", func(t *testing.T) {
		for _, f := range []struct{ name, want string }{
			{"node-id", "$(POD_NAME)"},
			{"http-addr", ":9080"},
			{"raft-addr", ":9300"},
			{"gossip-addr", ":9301"},
			{"advertise", "$(POD_NAME)." + headless},
			{"join", headless + ":9301"},
			{"bootstrap-expect", "5"},
			{"dead-server-timeout", "10m"},
			{"max-stale", "2s"},
			{"leader-wait", "15s"},
			{"log-level", "debug"},
			{"log-format", "text"},
			{"auth", "oidc"},
			{"oidc-issuer", "https://issuer.example.com/realms/platform"},
			{"oidc-audience", "wsd"},
			{"oidc-jwks-file", "/etc/wsd/oidc/keys.json"},
			{"oidc-claim-subject", "preferred_username"},
			{"oidc-claim-email", "mail"},
			{"oidc-claim-groups", "roles"},
			{"admin-principal", "admin@example.com"},
			{"tls-cert", "/etc/wsd/tls/api/tls.crt"},
			{"tls-key", "/etc/wsd/tls/api/tls.key"},
			{"tls-ca", "/etc/wsd/tls/api/ca.crt"},
			{"tls-client-ca", "/etc/wsd/tls/client-ca/clients.crt"},
			{"raft-tls-cert", "/etc/wsd/tls/raft/tls.crt"},
			{"raft-tls-key", "/etc/wsd/tls/raft/tls.key"},
			{"raft-tls-ca", "/etc/wsd/tls/raft/ca.crt"},
			{"insecure-cluster", "true"},
		} {
			wantFlag(t, c.Args, f.name, f.want)
		}
		if c.Args[len(c.Args)-1] != "--trust-principal-headers" {
			t.Errorf("extraArgs not appended last: %q", c.Args)
		}
		if _, ok := flagValue(c.Args, "gossip-key"); ok {
			t.Error("the gossip key is on the command line; it belongs in WSD_GOSSIP_KEY")
		}
	})

	t.Run("secret files are mounted", func(t *testing.T) {
		// Every flag naming a file must point into a mounted Secret that
		// holds that key, or the daemon fails at start.
		for _, name := range []string{"oidc-jwks-file", "tls-cert", "tls-key", "tls-ca", "tls-client-ca", "raft-tls-cert", "raft-tls-key", "raft-tls-ca"} {
			file, _ := flagValue(c.Args, name)
			checkSecretFile(t, &pod.Spec, c, name, file)
		}
		want := map[string]string{"oidc-jwks-file": "wsd-jwks", "tls-cert": "wsd-api-tls", "tls-client-ca": "wsd-client-ca", "raft-tls-ca": "wsd-raft-tls"}
		for name, secret := range want {
			file, _ := flagValue(c.Args, name)
			if got := secretOf(&pod.Spec, c, file); got != secret {
				t.Errorf("--%s=%s comes from Secret %q, want %q", name, file, got, secret)
			}
		}
	})

	t.Run("env", func(t *testing.T) {
		g := envVar(c, "WSD_GOSSIP_KEY")
		if g == nil || g.ValueFrom == nil || g.ValueFrom.SecretKeyRef == nil {
			t.Fatalf("WSD_GOSSIP_KEY %+v, want a secretKeyRef", g)
		}
		if ref := g.ValueFrom.SecretKeyRef; ref.Name != "wsd-gossip" || ref.Key != "key" {
			t.Errorf("WSD_GOSSIP_KEY from %s/%s, want wsd-gossip/key", ref.Name, ref.Key)
		}
		if e := envVar(c, "GOMEMLIMIT"); e == nil || e.Value != "900MiB" {
			t.Errorf("extraEnv GOMEMLIMIT %+v, want 900MiB", e)
		}
	})

	t.Run("probes over TCP with client certificates", func(t *testing.T) {
		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.TCPSocket == nil || p.HTTPGet != nil || p.TCPSocket.Port != intstr.FromString("http") {
				t.Errorf("%s probe %+v, want a TCP check on port http", name, p)
			}
		}
		if p := c.ReadinessProbe; p.PeriodSeconds != 3 || p.SuccessThreshold != 2 {
			t.Errorf("readiness timing %+v, want period 3 and success threshold 2", p.ProbeHandler)
		}
	})

	t.Run("statefulset", func(t *testing.T) {
		if sts.Name != "meta" || sts.Spec.ServiceName != "meta-headless" {
			t.Errorf("name %q serviceName %q, want meta and meta-headless", sts.Name, sts.Spec.ServiceName)
		}
		if *sts.Spec.Replicas != 5 {
			t.Errorf("replicas %d, want 5", *sts.Spec.Replicas)
		}
		if c.Image != "registry.example.com/platform/wsd:1.2.3" || c.ImagePullPolicy != corev1.PullAlways {
			t.Errorf("image %q %s, want registry.example.com/platform/wsd:1.2.3 Always", c.Image, c.ImagePullPolicy)
		}
		if got := *pod.Spec.TerminationGracePeriodSeconds; got != 45 {
			t.Errorf("terminationGracePeriodSeconds %d, want 45", got)
		}
		if pod.Spec.ServiceAccountName != "wsd-server" || m.ServiceAccounts[0].Name != "wsd-server" {
			t.Errorf("serviceAccount %q / %q, want wsd-server", pod.Spec.ServiceAccountName, m.ServiceAccounts[0].Name)
		}
		if pod.Spec.PriorityClassName != "platform-critical" || pod.Spec.NodeSelector["kubernetes.io/os"] != "linux" ||
			len(pod.Spec.Tolerations) != 1 || len(pod.Spec.TopologySpreadConstraints) != 1 || len(pod.Spec.ImagePullSecrets) != 1 {
			t.Errorf("scheduling values not all rendered: %+v", pod.Spec)
		}
		if pod.Labels["team"] != "platform" || pod.Annotations["example.com/scrape"] != "false" {
			t.Errorf("pod labels %v annotations %v lack podLabels/podAnnotations", pod.Labels, pod.Annotations)
		}
		a := pod.Spec.Affinity.PodAntiAffinity
		if len(a.RequiredDuringSchedulingIgnoredDuringExecution) != 1 || len(a.PreferredDuringSchedulingIgnoredDuringExecution) != 0 {
			t.Fatalf("anti-affinity %+v, want exactly one required term", a)
		}
		if term := a.RequiredDuringSchedulingIgnoredDuringExecution[0]; term.TopologyKey != "topology.kubernetes.io/zone" || !selects(term.LabelSelector.MatchLabels, pod.Labels) {
			t.Errorf("required term %+v, want these pods spread over zones", term)
		}
		pvc := sts.Spec.VolumeClaimTemplates[0]
		if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "fast-ssd" || pvc.Spec.Resources.Requests.Storage().String() != "20Gi" {
			t.Errorf("claim template %+v, want 20Gi of fast-ssd", pvc.Spec)
		}
		if p := sts.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			t.Errorf("retention policy %+v, want whenDeleted Delete", p)
		}
		if got := c.Resources.Limits.Memory().String(); got != "1Gi" {
			t.Errorf("memory limit %s, want 1Gi", got)
		}
	})

	t.Run("services", func(t *testing.T) {
		s := m.Service(t, "meta")
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || servicePort(t, s, "http").Port != 443 {
			t.Errorf("client Service %s port %d, want LoadBalancer 443", s.Spec.Type, servicePort(t, s, "http").Port)
		}
		h := m.Service(t, "meta-headless")
		if !h.Spec.PublishNotReadyAddresses || servicePort(t, h, "gossip-udp").Port != 9301 {
			t.Errorf("headless Service %+v, want not-ready addresses published and gossip on 9301", h.Spec)
		}
	})

	t.Run("servicemonitor", func(t *testing.T) {
		if len(m.ServiceMonitors) != 1 {
			t.Fatalf("got %d ServiceMonitors, want 1", len(m.ServiceMonitors))
		}
		sm := m.ServiceMonitors[0]
		if sm.GetNamespace() != "monitoring" || sm.GetLabels()["release"] != "prometheus" {
			t.Errorf("namespace %q labels %v, want monitoring and release=prometheus", sm.GetNamespace(), sm.GetLabels())
		}
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		if peers := m.Service(t, "meta-headless"); !selects(sel, peers.Labels) {
			t.Errorf("selector %v does not select the headless Service (labels %v)", sel, peers.Labels)
		}
		if selects(sel, m.Service(t, "meta").Labels) {
			t.Errorf("selector %v also selects the client Service: every pod would be scraped twice", sel)
		}
		ns, _, _ := unstructured.NestedStringSlice(sm.Object, "spec", "namespaceSelector", "matchNames")
		if !slices.Equal(ns, []string{Namespace}) {
			t.Errorf("namespaceSelector %v, want [%s]", ns, Namespace)
		}
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		ep := eps[0].(map[string]any)
		if ep["port"] != "http" || ep["path"] != "/metrics" || ep["scheme"] != "https" || ep["interval"] != "15s" {
			t.Errorf("endpoint %v, want port http, path /metrics, scheme https, interval 15s", ep)
		}
		if _, ok := ep["tlsConfig"]; !ok {
			t.Error("endpoint lacks tlsConfig")
		}
	})
}

// mountOf returns the volume mounted at the directory holding file.
func mountOf(spec *corev1.PodSpec, c *corev1.Container, file string) (*corev1.Volume, string) {
	dir, base := path.Split(file)
	for _, vm := range c.VolumeMounts {
		if path.Clean(vm.MountPath) != path.Clean(dir) {
			continue
		}
		for i := range spec.Volumes {
			if spec.Volumes[i].Name == vm.Name {
				return &spec.Volumes[i], base
			}
		}
	}
	return nil, base
}

func secretOf(spec *corev1.PodSpec, c *corev1.Container, file string) string {
	v, _ := mountOf(spec, c, file)
	if v == nil || v.Secret == nil {
		return ""
	}
	return v.Secret.SecretName
}

// checkSecretFile checks that file is in a Secret volume mounted read-only,
// and that the volume projects the file's key when it lists items.
func checkSecretFile(t *testing.T, spec *corev1.PodSpec, c *corev1.Container, flag, file string) {
	t.Helper()
	if file == "" {
		t.Errorf("--%s not rendered", flag)
		return
	}
	v, base := mountOf(spec, c, file)
	if v == nil || v.Secret == nil {
		t.Errorf("--%s=%s: no Secret volume is mounted at %s", flag, file, path.Dir(file))
		return
	}
	for _, vm := range c.VolumeMounts {
		if vm.Name == v.Name && !vm.ReadOnly {
			t.Errorf("--%s: volume %s is mounted writable", flag, v.Name)
		}
	}
	if items := v.Secret.Items; len(items) > 0 && !slices.ContainsFunc(items, func(k corev1.KeyToPath) bool { return k.Path == base }) {
		t.Errorf("--%s=%s: Secret volume %s projects %+v, not %s", flag, file, v.Name, items, base)
	}
}

// checkObjects applies the API server's name and label rules, which a
// strict decode alone does not catch, to every rendered object.
func checkObjects(t *testing.T, m *Manifest) {
	t.Helper()
	check := func(what string, errs []string) {
		t.Helper()
		if len(errs) > 0 {
			t.Errorf("%s: %s", what, strings.Join(errs, "; "))
		}
	}
	labels := func(kind, name string, l map[string]string) {
		t.Helper()
		for k, v := range l {
			check(kind+" "+name+" label key "+k, validation.IsQualifiedName(k))
			check(kind+" "+name+" label "+k+"="+v, validation.IsValidLabelValue(v))
		}
	}
	for _, s := range m.Services {
		check("Service name "+s.Name, validation.IsDNS1035Label(s.Name))
		labels("Service", s.Name, s.Labels)
		for _, p := range s.Spec.Ports {
			check("Service "+s.Name+" port name "+p.Name, validation.IsValidPortName(p.Name))
		}
	}
	for _, s := range m.StatefulSets {
		check("StatefulSet name "+s.Name, validation.IsDNS1123Label(s.Name))
		// The controller labels each pod <name>-<revision hash>.
		if n := len(s.Name) + 11; n > validation.DNS1123LabelMaxLength {
			t.Errorf("StatefulSet name %q leaves no room for the revision hash label (%d > 63)", s.Name, n)
		}
		labels("StatefulSet", s.Name, s.Labels)
		labels("pod template", s.Name, s.Spec.Template.Labels)
		for _, c := range s.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				check("container port name "+p.Name, validation.IsValidPortName(p.Name))
			}
			for _, e := range c.Env {
				check("env "+e.Name, validation.IsEnvVarName(e.Name))
			}
		}
	}
	for _, p := range m.PodDisruptionBudgets {
		check("PodDisruptionBudget name "+p.Name, validation.IsDNS1123Subdomain(p.Name))
		labels("PodDisruptionBudget", p.Name, p.Labels)
	}
	for _, a := range m.ServiceAccounts {
		check("ServiceAccount name "+a.Name, validation.IsDNS1123Subdomain(a.Name))
	}
}
