/**
 * `next start` without the custom server: /v1 is then served by the app/ route handlers, which must delegate to
 * the same core handler (so `next dev` behaves like production).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeServer, sendJson, sendSse, openaiCompletion, openaiChunkEvents, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";

let upstream: FakeServer, viaNext: RunningServer, viaCustom: RunningServer;

beforeAll(async () => {
  upstream = await startFakeServer((_req, res, body) =>
    body?.stream ? sendSse(res, openaiChunkEvents(["a", "b"])) : sendJson(res, 200, openaiCompletion("same answer")),
  );
  const config = writeConfig(`providers:\n  - { id: up, type: openai, base_url: "${upstream.url}/v1", models: [m1] }\n`);
  [viaNext, viaCustom] = await Promise.all([startServer({ config, mode: "next" }), startServer({ config })]);
});

afterAll(async () => {
  await Promise.all([viaNext?.stop(), viaCustom?.stop()]);
  await upstream?.close();
});

const call = (base: string, body: unknown) =>
  fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

it("answers /v1 the same through Next's route handlers as through the custom server", async () => {
  for (const path of ["/v1/providers", "/v1/providers/up", "/v1/models", "/v1/providers/none"]) {
    const [n, c] = await Promise.all([fetch(viaNext.url + path), fetch(viaCustom.url + path)]);
    expect(n.status).toBe(c.status);
    expect(await n.json()).toEqual(await c.json());
  }
  const body = { model: "m1", messages: [{ role: "user", content: "hi" }] };
  const [n, c] = await Promise.all([call(viaNext.url, body), call(viaCustom.url, body)]);
  expect(n.headers.get("x-interference-provider")).toBe("up");
  const [nj, cj] = await Promise.all([n.json(), c.json()]);
  expect(nj.choices).toEqual(cj.choices);
  expect(nj.provider).toBe("up");

  const streamed = await call(viaNext.url, { ...body, stream: true });
  expect(streamed.headers.get("content-type")).toContain("text/event-stream");
  const text = await streamed.text();
  expect(text).toContain('"content":"a"');
  expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);

  const bad = await fetch(`${viaNext.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBe("invalid_json");
});
