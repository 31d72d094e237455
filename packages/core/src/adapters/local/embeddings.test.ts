/**
 * The embedded embedding model (all-MiniLM-L6-v2 converted to GGUF by scripts/fetch-model.py) behind a real gateway,
 * through the official openai SDK: its vectors match the original model's (sentence-transformers, committed in
 * embeddings/fixtures/minilm-reference.json by scripts/reference-embeddings.py), retrieval ranks the right passage
 * first, and a request sent while the model loads waits for it. Without the file these tests are skipped with a
 * message, except in CI, where they must run.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../../test-support/gateway.js";
import { DEFAULT_EMBEDDING_MODEL_FILE } from "./options.js";

const MODEL = process.env.INTERFERENCE_EMBEDDING_MODEL_PATH ?? fileURLToPath(new URL(`../../../../../models/${DEFAULT_EMBEDDING_MODEL_FILE}`, import.meta.url));
const present = existsSync(MODEL);
if (!present && process.env.CI === "true") throw new Error(`CI needs the embedding model at ${MODEL}: run scripts/fetch-model.py`);
if (!present) console.warn(`[embeddings.test] skipped: ${MODEL} is missing (run scripts/fetch-model.py)`);

const reference: { items: Array<{ text: string; vector: number[] }> } = JSON.parse(
  readFileSync(new URL("../../embeddings/fixtures/minilm-reference.json", import.meta.url), "utf8"),
);

const cosine = (a: number[], b: number[]) => {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
};

const config = `providers:
  - { id: local, type: local, embedding_models: [all-minilm-l6-v2], embedding_model_path: "${MODEL}", threads: 1 }
`;

let gw: TestGateway;
let client: OpenAI;
// Sent the moment the gateway starts, while the model is still loading: it must wait, not answer 503.
let first: Promise<OpenAI.CreateEmbeddingResponse>;
let whenSent: { ready: boolean; not_ready_reason?: string };
beforeAll(async () => {
  if (!present) return;
  gw = await startTestGateway(config);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
  whenSent = (await (await fetch(`${gw.url}/v1/providers/local`)).json()) as typeof whenSent;
  first = client.embeddings.create({ model: "all-minilm-l6-v2", input: "A man is eating food.", encoding_format: "float" });
  // Observed, so a failure is reported by its test rather than as an unhandled rejection here.
  first.catch(() => undefined);
});
afterAll(async () => {
  await gw?.close();
});

describe.skipIf(!present)("embedded embedding model (all-MiniLM-L6-v2)", () => {
  it("serves a request sent while it was still loading, once it has loaded", async () => {
    expect(whenSent).toMatchObject({ ready: false, not_ready_reason: "the model is loading" });
    const res = await first;
    expect(res.data[0]!.embedding).toHaveLength(384);
    expect(res.model).toBe("all-minilm-l6-v2");
  });

  it("matches the original model's vectors (cosine ≥ 0.99 each), in one batch, with the SDK's default base64", async () => {
    const res = await client.embeddings.create({ model: "all-minilm-l6-v2", input: reference.items.map((i) => i.text) });
    expect(res.data).toHaveLength(reference.items.length);
    const scores = res.data.map((d, i) => cosine(d.embedding, reference.items[i]!.vector));
    const worst = Math.min(...scores);
    console.log(
      `[embeddings] ${scores.length} reference sentences: lowest cosine ${worst.toFixed(6)}, mean ${(scores.reduce((s, x) => s + x, 0) / scores.length).toFixed(6)}`,
    );
    for (const [i, s] of scores.entries()) expect(s, reference.items[i]!.text.slice(0, 40)).toBeGreaterThanOrEqual(0.99);
    // Normalised, as sentence-transformers' Normalize step leaves them.
    for (const d of res.data) expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(reference.items.length * 2);
  });

  it("ranks the right passage first among distractors", async () => {
    const passages = [
      "To reset your password, open Settings, choose Security and click 'Forgot password'.",
      "Our office is closed on public holidays and reopens the next working day.",
      "The invoice total includes VAT at 20 percent unless you are exempt.",
      "Photosynthesis converts light energy into chemical energy stored in glucose.",
      "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
      "Kubernetes restarts containers that fail their liveness probe.",
      "A circuit breaker stops calling a failing service until it has had time to recover.",
      "Mount Everest's summit is 8,849 metres above sea level.",
    ];
    const queries: Array<[string, number]> = [
      ["I forgot my login, how do I change it?", 0],
      ["How do plants make food from sunlight?", 3],
      ["When was the famous tower in France built?", 4],
      ["What happens when a pod's health check keeps failing?", 5],
      ["How tall is the highest mountain in the world?", 7],
      ["Does the price include tax?", 2],
    ];
    const all = await client.embeddings.create({ model: "all-minilm-l6-v2", input: [...passages, ...queries.map((q) => q[0])], encoding_format: "float" });
    const vectors = all.data.map((d) => d.embedding);
    for (const [qi, [query, expected]] of queries.entries()) {
      const q = vectors[passages.length + qi]!;
      const ranked = passages.map((_, pi) => pi).sort((a, b) => cosine(q, vectors[b]!) - cosine(q, vectors[a]!));
      expect(ranked[0], query).toBe(expected);
    }
  });

  it("takes token arrays in the model's own vocabulary, and refuses ids outside it", async () => {
    // "a man is eating food." in all-MiniLM-L6-v2's WordPiece ids: the same vector as the text.
    const [byText, byTokens] = (
      await client.embeddings.create({ model: "all-minilm-l6-v2", input: ["A man is eating food.", "x"], encoding_format: "float" }).then((r) => r.data)
    ).map((d) => d.embedding);
    const tokens = await client.embeddings.create({ model: "all-minilm-l6-v2", input: [1037, 2158, 2003, 5983, 2833, 1012], encoding_format: "float" });
    expect(cosine(tokens.data[0]!.embedding, byText!)).toBeGreaterThan(0.9999);
    expect(byTokens).toHaveLength(384);
    const err = (await client.embeddings.create({ model: "all-minilm-l6-v2", input: [999_999] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.BadRequestError
    >;
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ code: "invalid_token", param: "input" });
  });

  it("refuses dimensions (a fixed-size model) unless told to drop it", async () => {
    const err = (await client.embeddings.create({ model: "all-minilm-l6-v2", input: "x", dimensions: 128 }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.BadRequestError
    >;
    expect(err.error).toMatchObject({ code: "unsupported_parameter", param: "dimensions" });
    const dropped = await client.embeddings.create({ model: "all-minilm-l6-v2", input: "x", dimensions: 128, drop_params: true } as any);
    expect(dropped.data[0]!.embedding).toHaveLength(384);
  });
});
