package charttest

import (
	"fmt"
	"path"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// RenderedArgs renders the chart with values (nil for the defaults) and
// returns the wsd container's args exactly as rendered, $(POD_NAME)
// references included, and its environment variables that have a literal
// value. Variables taken from the downward API or a Secret are left out of
// env; RenderedPods resolves the downward API ones for each pod.
func RenderedArgs(t testing.TB, values map[string]any) (args []string, env map[string]string) {
	t.Helper()
	c := Render(t, values).Container(t)
	env = map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return append([]string(nil), c.Args...), env
}

// Pod is one server as the kubelet would start it.
type Pod struct {
	// Name is the pod name, <fullname>-<ordinal>; it is also the raft node id.
	Name string
	// Host is the pod's stable DNS name, the address it advertises.
	Host string
	// Args are the container args with $(VAR) references expanded.
	Args []string
	// Env is the container environment with the downward API resolved.
	// Variables from Secrets the chart generates hold those Secrets'
	// values; variables from other Secrets are absent: the caller supplies
	// them.
	Env map[string]string
	// Files are the files the container mounts from Secrets the chart
	// generates, by path in the container.
	Files map[string]string `json:",omitempty"`
}

// RenderedPods renders the chart with values and returns every replica as
// the kubelet would start it, plus the headless Service's DNS name, which
// resolves to all of them and is what --join names. A test that runs these
// as processes on one machine maps each Host, and headless, to loopback
// addresses.
func RenderedPods(t testing.TB, values map[string]any) (pods []Pod, headless string) {
	t.Helper()
	m := Render(t, values)
	sts := m.StatefulSet(t)
	c := m.Container(t)
	headless = fmt.Sprintf("%s.%s.svc.%s", sts.Spec.ServiceName, Namespace, clusterDomain(values))
	replicas := 1
	if sts.Spec.Replicas != nil {
		replicas = int(*sts.Spec.Replicas)
	}
	for i := range replicas {
		name := fmt.Sprintf("%s-%d", sts.Name, i)
		env, err := PodEnv(c.Env, map[string]string{
			"metadata.name":      name,
			"metadata.namespace": Namespace,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				if sec := m.Secret(ref.SecretKeyRef.Name); sec != nil {
					env[e.Name] = string(sec.Data[ref.SecretKeyRef.Key])
				}
			}
		}
		args := make([]string, len(c.Args))
		for j, a := range c.Args {
			args[j] = Expand(a, env)
		}
		pods = append(pods, Pod{Name: name, Host: name + "." + headless, Args: args, Env: env, Files: secretFiles(m, sts, c)})
	}
	return pods, headless
}

func clusterDomain(values map[string]any) string {
	if d, ok := values["clusterDomain"].(string); ok && d != "" {
		return d
	}
	return "cluster.local"
}

// PodEnv resolves a container's environment the way the kubelet does:
// in order, each value expanded against the variables before it, with
// downward API field references looked up in fields. Variables from
// Secrets or ConfigMaps are skipped; any other source is an error.
func PodEnv(vars []corev1.EnvVar, fields map[string]string) (map[string]string, error) {
	env := map[string]string{}
	for _, e := range vars {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = Expand(e.Value, env)
		case e.ValueFrom.FieldRef != nil:
			v, ok := fields[e.ValueFrom.FieldRef.FieldPath]
			if !ok {
				return nil, fmt.Errorf("env %s: field %q not known to the test", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
			env[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil, e.ValueFrom.ConfigMapKeyRef != nil:
		default:
			return nil, fmt.Errorf("env %s: unsupported source", e.Name)
		}
	}
	return env, nil
}

// Expand replaces $(VAR) references in s with env's values, as the kubelet
// does for args and env: $$ stands for a literal $, and a reference to an
// undefined variable, or one left unclosed, stays as written.
func Expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// secretFiles returns the files c mounts from Secrets of the manifest, by
// path in the container (a mount of every key, or of the listed items).
func secretFiles(m *Manifest, sts *appsv1.StatefulSet, c *corev1.Container) map[string]string {
	files := map[string]string{}
	for _, vm := range c.VolumeMounts {
		for _, v := range sts.Spec.Template.Spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			sec := m.Secret(v.Secret.SecretName)
			if sec == nil {
				continue
			}
			if len(v.Secret.Items) == 0 {
				for k, b := range sec.Data {
					files[path.Join(vm.MountPath, k)] = string(b)
				}
			}
			for _, it := range v.Secret.Items {
				files[path.Join(vm.MountPath, it.Path)] = string(sec.Data[it.Key])
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	return files
}
