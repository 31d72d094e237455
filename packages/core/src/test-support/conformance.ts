/**
 * Validators for what the gateway returns, against the official specifications in src/specs: OpenAI's published
 * OpenAPI spec (a subset, scripts/extract-openai-spec.mjs) and the JSON Schemas of the official Anthropic SDK's
 * models (scripts/extract-anthropic-schema.py). Each throws with the validator's findings.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";

const spec = JSON.parse(readFileSync(fileURLToPath(new URL("../specs/openai-openapi.subset.json", import.meta.url)), "utf8"));
const anthropicSpec = JSON.parse(readFileSync(fileURLToPath(new URL("../specs/anthropic-messages.schema.json", import.meta.url)), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ ...spec, $id: "openai" });
ajv.addSchema({ ...anthropicSpec, $id: "anthropic" });

/** Throws with the validator's findings when `value` is not a valid `schema` of OpenAI's spec (or `anthropic`'s). */
export function conforms(schema: string, value: unknown, api: "openai" | "anthropic" = "openai"): void {
  const validate = ajv.getSchema(`${api}#/$defs/${schema}`)!;
  if (!validate(value)) {
    const problems = (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`not a valid ${schema}:\n${problems.join("\n")}\n${JSON.stringify(value).slice(0, 600)}`);
  }
}

/** Responses stream events by type → the spec's schema for that event (the union's errors name every member). */
const EVENT_SCHEMAS = new Map<string, string>(
  (spec.$defs.ResponseStreamEvent.anyOf as Array<{ $ref: string }>).flatMap(({ $ref }) => {
    const name = $ref.replace("#/$defs/", "");
    return ((spec.$defs[name].properties?.type?.enum ?? []) as string[]).map((type) => [type, name] as [string, string]);
  }),
);

/** A Responses stream event, against its own schema and the union's. */
export function conformsEvent(event: { type: string }): void {
  const schema = EVENT_SCHEMAS.get(event.type);
  if (!schema) throw new Error(`OpenAI's spec has no stream event '${event.type}'`);
  conforms(schema, event);
  conforms("ResponseStreamEvent", event);
}

/** An Anthropic stream event: pings are bare, errors are ErrorResponse objects, the rest the SDK's event union. */
export function conformsAnthropicEvent(event: { type: string }): void {
  if (event.type === "ping") {
    if (JSON.stringify(event) !== '{"type":"ping"}') throw new Error(`not a bare ping: ${JSON.stringify(event)}`);
  } else if (event.type === "error") conforms("ErrorResponse", event, "anthropic");
  else conforms("RawMessageStreamEvent", event, "anthropic");
}
