/**
 * Property-based fuzzing (fast-check) of every route in /openapi.json against a gateway whose upstreams are
 * healthy: whatever a client sends, the answer is never a 5xx, and every error is JSON in the called API's shape
 * (Anthropic's on the Messages routes, OpenAI's elsewhere).
 * FUZZ_SEED and FUZZ_RUNS reproduce or lengthen a run; the seed and case count are printed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openApiDocument } from "./openapi.js";
import { openaiChunkEvents, openaiCompletion, sendJson, sendSse, startFakeServer, type FakeServer } from "./test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "./test-support/gateway.js";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
let upstream: FakeServer, gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeServer((req, res, body) => {
    if (req.url?.includes("/images/")) return sendJson(res, 200, { created: 1, data: [{ b64_json: PNG }] });
    if (req.url?.endsWith("/embeddings")) {
      const inputs = Array.isArray(body?.input) && typeof body.input[0] !== "number" ? body.input : [body?.input];
      return sendJson(res, 200, { data: inputs.map((_: unknown, index: number) => ({ index, embedding: [0.5, -0.25] })), usage: { prompt_tokens: 1 } });
    }
    if (req.url?.includes("/audio/transcriptions") || req.url?.includes("/audio/translations")) return sendJson(res, 200, { text: "fuzzed" });
    if (req.url?.endsWith("/audio/speech")) return void (res.writeHead(200, { "content-type": "audio/mpeg" }), res.end(Buffer.alloc(64, 1)));
    // The translating provider (`three`): Gemini's shape.
    const gemini = { candidates: [{ index: 0, content: { role: "model", parts: [{ text: "fuzzed" }] }, finishReason: "STOP" }] };
    if (req.url?.includes(":streamGenerateContent")) return sendSse(res, [{ data: JSON.stringify(gemini) }]);
    if (req.url?.includes(":generateContent")) return sendJson(res, 200, gemini);
    if (body?.stream) return sendSse(res, openaiChunkEvents(["fuzz", "ed"]));
    sendJson(res, 200, openaiCompletion("fuzzed"));
  });
  gw = await startTestGateway(
    `providers:
  - { id: one, type: openai, base_url: "${upstream.url}/v1", models: [m, "*"], image_models: [img], embedding_models: [emb], audio_models: [whisper-1, tts-1] }
  - { id: two, type: openai, base_url: "${upstream.url}/v1", models: [m], enabled: false }
  - { id: three, type: gemini, base_url: "${upstream.url}/v1beta", models: [m] }
`,
    { media: { dir: mkdtempSync(join(tmpdir(), "fuzz-media-")) }, maxBodyBytes: 64 * 1024 },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })));

// Values that sit near what the schemas accept: right keys with wrong, odd or extreme values.
const weird = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53, "", " ", "m", "img", "one", "one two", "nope", "\u0000", "😀".repeat(50), [], {}, [[]], {
    role: "user",
  }),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom("system", "user", "assistant", "tool", "developer"), fc.string()),
    content: fc.oneof(fc.string(), weird),
    name: weird,
    tool_call_id: weird,
  },
  { requiredKeys: [] },
);
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom("m", "other"), weird),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), weird),
    provider: fc.oneof(fc.constantFrom("one", "two", "three", "one two", "three one", "zzz"), weird),
    stream: fc.oneof(fc.boolean(), weird),
    stream_options: weird,
    temperature: weird,
    max_tokens: weird,
    tools: weird,
    response_format: weird,
    n: weird,
    stop: weird,
    drop_params: weird,
  },
  { requiredKeys: [] },
);
const imageBody = fc.record(
  {
    prompt: fc.oneof(fc.string(), weird),
    model: fc.oneof(fc.constant("img"), weird),
    provider: fc.oneof(fc.constant("one"), weird),
    n: weird,
    size: weird,
    response_format: fc.oneof(fc.constantFrom("url", "b64_json"), weird),
    seed: weird,
  },
  { requiredKeys: [] },
);
const item = fc.record(
  {
    type: fc.oneof(fc.constantFrom("message", "function_call", "function_call_output", "reasoning", "web_search_call"), weird),
    role: weird,
    content: weird,
    call_id: weird,
    output: weird,
  },
  { requiredKeys: [] },
);
const responsesBody = fc.record(
  {
    model: fc.oneof(fc.constant("m"), weird),
    input: fc.oneof(fc.string(), fc.array(item, { maxLength: 3 }), weird),
    instructions: weird,
    tools: weird,
    previous_response_id: fc.oneof(fc.constant("resp_x"), weird),
    stream: fc.oneof(fc.boolean(), weird),
    text: weird,
    store: weird,
  },
  { requiredKeys: [] },
);
const block = fc.record(
  { type: fc.oneof(fc.constantFrom("text", "image", "tool_use", "tool_result", "thinking", "document"), weird), text: weird, source: weird, input: weird },
  { requiredKeys: [] },
);
const messagesBody = fc.record(
  {
    model: fc.oneof(fc.constant("m"), weird),
    max_tokens: fc.oneof(fc.integer({ min: 1, max: 100 }), weird),
    messages: fc.oneof(
      fc.array(
        fc.record({ role: fc.oneof(fc.constantFrom("user", "assistant"), weird), content: fc.oneof(fc.string(), fc.array(block, { maxLength: 3 }), weird) }),
        { maxLength: 3 },
      ),
      weird,
    ),
    system: weird,
    tools: weird,
    tool_choice: weird,
    stream: fc.oneof(fc.boolean(), weird),
    thinking: weird,
  },
  { requiredKeys: [] },
);
const deep = fc.integer({ min: 50, max: 5000 }).map((d) => "[".repeat(d) + "]".repeat(d));
const rawBody = fc.oneof(
  chatBody.map((b) => JSON.stringify(b)),
  imageBody.map((b) => JSON.stringify(b)),
  responsesBody.map((b) => JSON.stringify(b)),
  messagesBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  deep,
  fc.constantFrom("", "{", "null", "[]", '{"messages":', "\u0000\u0001", "x".repeat(70 * 1024)),
);
const pathParam = fc.oneof(fc.constantFrom("one", "two", "..%2F..", "%00", "a".repeat(300), "AAAAAAAAAAAAAAAAAAAAAA.png"), fc.webSegment());
const request = fc.record({
  op: fc.constantFrom(...operations),
  param: pathParam,
  body: rawBody,
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "", "application/x-www-form-urlencoded"),
  // Mostly the operation's own method; sometimes another one.
  method: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), weight: 1 }),
});

it("never answers a 5xx or a non-JSON error, whatever it is sent", async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const numRuns = Number(process.env.FUZZ_RUNS ?? 800);
  let cases = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async ({ op, param, body, contentType, method }) => {
      cases++;
      const m = method ?? op.method;
      // A function, so that "$'" or "$&" in the parameter is text, not a replacement pattern.
      const path = op.path.replace(/\{[^}]+\}/, () => param);
      const res = await fetch(`${gw.url}${path}`, {
        method: m,
        headers: contentType ? { "content-type": contentType } : {},
        body: m === "GET" || m === "HEAD" ? undefined : body,
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`${m} ${path} → ${res.status}: ${text.slice(0, 300)}`);
      if (res.status >= 400) {
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        const parsed = JSON.parse(text);
        const err = parsed.error;
        expect(typeof err.message).toBe("string");
        expect(typeof err.type).toBe("string");
        // The shape follows the path the server saw: fetch resolves "." and ".." segments before sending.
        if (/\/messages(\/|$)/.test(new URL(path, gw.url).pathname)) expect(parsed.type).toBe("error");
        else expect("code" in err).toBe(true);
      }
    }),
    { seed, numRuns },
  );
  console.log(`[fuzz] seed ${seed}, ${cases} cases, ${operations.length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
}, 120_000);
