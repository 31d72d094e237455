/**
 * The response cache through the official SDKs against a real gateway and fake upstreams: exact hits and misses on
 * JSON and streams for Chat Completions, Responses and Messages (a hit in one API from an answer in another),
 * the scoping by key and team, Cache-Control and the body's `cache` field, expiry, the size cap, the
 * temperature rule, DELETE /v1/cache, and what the log row says.
 */
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startScriptedAnthropic, startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import type { AuthContext } from "../auth/types.js";
import type { RequestLogEntry } from "../logging/types.js";
import { GatewayError } from "../errors.js";
import { conforms, conformsAnthropicEvent, conformsEvent } from "../test-support/conformance.js";

const KEYS: Record<string, AuthContext> = {
  "k-a1": { keyId: "a1", team: { id: "alpha", name: "Alpha" } },
  "k-a2": { keyId: "a2", team: { id: "alpha", name: "Alpha" } },
  "k-b1": { keyId: "b1", team: { id: "beta", name: "Beta" } },
  "k-off": { keyId: "off", cache: false },
};
const authenticate = async (headers: Record<string, string | undefined>): Promise<AuthContext> => {
  const token = (headers.authorization ?? headers["x-api-key"] ?? "").replace(/^Bearer /, "");
  const auth = KEYS[token];
  if (!auth) throw new GatewayError(401, "authentication_error", "invalid_api_key", "unknown key");
  return auth;
};

let oa: FakeServer, an: FakeServer;
const logs: RequestLogEntry[] = [];
const logSink = { write: (e: RequestLogEntry) => void logs.push(e) };

function config(cache: string): string {
  return `cache: ${cache}
providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
  - { id: an, type: anthropic, base_url: "${an.url}/v1", api_key: sk-ant-secret, models: [m], prices: { m: { input: 1, output: 2 } } }
`;
}

let gw: TestGateway;
beforeAll(async () => {
  [oa, an] = await Promise.all([startScriptedOpenAI("OA"), startScriptedAnthropic("AN")]);
  gw = await startTestGateway(config("{ enabled: true, ttl_s: 60 }"), { authenticate, logSink });
});
afterAll(async () => {
  await gw.close();
  await Promise.all([oa.close(), an.close()]);
});
beforeEach(() => void (logs.length = 0));

const openai = (key = "k-a1", gateway = gw, headers: Record<string, string> = {}) =>
  new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
const anthropic = (key = "k-a1", provider?: string) =>
  new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0, defaultHeaders: provider ? { "x-interference-provider": provider } : {} });
const upstreamCalls = () => oa.requests.length + an.requests.length;
let n = 0;
/** A question no other test asks. */
const fresh = (what = "question") => `${what} ${++n} ${Math.random()}`;

async function chat(question: string, options: { key?: string; headers?: Record<string, string>; body?: Record<string, unknown> } = {}) {
  const { data, response } = await openai(options.key, gw, options.headers)
    .chat.completions.create({ model: "m", messages: [{ role: "user", content: question }], provider: "oa", ...options.body } as never)
    .withResponse();
  return {
    data: data as OpenAI.ChatCompletion,
    cache: response.headers.get("x-interference-cache"),
    provider: response.headers.get("x-interference-provider"),
  };
}

describe("exact hits on Chat Completions", () => {
  it("serves the second identical request from the cache: same answer, no upstream call, cost 0, the log says so", async () => {
    const q = fresh();
    const first = await chat(q);
    expect(first.cache).toBe("miss");
    expect(first.data.choices[0]!.message.content).toBe(`OA heard: user:${q}`);
    const before = upstreamCalls();
    const second = await chat(q);
    expect(upstreamCalls()).toBe(before);
    expect(second.cache).toBe("hit");
    expect(second.provider).toBe("cache");
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.id).not.toBe(first.data.id);
    expect(second.data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, cost: 0 });
    const [miss, hit] = logs;
    expect(miss).toMatchObject({ cache: "miss", provider: "oa", cost: 25 / 1e6 });
    expect(hit).toMatchObject({ cache: "hit", provider: "cache", cost: 0, cacheSaved: 25 / 1e6, promptTokens: 11, completionTokens: 7 });
    expect(hit!.cacheEntryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(hit!.attempts).toMatchObject([{ provider: "cache", outcome: "served", chosen: `exact match of entry ${hit!.cacheEntryId}` }]);
  });

  it("ignores what does not change the answer (stream, user, metadata, the provider choice), but not the sampling settings", async () => {
    const q = fresh();
    await chat(q, { body: { user: "u1", max_tokens: 50 } });
    expect((await chat(q, { body: { user: "u2", metadata: { run: "x" }, max_tokens: 50, provider: "an" } })).cache).toBe("hit");
    expect((await chat(q, { body: { max_tokens: 51 } })).cache).toBe("miss");
    expect((await chat(q, { body: { max_tokens: 50, stop: ["x"] } })).cache).toBe("miss");
  });

  it("replays a cached answer as a stream, and caches a streamed answer for JSON requests", async () => {
    const q = fresh();
    const first = await chat(q);
    const stream = await openai().chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: q }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(first.data.choices[0]!.message.content);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, cost: 0 });
    expect(logs.at(-1)).toMatchObject({ cache: "hit", stream: true });

    // A streamed miss is kept once it ended well, whole, usage included although the client did not ask for it.
    const q2 = fresh();
    const streamed = await openai().chat.completions.create({ model: "m", messages: [{ role: "user", content: q2 }], stream: true, provider: "oa" } as never);
    let streamedText = "";
    for await (const chunk of streamed as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) streamedText += chunk.choices[0]?.delta.content ?? "";
    await new Promise((r) => setTimeout(r, 20));
    const again = await chat(q2);
    expect(again.cache).toBe("hit");
    expect(again.data.choices[0]!.message.content).toBe(streamedText);
    expect(again.data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
  });

  it("replays tool calls", async () => {
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }];
    const q = fresh();
    const first = await chat(q, { body: { tools } });
    const second = await chat(q, { body: { tools } });
    expect(second.cache).toBe("hit");
    expect(second.data.choices[0]!.finish_reason).toBe("tool_calls");
    expect(second.data.choices[0]!.message.tool_calls).toEqual(first.data.choices[0]!.message.tool_calls);
  });
});

describe("one answer, any API", () => {
  it("answers a Messages request from an answer given on Chat Completions, and the reverse, JSON and streamed", async () => {
    const q = fresh();
    const first = await chat(q, { body: { max_tokens: 64 } });
    const { data: message, response } = await anthropic()
      .messages.create({ model: "m", max_tokens: 64, messages: [{ role: "user", content: q }] })
      .withResponse();
    expect(response.headers.get("x-interference-cache")).toBe("hit");
    expect(message.content).toEqual([{ type: "text", text: first.data.choices[0]!.message.content }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });

    const q2 = fresh();
    const original = await anthropic("k-a1", "an").messages.create({ model: "m", max_tokens: 64, messages: [{ role: "user", content: q2 }] });
    expect(logs.at(-1)).toMatchObject({ cache: "miss", provider: "an" });
    const events = anthropic().messages.stream({ model: "m", max_tokens: 64, messages: [{ role: "user", content: q2 }] });
    const streamed = await events.finalMessage();
    expect(streamed.content).toEqual(original.content);
    expect(logs.at(-1)).toMatchObject({ cache: "hit" });
    expect((await chat(q2, { body: { max_tokens: 64 } })).cache).toBe("hit");
  });

  it("serves Responses hits, JSON and streamed, stored so that previous_response_id goes on from them", async () => {
    const q = fresh();
    const client = openai();
    const first = await client.responses.create({ model: "m", input: q, provider: "oa" } as never);
    const { data: second, response } = await client.responses.create({ model: "m", input: q }).withResponse();
    expect(response.headers.get("x-interference-cache")).toBe("hit");
    expect(second.output_text).toBe((first as unknown as OpenAI.Responses.Response).output_text);
    expect(second.id).not.toBe((first as unknown as OpenAI.Responses.Response).id);
    const stream = client.responses.stream({ model: "m", input: q });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(second.output_text);
    expect(logs.at(-1)).toMatchObject({ cache: "hit", stream: true });
    // The hit was stored like any response: a follow-up continues from it (and is a miss: its own question).
    const next = await client.responses.create({ model: "m", input: "and then?", previous_response_id: second.id, provider: "oa" } as never);
    expect((next as unknown as OpenAI.Responses.Response).output_text).toContain(`assistant:${second.output_text}`);
    // The same answer serves Chat Completions.
    expect((await chat(q)).cache).toBe("hit");
  });
});

describe("replays that the official schemas accept", () => {
  const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k-a1", ...headers },
      body: JSON.stringify(body),
    });
  /** The JSON payloads of an SSE body, [DONE] left out. */
  const events = async (res: Response) =>
    (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
      .map((l) => JSON.parse(l.slice(6)));

  it("keeps a streamed miss on each API, and its hits (JSON and streamed, in every API) conform", async () => {
    for (const [path, make, provider] of [
      ["/v1/chat/completions", (q: string) => ({ model: "m", max_tokens: 40, messages: [{ role: "user", content: q }] }), "oa"],
      ["/v1/messages", (q: string) => ({ model: "m", max_tokens: 40, messages: [{ role: "user", content: q }] }), "an"],
      ["/v1/responses", (q: string) => ({ model: "m", max_output_tokens: 40, input: [{ role: "user", content: q }] }), "oa"],
    ] as const) {
      const q = fresh(path);
      const miss = await post(path, { ...make(q), stream: true }, { "x-interference-provider": provider });
      expect(miss.headers.get("x-interference-cache")).toBe("miss");
      await miss.text();
      await new Promise((r) => setTimeout(r, 20));
      const chat = { model: "m", max_tokens: 40, messages: [{ role: "user", content: q }] };
      const message = { model: "m", max_tokens: 40, messages: [{ role: "user", content: q }] };
      const response = { model: "m", max_output_tokens: 40, input: q };

      const c = await post("/v1/chat/completions", chat);
      expect(c.headers.get("x-interference-cache")).toBe("hit");
      conforms("CreateChatCompletionResponse", await c.json());
      const chunks = await events(await post("/v1/chat/completions", { ...chat, stream: true, stream_options: { include_usage: true } }));
      for (const chunk of chunks) conforms("CreateChatCompletionStreamResponse", chunk);

      const m = await post("/v1/messages", message);
      expect(m.headers.get("x-interference-cache")).toBe("hit");
      conforms("Message", await m.json(), "anthropic");
      const streamed = await events(await post("/v1/messages", { ...message, stream: true }));
      expect(streamed.at(-1)!.type).toBe("message_stop");
      for (const e of streamed) conformsAnthropicEvent(e);

      const r = await post("/v1/responses", response);
      expect(r.headers.get("x-interference-cache")).toBe("hit");
      conforms("Response", await r.json());
      const responseEvents = await events(await post("/v1/responses", { ...response, stream: true }));
      expect(responseEvents.at(-1)!.type).toBe("response.completed");
      for (const e of responseEvents) conformsEvent(e);
    }
  });
});

describe("who may read what", () => {
  it("keeps each key's answers to itself by default", async () => {
    const q = fresh();
    await chat(q, { key: "k-a1" });
    expect((await chat(q, { key: "k-a2" })).cache).toBe("miss");
    expect((await chat(q, { key: "k-b1" })).cache).toBe("miss");
    expect((await chat(q, { key: "k-a1" })).cache).toBe("hit");
  });

  it("shares within a team when the admin says so, never across teams", async () => {
    const team = await startTestGateway(config("{ enabled: true, scope: team }"), { authenticate, logSink });
    try {
      const ask = async (key: string, q: string) => {
        const { response } = await openai(key, team)
          .chat.completions.create({ model: "m", messages: [{ role: "user", content: q }] })
          .withResponse();
        return response.headers.get("x-interference-cache");
      };
      const q = fresh();
      expect(await ask("k-a1", q)).toBe("miss");
      expect(await ask("k-a2", q)).toBe("hit");
      expect(await ask("k-b1", q)).toBe("miss");
    } finally {
      await team.close();
    }
  });

  it("follows a key's own switch over the config's", async () => {
    const q = fresh();
    expect((await chat(q, { key: "k-off" })).cache).toBe("skip");
    expect((await chat(q, { key: "k-off" })).cache).toBe("skip");
  });
});

describe("the client's say", () => {
  it("Cache-Control: no-cache skips the lookup and stores the fresh answer; no-store does neither", async () => {
    const q = fresh();
    await chat(q);
    const before = upstreamCalls();
    expect((await chat(q, { headers: { "cache-control": "no-cache" } })).cache).toBe("skip");
    expect(upstreamCalls()).toBe(before + 1);
    expect((await chat(q)).cache).toBe("hit");

    const q2 = fresh();
    expect((await chat(q2, { headers: { "cache-control": "no-store" } })).cache).toBe("skip");
    expect((await chat(q2)).cache).toBe("miss");
  });

  it("takes `cache: false` and `cache: {ttl_s, namespace}` in the body, never sending them upstream", async () => {
    const q = fresh();
    expect((await chat(q, { body: { cache: false } })).cache).toBe("skip");
    expect(oa.requests.at(-1)!.body).not.toHaveProperty("cache");
    expect((await chat(q, { body: { cache: { namespace: "eval-1" } } })).cache).toBe("miss");
    expect(oa.requests.at(-1)!.body).not.toHaveProperty("cache");
    expect((await chat(q, { body: { cache: { namespace: "eval-2" } } })).cache).toBe("miss");
    expect((await chat(q, { body: { cache: { namespace: "eval-1" } } })).cache).toBe("hit");
    expect((await chat(q)).cache).toBe("miss");
  });

  it("labels an error answer too: a miss whose provider failed", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k-a1", "content-type": "application/json" },
      body: JSON.stringify({ model: "nope", messages: [{ role: "user", content: fresh() }] }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-interference-cache")).toBe("miss");
  });

  it("refuses a malformed `cache` field in the API's error shape", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k-a1", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], cache: { ttl_s: -4 } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "cache.ttl_s", type: "invalid_request_error" } });
    const msg = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k-a1", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], cache: "yes" }),
    });
    expect(msg.status).toBe(400);
    expect(await msg.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("expires an entry after its ttl", async () => {
    const q = fresh();
    await chat(q, { body: { cache: { ttl_s: 1 } } });
    expect((await chat(q, { body: { cache: { ttl_s: 1 } } })).cache).toBe("hit");
    await new Promise((r) => setTimeout(r, 1100));
    expect((await chat(q, { body: { cache: { ttl_s: 1 } } })).cache).toBe("miss");
  });

  it("caches only deterministic requests unless the admin allows any temperature", async () => {
    const q = fresh();
    await chat(q, { body: { temperature: 0.7 } });
    expect((await chat(q, { body: { temperature: 0.7 } })).cache).toBe("skip");
    await chat(q, { body: { temperature: 0 } });
    expect((await chat(q, { body: { temperature: 0 } })).cache).toBe("hit");
  });
});

describe("limits and housekeeping", () => {
  it("does not keep answers over the size cap", async () => {
    const small = await startTestGateway(config("{ enabled: true, max_entry_bytes: 1024 }"), { authenticate, logSink });
    try {
      const ask = async (q: string) =>
        (
          await openai("k-a1", small)
            .chat.completions.create({ model: "m", messages: [{ role: "user", content: q }] })
            .withResponse()
        ).response.headers.get("x-interference-cache");
      const long = fresh("x".repeat(2000));
      await ask(long);
      expect(await ask(long)).toBe("miss");
      const short = fresh();
      await ask(short);
      expect(await ask(short)).toBe("hit");
    } finally {
      await small.close();
    }
  });

  it("DELETE /v1/cache purges the caller's own entries, one namespace or all", async () => {
    const q = fresh();
    await chat(q, { body: { cache: { namespace: "ns-a" } } });
    await chat(q);
    await chat(q, { key: "k-a2" });
    const purge = (key: string, query = "") => fetch(`${gw.url}/v1/cache${query}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    const one = await purge("k-a1", "?namespace=ns-a");
    expect(await one.json()).toEqual({ object: "cache.purge", namespace: "ns-a", deleted: 1 });
    expect((await chat(q, { body: { cache: { namespace: "ns-a" } } })).cache).toBe("miss");
    expect((await chat(q)).cache).toBe("hit");
    expect(((await (await purge("k-a1")).json()) as { deleted: number }).deleted).toBeGreaterThanOrEqual(2);
    expect((await chat(q)).cache).toBe("miss");
    expect((await chat(q, { key: "k-a2" })).cache).toBe("hit");
  });

  it("leaves a gateway without `cache:` as it was, but for the label", async () => {
    const off = await startTestGateway(config("{ enabled: false }"), { authenticate });
    try {
      const ask = async () =>
        (
          await openai("k-a1", off)
            .chat.completions.create({ model: "m", messages: [{ role: "user", content: "same" }] })
            .withResponse()
        ).response;
      expect((await ask()).headers.get("x-interference-cache")).toBe("skip");
      const before = upstreamCalls();
      await ask();
      expect(upstreamCalls()).toBe(before + 1);
    } finally {
      await off.close();
    }
  });
});

describe("the semantic cache with a configured embedding provider", () => {
  /** Made-up vectors: the two phrasings of one question 0.97 apart, anything else on an axis of its own. */
  const VECTORS: Record<string, number[]> = {
    "How do I reverse a list?": [1, 0, 0, 0],
    "What's the way to reverse a list?": [0.97, 0.2431, 0, 0],
  };
  let emb: FakeServer, semantic: TestGateway;
  beforeAll(async () => {
    emb = await startFakeServer((_req, res, body) =>
      sendJson(res, 200, {
        object: "list",
        model: body.model,
        data: (body.input as string[]).map((t, index) => ({ object: "embedding", index, embedding: VECTORS[t] ?? [0, 0, 0, 1] })),
        usage: { prompt_tokens: 3, total_tokens: 3 },
      }),
    );
    semantic = await startTestGateway(
      `cache: { enabled: true, semantic: { enabled: true, provider: emb, model: e1, thresholds: { strict: 0.99 } } }
providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m, strict], prices: { m: { input: 1, output: 2 } } }
  - { id: emb, type: openai, base_url: "${emb.url}/v1", embedding_models: [e1] }
`,
      { metricsPublic: true },
    );
  });
  afterAll(async () => {
    await semantic?.close();
    await emb?.close();
  });

  const ask = async (model: string, question: string) =>
    (
      await new OpenAI({ baseURL: `${semantic.url}/v1`, apiKey: "none", maxRetries: 0 }).chat.completions
        .create({ model, messages: [{ role: "user", content: question }] })
        .withResponse()
    ).response.headers.get("x-interference-cache");

  it("embeds with that provider's model, holds a model's own threshold, and counts in /metrics", async () => {
    expect(await ask("m", "How do I reverse a list?")).toBe("miss");
    expect(emb.requests.at(-1)!.body).toMatchObject({ model: "e1", input: ["How do I reverse a list?"] });
    expect(await ask("m", "What's the way to reverse a list?")).toBe("semantic-hit; similarity=0.97");
    expect(await ask("strict", "How do I reverse a list?")).toBe("miss");
    expect(await ask("strict", "What's the way to reverse a list?")).toBe("miss");
    const metrics = await (await fetch(`${semantic.url}/metrics`)).text();
    expect(metrics).toMatch(/interference_cache_requests_total\{result="semantic-hit"\} 1/);
    expect(metrics).toMatch(/interference_cache_requests_total\{result="miss"\} 3/);
    expect(metrics).toMatch(/interference_cache_saved_usd_total [0-9.e-]+/);
  });
});
