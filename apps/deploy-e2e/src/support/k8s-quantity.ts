/** Binary and decimal suffixes of Kubernetes quantities (memory and storage). */
const SUFFIXES: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/**
 * Bytes of a Kubernetes memory or storage quantity (`1Gi`, `512Mi`, `1G`, `1073741824`), as the
 * kubelet resolves `resourceFieldRef` with the default divisor. Throws on anything else (a check
 * must not silently read a quantity it does not understand).
 */
export function quantityBytes(quantity: unknown): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity ?? ''));
  if (!match) throw new Error(`not a memory quantity this check understands: ${JSON.stringify(quantity)}`);
  return Math.ceil(Number(match[1]) * SUFFIXES[match[2] ?? '']);
}

/** Millicores of a CPU quantity (`500m`, `1`, `0.5`). */
export function quantityMillicores(quantity: unknown): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(String(quantity ?? ''));
  if (!match) throw new Error(`not a CPU quantity this check understands: ${JSON.stringify(quantity)}`);
  return match[2] ? Number(match[1]) : Number(match[1]) * 1000;
}
