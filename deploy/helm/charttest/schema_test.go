package charttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// schemaNode is the part of JSON Schema the chart's schema uses.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Description          string                 `json:"description"`
	Type                 any                    `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Definitions          map[string]*schemaNode `json:"definitions"`
}

func loadSchema(t *testing.T) *schemaNode {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ChartDir(t), "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s schemaNode
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	return &s
}

// resolve follows a local $ref.
func (s *schemaNode) resolve(root *schemaNode) *schemaNode {
	if name, ok := strings.CutPrefix(s.Ref, "#/definitions/"); ok {
		if d := root.Definitions[name]; d != nil {
			return d
		}
	}
	return s
}

// The schema is strict: every value the chart reads is described, and an
// object the chart defines admits no keys it does not list.
func TestSchema_describesEveryValue(t *testing.T) {
	t.Parallel()
	root := loadSchema(t)
	var walk func(where string, n *schemaNode)
	walk = func(where string, n *schemaNode) {
		if n.Description == "" {
			t.Errorf("%s: no description", where)
		}
		r := n.resolve(root)
		if r != n && r.Description == "" {
			t.Errorf("%s: definition %s has no description", where, n.Ref)
		}
		if r.Properties != nil && r.AdditionalProperties != false {
			t.Errorf("%s: lists properties but does not set additionalProperties to false", where)
		}
		for k, p := range r.Properties {
			walk(where+"."+k, p)
		}
	}
	for k, p := range root.Properties {
		walk(k, p)
	}
	if root.AdditionalProperties != false {
		t.Error("top level: additionalProperties is not false")
	}

	// Every key in values.yaml is in the schema (helm lint checks it
	// too, but this names the key and its path).
	b, err := os.ReadFile(filepath.Join(ChartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	var check func(where string, v map[string]any, n *schemaNode)
	check = func(where string, v map[string]any, n *schemaNode) {
		n = n.resolve(root)
		if n.Properties == nil {
			return // a pass-through map such as annotations or resources
		}
		for k, sub := range v {
			p, ok := n.Properties[k]
			if !ok {
				t.Errorf("values.yaml %s%s is not in the schema", where, k)
				continue
			}
			if m, ok := sub.(map[string]any); ok {
				check(where+k+".", m, p)
			}
		}
	}
	check("", values, root)
}

// The README's values table names every value in values.yaml.
func TestREADME_listsEveryValue(t *testing.T) {
	t.Parallel()
	root := loadSchema(t)
	readme, err := os.ReadFile(filepath.Join(ChartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(ChartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, v map[string]any, n *schemaNode)
	walk = func(prefix string, v map[string]any, n *schemaNode) {
		for k, sub := range v {
			p := n.resolve(root).Properties[k]
			m, isMap := sub.(map[string]any)
			// Descend into the chart's own objects; pass-through Kubernetes
			// objects (resources, security contexts) are one row each.
			if isMap && p != nil && p.Ref == "" && p.Properties != nil && len(m) > 0 {
				walk(prefix+k+".", m, p)
				continue
			}
			if row := "| `" + prefix + k + "` |"; !strings.Contains(string(readme), row) {
				t.Errorf("README.md values table has no row %q", row)
			}
		}
	}
	walk("", values, root)
}

// The security context schemas list the Kubernetes fields by name to catch
// typos; they must list all of them, so no valid setting is refused.
func TestSchema_securityContextsMatchKubernetes(t *testing.T) {
	t.Parallel()
	root := loadSchema(t)
	tests := []struct {
		value string
		typ   reflect.Type
	}{
		{"podSecurityContext", reflect.TypeFor[corev1.PodSecurityContext]()},
		{"securityContext", reflect.TypeFor[corev1.SecurityContext]()},
		{"podSecurityContext.seccompProfile", reflect.TypeFor[corev1.SeccompProfile]()},
		{"podSecurityContext.appArmorProfile", reflect.TypeFor[corev1.AppArmorProfile]()},
		{"podSecurityContext.seLinuxOptions", reflect.TypeFor[corev1.SELinuxOptions]()},
		{"podSecurityContext.windowsOptions", reflect.TypeFor[corev1.WindowsSecurityContextOptions]()},
		{"securityContext.capabilities", reflect.TypeFor[corev1.Capabilities]()},
		{"persistence.retentionPolicy", reflect.TypeFor[appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy]()},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			n := root
			for _, k := range strings.Split(tt.value, ".") {
				p := n.resolve(root).Properties[k]
				if p == nil {
					t.Fatalf("schema has no %s", tt.value)
				}
				n = p
			}
			var got []string
			for k := range n.resolve(root).Properties {
				got = append(got, k)
			}
			sort.Strings(got)
			want := jsonFields(tt.typ)
			if !slices.Equal(got, want) {
				t.Errorf("schema lists %v\nKubernetes has %v", got, want)
			}
		})
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
