{{/*
Chart name, truncated to a DNS label.
*/}}
{{- define "wsd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the StatefulSet name and the prefix of every pod name. At most
52 characters, because the StatefulSet controller adds a revision hash to
the pods' controller-revision-hash label, which must stay within 63.
*/}}
{{- define "wsd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the headless Service that governs the StatefulSet.
*/}}
{{- define "wsd.headlessName" -}}
{{- printf "%s-headless" (include "wsd.fullname" .) }}
{{- end }}

{{/*
DNS name of the headless Service: resolves to every pod, ready or not.
*/}}
{{- define "wsd.headlessFQDN" -}}
{{- printf "%s.%s.svc.%s" (include "wsd.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "wsd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "wsd.labels" -}}
helm.sh/chart: {{ include "wsd.chart" . }}
{{ include "wsd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wsd
{{- end }}

{{/*
Labels that select the pods. Never change them: a StatefulSet selector is immutable.
*/}}
{{- define "wsd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wsd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "wsd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wsd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference.
*/}}
{{- define "wsd.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
Servers that bootstrap the cluster: bootstrapExpect, or replicas.
*/}}
{{- define "wsd.bootstrapExpect" -}}
{{- if kindIs "invalid" .Values.bootstrapExpect }}
{{- .Values.replicas | int }}
{{- else }}
{{- .Values.bootstrapExpect | int }}
{{- end }}
{{- end }}

{{/*
Where secrets are mounted in the container.
*/}}
{{- define "wsd.apiTLSDir" -}}/etc/wsd/tls/api{{- end }}
{{- define "wsd.clientCADir" -}}/etc/wsd/tls/client-ca{{- end }}
{{- define "wsd.raftTLSDir" -}}/etc/wsd/tls/raft{{- end }}
{{- define "wsd.jwksDir" -}}/etc/wsd/oidc{{- end }}

{{/*
Checks across values that the schema cannot express. Fails rendering with
a message naming the value to fix.
*/}}
{{- define "wsd.validate" -}}
{{- $v := .Values }}
{{- if and (not (kindIs "invalid" $v.bootstrapExpect)) (gt (int $v.bootstrapExpect) (int $v.replicas)) }}
{{- fail (printf "bootstrapExpect (%d) cannot exceed replicas (%d): the cluster would never form" (int $v.bootstrapExpect) (int $v.replicas)) }}
{{- end }}
{{- if eq $v.auth.mode "oidc" }}
{{- if not $v.auth.oidc.issuer }}
{{- fail "auth.mode=oidc needs auth.oidc.issuer" }}
{{- end }}
{{- if not $v.auth.oidc.audience }}
{{- fail "auth.mode=oidc needs auth.oidc.audience: tokens issued for other clients must not be accepted" }}
{{- end }}
{{- end }}
{{- if and $v.tls.api.enabled (not $v.tls.api.secretName) }}
{{- fail "tls.api.enabled needs tls.api.secretName" }}
{{- end }}
{{- if and $v.tls.api.clientCA.enabled (not $v.tls.api.enabled) }}
{{- fail "tls.api.clientCA.enabled needs tls.api.enabled" }}
{{- end }}
{{- if and (eq $v.auth.mode "oidc") (not $v.insecureCluster) (not (and $v.tls.raft.enabled $v.gossip.encryption.enabled)) }}
{{- fail "auth.mode=oidc needs tls.raft.enabled and gossip.encryption.enabled: without them anyone who reaches the raft or gossip port can join and read every record (set insecureCluster=true to accept that)" }}
{{- end }}
{{- end }}

{{/*
Secrets of raft mutual TLS and gossip encryption: the named ones, or those
the chart generates at install (templates/secrets.yaml).
*/}}
{{- define "wsd.raftTLSSecret" -}}
{{- .Values.tls.raft.secretName | default (printf "%s-raft-tls" (include "wsd.fullname" .)) }}
{{- end }}
{{- define "wsd.gossipSecret" -}}
{{- .Values.gossip.encryption.secretName | default (printf "%s-gossip" (include "wsd.fullname" .)) }}
{{- end }}
