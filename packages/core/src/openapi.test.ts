/**
 * /openapi.json describes every route the gateway serves, with every error status an inference route returns,
 * request schemas that take what the gateway takes, and response schemas (the official ones) whose every $ref
 * resolves and which real answers of the gateway satisfy.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi.js";
import type { FakeServer } from "./test-support/fake-server.js";
import { startScriptedOpenAI } from "./test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
const doc = openApiDocument() as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: "doc", components: doc.components });
const validator = (name: string) => ajv.getSchema(`doc#/components/schemas/${name}`)!;

let up: FakeServer, gw: TestGateway;
beforeAll(async () => {
  up = await startScriptedOpenAI("UP");
  gw = await startTestGateway(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`);
});
afterAll(async () => {
  await gw.close();
  await up.close();
});

describe("/openapi.json", () => {
  it("has every route the gateway serves, with its method", () => {
    const routes = (gw.gateway as unknown as { routes: Array<{ method: string; pattern: RegExp }> }).routes;
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), path.replace(/\{[^}]+\}/g, "x")]));
    for (const route of routes) {
      const hit = documented.some(([method, path]) => method === route.method && route.pattern.test(path!));
      expect(hit, `${route.method} ${route.pattern} is not documented`).toBe(true);
    }
    expect(documented.length).toBe(routes.length);
  });

  it("documents every error status an inference route returns, and the stream", () => {
    for (const path of ["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/completions"]) {
      const responses = doc.paths[path]!.post.responses;
      for (const status of ["400", "401", "403", "404", "405", "413", "415", "429", "502", "503", "504"])
        expect(responses, `${path} ${status}`).toHaveProperty(status);
      expect(responses["200"].content["text/event-stream"]["x-event-schema"]).toBeTruthy();
    }
    expect(doc.paths["/v1/messages"]!.post.responses["400"].content["application/json"].schema.$ref).toBe("#/components/schemas/AnthropicErrorResponse");
  });

  it("compiles: every $ref resolves, no schema is empty", () => {
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(() => validator(name), name).not.toThrow();
      expect(schema, name).not.toEqual({});
    }
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of new Set(refs)) expect(doc.components.schemas).toHaveProperty([r.slice(22, -1)]);
  });

  it("request schemas take what the gateway takes, unknown parameters included", () => {
    const chat = {
      model: "m",
      messages: [{ role: "user", content: "hi", name: null }],
      tools: [{ type: "function", function: { name: "f", description: null } }],
      safety_identifier: "x",
    };
    expect(validator("ChatCompletionRequest")(chat)).toBe(true);
    expect(validator("ResponsesRequest")({ model: "m", input: [{ role: "user", content: "hi" }], prompt_cache_key: "k", future: 1 })).toBe(true);
    expect(validator("MessagesRequest")({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], future: 1 })).toBe(true);
    expect(validator("MessagesRequest")({ model: "m", messages: [] })).toBe(false); // max_tokens is required, as the route requires it
    expect(validator("CompletionRequest")({ model: "m", prompt: [1, 2] })).toBe(true);
  });

  it("response schemas hold the gateway's real answers", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const checks: Array<[string, unknown]> = [
      ["CreateChatCompletionResponse", await (await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }] })).json()],
      ["Response", await (await post("/v1/responses", { model: "m", input: "hi" })).json()],
      ["AnthropicMessage", await (await post("/v1/messages", { model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })).json()],
      ["CreateCompletionResponse", await (await post("/v1/completions", { model: "m", prompt: "hi" })).json()],
      ["ListModelsResponse", await (await fetch(`${gw.url}/v1/models`)).json()],
      ["ErrorResponse", await (await post("/v1/responses", { model: "m" })).json()],
      ["AnthropicErrorResponse", await (await post("/v1/messages", { model: "m" })).json()],
    ];
    for (const [name, value] of checks) expect(validator(name)(value), `${name}: ${JSON.stringify(validator(name).errors?.slice(0, 3))}`).toBe(true);
  });
});
