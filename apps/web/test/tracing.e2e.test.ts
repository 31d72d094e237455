/**
 * OpenTelemetry over OTLP from the real built server: a real OTLP/HTTP receiver (this test's own server, speaking
 * the protocol's JSON encoding) gets the request's span and its provider attempts' spans, with the GenAI
 * attributes, in the client's trace; a stopped server sends what it still had batched.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import OpenAI from "openai";
import { sendJson, sendSse, startFakeServer, type FakeServer } from "@interference/core/test-support";
import { startServer, writeConfig, type RunningServer } from "./support/server";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
}

let receiver: Server, good: FakeServer, bad: FakeServer, server: RunningServer;
const received: Array<{ contentType: string | undefined; service: string | undefined; spans: OtlpSpan[] }> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: any) => a.key === "service.name")?.value?.stringValue;
        received.push({ contentType: req.headers["content-type"], service, spans: rs.scopeSpans.flatMap((s: any) => s.spans) });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  // An Anthropic-family provider after an OpenAI-family one: the attempts' gen_ai.system differ.
  good = await startFakeServer((_q, res) =>
    sendSse(res, [
      {
        event: "message_start",
        data: JSON.stringify({
          type: "message_start",
          message: { id: "msg", type: "message", role: "assistant", model: "claude-x", content: [], usage: { input_tokens: 4, output_tokens: 0 } },
        }),
      },
      { event: "content_block_start", data: JSON.stringify({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) },
      { event: "content_block_delta", data: JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "traced answer" } }) },
      { event: "content_block_stop", data: JSON.stringify({ type: "content_block_stop", index: 0 }) },
      { event: "message_delta", data: JSON.stringify({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } }) },
      { event: "message_stop", data: JSON.stringify({ type: "message_stop" }) },
    ]),
  );
  bad = await startFakeServer((_q, res) => sendJson(res, 500, { error: { message: "down" } }));
  const config = writeConfig(`retries: { max: 0 }
providers:
  - { id: bad, type: openai, base_url: "${bad.url}/v1", models: [m] }
  - { id: good, type: anthropic, base_url: "${good.url}/v1", models: [m] }
`);
  server = await startServer({
    config,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_SERVICE_NAME: "gateway-under-test",
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await good?.close();
  await bad?.close();
  await new Promise((r) => receiver?.close(r));
});

it("sends each request's spans over OTLP: the request in the client's trace, an attempt per provider tried", async () => {
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", defaultHeaders: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
  let text = "";
  for await (const chunk of await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] })) {
    text += chunk.choices[0]?.delta.content ?? "";
  }
  expect(text).toBe("traced answer");
  const deadline = Date.now() + 10_000;
  const spansOf = () => received.flatMap((r) => r.spans).filter((s) => s.traceId === traceId);
  while (spansOf().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const spans = spansOf();
  const attr = (s: OtlpSpan, key: string) => {
    const v = s.attributes.find((a) => a.key === key)?.value;
    return v ? (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue))) : undefined;
  };
  const request = spans.find((s) => s.kind === 2)!; // SERVER
  const attempts = spans.filter((s) => s.kind === 3); // CLIENT
  expect(received[0]!.service).toBe("gateway-under-test");
  console.log(`[tracing] OTLP receiver got ${spans.length} spans (${received[0]!.contentType}) for one request that failed over`);
  expect(request.parentSpanId).toBe("b7ad6b7169203331");
  expect(request.name).toBe("POST /v1/chat/completions");
  expect(attr(request, "gen_ai.operation.name")).toBe("chat");
  expect(attr(request, "gen_ai.request.model")).toBe("m");
  expect(attr(request, "gen_ai.system")).toBe("anthropic");
  expect(attr(request, "gen_ai.usage.input_tokens")).toBe(4);
  expect(attr(request, "gen_ai.usage.output_tokens")).toBe(3);
  expect(attr(request, "interference.provider_chain")).toBe("bad good");
  expect(attr(request, "interference.stream")).toBe(true);
  expect(attempts.map((s) => [attr(s, "interference.provider"), attr(s, "gen_ai.system"), attr(s, "interference.outcome")])).toEqual([
    ["bad", "openai", "failed"],
    ["good", "anthropic", "served"],
  ]);
  for (const a of attempts) expect(a.parentSpanId).toBe(request.spanId);
  expect(attempts[0]!.status?.code).toBe(2); // ERROR
});
