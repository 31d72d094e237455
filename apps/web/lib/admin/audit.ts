/**
 * What an audit row says changed: the fields that differ between before and after (nested settings by dotted
 * path), with secrets shown only as changed. A field is a secret by its name (api_key, password, a credential
 * header…) or by its value (any known secret found in it), so a secret pasted into a free-text field is caught too.
 */
export type AuditChanges = Record<string, { before: unknown; after: unknown }>;

const SECRET_NAME = /api[-_]?key|secret|password|passwd|token|authorization|cookie|credential|hash|private|webhook/i;
const MAX_DEPTH = 4;
const MIN_SECRET_LENGTH = 6;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

function flatten(value: unknown, prefix: string, depth: number, out: Map<string, unknown>): Map<string, unknown> {
  if (isPlainObject(value) && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, depth + 1, out);
  } else if (prefix) {
    out.set(prefix, value instanceof Date ? value.toISOString() : value === undefined ? null : value);
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every known secret inside a value replaced by "(secret)". */
function scrub(value: unknown, secrets: string[]): unknown {
  if (!secrets.length || value === null || value === undefined) return value;
  if (typeof value === "string") return secrets.reduce((text, s) => text.split(s).join("(secret)"), value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  return value;
}

export function auditChanges(before: unknown, after: unknown, secrets: readonly string[] = []): AuditChanges | null {
  const known = [...new Set(secrets.filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const b = flatten(before, "", 0, new Map());
  const a = flatten(after, "", 0, new Map());
  const changes: AuditChanges = {};
  for (const path of new Set([...b.keys(), ...a.keys()])) {
    const was = b.get(path) ?? null;
    const now = a.get(path) ?? null;
    if (same(was, now)) continue;
    changes[path] = SECRET_NAME.test(path)
      ? { before: was === null || was === "" ? null : "(secret)", after: now === null || now === "" ? null : "(changed)" }
      : { before: scrub(was, known), after: scrub(now, known) };
  }
  return Object.keys(changes).length ? changes : null;
}
