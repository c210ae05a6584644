{{/*
Name prefix of the chart's objects: the release name, or "<release>-sparkhu" when the release name
does not already say sparkhu. Kubernetes names are at most 63 characters.
*/}}
{{- define "sparkhu.fullname" -}}
{{- if contains "sparkhu" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-sparkhu" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
Name of one component's objects: (dict "ctx" $ "component" "mlflow").
*/}}
{{- define "sparkhu.componentName" -}}
{{- printf "%s-%s" (include "sparkhu.fullname" .ctx) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels of every object. app.kubernetes.io/name is "sparkhu" on everything, the task pods of the
workflow templates included: the default-deny NetworkPolicy selects on it.
*/}}
{{- define "sparkhu.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: sparkhu
app.kubernetes.io/part-of: sparkhu
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Selector labels of one component: (dict "ctx" $ "component" "manifest-sync").
*/}}
{{- define "sparkhu.selectorLabels" -}}
app.kubernetes.io/name: sparkhu
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
All labels of one component's objects: (dict "ctx" $ "component" "manifest-sync").
*/}}
{{- define "sparkhu.componentLabels" -}}
{{ include "sparkhu.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Reference of a Sparkhu image, composed like src/sparkhu/workflows/images.py does:
<registry>/sparkhu/<component>:<tag>. (dict "ctx" $ "component" "task-plan").
*/}}
{{- define "sparkhu.image" -}}
{{- $registry := .ctx.Values.image.registry | trimSuffix "/" -}}
{{- $tag := .ctx.Values.image.tag | default .ctx.Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/sparkhu/%s:%s" $registry .component $tag -}}
{{- else -}}
{{- printf "sparkhu/%s:%s" .component $tag -}}
{{- end -}}
{{- end -}}

{{/*
Pod security context of every pod: a fixed non-root user, the runtime's default seccomp profile.
(dict "uid" 10001).
*/}}
{{- define "sparkhu.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Container security context of every container: read-only root filesystem, no privilege escalation,
no capabilities.
*/}}
{{- define "sparkhu.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Image pull secrets of every pod, as a pod spec field.
*/}}
{{- define "sparkhu.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Database URL the task pods get: the configured one, else the bundled PostgreSQL's (no password:
libpq reads PGPASSWORD from the Secret), else none.
*/}}
{{- define "sparkhu.databaseUrl" -}}
{{- if .Values.config.databaseUrl -}}
{{- .Values.config.databaseUrl -}}
{{- else if .Values.postgresql.enabled -}}
{{- $pg := .Values.postgresql -}}
{{- printf "postgresql+psycopg2://%s@%s:5432/%s" $pg.user (include "sparkhu.componentName" (dict "ctx" . "component" "postgresql")) $pg.database -}}
{{- end -}}
{{- end -}}

{{/*
MLflow tracking URI the task pods get: the configured one, else the bundled server's, else none.
*/}}
{{- define "sparkhu.mlflowUri" -}}
{{- if .Values.config.mlflowTrackingUri -}}
{{- .Values.config.mlflowTrackingUri -}}
{{- else if .Values.mlflow.enabled -}}
{{- printf "http://%s:5000" (include "sparkhu.componentName" (dict "ctx" . "component" "mlflow")) -}}
{{- end -}}
{{- end -}}

{{/*
A persistent volume claim: (dict "ctx" $ "component" "mlflow" "persistence" .Values.mlflow.persistence).
*/}}
{{- define "sparkhu.pvc" -}}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "sparkhu.componentName" . }}
  labels:
    {{- include "sparkhu.componentLabels" . | nindent 4 }}
spec:
  accessModes:
    - ReadWriteOnce
  {{- with .persistence.storageClassName }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ .persistence.size }}
{{- end -}}
