/**
 * Config errors a person can act on: each problem with its path ("providers[0].retries") and, for a misspelt key,
 * the keys that are known there, read off the schema itself so the list can never go stale.
 */
import type { z } from "zod";

/** The keys an object schema at `path` under `schema` knows; null where the path leads to no object. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  let node: any = schema;
  const unwrap = () => {
    // optional, default, nullable, readonly and pipes (transforms) all wrap the schema that holds the keys.
    for (;;) {
      const def = node?._zod?.def;
      if (!def) return;
      if (def.innerType) node = def.innerType;
      else if (def.type === "pipe") node = def.in;
      else if (def.type === "union") node = def.options.find((o: any) => o._zod.def.type === "object" || o._zod.def.type === "pipe") ?? def.options[0];
      else return;
    }
  };
  for (const key of path) {
    unwrap();
    const def = node?._zod?.def;
    if (!def) return null;
    if (def.type === "object") node = def.shape[key as string];
    else if (def.type === "array") node = def.element;
    else if (def.type === "record") node = def.valueType;
    else return null;
  }
  unwrap();
  const def = node?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape) : null;
}

const pathText = (prefix: string, path: readonly PropertyKey[]) =>
  path.reduce<string>((out, k) => (typeof k === "number" ? `${out}[${k}]` : out ? `${out}.${String(k)}` : String(k)), prefix);

/** Every issue of a failed parse as "path: what is wrong", one a line. */
export function describeIssues(error: z.ZodError, schema: z.ZodType, prefix = ""): string {
  return error.issues
    .map((issue) => {
      const where = pathText(prefix, issue.path) || "(top level)";
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(schema, issue.path);
        const keys = issue.keys.map((k) => `"${k}"`).join(", ");
        return `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}${known ? ` (known: ${known.join(", ")})` : ""}`;
      }
      return `${where}: ${issue.message}`;
    })
    .join("\n");
}
