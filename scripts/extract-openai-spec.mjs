#!/usr/bin/env node
/**
 * Cuts OpenAI's published OpenAPI spec (github.com/openai/openai-openapi, openapi.json) down to the response
 * schemas the gateway's conformance test validates against, with everything they reference, so the fixture is
 * small enough to commit. Usage: node scripts/extract-openai-spec.mjs <openapi.json> <out.json> <commit>
 */
import { readFileSync, writeFileSync } from "node:fs";

const ROOTS = [
  "CreateChatCompletionResponse",
  "CreateChatCompletionStreamResponse",
  "CreateCompletionResponse",
  "Response",
  "ResponseStreamEvent",
  "ResponseItemList",
  "Model",
  "ListModelsResponse",
  "ErrorResponse",
  "ImagesResponse",
  "CreateEmbeddingResponse",
];
// Documentation the validator never reads.
const DROP = new Set(["description", "example", "examples", "x-oaiMeta", "x-oaiExpandable", "x-oaiTypeLabel", "title"]);

const [source, out, commit] = process.argv.slice(2);
if (!source || !out) throw new Error("usage: extract-openai-spec.mjs <openapi.json> <out.json> <commit>");
const spec = JSON.parse(readFileSync(source, "utf8"));
const all = spec.components.schemas;
const kept = {};

/** `owner`: the schema being copied; its draft-2019 `$recursiveRef: "#"` (CompoundFilter) becomes a plain $ref to it. */
function strip(node, owner) {
  if (Array.isArray(node)) return node.map((n) => strip(n, owner));
  if (!node || typeof node !== "object") return node;
  // OpenAPI 3.0's `nullable`, left in places of this 3.1 spec: JSON Schema says it with a "null" type.
  if (node.nullable === true) {
    const { nullable: _, ...rest } = node;
    if (Array.isArray(rest.enum) && !rest.enum.includes(null)) rest.enum = [...rest.enum, null];
    return typeof rest.type === "string" ? strip({ ...rest, type: [rest.type, "null"] }, owner) : { anyOf: [strip(rest, owner), { type: "null" }] };
  }
  const copy = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROP.has(k) && typeof v !== "object") continue;
    if (k === "$recursiveAnchor") continue;
    if (k === "$recursiveRef") {
      copy.$ref = `#/$defs/${owner}`;
      continue;
    }
    if (k === "$ref") {
      const name = v.replace("#/components/schemas/", "");
      visit(name);
      copy[k] = `#/$defs/${name}`;
    } else copy[k] = k === "properties" ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strip(s, owner)])) : strip(v, owner);
  }
  return copy;
}

function visit(name) {
  if (name in kept) return;
  if (!all[name]) throw new Error(`no schema ${name}`);
  kept[name] = null;
  kept[name] = strip(all[name], name);
}

for (const name of ROOTS) visit(name);
writeFileSync(
  out,
  JSON.stringify({
    $comment: `OpenAI's published OpenAPI spec ${spec.info.version} (openai/openai-openapi ${commit ?? "?"}), cut to the response schemas in ROOTS of scripts/extract-openai-spec.mjs.`,
    $defs: Object.fromEntries(
      Object.keys(kept)
        .sort()
        .map((k) => [k, kept[k]]),
    ),
  }) + "\n",
);
console.log(`${Object.keys(kept).length} schemas -> ${out}`);
