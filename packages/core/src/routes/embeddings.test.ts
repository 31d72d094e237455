/**
 * POST /v1/embeddings through a real gateway with the official openai SDK, against fake OpenAI-compatible and
 * Gemini upstreams: both encodings (base64 byte-exact), dimensions, order, batch splitting, failover of the whole
 * request when one part fails, token arrays, errors, logging and cost.
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";

/** A vector that says which text it is for: [length, first char code, 0.1 + index-free constant], as float32s. */
const vectorFor = (input: string | number[]) =>
  typeof input === "string" ? [input.length, input.charCodeAt(0), 0.123456789] : [input.length, input[0] ?? 0, -1.5e-7];

/** An OpenAI-compatible /embeddings that answers in reverse order (with indexes), so order is the gateway's job. */
function openaiEmbeddings(failWhen?: (inputs: unknown[]) => boolean) {
  return (_q: unknown, res: any, body: any) => {
    const inputs: unknown[] = Array.isArray(body.input) && typeof body.input[0] !== "number" ? body.input : [body.input];
    if (failWhen?.(inputs)) return sendJson(res, 500, { error: { message: "boom" } });
    const data = inputs.map((input, index) => ({ object: "embedding", index, embedding: vectorFor(input as string) })).reverse();
    sendJson(res, 200, { object: "list", data, model: "text-embedding-3-small", usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 } });
  };
}

let oa: FakeServer, small: FakeServer, flaky: FakeServer, gemini: FakeServer, gw: TestGateway;
const rows: RequestLogEntry[] = [];

beforeAll(async () => {
  oa = await startFakeServer(openaiEmbeddings());
  small = await startFakeServer(openaiEmbeddings());
  // Fails any batch holding "fail": the part after the first.
  flaky = await startFakeServer(openaiEmbeddings((inputs) => inputs.includes("fail")));
  gemini = await startFakeServer((_q, res, body) =>
    sendJson(res, 200, { embeddings: body.requests.map((r: any) => ({ values: vectorFor(r.content.parts[0].text) })) }),
  );
  gw = await startTestGateway(
    `providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", api_key: sk-oa, models: [gpt-4o-mini], embedding_models: [text-embedding-3-small, { id: big, upstream: text-embedding-3-large }], prices: { text-embedding-3-small: { input: 0.02 } } }
  - { id: small, type: openai, base_url: "${small.url}/v1", embedding_models: [tiny], embedding_batch_size: 3 }
  - { id: flaky, type: openai, base_url: "${flaky.url}/v1", embedding_models: [tiny], embedding_batch_size: 2, retries: { max: 0 } }
  - { id: gem, type: gemini, base_url: "${gemini.url}/v1beta", api_key: g-key, embedding_models: [gemini-embedding-001] }
`,
    { logSink: { write: (e) => void rows.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa, small, flaky, gemini].map((s) => s.close()));
});

const client = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
const post = (body: unknown) =>
  fetch(`${gw.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("POST /v1/embeddings", () => {
  it("answers OpenAI's list in input order, with floats, usage, cost and the provider", async () => {
    const res = await client().embeddings.create({ model: "text-embedding-3-small", input: ["alpha", "be", "c"], encoding_format: "float" });
    expect(res.object).toBe("list");
    expect(res.data.map((d) => [d.object, d.index, d.embedding])).toEqual([
      ["embedding", 0, vectorFor("alpha")],
      ["embedding", 1, vectorFor("be")],
      ["embedding", 2, vectorFor("c")],
    ]);
    expect(res.model).toBe("text-embedding-3-small");
    // 9 tokens at $0.02 per million.
    expect(res.usage).toEqual({ prompt_tokens: 9, total_tokens: 9, cost: 0.00000018 });
    expect((res as any).provider).toBe("oa");
    expect(oa.requests.at(-1)!.body).toEqual({ model: "text-embedding-3-small", input: ["alpha", "be", "c"], encoding_format: "float" });
    expect(oa.requests.at(-1)!.headers.authorization).toBe("Bearer sk-oa");
  });

  it("conforms to OpenAI's published CreateEmbeddingResponse (plus the gateway's provider and cost)", async () => {
    const spec = JSON.parse(readFileSync(new URL("../specs/openai-openapi.subset.json", import.meta.url), "utf8"));
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...spec, $id: "openai" });
    const validate = ajv.getSchema("openai#/$defs/CreateEmbeddingResponse")!;
    const body = await (await post({ model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "float" })).json();
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it("answers base64 byte-exact with OpenAI's little-endian float32, which the SDK asks for by default", async () => {
    // The SDK sends encoding_format "base64" unless told otherwise, and decodes it.
    const res = await client().embeddings.create({ model: "text-embedding-3-small", input: "alpha" });
    expect(res.data[0]!.embedding).toEqual(Array.from(Float32Array.from(vectorFor("alpha"))));
    const raw: any = await (await post({ model: "text-embedding-3-small", input: "alpha", encoding_format: "base64" })).json();
    const expected = Buffer.alloc(12);
    vectorFor("alpha").forEach((v, i) => expected.writeFloatLE(v, i * 4));
    expect(Buffer.from(raw.data[0].embedding, "base64")).toEqual(expected);
  });

  it("sends dimensions and user where the provider takes them, aliases resolved", async () => {
    await client().embeddings.create({ model: "big", input: "x", dimensions: 256, user: "u-1", encoding_format: "float" });
    expect(oa.requests.at(-1)!.body).toEqual({ model: "text-embedding-3-large", input: ["x"], encoding_format: "float", dimensions: 256, user: "u-1" });
    await client().embeddings.create({ model: "gemini-embedding-001", input: "x", dimensions: 768, encoding_format: "float" });
    expect(gemini.requests.at(-1)!.body).toEqual({
      requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "x" }] }, outputDimensionality: 768 }],
    });
    expect(gemini.requests.at(-1)!.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(gemini.requests.at(-1)!.headers["x-goog-api-key"]).toBe("g-key");
    // A parameter the provider does not take: named in a 400, or dropped when asked.
    const err = (await client()
      .embeddings.create({ model: "gemini-embedding-001", input: "x", user: "u" })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ code: "unsupported_parameter", param: "user" });
  });

  it("splits inputs beyond a provider's batch limit and puts them back in order", async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => `${String.fromCharCode(97 + i)}${"x".repeat(i)}`);
    const before = small.requests.length;
    const res = await client().embeddings.create({ model: "tiny", provider: "small", input: inputs, encoding_format: "float" } as any);
    expect(small.requests.slice(before).map((r) => r.body.input.length)).toEqual([3, 3, 3, 1]);
    expect(res.data.map((d) => d.embedding)).toEqual(inputs.map(vectorFor));
    expect(res.data.map((d) => d.index)).toEqual([...inputs.keys()]);
    expect(res.usage.prompt_tokens).toBe(30);
    // Gemini takes 100 a call.
    const before2 = gemini.requests.length;
    const many = Array.from({ length: 150 }, (_, i) => `t${i}`);
    const g = await client().embeddings.create({ model: "gemini-embedding-001", input: many, encoding_format: "float" });
    expect(
      gemini.requests
        .slice(before2)
        .map((r) => r.body.requests.length)
        .sort(),
    ).toEqual([100, 50]);
    expect(g.data.map((d) => d.embedding)).toEqual(many.map(vectorFor));
  });

  it("fails the whole request over when one part fails: never a partial list", async () => {
    const inputs = ["a", "b", "fail", "d", "e"];
    const res = await client().embeddings.create({ model: "tiny", provider: "flaky small", input: inputs, encoding_format: "float" } as any);
    expect((res as any).provider).toBe("small");
    expect(res.data.map((d) => d.embedding)).toEqual(inputs.map(vectorFor));
    await new Promise((r) => setTimeout(r, 20));
    const row = rows.at(-1)!;
    expect(row.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ["flaky", "failed"],
      ["small", "served"],
    ]);
    expect(row).toMatchObject({ route: "/v1/embeddings", provider: "small", status: 200, promptTokens: 15, completionTokens: 0, model: "tiny" });
  });

  it("passes token arrays to providers that take them; others are skipped", async () => {
    const res = await client().embeddings.create({ model: "text-embedding-3-small", input: [[1, 2, 3], [4]], encoding_format: "float" });
    expect(oa.requests.at(-1)!.body.input).toEqual([[1, 2, 3], [4]]);
    expect(res.data.map((d) => d.embedding)).toEqual([vectorFor([1, 2, 3]), vectorFor([4])]);
    const err = await post({ model: "gemini-embedding-001", input: [1, 2] });
    expect(err.status).toBe(400);
    expect(((await err.json()) as any).error).toMatchObject({ code: "unsupported_input", param: "input" });
  });

  it("answers bad requests in OpenAI's error shape, naming the field", async () => {
    for (const [body, param] of [
      [{ model: "tiny" }, "input"],
      [{ model: "tiny", input: "" }, "input"],
      [{ model: "tiny", input: [] }, "input"],
      [{ model: "tiny", input: [[]] }, "input"],
      [{ model: "tiny", input: "x", encoding_format: "hex" }, "encoding_format"],
      [{ model: "tiny", input: "x", dimensions: 0 }, "dimensions"],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const { error }: any = await res.json();
      expect(error).toMatchObject({ type: "invalid_request_error", param: expect.stringMatching(new RegExp(`^${param}`)) });
    }
    const unknown = await post({ model: "nope", input: "x" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe("model_not_found");
  });

  it("lists embedding models in /v1/models and the provider detail", async () => {
    const models: any = await (await fetch(`${gw.url}/v1/models`)).json();
    expect(models.data.filter((m: any) => m.type === "embedding").map((m: any) => [m.id, m.providers])).toEqual([
      ["text-embedding-3-small", ["oa"]],
      ["big", ["oa"]],
      ["tiny", ["small", "flaky"]],
      ["gemini-embedding-001", ["gem"]],
    ]);
    const detail: any = await (await fetch(`${gw.url}/v1/providers/gem`)).json();
    expect(detail).toMatchObject({ embedding_models: ["gemini-embedding-001"], embedding_params: ["dimensions"] });
  });

  it("explains how to configure one when no provider serves embeddings", async () => {
    const bare = await startTestGateway(`providers:\n  - { id: chatonly, type: openai, base_url: "${oa.url}/v1", models: [m] }\n`);
    try {
      const res = await fetch(`${bare.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"input":"x"}' });
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error).toMatchObject({ code: "no_embedding_provider", message: expect.stringContaining("embedding_models") });
    } finally {
      await bare.close();
    }
  });
});
