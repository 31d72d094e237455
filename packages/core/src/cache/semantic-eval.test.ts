/**
 * The semantic cache with the embedded MiniLM. Its threshold, from a labelled set (fixtures/semantic-pairs.json: 24 paraphrase pairs that
 * should share an answer, 24 near-topic pairs that must not), embedded by the embedded MiniLM through the cache's
 * own embedder. Prints precision and recall at each threshold; the default is the lowest threshold with no false
 * hit on the set, and the test holds it there. Then hits through the official SDK: a paraphrase answered from the
 * cache with its similarity, a near topic and another system prompt not. Without the model file it is skipped,
 * except in CI.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedOpenAI } from "../test-support/scripted-providers.js";
import type { FakeServer } from "../test-support/fake-server.js";
import type { RequestLogEntry } from "../logging/types.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { DEFAULT_EMBEDDING_MODEL_FILE } from "../adapters/local/options.js";
import { DEFAULT_CACHE_CONFIG } from "./config.js";
import { dot, unit } from "./store.js";
import { compatiblePrompts } from "./semantic-guard.js";

const MODEL = process.env.INTERFERENCE_EMBEDDING_MODEL_PATH ?? fileURLToPath(new URL(`../../../../models/${DEFAULT_EMBEDDING_MODEL_FILE}`, import.meta.url));
const present = existsSync(MODEL);
if (!present && process.env.CI === "true") throw new Error(`CI needs the embedding model at ${MODEL}: run scripts/fetch-model.py`);

const { pairs } = JSON.parse(readFileSync(new URL("./fixtures/semantic-pairs.json", import.meta.url), "utf8")) as {
  pairs: Array<{ a: string; b: string; same: boolean }>;
};

let gw: TestGateway;
let oa: FakeServer;
const logs: RequestLogEntry[] = [];
beforeAll(async () => {
  if (!present) return;
  oa = await startScriptedOpenAI("OA");
  gw = await startTestGateway(
    `cache: { enabled: true, semantic: { enabled: true } }
providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m], prices: { m: { input: 1, output: 2 } } }
  - { id: local, type: local, embedding_models: [all-minilm-l6-v2], embedding_model_path: "${MODEL}", threads: 1 }
`,
    { logSink: { write: (e) => void logs.push(e) } },
  );
});
afterAll(async () => {
  await gw?.close();
  await oa?.close();
});

interface Scored {
  similarity: number;
  same: boolean;
  /** The guard's say (semantic-guard.ts). */
  compatible: boolean;
}

/** Precision and recall of "hit when similarity ≥ threshold" on the set, with the guard or without. */
function score(similarities: Scored[], threshold: number, guarded = true) {
  const hits = similarities.filter((s) => s.similarity >= threshold && (!guarded || s.compatible));
  const right = hits.filter((s) => s.same).length;
  const same = similarities.filter((s) => s.same).length;
  return { threshold, precision: hits.length ? right / hits.length : 1, recall: right / same, falseHits: hits.length - right };
}

describe.skipIf(!present)("the semantic cache's threshold on the labelled set", () => {
  it("makes no false hit at the default threshold, and reports precision and recall", async () => {
    const embed = gw.gateway.cache.semantic!.embed;
    const signal = new AbortController().signal;
    const similarities: Array<Scored & { a: string; b: string }> = [];
    for (const p of pairs) {
      const [a, b] = [unit(await embed(p.a, signal)), unit(await embed(p.b, signal))];
      similarities.push({ ...p, similarity: dot(a, b), compatible: compatiblePrompts(p.a, p.b) });
    }
    expect(pairs.length).toBeGreaterThanOrEqual(40);
    const table = [0.8, 0.85, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.98].map((t) => score(similarities, t));
    const threshold = DEFAULT_CACHE_CONFIG.semantic.threshold;
    const atDefault = score(similarities, threshold);
    console.log(
      [
        `semantic cache, ${pairs.length} labelled pairs (all-MiniLM-L6-v2, last user turn):`,
        ...table.map((r) => {
          const raw = score(similarities, r.threshold, false);
          return `  threshold ${r.threshold.toFixed(2)}: precision ${r.precision.toFixed(3)}, recall ${r.recall.toFixed(3)}, false hits ${r.falseHits} (cosine alone: precision ${raw.precision.toFixed(3)}, ${raw.falseHits} false)`;
        }),
        `  default ${threshold}: precision ${atDefault.precision.toFixed(3)}, recall ${atDefault.recall.toFixed(3)}`,
        ...similarities
          .filter((s) => (s.similarity >= threshold && s.compatible) !== s.same)
          .map((s) => `  ${s.same ? "missed" : "false hit"} at the default: ${s.similarity.toFixed(3)}${s.compatible ? "" : " (guard)"}: ${s.a} | ${s.b}`),
        `  closest near-topic pair: ${Math.max(...similarities.filter((s) => !s.same).map((s) => s.similarity)).toFixed(3)}; farthest paraphrase: ${Math.min(...similarities.filter((s) => s.same).map((s) => s.similarity)).toFixed(3)}`,
      ].join("\n"),
    );
    expect(atDefault.falseHits).toBe(0);
    expect(atDefault.recall).toBeGreaterThan(0);
  }, 120_000);
});

describe.skipIf(!present)("semantic hits through the SDK", () => {
  const ask = async (question: string, system?: string) => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "none", maxRetries: 0 });
    const messages = [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: question }];
    const { data, response } = await client.chat.completions.create({ model: "m", messages }).withResponse();
    return { text: data.choices[0]!.message.content, cache: response.headers.get("x-interference-cache")!, usage: data.usage };
  };

  it("answers a paraphrase from the cache, naming its similarity and the entry; a near topic and another system prompt go upstream", async () => {
    const first = await ask("How do I reverse a list in Python?");
    expect(first.cache).toBe("miss");
    const source = logs.at(-1)!;
    const calls = oa.requests.length;
    const again = await ask("What's the way to reverse a Python list?");
    expect(again.cache).toMatch(/^semantic-hit; similarity=0\.9[5-9]\d*$/);
    expect(again.text).toBe(first.text);
    expect(again.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, cost: 0 });
    expect(oa.requests.length).toBe(calls);
    const hit = logs.at(-1)!;
    expect(hit).toMatchObject({ cache: "semantic-hit", cost: 0, cacheSaved: source.cost });
    expect(hit.cacheEntryId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await ask("How do I sort a list in Python?")).cache).toBe("miss");
    expect((await ask("What's the way to reverse a Python list?", "Answer in French.")).cache).toBe("miss");
    // The exact cache still comes first.
    expect((await ask("How do I reverse a list in Python?")).cache).toBe("hit");
  }, 60_000);
});
