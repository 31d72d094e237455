{{- define "interference.labels" -}}
app.kubernetes.io/name: interference
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "interference.selector" -}}
app.kubernetes.io/name: interference
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "interference.fullname" -}}
{{- printf "%s-interference" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
