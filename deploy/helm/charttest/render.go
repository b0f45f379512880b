package charttest

import (
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Manifest is a rendered chart, each object decoded into its API type.
type Manifest struct {
	StatefulSets         []appsv1.StatefulSet
	Services             []corev1.Service
	PodDisruptionBudgets []policyv1.PodDisruptionBudget
	ServiceAccounts      []corev1.ServiceAccount
	// Secrets are the ones the chart generates (cluster admission secrets).
	Secrets []corev1.Secret
	// ServiceMonitors are kept unstructured: the Prometheus Operator types
	// are not worth a dependency. DecodeManifest checks their required fields.
	ServiceMonitors []unstructured.Unstructured
}

// apiVersionOf returns the apiVersion of every kind the chart may render.
func apiVersionOf(kind string) (string, bool) {
	switch kind {
	case "StatefulSet":
		return "apps/v1", true
	case "Service", "ServiceAccount", "Secret":
		return "v1", true
	case "PodDisruptionBudget":
		return "policy/v1", true
	case "ServiceMonitor":
		return "monitoring.coreos.com/v1", true
	}
	return "", false
}

// Render templates the chart with values (nil for the defaults) and
// decodes the result; it fails t if helm or decoding fails.
func Render(t testing.TB, values map[string]any) *Manifest {
	t.Helper()
	out, err := Template(t, values)
	if err != nil {
		t.Fatal(err)
	}
	return DecodeManifest(t, out)
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// SplitDocuments splits multi-document YAML and drops documents that hold
// only comments or white space.
func SplitDocuments(s string) []string {
	var docs []string
	for _, d := range docSeparator.Split(s, -1) {
		empty := true
		for _, line := range strings.Split(d, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, d)
		}
	}
	return docs
}

// DecodeManifest decodes every document of a rendered chart strictly into
// its API type: an unknown or duplicate field, a wrong apiVersion or an
// unexpected kind fails t.
func DecodeManifest(t testing.TB, rendered string) *Manifest {
	t.Helper()
	m := &Manifest{}
	for i, doc := range SplitDocuments(rendered) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		want, ok := apiVersionOf(tm.Kind)
		if !ok {
			t.Fatalf("document %d: unexpected kind %q\n%s", i, tm.Kind, doc)
		}
		if tm.APIVersion != want {
			t.Fatalf("document %d: %s has apiVersion %q, want %q", i, tm.Kind, tm.APIVersion, want)
		}
		strict := func(into any) {
			t.Helper()
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("document %d (%s): strict decode: %v\n%s", i, tm.Kind, err, doc)
			}
		}
		switch tm.Kind {
		case "StatefulSet":
			var o appsv1.StatefulSet
			strict(&o)
			m.StatefulSets = append(m.StatefulSets, o)
		case "Service":
			var o corev1.Service
			strict(&o)
			m.Services = append(m.Services, o)
		case "PodDisruptionBudget":
			var o policyv1.PodDisruptionBudget
			strict(&o)
			m.PodDisruptionBudgets = append(m.PodDisruptionBudgets, o)
		case "ServiceAccount":
			var o corev1.ServiceAccount
			strict(&o)
			m.ServiceAccounts = append(m.ServiceAccounts, o)
		case "ServiceMonitor":
			m.ServiceMonitors = append(m.ServiceMonitors, decodeServiceMonitor(t, doc))
		case "Secret":
			var o corev1.Secret
			strict(&o)
			m.Secrets = append(m.Secrets, o)
		}
	}
	return m
}

// decodeServiceMonitor decodes a ServiceMonitor and checks the fields the
// Prometheus Operator requires, plus the ones this chart relies on.
func decodeServiceMonitor(t testing.TB, doc string) unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		t.Fatalf("ServiceMonitor: %v", err)
	}
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("ServiceMonitor: %v", err)
	}
	if u.GetName() == "" || u.GetNamespace() == "" {
		t.Fatalf("ServiceMonitor: name %q, namespace %q: both are required", u.GetName(), u.GetNamespace())
	}
	if _, ok, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels"); !ok {
		t.Fatal("ServiceMonitor: spec.selector.matchLabels missing")
	}
	eps, ok, err := unstructured.NestedSlice(u.Object, "spec", "endpoints")
	if err != nil || !ok || len(eps) == 0 {
		t.Fatalf("ServiceMonitor: spec.endpoints missing or empty (err %v)", err)
	}
	known := map[string]bool{
		"port": true, "path": true, "scheme": true, "interval": true, "scrapeTimeout": true,
		"tlsConfig": true, "relabelings": true, "metricRelabelings": true,
	}
	for i, e := range eps {
		ep, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("ServiceMonitor: endpoint %d is %T, want an object", i, e)
		}
		for k := range ep {
			if !known[k] {
				t.Errorf("ServiceMonitor: endpoint %d: unexpected field %q", i, k)
			}
		}
		if p, _ := ep["port"].(string); p == "" {
			t.Errorf("ServiceMonitor: endpoint %d: port (a Service port name) is required", i)
		}
		if s, ok := ep["scheme"]; ok && s != "http" && s != "https" {
			t.Errorf("ServiceMonitor: endpoint %d: scheme %v, want http or https", i, s)
		}
	}
	return u
}

// StatefulSet returns the only StatefulSet, failing t unless there is exactly one.
func (m *Manifest) StatefulSet(t testing.TB) *appsv1.StatefulSet {
	t.Helper()
	if len(m.StatefulSets) != 1 {
		t.Fatalf("got %d StatefulSets, want 1", len(m.StatefulSets))
	}
	return &m.StatefulSets[0]
}

// Secret returns the Secret called name, or nil.
func (m *Manifest) Secret(name string) *corev1.Secret {
	for i := range m.Secrets {
		if m.Secrets[i].Name == name {
			return &m.Secrets[i]
		}
	}
	return nil
}

// Service returns the Service called name, failing t if there is none.
func (m *Manifest) Service(t testing.TB, name string) *corev1.Service {
	t.Helper()
	for i := range m.Services {
		if m.Services[i].Name == name {
			return &m.Services[i]
		}
	}
	var names []string
	for _, s := range m.Services {
		names = append(names, s.Name)
	}
	t.Fatalf("no Service %q; have %v", name, names)
	return nil
}

// Container returns the wsd container of the StatefulSet.
func (m *Manifest) Container(t testing.TB) *corev1.Container {
	t.Helper()
	sts := m.StatefulSet(t)
	for i := range sts.Spec.Template.Spec.Containers {
		if c := &sts.Spec.Template.Spec.Containers[i]; c.Name == "wsd" {
			return c
		}
	}
	t.Fatal("StatefulSet has no container named wsd")
	return nil
}
