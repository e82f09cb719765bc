// Validates rendered Kubernetes manifests offline against the API schemas bundled in npm kubernetes-models
// (test-infrastructure guide §5: kubeconform/kubeval cannot be installed here).
//
// Usage: helm template rel ./chart | node .ci/k8s-validate.mjs [label]
//        node .ci/k8s-validate.mjs [label] < manifests.yaml
// Prints OK/FAIL per object (ConfigMap entries named *.json must also be valid JSON). Custom resources are validated
// against the CRD schemas of @kubernetes-models/prometheus-operator (ServiceMonitor, PrometheusRule) and
// @kubernetes-models/keda (ScaledObject, TriggerAuthentication); kinds of other API groups are SKIPped. Exits 1 on any FAIL, on an unknown kind of a known group, on a
// duplicate kind/name, or when the input holds no object at all.
//
// Node resolves bare specifiers relative to this file, not to the tools directory, and NODE_PATH does not apply to
// ESM; so the packages are imported by absolute file URL from .tools/k8s-validate/node_modules (installed by
// .ci/install-tools.sh), or from $K8S_VALIDATE_MODULES when set.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.K8S_VALIDATE_MODULES
  ?? resolve(here, '..', '.tools', 'k8s-validate', 'node_modules');
const modelsRoot = join(modules, 'kubernetes-models');
if (!existsSync(modelsRoot)) {
  console.error(`k8s-validate: ${modelsRoot} is missing; run .ci/install-tools.sh`);
  process.exit(2);
}
const crdModelRoots = ['keda', 'prometheus-operator'].map((name) => join(modules, '@kubernetes-models', name));
for (const root of crdModelRoots) {
  if (!existsSync(root)) {
    console.error(`k8s-validate: ${root} is missing; run .ci/install-tools.sh`);
    process.exit(2);
  }
}
const importFile = (path) => import(pathToFileURL(path).href);
const yamlModule = await importFile(join(modules, 'yaml', 'dist', 'index.js'));
const YAML = yamlModule.parseAllDocuments ? yamlModule : yamlModule.default;

const label = process.argv[2] ? `${process.argv[2]}: ` : '';
const documents = YAML.parseAllDocuments(readFileSync(0, 'utf8'));
let failed = 0;
let checked = 0;
const seen = new Set();

for (const document of documents) {
  if (document.errors.length > 0) {
    failed++;
    console.log(`FAIL ${label}YAML: ${document.errors.map((e) => e.message).join('; ')}`);
    continue;
  }
  const object = document.toJSON();
  if (object === null || object === undefined) continue;   // empty document between "---" separators
  checked++;
  const kind = object.kind ?? '<no kind>';
  const name = object.metadata?.name ?? '<no name>';
  const id = `${kind}/${name}`;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name) {
    failed++;
    console.log(`FAIL ${label}${id}: apiVersion, kind and metadata.name are required`);
    continue;
  }
  if (seen.has(`${object.apiVersion}/${id}`)) {
    failed++;
    console.log(`FAIL ${label}${id}: rendered twice`);
    continue;
  }
  seen.add(`${object.apiVersion}/${id}`);

  // "v1" is the core group (kubernetes-models/v1/*); "apps/v1" lives in kubernetes-models/apps/v1/*; a CRD group
  // such as keda.sh/v1alpha1 in @kubernetes-models/keda/keda.sh/v1alpha1/*.
  const groupVersionDir = [modelsRoot, ...crdModelRoots]
    .map((root) => join(root, ...object.apiVersion.split('/')))
    .find((dir) => existsSync(dir)) ?? join(modelsRoot, ...object.apiVersion.split('/'));
  if (!existsSync(groupVersionDir)) {
    console.log(`SKIP ${label}${id}: no bundled schema for ${object.apiVersion} (custom resource)`);
    continue;
  }
  const modelFile = join(groupVersionDir, `${kind}.js`);
  if (!existsSync(modelFile)) {
    failed++;
    console.log(`FAIL ${label}${id}: ${object.apiVersion} has no kind ${kind}`);
    continue;
  }
  const Model = (await importFile(modelFile))[kind];
  try {
    new Model(object).validate();
    // The schema sees a ConfigMap's data only as strings; a *.json entry (config.json, mapping files) must also parse,
    // or the program fails at start in the cluster instead of here.
    if (kind === 'ConfigMap') {
      for (const [key, value] of Object.entries(object.data ?? {})) {
        if (key.endsWith('.json')) {
          try { JSON.parse(value); } catch (error) { throw new Error(`data.${key} is not valid JSON: ${error.message}`); }
        }
      }
    }
    console.log(`OK   ${label}${id}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${label}${id}: ${error.message}`);
  }
}

if (checked === 0) {
  console.log(`FAIL ${label}no Kubernetes object in the input`);
  failed++;
}
process.exit(failed > 0 ? 1 : 0);
