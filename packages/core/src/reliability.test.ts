/** Retries with backoff, Retry-After, and the circuit breaker, through a real gateway and fake upstreams. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";
import type { RequestLogEntry } from "./logging/types.js";

let flaky: FakeServer, backup: FakeServer, gw: TestGateway;
const logs: RequestLogEntry[] = [];

beforeAll(async () => {
  flaky = await startFakeServer(() => undefined);
  backup = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("from backup")));
  gw = await startTestGateway(
    `retries: { max: 2, base_ms: 10, max_ms: 1500 }
circuit_breaker: { failure_threshold: 3, cooldown_ms: 400 }
providers:
  - { id: flaky, type: openai, base_url: "${flaky.url}/v1", models: [m] }
  - { id: backup, type: openai, base_url: "${backup.url}/v1", models: [m], retries: { max: 0 } }
`,
    { logSink: { write: (e) => logs.push(e) } },
  );
});
afterAll(async () => {
  await gw.close();
  await flaky.close();
  await backup.close();
});

const chat = (provider: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", provider, messages: [{ role: "user", content: "hi" }] }),
  });

describe("retries and the circuit breaker", () => {
  it("retries the same provider after a 5xx and a 429, honouring Retry-After", async () => {
    let n = 0;
    flaky.handle((_q, res) => {
      n++;
      if (n === 1) sendJson(res, 503, { error: { message: "warming up" } });
      else if (n === 2) sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "1" });
      else sendJson(res, 200, openaiCompletion("from flaky"));
    });
    const started = Date.now();
    const body: any = await (await chat("flaky")).json();
    expect(body.provider).toBe("flaky");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // waited out Retry-After: 1
    expect(logs.at(-1)!.attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "served"]);
  });

  it("does not retry a Retry-After longer than it would back off: it fails over", async () => {
    flaky.handle((_q, res) => sendJson(res, 429, { error: { message: "come back tomorrow" } }, { "retry-after": "3600" }));
    const body: any = await (await chat("flaky backup")).json();
    expect(body.provider).toBe("backup");
    expect(logs.at(-1)!.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ["flaky", "failed"],
      ["backup", "served"],
    ]);
  });

  it("opens after repeated failures, skips the provider, then lets one probe through", async () => {
    flaky.handle((_q, res) => sendJson(res, 500, { error: { message: "broken" } }));
    await chat("flaky backup"); // 3 failures (1 + 2 retries): the breaker opens
    const before = flaky.requests.length;
    const body: any = await (await chat("flaky backup")).json();
    expect(body.provider).toBe("backup");
    expect(flaky.requests.length).toBe(before); // not even tried
    expect(logs.at(-1)!.attempts[0]).toMatchObject({ provider: "flaky", outcome: "skipped", reason: expect.stringMatching(/^circuit open/) });
    const detail: any = await (await fetch(`${gw.url}/v1/providers/flaky`)).json();
    expect(detail.health.circuit).toBe("open");
    const alone = await chat("flaky");
    expect(alone.status).toBe(503);
    expect(((await alone.json()) as any).error.code).toBe("circuit_open");
    expect(Number(alone.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    await new Promise((r) => setTimeout(r, 450)); // cool-down over: one probe
    flaky.handle((_q, res) => sendJson(res, 200, openaiCompletion("recovered")));
    const probe: any = await (await chat("flaky backup")).json();
    expect(probe.provider).toBe("flaky");
    expect(((await (await fetch(`${gw.url}/v1/providers/flaky`)).json()) as any).health.circuit).toBe("closed");
  });
});
