{{/* Chart name, at most 63 characters (a DNS label). */}}
{{- define "zertforwarder.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full resource name: release name + chart name unless the release name already contains the chart name. */}}
{{- define "zertforwarder.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "zertforwarder.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zertforwarder.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zertforwarder.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zertforwarder.labels" -}}
helm.sh/chart: {{ include "zertforwarder.chart" . }}
{{ include "zertforwarder.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: forwarder
{{- end }}

{{- define "zertforwarder.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zertforwarder.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "zertforwarder.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the ConfigMap holding config.json: the user's own or the rendered one. */}}
{{- define "zertforwarder.configMapName" -}}
{{- default (printf "%s-config" (include "zertforwarder.fullname" .)) .Values.existingConfigMap }}
{{- end }}

{{/* The source decides the workload (model guide §4.9): a file source keeps state on a volume, a Kafka source does not. */}}
{{- define "zertforwarder.stateful" -}}
{{- if eq .Values.input.type "files" }}true{{ end }}
{{- end }}

{{/* Governing (headless) Service of the StatefulSet. */}}
{{- define "zertforwarder.headlessServiceName" -}}
{{- printf "%s-headless" (include "zertforwarder.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zertforwarder.secretsDir" -}}/var/run/secrets/zertforwarder{{- end }}
{{- define "zertforwarder.dataDir" -}}/var/lib/zertforwarder{{- end }}
{{- define "zertforwarder.mappingsDir" -}}/app/mappings{{- end }}

{{/*
Path of the mounted file of secret reference `name` (a key of .Values.secrets), or "" when it is not configured.
Usage: include "zertforwarder.secretFile" (list $ "kafkaSaslPassword")
*/}}
{{- define "zertforwarder.secretFile" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $ref := index $root.Values.secrets $name }}
{{- if $ref.existingSecret }}
{{- printf "%s/%s" (include "zertforwarder.secretsDir" $root) (kebabcase $name) }}
{{- end }}
{{- end }}

{{/* True when any secret reference is configured. */}}
{{- define "zertforwarder.anySecret" -}}
{{- range $name, $ref := .Values.secrets }}{{ if $ref.existingSecret }}true{{ end }}{{ end }}
{{- end }}

{{/* ConfigMap key of a mapping override: ConfigMap keys cannot contain "/", so it becomes "__". */}}
{{- define "zertforwarder.mappingKey" -}}
{{- . | replace "/" "__" }}
{{- end }}

{{/*
Kafka connection settings shared by Input:Kafka and Outputs:Kafka (KafkaConnectionOptions): only the ones set.
Usage: include "zertforwarder.kafkaConnection" (list $ $values $dict "kafkaSaslPassword" "kafkaCa" "kafkaClientCertificate" "kafkaClientKey")
A client certificate for mutual TLS goes to librdkafka's ssl.certificate.location / ssl.key.location (Properties).
*/}}
{{- define "zertforwarder.kafkaConnection" -}}
{{- $root := index . 0 }}
{{- $v := index . 1 }}
{{- $out := index . 2 }}
{{- $_ := set $out "BootstrapServers" $v.bootstrapServers }}
{{- with $v.securityProtocol }}{{ $_ := set $out "SecurityProtocol" . }}{{ end }}
{{- with $v.saslMechanism }}{{ $_ := set $out "SaslMechanism" . }}{{ end }}
{{- with $v.saslUsername }}{{ $_ := set $out "SaslUsername" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $root (index . 3)) }}{{ $_ := set $out "SaslPasswordFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $root (index . 4)) }}{{ $_ := set $out "SslCaLocation" . }}{{ end }}
{{- $properties := dict }}
{{- with include "zertforwarder.secretFile" (list $root (index . 5)) }}{{ $_ := set $properties "ssl.certificate.location" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $root (index . 6)) }}{{ $_ := set $properties "ssl.key.location" . }}{{ end }}
{{- with $properties }}{{ $_ := set $out "Properties" . }}{{ end }}
{{- end }}

{{/*
config.json rendered from the values. Keys are the program's configuration keys (ForwarderOptions); a setting left
empty in the values is left out so the program's own default applies. extraConfig is merged last.
*/}}
{{- define "zertforwarder.config" -}}
{{- $v := .Values }}
{{- $cfg := dict }}

{{- $input := dict "Container" $v.input.container }}
{{- if eq $v.input.type "files" }}
{{- with $v.input.paths }}{{ $_ := set $input "Paths" . }}{{ end }}
{{- if $v.input.watch.enabled }}
{{- $w := $v.input.watch }}
{{- $watch := dict "Directory" $w.directory "Pattern" $w.pattern "CompletedAction" $w.completedAction }}
{{- if eq $w.completedAction "move" }}{{ $_ := set $watch "CompletedDirectory" $w.completedDirectory }}{{ end }}
{{- $_ := set $input "Watch" $watch }}
{{- end }}
{{- else }}
{{- $k := dict "Topic" $v.input.kafka.topic "GroupId" $v.input.kafka.groupId }}
{{- include "zertforwarder.kafkaConnection" (list . $v.input.kafka $k "inputKafkaSaslPassword" "inputKafkaCa" "inputKafkaClientCertificate" "inputKafkaClientKey") }}
{{- $_ := set $input "Kafka" $k }}
{{- end }}
{{- $_ := set $cfg "Input" $input }}

{{- $outputs := dict }}
{{- with $v.outputs.kafka }}
{{- if .enabled }}
{{- $k := dict "Topic" .topic "Format" .format }}
{{- with .leefTopic }}{{ $_ := set $k "LeefTopic" . }}{{ end }}
{{- with .compression }}{{ $_ := set $k "Compression" . }}{{ end }}
{{- include "zertforwarder.kafkaConnection" (list $ . $k "kafkaSaslPassword" "kafkaCa" "kafkaClientCertificate" "kafkaClientKey") }}
{{- $_ := set $outputs "Kafka" $k }}
{{- end }}
{{- end }}
{{- with $v.outputs.elasticsearch }}
{{- if .enabled }}
{{- $es := dict "InstallTemplates" .installTemplates }}
{{- with .url }}{{ $_ := set $es "Url" . }}{{ end }}
{{- with .urls }}{{ $_ := set $es "Urls" . }}{{ end }}
{{- with .cloudId }}{{ $_ := set $es "CloudId" . }}{{ end }}
{{- with .certificateFingerprint }}{{ $_ := set $es "CertificateFingerprint" . }}{{ end }}
{{- with .retention }}{{ $_ := set $es "Retention" . }}{{ end }}
{{- with .ilmPolicy }}{{ $_ := set $es "IlmPolicy" . }}{{ end }}
{{- with .namespace }}{{ $_ := set $es "Namespace" . }}{{ end }}
{{- with .username }}{{ $_ := set $es "Username" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "elasticsearchApiKey") }}{{ $_ := set $es "ApiKeyFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "elasticsearchPassword") }}{{ $_ := set $es "PasswordFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "elasticsearchCa") }}{{ $_ := set $es "CaFile" . }}{{ end }}
{{- $_ := set $outputs "Elasticsearch" $es }}
{{- end }}
{{- end }}
{{- with $v.outputs.syslog }}
{{- if .enabled }}
{{- $s := dict "Host" .host "Protocol" .protocol "Framing" .framing }}
{{- if not (kindIs "invalid" .port) }}{{ $_ := set $s "Port" (int .port) }}{{ end }}
{{- with .facility }}{{ $_ := set $s "Facility" . }}{{ end }}
{{- with .tlsServerName }}{{ $_ := set $s "TlsServerName" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "syslogCa") }}{{ $_ := set $s "CaFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "syslogClientCertificate") }}{{ $_ := set $s "ClientCertificateFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "syslogClientKey") }}{{ $_ := set $s "ClientKeyFile" . }}{{ end }}
{{- $_ := set $outputs "Syslog" $s }}
{{- end }}
{{- end }}
{{- with $v.outputs.splunk }}
{{- if .enabled }}
{{- $sp := dict "Url" .url "Gzip" .gzip "UseAck" .useAck }}
{{- with .index }}{{ $_ := set $sp "Index" . }}{{ end }}
{{- with .source }}{{ $_ := set $sp "Source" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "splunkToken") }}{{ $_ := set $sp "TokenFile" . }}{{ end }}
{{- with include "zertforwarder.secretFile" (list $ "splunkCa") }}{{ $_ := set $sp "CaFile" . }}{{ end }}
{{- $_ := set $outputs "Splunk" $sp }}
{{- end }}
{{- end }}
{{- with $v.outputs.file }}
{{- if .enabled }}
{{- $f := dict "Directory" .directory "Formats" .formats "Stdout" .stdout "Permissions" .permissions }}
{{- $_ := set $outputs "File" $f }}
{{- end }}
{{- end }}
{{- $_ := set $cfg "Outputs" $outputs }}

{{- $dl := dict }}
{{- with $v.deadLetter.directory }}{{ $_ := set $dl "Directory" . }}{{ end }}
{{- with $v.deadLetter.kafkaTopic }}{{ $_ := set $dl "KafkaTopic" . }}{{ end }}
{{- $_ := set $cfg "DeadLetter" $dl }}
{{- $_ := set $cfg "Checkpoint" (dict "Directory" $v.checkpoint.directory) }}
{{- with $v.zos.utcOffsets }}{{ $_ := set $cfg "Zos" (dict "UtcOffsets" .) }}{{ end }}
{{- $m := $v.mappings }}
{{- $_ := set $cfg "Mappings" (dict "RedactDistinguishedNames" $m.redactDistinguishedNames "LeefMaxLineLength" (int $m.leefMaxLineLength) "LeefEnforcementRaw" $m.leefEnforcementRaw) }}
{{- $_ := set $cfg "Assessment" (dict "Profile" $v.assessment.profile) }}
{{- $_ := set $cfg "Metrics" (dict "Port" (int $v.metrics.port) "Address" $v.metrics.address) }}
{{- $_ := set $cfg "Logging" (dict "Level" $v.logging.level "Format" $v.logging.format) }}
{{- $cfg = mustMergeOverwrite $cfg (deepCopy $v.extraConfig) }}
{{- toPrettyJson $cfg }}
{{- end }}

{{/* Settings the schema cannot express; each failure says what to change. */}}
{{- define "zertforwarder.validate" -}}
{{- $v := .Values }}
{{- if and (eq $v.input.type "files") (ne (int $v.replicas) 1) }}
{{- fail (printf "replicas is %v but input.type is \"files\": a file source keeps its checkpoints on one volume and must run exactly 1 replica. Use input.type \"kafka\" to scale out." $v.replicas) }}
{{- end }}
{{- if not $v.existingConfigMap }}
{{- if and (eq $v.input.type "files") (not $v.input.paths) (not $v.input.watch.enabled) }}
{{- fail "input.type is \"files\" but neither input.paths nor input.watch.enabled is set: there is nothing to read." }}
{{- end }}
{{- if and (eq $v.input.type "kafka") (not $v.input.kafka.bootstrapServers) }}
{{- fail "input.type is \"kafka\": set input.kafka.bootstrapServers." }}
{{- end }}
{{- if not (or $v.outputs.kafka.enabled $v.outputs.elasticsearch.enabled $v.outputs.syslog.enabled $v.outputs.splunk.enabled $v.outputs.file.enabled) }}
{{- fail "No output is enabled: enable at least one of outputs.kafka, outputs.elasticsearch, outputs.syslog, outputs.splunk, outputs.file." }}
{{- end }}
{{- if and $v.outputs.kafka.enabled (not $v.outputs.kafka.bootstrapServers) }}
{{- fail "outputs.kafka.enabled is true: set outputs.kafka.bootstrapServers." }}
{{- end }}
{{- if and $v.outputs.elasticsearch.enabled (not (or $v.outputs.elasticsearch.url $v.outputs.elasticsearch.urls $v.outputs.elasticsearch.cloudId)) }}
{{- fail "outputs.elasticsearch.enabled is true: set outputs.elasticsearch.url, urls or cloudId." }}
{{- end }}
{{- /* What the program refuses at start (exit 2, a pod restarting for ever) is refused here, with the chart's names. */}}
{{- if $v.outputs.elasticsearch.enabled }}
{{- $es := $v.outputs.elasticsearch }}
{{- if gt (len (compact (list $es.url (join "," ($es.urls | default list)) $es.cloudId))) 1 }}
{{- fail "outputs.elasticsearch: set exactly one of url, urls or cloudId." }}
{{- end }}
{{- if and $es.username $v.secrets.elasticsearchApiKey.existingSecret }}
{{- fail "outputs.elasticsearch: use either an API key (secrets.elasticsearchApiKey) or username and password, not both." }}
{{- end }}
{{- if and $es.cloudId (not (or $es.username $v.secrets.elasticsearchApiKey.existingSecret)) }}
{{- fail "outputs.elasticsearch.cloudId needs credentials: secrets.elasticsearchApiKey, or username with secrets.elasticsearchPassword (Elastic Cloud always authenticates)." }}
{{- end }}
{{- if and $es.namespace (or (ne $es.namespace (lower $es.namespace)) (regexMatch "[-\\s\\\\/*?\"<>|,#]" $es.namespace) (gt (len $es.namespace) 100)) }}
{{- fail (printf "outputs.elasticsearch.namespace %q: a data stream namespace is 1-100 lower-case characters without '-', spaces or \\/*?\"<>|,#." $es.namespace) }}
{{- end }}
{{- if and $es.retention (regexMatch "^0+[a-z]+$" $es.retention) }}
{{- fail (printf "outputs.elasticsearch.retention %q: the retention must be positive (e.g. 90d)." $es.retention) }}
{{- end }}
{{- end }}
{{- if and $v.outputs.kafka.enabled (eq $v.outputs.kafka.format "leef") $v.outputs.kafka.leefTopic }}
{{- fail "outputs.kafka.leefTopic is the second (LEEF) topic next to format ecs; with format leef the topic already gets LEEF: leave leefTopic empty." }}
{{- end }}
{{- if and (eq $v.input.type "kafka") $v.outputs.file.enabled (not $v.outputs.file.stdout) (hasPrefix "/var/lib/zertforwarder" $v.outputs.file.directory) }}
{{- fail "outputs.file is on (the default) with input.type kafka: its files would fill the pod's emptyDir, unread, and go with the pod. Set outputs.file.enabled false, or outputs.file.stdout true, or point outputs.file.directory at a volume of your own (extraVolumes)." }}
{{- end }}
{{- if and $v.input.watch.enabled (eq $v.input.watch.completedAction "move") (not $v.input.watch.completedDirectory) }}
{{- fail "input.watch.completedAction is move: set input.watch.completedDirectory (or use mark or delete)." }}
{{- end }}
{{- if and $v.outputs.splunk.enabled (not $v.outputs.splunk.url) }}
{{- fail "outputs.splunk.enabled is true: set outputs.splunk.url." }}
{{- end }}
{{- if and $v.outputs.splunk.enabled (not $v.secrets.splunkToken.existingSecret) }}
{{- fail "outputs.splunk.enabled is true: set secrets.splunkToken.existingSecret to the Secret holding the HEC token (it is mounted as a file; tokens never go in values)." }}
{{- end }}
{{- if and $v.outputs.syslog.enabled (not $v.outputs.syslog.host) }}
{{- fail "outputs.syslog.enabled is true: set outputs.syslog.host." }}
{{- end }}
{{- if and $v.deadLetter.kafkaTopic (not $v.outputs.kafka.enabled) }}
{{- fail "deadLetter.kafkaTopic uses the outputs.kafka connection: enable and configure outputs.kafka." }}
{{- end }}
{{- if and (eq $v.input.type "kafka") $v.input.paths }}
{{- fail "input.paths is set but input.type is \"kafka\": file inputs need input.type \"files\"." }}
{{- end }}
{{- /* extraConfig goes into the ConfigMap, which anyone who may read the namespace can read: no secret may go there. */}}
{{- $extra := toJson $v.extraConfig }}
{{- with regexFind "\"(?i:Password|SaslPassword|ApiKey|Token|sasl\\.password|ssl\\.key\\.password|ssl\\.keystore\\.password|ssl\\.key\\.pem|sasl\\.oauthbearer\\.client\\.secret)\":" $extra }}
{{- fail (printf "extraConfig sets %s, a secret: in the ConfigMap anyone who may read the namespace would read it. Reference a Secret instead (secrets.*, mounted as a *File setting, or extraEnv with secretKeyRef)." (trimSuffix ":" .)) }}
{{- end }}
{{- if regexMatch "\"https?://[^\"/]*@" $extra }}
{{- fail "extraConfig holds a URL with user information, which would be readable in the ConfigMap: give the password from a Secret (secrets.elasticsearchPassword) instead." }}
{{- end }}
{{- end }}
{{- if and $v.autoscaling.keda.enabled (ne $v.input.type "kafka") }}
{{- fail "autoscaling.keda.enabled needs input.type \"kafka\": a file source keeps its checkpoints on one volume and runs exactly 1 replica." }}
{{- end }}
{{- if and $v.autoscaling.keda.enabled (gt (int $v.autoscaling.keda.minReplicaCount) (int $v.autoscaling.keda.maxReplicaCount)) }}
{{- fail (printf "autoscaling.keda.minReplicaCount (%v) is above maxReplicaCount (%v)." $v.autoscaling.keda.minReplicaCount $v.autoscaling.keda.maxReplicaCount) }}
{{- end }}
{{- if and (eq $v.input.type "kafka") (or $v.secrets.inputKafkaClientCertificate.existingSecret $v.secrets.inputKafkaClientKey.existingSecret) (not (and $v.secrets.inputKafkaClientCertificate.existingSecret $v.secrets.inputKafkaClientKey.existingSecret)) }}
{{- fail "secrets.inputKafkaClientCertificate and secrets.inputKafkaClientKey go together: set both for a client certificate." }}
{{- end }}
{{- if and $v.outputs.kafka.enabled (or $v.secrets.kafkaClientCertificate.existingSecret $v.secrets.kafkaClientKey.existingSecret) (not (and $v.secrets.kafkaClientCertificate.existingSecret $v.secrets.kafkaClientKey.existingSecret)) }}
{{- fail "secrets.kafkaClientCertificate and secrets.kafkaClientKey go together: set both for a client certificate." }}
{{- end }}
{{- range $path, $_ := $v.mappingOverrides }}
{{- if or (hasPrefix "/" $path) (has ".." (splitList "/" $path)) }}
{{- fail (printf "mappingOverrides key %q must be a relative path inside the mappings directory (no leading \"/\", no \"..\")." $path) }}
{{- end }}
{{- end }}
{{- end }}
