/**
 * timeouts.total_ms: the request's deadline across failover and streaming (a 504, or an in-band error once a stream
 * has started), and a provider's own total_ms, which bounds each attempt on it and fails over.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openaiChunkEvents, openaiCompletion, sendJson, startFakeServer, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";
import type { RequestLogEntry } from "./logging/types.js";
import { Deadline } from "./routing/deadline.js";

const TOTAL_MS = 400;
let slow: FakeServer, good: FakeServer, gw: TestGateway;
const logs: RequestLogEntry[] = [];
/** When the upstream saw each of its responses closed (the gateway let go of the connection). */
const upstreamClosedAt: number[] = [];

const trickle = async (res: ServerResponse) => {
  res.on("close", () => upstreamClosedAt.push(performance.now()));
  res.writeHead(200, { "content-type": "text/event-stream" });
  // A chunk every 40 ms for 4 s: never idle long enough for idle_ms, only the total deadline can end it.
  for (const e of openaiChunkEvents(Array.from({ length: 100 }, (_, i) => `w${i} `))) {
    if (res.destroyed) return;
    res.write(`data: ${e.data}\n\n`);
    await new Promise((r) => setTimeout(r, 40));
  }
  res.end();
};

beforeAll(async () => {
  slow = await startFakeServer(async (_q, res, body) => {
    if (body?.stream) return trickle(res);
    res.on("close", () => upstreamClosedAt.push(performance.now()));
    await new Promise((r) => setTimeout(r, 1500));
    if (!res.destroyed) sendJson(res, 200, openaiCompletion("too late"));
  });
  good = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("in time")));
  gw = await startTestGateway(
    `timeouts: { total_ms: ${TOTAL_MS} }
retries: { max: 0 }
circuit_breaker: { failure_threshold: 1 }
providers:
  - { id: slow, type: openai, base_url: "${slow.url}/v1", models: [m] }
  - { id: slow-own, type: openai, base_url: "${slow.url}/v1", models: [m], timeouts: { total_ms: 150 } }
  - { id: good, type: openai, base_url: "${good.url}/v1", models: [m] }
`,
    { logSink: { write: (e) => logs.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await slow.close();
  await good.close();
});

async function chat(provider: string, stream: boolean) {
  const before = logs.length;
  const started = performance.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider, stream, messages: [{ role: "user", content: "hi" }] }),
  });
  const text = await res.text();
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 20)); // the log entry is written as the response ends
  expect(logs.length - before, "one log entry per request").toBe(1);
  return { res, text, elapsed, entry: logs.at(-1)! };
}

describe("the request deadline (timeouts.total_ms)", () => {
  it("answers 504 request_timeout when no provider has answered in time, and lets go of the upstream", async () => {
    const { res, text, elapsed, entry } = await chat("slow", false);
    expect(res.status).toBe(504);
    const body = JSON.parse(text);
    expect(body.error).toMatchObject({ type: "upstream_error", code: "request_timeout" });
    expect(body.error.message).toContain(`request deadline of ${TOTAL_MS} ms passed`);
    expect(elapsed).toBeGreaterThanOrEqual(TOTAL_MS - 10);
    expect(elapsed).toBeLessThan(1200); // not the upstream's 1.5 s
    expect(entry.status).toBe(504);
    expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([["slow", "failed"]]);
    expect(entry.attempts[0]!.reason).toBe(`request deadline of ${TOTAL_MS} ms passed`);
    // The whole request's time ran out, which says nothing of the provider: its circuit (threshold 1) stays closed.
    expect(gw.gateway.registry.get("slow")!.health.breaker.state).toBe("closed");
  });

  it("ends a stream that is still flowing with an in-band request_timeout error and [DONE]", async () => {
    const closedBefore = upstreamClosedAt.length;
    const { res, text, elapsed, entry } = await chat("slow", true);
    expect(res.status).toBe(200); // the stream had started
    const events = text
      .split("\n\n")
      .filter((b) => b.trim())
      .map((b) => b.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const parsed = events.slice(0, -1).map((d) => JSON.parse(d));
    const content = parsed
      .filter((e) => !e.error)
      .map((e) => e.choices[0]?.delta?.content ?? "")
      .join("");
    expect(content).toMatch(/^w0 w1 /); // what came in time reached the client
    expect(content).not.toContain("w90 ");
    expect(parsed.at(-1).error).toMatchObject({ type: "upstream_error", code: "request_timeout" });
    expect(elapsed).toBeLessThan(1500); // not the upstream's 4 s
    expect(entry.status).toBe(504);
    expect(entry.error).toContain(`request deadline of ${TOTAL_MS} ms passed`);
    await new Promise((r) => setTimeout(r, 100));
    expect(upstreamClosedAt.length, "the upstream stream was closed").toBeGreaterThan(closedBefore);
  });
});

describe("a provider's own total_ms", () => {
  it("bounds each attempt on it, then fails over to the next provider", async () => {
    const { res, text, elapsed, entry } = await chat("slow-own good", false);
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ provider: "good", choices: [{ message: { content: "in time" } }] });
    expect(elapsed).toBeLessThan(TOTAL_MS);
    expect(entry.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ["slow-own", "failed"],
      ["good", "served"],
    ]);
    expect(entry.attempts[0]!.reason).toBe("provider slow-own deadline of 150 ms passed");
  });
});

describe("Deadline", () => {
  it("aborts with a TimeoutError when its time is up", async () => {
    const d = new Deadline(new AbortController().signal, 20);
    await new Promise((r) => setTimeout(r, 40));
    expect(d.expired).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe("TimeoutError");
  });

  it("follows its parent, and that is not a timeout", () => {
    const parent = new AbortController();
    const d = new Deadline(parent.signal, 10_000);
    parent.abort(new Error("client left"));
    expect(d.signal.aborted).toBe(true);
    expect(d.expired).toBe(false);
    expect(d.clientLeft).toBe(true);
    expect((d.signal.reason as Error).message).toBe("client left");
    d.clear();
  });

  it("ends the request's own signal when the transport lets it (no second signal)", async () => {
    const request = new AbortController();
    const d = new Deadline(request.signal, 20, "request", (reason) => request.abort(reason));
    expect(d.signal).toBe(request.signal);
    await new Promise((r) => setTimeout(r, 40));
    expect(d.expired).toBe(true);
    expect(d.clientLeft).toBe(false);
    const left = new AbortController();
    const d2 = new Deadline(left.signal, 10_000, "request", (reason) => left.abort(reason));
    left.abort(new DOMException("client closed the connection", "AbortError"));
    expect(d2.clientLeft).toBe(true);
    expect(d2.expired).toBe(false);
    d2.clear();
  });

  it("does nothing once cleared", async () => {
    const parent = new AbortController();
    const d = new Deadline(parent.signal, 20);
    d.clear();
    parent.abort();
    await new Promise((r) => setTimeout(r, 40));
    expect(d.signal.aborted).toBe(false);
  });
});
