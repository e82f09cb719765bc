#!/usr/bin/env bash
# Checks the Helm chart helm/zertforwarder (called by .ci/run as one check; runnable alone: bash .ci/helm-check.sh):
#   1. yamllint -d relaxed on Chart.yaml, values.yaml, ci/*-values.yaml and the invalid-values cases, and README.md
#      has a row for every value;
#   2. helm lint --strict with the default values and with every ci/*-values.yaml;
#   3. helm template for every ci/*-values.yaml, each output validated per object against the Kubernetes API
#      schemas and the CRD schemas of KEDA and the Prometheus Operator (.ci/k8s-validate.mjs) and yamllinted, plus
#      what each case is for (workload kind, claim, headless Service, PodDisruptionBudget, startupProbe, secrets,
#      ServiceMonitor, ScaledObject, PrometheusRule, mapping mounts);
#   4. negative cases: every helm/test-cases/invalid/*.yaml must make helm template fail with the message on its
#      "# expect:" line (schema typos, a file source with 2 replicas, bad enums, ...), and the validator must reject
#      a manifest known to be wrong;
#   5. every rendered PrometheusRule passes `promtool check rules`, its forwarder metrics exist in the program's
#      source, and the alerts behave as helm/test-cases/rules/alerts-test.yaml says (`promtool test rules`).
# Exits non-zero on any failure. Tools come from .ci/install-tools.sh (.tools/helm/helm, .tools/k8s-validate).
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=helm/zertforwarder
INVALID_CASES=helm/test-cases/invalid
HELM="$PWD/.tools/helm/helm"
RELEASE=zf

failures=0
checks=0
pass() { checks=$((checks + 1)); echo "  ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "  FAIL $*"; }

for tool in "$HELM" node yamllint python3 promtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "helm-check: $tool is missing; run .ci/install-tools.sh" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# helm keeps caches, repositories and plugins under these; a temp dir keeps the check hermetic.
export HELM_CACHE_HOME="$work/helm-cache" HELM_CONFIG_HOME="$work/helm-config" HELM_DATA_HOME="$work/helm-data"

echo "helm-check: $($HELM version --short), chart $CHART"

echo "[1] yamllint -d relaxed"
lint_files=("$CHART/Chart.yaml" "$CHART/values.yaml" "$CHART"/ci/*-values.yaml "$INVALID_CASES"/*.yaml)
if out=$(yamllint -d relaxed -f parsable "${lint_files[@]}" 2>&1) && ! grep -q '\[error\]' <<<"$out"; then
  pass "yamllint: ${#lint_files[@]} files"
else
  fail "yamllint"; echo "$out" | grep '\[error\]' | sed 's/^/       /'
fi

# README.md lists every value (helm-docs style table): each leaf of values.yaml, or an ancestor of it, has a row.
if out=$(python3 - "$CHART" <<'PY'
import sys, yaml
chart = sys.argv[1]
values = yaml.safe_load(open(f"{chart}/values.yaml"))
readme = open(f"{chart}/README.md").read()
def documented(path):
    parts = path.split(".")
    return any(f"| `{'.'.join(parts[:n])}` |" in readme for n in range(len(parts), 0, -1))
def leaves(node, prefix):
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not documented(path):
            yield from leaves(value, path + ".")
        else:
            yield path
missing = [p for p in leaves(values, "") if not documented(p)]
print(", ".join(missing) if missing else f"{sum(1 for _ in leaves(values, ''))} values")
sys.exit(1 if missing else 0)
PY
); then pass "README.md documents all $out"; else fail "README.md lacks rows for: $out"; fi

echo "[2] helm lint --strict"
if out=$("$HELM" lint --strict "$CHART" 2>&1); then pass "lint (default values)"; else fail "lint (default values)"; echo "$out" | sed 's/^/       /'; fi
for values in "$CHART"/ci/*-values.yaml; do
  if out=$("$HELM" lint --strict "$CHART" -f "$values" 2>&1); then
    pass "lint -f $values"
  else
    fail "lint -f $values"; echo "$out" | sed 's/^/       /'
  fi
done

# expect <case> <rendered file> <extended regex> <what it shows>: the rendered manifests contain a line matching.
expect() {
  if grep -Eq -- "$3" "$2"; then pass "$1: $4"; else fail "$1: $4 (no line matches /$3/)"; fi
}
# expect_not <case> <rendered file> <extended regex> <what it shows>
expect_not() {
  if grep -Eq -- "$3" "$2"; then fail "$1: $4 (a line matches /$3/)"; else pass "$1: $4"; fi
}

echo "[3] helm template + Kubernetes schema validation"
for values in "$CHART"/ci/*-values.yaml; do
  case_name=$(basename "$values" -values.yaml)
  rendered="$work/$case_name.yaml"
  if ! "$HELM" template "$RELEASE" "$CHART" -f "$values" >"$rendered" 2>"$work/err"; then
    fail "$case_name: helm template"; sed 's/^/       /' "$work/err"; continue
  fi
  if out=$(node .ci/k8s-validate.mjs "$case_name" <"$rendered"); then
    pass "$case_name: $(grep -c '^OK' <<<"$out") objects valid, $(grep -c '^SKIP' <<<"$out" || true) skipped (CRD)"
  else
    fail "$case_name: schema validation"
  fi
  sed 's/^/       /' <<<"$out"
  if out=$(yamllint -d relaxed -f parsable "$rendered" 2>&1) && ! grep -q '\[error\]' <<<"$out"; then
    pass "$case_name: rendered YAML passes yamllint"
  else
    fail "$case_name: rendered YAML fails yamllint"; grep '\[error\]' <<<"$out" | sed 's/^/       /'
  fi
  # Every pod runs locked down (issue "Operate" item 4): these hold in every case.
  expect "$case_name" "$rendered" '^ +readOnlyRootFilesystem: true$' "read-only root file system"
  expect "$case_name" "$rendered" '^ +runAsNonRoot: true$' "runs as non-root"
  expect "$case_name" "$rendered" '^ +- mountPath: /tmp$|^ +mountPath: /tmp$' "/tmp is a writable emptyDir"
  expect "$case_name" "$rendered" '^ +checksum/config: [0-9a-f]{64}$' "pods roll on config change"
  expect "$case_name" "$rendered" '^ +path: /healthz$' "liveness probe on /healthz"
  expect "$case_name" "$rendered" '^ +path: /readyz$' "readiness probe on /readyz"
  expect "$case_name" "$rendered" '^ +startupProbe:$' "a startup probe holds liveness back while starting"
  expect "$case_name" "$rendered" '^kind: PodDisruptionBudget$' "drains evict through a PodDisruptionBudget"
  case "$case_name" in
    default)
      expect "$case_name" "$rendered" '^kind: StatefulSet$' "file source is a StatefulSet"
      expect "$case_name" "$rendered" '^  volumeClaimTemplates:$' "with a volume claim for checkpoints"
      expect "$case_name" "$rendered" '"CompletedAction": "move"' "watch settings in config.json"
      expect "$case_name" "$rendered" '"SYSA": "-05:00"' "z/OS UTC offsets in config.json"
      expect "$case_name" "$rendered" '"RedactDistinguishedNames": "none"' "DNs as they are by default"
      expect "$case_name" "$rendered" '"Profile": "default"' "default assessment profile"
      expect "$case_name" "$rendered" '^  serviceName: zf-zertforwarder-headless$' "governed by the headless Service"
      expect "$case_name" "$rendered" '^  clusterIP: None$' "which is headless"
      expect "$case_name" "$rendered" '^  maxUnavailable: 1$' "drains evict one pod at a time"
      expect "$case_name" "$rendered" '^  unhealthyPodEvictionPolicy: AlwaysAllow$' "and pods not ready (a destination down) do not block drains"
      ;;
    kafka-source-to-kafka-and-es)
      expect "$case_name" "$rendered" '^kind: Deployment$' "Kafka source is a Deployment"
      expect "$case_name" "$rendered" '^  replicas: 2$' "with 2 replicas"
      expect_not "$case_name" "$rendered" 'volumeClaimTemplates' "and no volume claim"
      expect "$case_name" "$rendered" '"SaslPasswordFile": "/var/run/secrets/zertforwarder/kafka-sasl-password"' "SASL password is a mounted file"
      expect "$case_name" "$rendered" '"ApiKeyFile": "/var/run/secrets/zertforwarder/elasticsearch-api-key"' "ES API key is a mounted file"
      expect "$case_name" "$rendered" '^ +name: zertforwarder-kafka$' "from the existing Secret"
      expect_not "$case_name" "$rendered" '^kind: Secret$' "the chart creates no Secret"
      ;;
    syslog-tls-qradar)
      expect "$case_name" "$rendered" '"Protocol": "tls"' "syslog over TLS"
      expect "$case_name" "$rendered" '"CaFile": "/var/run/secrets/zertforwarder/syslog-ca"' "receiver CA is a mounted file"
      expect "$case_name" "$rendered" '"ClientKeyFile": "/var/run/secrets/zertforwarder/syslog-client-key"' "client key is a mounted file"
      expect "$case_name" "$rendered" '^ +(- )?mountPath: /smf$' "dump share mounted from extraVolumes"
      ;;
    servicemonitor-enabled)
      expect "$case_name" "$rendered" '^kind: ServiceMonitor$' "ServiceMonitor rendered"
      expect "$case_name" "$rendered" '^    release: kube-prometheus-stack$' "with the selector label Prometheus needs"
      expect "$case_name" "$rendered" '^kind: PrometheusRule$' "PrometheusRule rendered"
      expect_not "$case_name" "$rendered" 'ZertForwarderConsumerLagGrowing' "without a lag alert for a file source"
      ;;
    kafka-source-autoscaled)
      expect "$case_name" "$rendered" '^kind: ScaledObject$' "KEDA ScaledObject rendered"
      expect "$case_name" "$rendered" '^ +consumerGroup: "zertforwarder-prod"$' "scaling on the forwarder's consumer group"
      expect "$case_name" "$rendered" '^ +name: zertforwarder-kafka-tls$' "with the TriggerAuthentication"
      expect_not "$case_name" "$rendered" '^  replicas:' "the Deployment leaves replicas to KEDA"
      expect_not "$case_name" "$rendered" 'zf-zertforwarder-headless' "no headless Service for a Deployment"
      expect "$case_name" "$rendered" '"ssl.certificate.location": "/var/run/secrets/zertforwarder/kafka-client-certificate"' "client certificate is a mounted file"
      expect "$case_name" "$rendered" '"ssl.key.location": "/var/run/secrets/zertforwarder/input-kafka-client-key"' "client key of the input is a mounted file"
      expect "$case_name" "$rendered" '^ +- key: user.key$' "from the existing Secret's key"
      expect "$case_name" "$rendered" '^ +- alert: ZertForwarderConsumerLagGrowing$' "PrometheusRule with the lag alert"
      ;;
    splunk-hec)
      expect "$case_name" "$rendered" '"Url": "https://splunk-hec.example.org:8088"' "Splunk output to the HEC URL"
      expect "$case_name" "$rendered" '"TokenFile": "/var/run/secrets/zertforwarder/splunk-token"' "HEC token is a mounted file"
      expect "$case_name" "$rendered" '"CaFile": "/var/run/secrets/zertforwarder/splunk-ca"' "HEC CA is a mounted file"
      expect "$case_name" "$rendered" '^ +- key: hec-token$' "from the existing Secret's key"
      expect "$case_name" "$rendered" '"UseAck": true' "with indexer acknowledgement"
      expect "$case_name" "$rendered" '"Index": "zos_security"' "into the configured index"
      expect_not "$case_name" "$rendered" '"Token":' "no token in the ConfigMap"
      expect "$case_name" "$rendered" '"RedactDistinguishedNames": "hash"' "DNs hashed"
      expect "$case_name" "$rendered" '"LeefMaxLineLength": 8192' "LEEF line limit set"
      expect "$case_name" "$rendered" '"LeefEnforcementRaw": true' "raw enforcement section in LEEF"
      expect "$case_name" "$rendered" '"Profile": "bsi-tr-02102-2"' "assessment profile set"
      ;;
    elasticsearch-nodes)
      expect "$case_name" "$rendered" '"Urls": \[' "a node pool instead of one URL"
      expect "$case_name" "$rendered" '"https://es-2.example.org:9200"' "with the second node"
      expect_not "$case_name" "$rendered" '"Url":' "and no single Url beside it"
      expect "$case_name" "$rendered" '"CertificateFingerprint": "9F:86' "the pinned certificate fingerprint"
      expect "$case_name" "$rendered" '"Retention": "30d"' "the data stream retention"
      expect "$case_name" "$rendered" '"ApiKeyFile": "/var/run/secrets/zertforwarder/elasticsearch-api-key"' "API key is a mounted file"
      ;;
    mapping-overrides)
      expect "$case_name" "$rendered" '^  leef__leef.json: ' "override stored in a ConfigMap"
      expect "$case_name" "$rendered" '^ +mountPath: /app/mappings/leef/leef.json$' "mounted over the image's mapping file"
      expect "$case_name" "$rendered" '^ +subPath: leef__leef.json$' "one file only, the rest stay as built"
      ;;
  esac
done
# Without the option, no ServiceMonitor (its CRD may not exist in the cluster).
"$HELM" template "$RELEASE" "$CHART" >"$work/defaults.yaml"
expect "defaults" "$work/defaults.yaml" '^kind: StatefulSet$' "default values render a StatefulSet"
expect_not "defaults" "$work/defaults.yaml" '^kind: ServiceMonitor$' "no ServiceMonitor unless enabled"
expect_not "defaults" "$work/defaults.yaml" '^kind: (PrometheusRule|ScaledObject)$' "no PrometheusRule or ScaledObject unless enabled"

echo "[4] negative cases"
for values in "$INVALID_CASES"/*.yaml; do
  expected=$(sed -n 's/^# expect: //p' "$values" | head -1)
  if [ -z "$expected" ]; then fail "$values has no '# expect:' line"; continue; fi
  if "$HELM" template "$RELEASE" "$CHART" -f "$values" >/dev/null 2>"$work/err"; then
    fail "$(basename "$values"): accepted, but must be rejected ($expected)"
  elif grep -qF -- "$expected" "$work/err"; then
    pass "$(basename "$values"): rejected: $(grep -F -- "$expected" "$work/err" | head -1 | sed 's/^Error: //; s/^- //')"
  else
    fail "$(basename "$values"): rejected, but not with '$expected':"; sed 's/^/       /' "$work/err"
  fi
done
# The validator itself must catch a wrong manifest, or every OK above would mean nothing.
sed 's/containerPort: 9464/containerPort: "metrics"/' "$work/defaults.yaml" >"$work/broken.yaml"
if node .ci/k8s-validate.mjs broken <"$work/broken.yaml" >"$work/out"; then
  fail "validator accepted a string containerPort"
else
  pass "validator rejects a string containerPort: $(grep '^FAIL' "$work/out" | head -1)"
fi

# The same for a custom resource: a ScaledObject whose minReplicaCount is not a number.
sed 's/^  minReplicaCount: 2$/  minReplicaCount: "two"/' "$work/kafka-source-autoscaled.yaml" >"$work/broken-keda.yaml"
if node .ci/k8s-validate.mjs broken-keda <"$work/broken-keda.yaml" >"$work/out"; then
  fail "validator accepted a ScaledObject with a string minReplicaCount"
else
  pass "validator rejects a string minReplicaCount in a ScaledObject: $(grep '^FAIL' "$work/out" | head -1)"
fi

echo "[5] Prometheus rules (promtool)"
# rules_of <rendered> <out>: the spec of the rendered PrometheusRule, a Prometheus rule file.
rules_of() {
  python3 - "$1" "$2" <<'PY'
import sys, yaml
for document in yaml.safe_load_all(open(sys.argv[1])):
    if document and document.get("kind") == "PrometheusRule":
        yaml.safe_dump(document["spec"], open(sys.argv[2], "w"), sort_keys=False)
        sys.exit(0)
sys.exit(1)
PY
}
for case_name in servicemonitor-enabled kafka-source-autoscaled; do
  rules="$work/$case_name-rules.yaml"
  if ! rules_of "$work/$case_name.yaml" "$rules"; then fail "$case_name: no PrometheusRule rendered"; continue; fi
  if out=$(promtool check rules "$rules" 2>&1); then
    pass "$case_name: promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
  else
    fail "$case_name: promtool check rules"; sed 's/^/       /' <<<"$out"
  fi
  # Every forwarder metric an alert uses is one the program registers (a renamed metric must not silence an alert).
  for metric in $(grep -o 'zertforwarder_[a-z_]*' "$rules" | sort -u); do
    if grep -rqF "\"$metric\"" src --include='*.cs'; then pass "$case_name: metric $metric is exported"; else fail "$case_name: metric $metric is not exported by the program"; fi
  done
done
mkdir -p "$work/rules-test"
cp helm/test-cases/rules/alerts-test.yaml "$work/rules-test/"
cp "$work/kafka-source-autoscaled-rules.yaml" "$work/rules-test/rules.yaml"
if out=$(cd "$work/rules-test" && promtool test rules alerts-test.yaml 2>&1); then
  pass "promtool test rules: alerts fire and stay quiet as helm/test-cases/rules/alerts-test.yaml expects"
else
  fail "promtool test rules"; sed 's/^/       /' <<<"$out"
fi
# promtool must catch a wrong expression, or the "check rules" above would mean nothing.
sed 's/rate(zertforwarder_sink_retries_total/rate(zertforwarder_sink_retries_total[/' "$work/kafka-source-autoscaled-rules.yaml" >"$work/broken-rules.yaml"
if promtool check rules "$work/broken-rules.yaml" >/dev/null 2>&1; then
  fail "promtool accepted a broken expression"
else
  pass "promtool rejects a broken expression"
fi

echo "[6] the product accepts every example's configuration and mapping overrides"
# A chart value the program refuses renders fine and then crash-loops the pod (exit 2 at start): each example's
# config.json, with its mappingOverrides laid over a copy of mappings/, goes through `run --check-config` (settings and
# mapping files as a start checks them; the environment -- secret files, brokers, ports -- is not touched).
product=src/ZertForwarder/bin/Release/net10.0/zertforwarder.dll
if [ ! -f "$product" ]; then
  fail "the product is not built ($product); build with: dotnet build ZertForwarder.sln -c Release"
else
  for values in "$CHART"/ci/*-values.yaml; do
    case_name=$(basename "$values" -values.yaml)
    mappings="$work/$case_name-mappings"
    cp -r mappings "$mappings"
    if ! python3 - "$work/$case_name.yaml" "$work/$case_name-config.json" "$mappings" <<'PY'
import os, sys, yaml
rendered, config, mappings = sys.argv[1:4]
for document in yaml.safe_load_all(open(rendered)):
    data = (document or {}).get("data") or {}
    if document and document.get("kind") == "ConfigMap" and "config.json" in data:
        open(config, "w").write(data["config.json"])
    elif document and document.get("kind") == "ConfigMap":
        # The mapping overrides' ConfigMap: key "dir__file.json" is mounted at mappings/dir/file.json.
        for key, text in data.items():
            path = os.path.join(mappings, key.replace("__", "/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").write(text)
sys.exit(0 if os.path.exists(config) else 1)
PY
    then
      fail "$case_name: no config.json in the rendered ConfigMap"; continue
    fi
    if out=$(dotnet "$product" run --check-config --config "$work/$case_name-config.json" "Mappings:Directory=$mappings" 2>&1); then
      pass "$case_name: the product accepts its configuration and mappings"
    else
      fail "$case_name: the product refuses it (the pod would exit 2 at start)"; sed 's/^/       /' <<<"$out"
    fi
  done
fi

echo "helm-check: $((checks - failures)) of $checks checks passed"
[ "$failures" -eq 0 ]
