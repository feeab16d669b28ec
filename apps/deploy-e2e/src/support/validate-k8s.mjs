// Validates Kubernetes objects against the Kubernetes OpenAPI schema with the `kubernetes-models`
// package (ESM-only, hence this helper runs as its own `node` process; jest runs CommonJS).
// Input on stdin: a JSON array of objects. Output on stdout: a JSON array with one entry per object:
// { index, apiVersion, kind, name, errors: string[] } (errors empty when the object is valid).

/** `apps/v1` -> `kubernetes-models/apps/v1`; `v1` -> `kubernetes-models/v1`. */
function modulePath(apiVersion) {
  return `kubernetes-models/${apiVersion}`;
}

async function validateOne(object, index) {
  const apiVersion = String(object?.apiVersion ?? '');
  const kind = String(object?.kind ?? '');
  const name = String(object?.metadata?.name ?? '');
  const result = { index, apiVersion, kind, name, errors: [] };
  if (!apiVersion || !kind) {
    result.errors.push('missing apiVersion or kind');
    return result;
  }
  let models;
  try {
    models = await import(modulePath(apiVersion));
  } catch (error) {
    result.errors.push(`unknown apiVersion ${apiVersion} (${error.message.split('\n')[0]})`);
    return result;
  }
  const Model = models[kind];
  if (typeof Model !== 'function') {
    result.errors.push(`unknown kind ${kind} in ${apiVersion}`);
    return result;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    const details = Array.isArray(error?.errors) ? error.errors.map((e) => `${e.instancePath || '/'} ${e.message}`) : [];
    result.errors.push(...(details.length ? details : [String(error?.message ?? error)]));
  }
  return result;
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const objects = JSON.parse(input);
if (!Array.isArray(objects)) throw new Error('expected a JSON array of Kubernetes objects on stdin');
const results = [];
for (const [index, object] of objects.entries()) results.push(await validateOne(object, index));
process.stdout.write(`${JSON.stringify(results)}\n`);
