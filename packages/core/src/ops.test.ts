/** /healthz, /readyz and /metrics on a real gateway. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeServer, sendJson, openaiCompletion, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";

let up: FakeServer, gw: TestGateway;
let dbReady = true;

beforeAll(async () => {
  up = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("hi there")));
  gw = await startTestGateway(`providers:\n  - { id: up, type: openai, base_url: "${up.url}/v1", models: [m] }\n`, {
    readiness: { database: async () => dbReady },
    metricsToken: "scrape-me",
  });
});
afterAll(async () => {
  await gw.close();
  await up.close();
});

it("answers liveness and readiness, naming what is not ready", async () => {
  expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: "ok" });
  expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  dbReady = false;
  const res = await fetch(`${gw.url}/readyz`);
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ status: "not ready", checks: { database: "not ready" } });
  dbReady = true;
});

it("exports Prometheus metrics fed by the requests, behind its token", async () => {
  await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
  });
  expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
  const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: "Bearer scrape-me" } })).text();
  expect(text).toContain('interference_requests_total{route="/v1/chat/completions",provider="up",status="200"} 1');
  expect(text).toMatch(/interference_request_duration_seconds_bucket\{.*provider="up"/);
  expect(text).toContain('interference_tokens_total{provider="up",kind="prompt"} 5');
  expect(text).toContain('interference_circuit_state{provider="up"} 0');
  expect(text).toContain('interference_provider_enabled{provider="up"} 1');
});

it("labels metrics by the route as registered: names and ids in paths do not grow the label set", async () => {
  for (const name of ["x1", "x2", "x3"]) {
    await fetch(`${gw.url}/api/${name}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await fetch(`${gw.url}/v1/responses/resp_${name}`, { method: "DELETE" });
  }
  const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: "Bearer scrape-me" } })).text();
  expect(text).toContain('interference_requests_total{route="/api/:provider/chat/completions",provider="none",status="400"} 3');
  expect(text).toContain('interference_requests_total{route="/v1/responses/:id",provider="none",status="404"} 3');
  expect(text).not.toMatch(/route="\/api\/x1/);
});

it("keeps /metrics closed without a token unless METRICS_PUBLIC opens it, and reports a degraded check", async () => {
  const closed = await startTestGateway(`providers: []\n`, { readiness: { database: async () => "unreachable: serving from memory" } });
  const open = await startTestGateway(`providers: []\n`, { metricsPublic: true });
  try {
    const refused = await fetch(`${closed.url}/metrics`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.code).toBe("metrics_disabled");
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    const ready = await fetch(`${closed.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "degraded", checks: { database: "degraded: unreachable: serving from memory" } });
  } finally {
    await closed.close();
    await open.close();
  }
});

it("exports what an autoscaler and an on-call engineer need: in flight, queues, backlog, event loop; draining", async () => {
  // A stream held open upstream: in flight until its last chunk.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = await startFakeServer(async (_q, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] })}\n\n`,
    );
    await held;
    res.end("data: [DONE]\n\n");
  });
  let backlog = 7;
  const queued = { depth: 3 };
  const g = await startTestGateway(
    `providers:\n  - { id: slow, type: openai, base_url: "${slow.url}/v1", models: [m] }\n  - { id: queue, type: local, models: [q] }\n`,
    {
      metricsPublic: true,
      logBacklog: () => backlog,
      // A stand-in for the in-process model: only its queue depth matters here.
      adapters: { local: Object.assign(() => ({ queueDepth: () => queued.depth }), { validate: () => {} }) },
    },
  );
  try {
    const metric = async (name: string) => {
      const text = await (await fetch(`${g.url}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    };
    const stream = await fetch(`${g.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    const reader = stream.body!.getReader();
    await reader.read(); // the first chunk arrived: the request is in flight
    expect(await metric("interference_requests_in_flight")).toBe(2); // the stream, and this scrape itself
    release();
    while (!(await reader.read()).done);
    expect(await metric("interference_requests_in_flight")).toBe(1);
    expect(await metric('interference_local_queue_depth\\{provider="queue"\\}')).toBe(3);
    expect(await metric("interference_log_backlog_rows")).toBe(7);
    backlog = 0;
    expect(await metric("interference_log_backlog_rows")).toBe(0);
    expect(await metric("nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
    // Draining (SIGTERM): not ready, still serving.
    g.gateway.drain();
    const ready = await fetch(`${g.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "draining", checks: {} });
    expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
  } finally {
    await g.close();
    await slow.close();
  }
});

it("answers 503, saying why, when the metrics cannot be gathered (a cluster primary that does not answer)", async () => {
  const stuck = await startTestGateway(`providers: []\n`, {
    metricsPublic: true,
    metricsText: () => Promise.reject(new Error("the primary did not answer for the workers' metrics within 5 s")),
  });
  try {
    const res = await fetch(`${stuck.url}/metrics`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        message: "The metrics could not be gathered: the primary did not answer for the workers' metrics within 5 s.",
        type: "server_error",
        param: null,
        code: "metrics_unavailable",
      },
    });
  } finally {
    await stuck.close();
  }
});
