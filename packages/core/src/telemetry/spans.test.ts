import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { propagation, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import OpenAI from "openai";
import { openaiCompletion, sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
let good: FakeServer, bad: FakeServer, gw: TestGateway;

beforeAll(async () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  good = await startFakeServer((_q, res) => sendJson(res, 200, openaiCompletion("hello", "gpt-4o-mini-2024-07-18")));
  bad = await startFakeServer((_q, res) => sendJson(res, 503, { error: { message: "overloaded" } }));
  gw = await startTestGateway(
    `retries: { max: 0 }
providers:
  - { id: bad, type: openai, base_url: "${bad.url}/v1", models: [gpt-4o-mini] }
  - { id: good, type: openai, base_url: "${good.url}/v1", models: [gpt-4o-mini] }
`,
    { tracer: provider.getTracer("test") },
  );
});
afterAll(async () => {
  await gw?.close();
  await good?.close();
  await bad?.close();
  propagation.disable();
});

describe("request traces", () => {
  it("records a server span per request and a client span per provider attempt, with GenAI attributes", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", defaultHeaders: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const res = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0]!.message.content).toBe("hello");
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT);
    // The client's trace continues through the gateway.
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(server.name).toBe("POST /v1/chat/completions");
    expect(server.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
      "gen_ai.system": "openai",
      "gen_ai.usage.input_tokens": 5,
      "gen_ai.usage.output_tokens": 1,
      "http.response.status_code": 200,
      "interference.provider": "good",
      "interference.provider_chain": "bad good",
      "interference.failed_over": true,
    });
    expect(attempts.map((s) => [s.attributes["interference.provider"], s.attributes["interference.outcome"]])).toEqual([
      ["bad", "failed"],
      ["good", "served"],
    ]);
    for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]!.attributes["error.type"]).toBeDefined();
    expect(attempts[1]!.attributes).toMatchObject({ "gen_ai.system": "openai", "gen_ai.usage.output_tokens": 1 });
    // Attempts sit inside the request, in order.
    const t = (time: [number, number]) => time[0] * 1e3 + time[1] / 1e6;
    expect(t(attempts[0]!.startTime)).toBeGreaterThanOrEqual(t(server.startTime) - 1);
    expect(t(attempts[1]!.startTime)).toBeGreaterThanOrEqual(t(attempts[0]!.endTime) - 1);
    expect(t(server.endTime)).toBeGreaterThanOrEqual(t(attempts[1]!.endTime) - 1);
  });
});
