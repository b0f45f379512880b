// Package charttest renders the wsd Helm chart (deploy/helm/wsd) with a
// pinned helm and decodes what it renders strictly into the Kubernetes API
// types, so tests can assert on typed objects instead of YAML text.
//
// It is its own module so that the root module never depends on Kubernetes
// packages. Helm is run as `go run helm.sh/helm/v3/cmd/helm@<HelmVersion>`:
// the first run downloads and compiles it (a few minutes), later runs reuse
// the Go build cache. Nothing else is needed: no cluster, no helm install.
//
// Invariants:
//   - Every rendered document decodes with unknown fields rejected; a kind
//     the package does not know fails the test.
//   - RenderedArgs and RenderedPods return exactly what the chart hands the
//     container, expanded the way the kubelet expands $(VAR) references, so
//     an end-to-end test can start real wsd processes with them.
//
// Only tests import it; it imports the Kubernetes API types, sigs.k8s.io/yaml
// and the standard library, never the wsd packages.
package charttest
