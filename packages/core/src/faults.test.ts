/**
 * Fault injection: an upstream that answers 500, 429 with Retry-After, hangs, resets the connection, cuts a
 * stream (before and after content) or sends malformed SSE, in front of a healthy one. For each fault, streamed
 * and not: the client gets a valid OpenAI answer or a JSON error, never a mixed answer, and the request leaves
 * exactly one log entry (the row the database stores) with the right chain of providers.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hang,
  openaiChunkEvents,
  openaiCompletion,
  reset,
  sendJson,
  sendSse,
  startFakeServer,
  type FakeHandler,
  type FakeServer,
} from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";
import type { RequestLogEntry } from "./logging/types.js";

let bad: FakeServer, good: FakeServer, gw: TestGateway;
const logs: RequestLogEntry[] = [];

beforeAll(async () => {
  bad = await startFakeServer(() => undefined);
  good = await startFakeServer((_q, res, body) =>
    body?.stream ? sendSse(res, openaiChunkEvents(["all ", "good"])) : sendJson(res, 200, openaiCompletion("all good")),
  );
  gw = await startTestGateway(
    `timeouts: { first_byte_ms: 400, idle_ms: 400 }
retries: { max: 0 }
circuit_breaker: { failure_threshold: 1000 }
providers:
  - { id: bad, type: openai, base_url: "${bad.url}/v1", models: [m] }
  - { id: good, type: openai, base_url: "${good.url}/v1", models: [m] }
`,
    { logSink: { write: (e) => logs.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await bad.close();
  await good.close();
});

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `);
const cutJson: FakeHandler = (_q, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"half');
  setTimeout(() => res.socket?.destroy(), 30);
};
const malformedSse =
  (afterContent: boolean): FakeHandler =>
  async (_q, res: ServerResponse) => {
    const events = openaiChunkEvents(words(3)).slice(0, afterContent ? 3 : 1);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const e of events) res.write(`data: ${e.data}\n\n`);
    res.write('data: {"choices":[{"delta":{"content":\n\n');
    res.end();
  };

interface Fault {
  name: string;
  handler: FakeHandler;
  /** Whether this fault can reach the client after content started (then: in-band error, no failover). */
  midStream?: boolean;
}
const faults: Fault[] = [
  { name: "HTTP 500", handler: (_q, res) => sendJson(res, 500, { error: { message: "internal" } }) },
  { name: "429 with Retry-After", handler: (_q, res) => sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "30" }) },
  { name: "a hang", handler: hang },
  { name: "a connection reset", handler: reset },
  {
    name: "a body cut before any content",
    handler: (q, res, body) => (body?.stream ? sendSse(res, openaiChunkEvents(words(5)), { cutAfter: 1 }) : cutJson(q, res, body)),
  },
  {
    name: "malformed SSE before any content",
    handler: (q, res, body) => (body?.stream ? malformedSse(false)(q, res, body) : sendJson(res, 200, "not a completion")),
  },
  {
    name: "a stream cut after content",
    handler: (_q, res, body) => (body?.stream ? sendSse(res, openaiChunkEvents(words(5)), { cutAfter: 3 }) : cutJson(_q, res, body)),
    midStream: true,
  },
  {
    name: "malformed SSE after content",
    handler: (q, res, body) => (body?.stream ? malformedSse(true)(q, res, body) : sendJson(res, 200, { choices: "nope" })),
    midStream: true,
  },
];

async function call(stream: boolean) {
  const before = logs.length;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider: "bad good", stream, messages: [{ role: "user", content: "hi" }] }),
  });
  const text = await res.text();
  await new Promise((r) => setTimeout(r, 20)); // the entry is written when the response ends
  expect(logs.length - before, "exactly one log entry per request").toBe(1);
  return { res, text, entry: logs.at(-1)! };
}

function parseSse(text: string) {
  const datas = text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((b) => b.replace(/^data: /, ""));
  expect(datas.at(-1)).toBe("[DONE]");
  return datas.slice(0, -1).map((d) => JSON.parse(d)); // every event is JSON
}

describe.each(faults)("when the first provider fails with $name", (fault) => {
  beforeAll(() => {
    bad.handle(fault.handler); // (a returned function would be taken for a teardown)
  });

  it("non-streamed: a valid completion from the next provider, one log entry with the chain", async () => {
    const { res, text, entry } = await call(false);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(text);
    expect(res.status).toBe(200);
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.content).toBe("all good");
    expect(body.provider).toBe("good");
    expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ["bad", "failed"],
      ["good", "served"],
    ]);
    expect(entry.status).toBe(200);
    expect(entry.provider).toBe("good");
  });

  it("streamed: never a mixed answer; failover only before content, else an in-band error", async () => {
    const { res, text, entry } = await call(true);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(text);
    const chunks = events.filter((e) => !e.error);
    const servedBy = new Set(chunks.map((c) => c.provider));
    expect(servedBy.size, "one provider's chunks only").toBe(1);
    const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
    if (fault.midStream) {
      expect([...servedBy]).toEqual(["bad"]);
      expect(content).not.toContain("all good");
      expect(events.at(-1).error.type).toBeTruthy(); // the stream ends with an OpenAI-style error event
      expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([["bad", "failed"]]);
      expect(entry.status).toBe(502);
    } else {
      expect([...servedBy]).toEqual(["good"]);
      expect(content).toBe("all good");
      expect(events.some((e) => e.error)).toBe(false);
      expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([
        ["bad", "failed"],
        ["good", "served"],
      ]);
      expect(entry.status).toBe(200);
    }
  });
});

it("when every provider fails: one 502 JSON error naming each, and one log entry", async () => {
  bad.handle((_q, res) => sendJson(res, 500, { error: { message: "internal" } }));
  good.handle(reset);
  const { res, text, entry } = await call(false);
  expect(res.status).toBe(502);
  const err = JSON.parse(text).error;
  expect(err.code).toBe("all_providers_failed");
  expect(err.message).toMatch(/bad.*good/s);
  expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([
    ["bad", "failed"],
    ["good", "failed"],
  ]);
  expect(entry.status).toBe(502);
});
