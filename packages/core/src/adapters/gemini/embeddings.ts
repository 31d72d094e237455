/**
 * Embeddings through Gemini's batchEmbedContents (at most 100 texts a call). Gemini reports no token count for
 * embeddings: the gateway estimates it (four characters a token) and says so.
 */
import { z } from "zod";
import { UpstreamError } from "../../errors.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { EmbeddingBatch, EmbeddingResult } from "../../embeddings/types.js";
import type { CallContext, EmbeddingCapability } from "../types.js";
import { estimateTokens } from "../../ratelimit/meter.js";

const GEMINI_MAX_BATCH = 100;

const responseSchema = z.looseObject({ embeddings: z.array(z.looseObject({ values: z.array(z.number()) })) });

export function toGeminiEmbeddingBody(texts: string[], model: string, dimensions?: number | null): Record<string, unknown> {
  return {
    requests: texts.map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(dimensions ? { outputDimensionality: dimensions } : {}),
    })),
  };
}

export function geminiEmbeddings(config: ProviderConfig, client: UpstreamClient): EmbeddingCapability {
  const headers = { "content-type": "application/json", ...(config.api_key ? { "x-goog-api-key": config.api_key } : {}), ...config.headers };
  return {
    params: new Set(["dimensions"]),
    maxBatch: GEMINI_MAX_BATCH,
    tokenInput: false,
    async embed(batch: EmbeddingBatch, ctx: CallContext): Promise<EmbeddingResult> {
      if (batch.inputs.kind !== "text") throw new UpstreamError("Gemini embeds text only, not token arrays", "protocol");
      const texts = batch.inputs.values;
      const raw = await client.json({
        url: `${config.base_url}/models/${encodeURIComponent(ctx.upstreamModel)}:batchEmbedContents`,
        headers,
        body: JSON.stringify(toGeminiEmbeddingBody(texts, ctx.upstreamModel, batch.dimensions)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) throw new UpstreamError("response is not a Gemini BatchEmbedContentsResponse", "protocol");
      if (parsed.data.embeddings.length !== texts.length) {
        throw new UpstreamError(`batchEmbedContents answered ${parsed.data.embeddings.length} vectors for ${texts.length} texts`, "protocol");
      }
      return {
        vectors: parsed.data.embeddings.map((e) => e.values),
        promptTokens: texts.reduce((n, t) => n + estimateTokens(t.length), 0),
        estimated: true,
      };
    },
  };
}
