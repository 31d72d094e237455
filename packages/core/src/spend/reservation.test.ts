/**
 * Budgets hold whatever a request carries (issue 26, findings 1 and 2): two gateway replicas sharing one Redis
 * ledger, 50 requests at once against a small budget, each request heavy in what providers bill besides the
 * prompt text: 40 KB of tools, `n: 20`, images by URL, or no `model` at all (a per-model budget on the provider's
 * default). The fake provider bills as providers do (tools and schemas as input, every answer, each image), and the
 * spend the log records may pass the limit by at most one request's reservation. Needs Redis at 127.0.0.1:6379
 * (required when CI=true).
 */
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { RedisBudgetLedger } from "../cluster/redis.js";
import { estimatePromptTokens } from "../routing/context-window.js";
import type { Budget } from "./budget.js";
import type { RequestLogEntry } from "../logging/types.js";

const reachable = await new Promise<boolean>((resolve) => {
  const s = createConnection(6379, "127.0.0.1");
  s.once("connect", () => (s.destroy(), resolve(true)));
  s.once("error", () => resolve(false));
});
if (!reachable && process.env.CI === "true") throw new Error("CI=true needs Redis at 127.0.0.1:6379");

/** What OpenAI bills a chat request: its messages, tools and schema as input, each image ~1,105 tokens, every answer. */
function billed(body: any): { prompt: number; completion: number } {
  const text = [body.messages, body.tools, body.response_format].map((part) => (part === undefined ? "" : JSON.stringify(part))).join("");
  const images = (text.match(/"image_url":\{/g) ?? []).length;
  return { prompt: Math.ceil(text.replace(/https?:[^"]+/g, "").length / 4) + images * 1_105, completion: (body.max_tokens ?? 16) * (body.n ?? 1) };
}

// USD per million tokens of the one model the provider serves, and of its default when the model is left out.
const PRICE = { input: 1, output: 1 };
let upstream: FakeServer;
const replicas: TestGateway[] = [];
const ledgers: RedisBudgetLedger[] = [];
const rows: RequestLogEntry[] = [];
/** The budgets of the key a request names in x-test-key. */
const keys = new Map<string, Budget[]>();

beforeAll(async () => {
  if (!reachable) return;
  upstream = await startFakeServer((_req, res, body) => {
    const { prompt, completion } = billed(body);
    const n = body.n ?? 1;
    sendJson(res, 200, {
      id: "chatcmpl-b",
      object: "chat.completion",
      created: 1,
      model: body.model,
      choices: Array.from({ length: n }, (_, index) => ({ index, message: { role: "assistant", content: "ok" }, finish_reason: "stop" })),
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    });
  });
  const prefix = `ifr-test-${randomBytes(4).toString("hex")}:`;
  for (let i = 0; i < 2; i++) {
    const ledger = new RedisBudgetLedger({ url: "redis://127.0.0.1:6379", prefix }, async () => 0);
    ledgers.push(ledger);
    replicas.push(
      await startTestGateway(
        `providers:
  - { id: up, type: openai, base_url: "${upstream.url}/v1", models: [cheap, m], prices: { cheap: { input: ${PRICE.input}, output: ${PRICE.output} }, m: { input: ${PRICE.input}, output: ${PRICE.output} } } }
`,
        {
          budgetLedger: ledger,
          logSink: { write: (e) => void rows.push(e) },
          authenticate: async (headers) => {
            const key = headers["x-test-key"]!;
            return { keyId: key, budgets: keys.get(key)! };
          },
        },
      ),
    );
  }
  for (let i = 0; i < 50 && ledgers.some((l) => l.degraded); i++) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(ledgers.map((l) => l.close()));
  await upstream?.close();
});

/** 50 requests at once, alternating replicas, under a fresh key with `budgets`; the rows logged for that key. */
async function burst(budgets: (key: string) => Budget[], body: Record<string, unknown>): Promise<RequestLogEntry[]> {
  const key = `k-${randomBytes(4).toString("hex")}`;
  keys.set(key, budgets(key));
  const statuses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      fetch(`${replicas[i % 2]!.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-test-key": key },
        body: JSON.stringify(body),
      }).then(async (r) => (await r.arrayBuffer(), r.status)),
    ),
  );
  expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  expect(statuses).toContain(429); // the budget did refuse some
  await expect.poll(() => rows.filter((r) => r.apiKeyId === key).length).toBe(50);
  return rows.filter((r) => r.apiKeyId === key && r.status === 200);
}

/** What the gateway reserves for `body`: its prompt estimate and every answer's max_tokens, at the price. */
const reservation = (body: any) => (estimatePromptTokens(body) * PRICE.input + (body.max_tokens ?? 512) * (body.n ?? 1) * PRICE.output) / 1e6;
const spent = (served: RequestLogEntry[]) => served.reduce((sum, r) => sum + r.cost!, 0);
const messages = [{ role: "user", content: "hi" }];
const keyBudget = (limit: number) => (key: string) => [{ owner: "key", ownerId: key, period: "total", limit }] as Budget[];

describe.skipIf(!reachable)("a small budget against 50 heavy requests on two replicas", () => {
  it("40 KB of tools: billed as input, reserved as input", async () => {
    const tools = Array.from({ length: 40 }, (_, i) => ({
      type: "function",
      function: { name: `tool_${i}`, description: "x".repeat(900), parameters: { type: "object", properties: { q: { type: "string" } } } },
    }));
    const body = { model: "m", messages, tools, max_tokens: 10 };
    expect(JSON.stringify(tools).length).toBeGreaterThan(40_000);
    const served = await burst(keyBudget(0.05), body);
    // Each bill is covered by its reservation, so the shared ledger can hold the line.
    for (const r of served) expect(r.cost!).toBeLessThanOrEqual(reservation(body));
    expect(spent(served)).toBeLessThanOrEqual(0.05 + reservation(body));
    console.log(`[reservation] tools: ${served.length} served, $${spent(served).toFixed(6)} of $0.05 (one reservation $${reservation(body).toFixed(6)})`);
  });

  it("n: 20: every answer's tokens reserved", async () => {
    const body = { model: "m", messages, n: 20, max_tokens: 500 };
    const served = await burst(keyBudget(0.05), body);
    for (const r of served) expect(r.cost!).toBeLessThanOrEqual(reservation(body));
    expect(spent(served)).toBeLessThanOrEqual(0.05 + reservation(body));
    console.log(`[reservation] n=20: ${served.length} served, $${spent(served).toFixed(6)} of $0.05 (one reservation $${reservation(body).toFixed(6)})`);
  });

  it("images by URL: each reserved as a large image's tokens", async () => {
    const image = (i: number) => ({ type: "image_url", image_url: { url: `https://images.example/${i}.png`, detail: "high" } });
    const body = {
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "what is this" }, ...[0, 1, 2, 3, 4, 5, 6, 7].map(image)] }],
      max_tokens: 10,
    };
    const served = await burst(keyBudget(0.05), body);
    for (const r of served) expect(r.cost!).toBeLessThanOrEqual(reservation(body));
    expect(spent(served)).toBeLessThanOrEqual(0.05 + reservation(body));
    console.log(`[reservation] images: ${served.length} served, $${spent(served).toFixed(6)} of $0.05 (one reservation $${reservation(body).toFixed(6)})`);
  });

  it("no model: the default model's own budget counts the request", async () => {
    const body = { messages, max_tokens: 2_000 };
    const modelBudget = (key: string) => [{ owner: "key", ownerId: key, period: "total", limit: 0.01, model: "cheap" }] as Budget[];
    const served = await burst(modelBudget, body);
    expect(served.every((r) => r.servedModel === "cheap")).toBe(true);
    expect(spent(served)).toBeLessThanOrEqual(0.01 + reservation(body));
    console.log(
      `[reservation] no model: ${served.length} served, $${spent(served).toFixed(6)} of $0.01 on cheap (one reservation $${reservation(body).toFixed(6)})`,
    );
  });
});
