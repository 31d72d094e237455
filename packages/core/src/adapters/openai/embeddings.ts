/**
 * Embeddings over OpenAI-compatible APIs (OpenAI, Together, Mistral, Ollama, vLLM, llama.cpp server…):
 * POST {base}/embeddings. Vectors are asked for as floats: JSON floats parse back to the very float32 values, so
 * the gateway's base64 to its client stays byte-exact, and servers without base64 support still work.
 */
import { z } from "zod";
import { UpstreamError } from "../../errors.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { EmbeddingBatch, EmbeddingResult } from "../../embeddings/types.js";
import type { CallContext, EmbeddingCapability } from "../types.js";
import { authHeaders } from "./chat.js";

const responseSchema = z.looseObject({
  data: z.array(z.looseObject({ index: z.number().int().min(0).optional(), embedding: z.array(z.number()) })),
  model: z.string().optional(),
  usage: z.looseObject({ prompt_tokens: z.number().int().min(0).optional() }).nullish(),
});

/** OpenAI's own limit per request; `embedding_batch_size` in a provider's settings lowers it for smaller servers. */
const OPENAI_MAX_BATCH = 2048;

export function toOpenAIEmbeddingBody(batch: EmbeddingBatch, model: string): Record<string, unknown> {
  return {
    model,
    input: batch.inputs.values,
    encoding_format: "float",
    ...(batch.dimensions ? { dimensions: batch.dimensions } : {}),
    ...(batch.user ? { user: batch.user } : {}),
  };
}

/** The answer's vectors in input order (`index` says where each goes; servers that omit it answer in order). */
export function fromOpenAIEmbeddings(raw: unknown, expected: number): EmbeddingResult {
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new UpstreamError("embeddings response has no data", "protocol");
  const { data, model, usage } = parsed.data;
  if (data.length !== expected) throw new UpstreamError(`embeddings response has ${data.length} vectors for ${expected} inputs`, "protocol");
  const vectors: number[][] = Array.from({ length: expected });
  data.forEach((d, i) => {
    const at = d.index ?? i;
    if (at >= expected || vectors[at]) throw new UpstreamError(`embeddings response repeats or misplaces index ${at}`, "protocol");
    vectors[at] = d.embedding;
  });
  const promptTokens = usage?.prompt_tokens;
  return { vectors, promptTokens: promptTokens ?? 0, ...(promptTokens === undefined ? { estimated: true } : {}), ...(model ? { model } : {}) };
}

export function openaiEmbeddings(config: ProviderConfig, client: UpstreamClient): EmbeddingCapability {
  const url = `${config.base_url}/embeddings`;
  const headers = authHeaders(config);
  const size = config.options.embedding_batch_size;
  return {
    params: new Set(["dimensions", "user"]),
    maxBatch: typeof size === "number" && size >= 1 ? Math.min(size, OPENAI_MAX_BATCH) : OPENAI_MAX_BATCH,
    tokenInput: true,
    async embed(batch: EmbeddingBatch, ctx: CallContext): Promise<EmbeddingResult> {
      const raw = await client.json({
        url,
        headers,
        body: JSON.stringify(toOpenAIEmbeddingBody(batch, ctx.upstreamModel)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      return fromOpenAIEmbeddings(raw, batch.inputs.values.length);
    },
  };
}
