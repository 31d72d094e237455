/**
 * The embeddings request and result as the gateway handles them: OpenAI's `POST /v1/embeddings` body (plus the
 * gateway's `provider`), what an adapter is asked for (a batch of inputs), and what it answers.
 */
import { z } from "zod";

/** OpenAI's limit on inputs per request; larger batches go to a provider in parts of its own size. */
export const MAX_EMBEDDING_INPUTS = 2048;

const text = z.string().min(1, "input must not contain empty strings");
const tokens = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
  )
  .min(1, "input must not contain empty token arrays");

export const embeddingRequestSchema = z.looseObject({
  input: z.union([
    text,
    z.array(text).min(1, "input must not be an empty list").max(MAX_EMBEDDING_INPUTS),
    tokens,
    z.array(tokens).min(1, "input must not be an empty list").max(MAX_EMBEDDING_INPUTS),
  ]),
  model: z.string().min(1).optional(),
  provider: z.string().optional(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1).max(65_536).nullish(),
  user: z.string().max(512).nullish(),
  drop_params: z.boolean().optional(),
});
export type EmbeddingRequestBody = z.infer<typeof embeddingRequestSchema>;

/** The inputs as a list: strings, or token-id arrays (in the provider model's own vocabulary). */
export type EmbeddingInputs = { kind: "text"; values: string[] } | { kind: "tokens"; values: number[][] };

export function embeddingInputs(input: EmbeddingRequestBody["input"]): EmbeddingInputs {
  if (typeof input === "string") return { kind: "text", values: [input] };
  if (typeof input[0] === "string") return { kind: "text", values: input as string[] };
  if (typeof input[0] === "number") return { kind: "tokens", values: [input as number[]] };
  return { kind: "tokens", values: input as number[][] };
}

/** One batch for one provider: at most its batch size of inputs. */
export interface EmbeddingBatch {
  inputs: EmbeddingInputs;
  dimensions?: number | null;
  user?: string | null;
}

export interface EmbeddingResult {
  /** One vector per input, in input order. */
  vectors: number[][];
  /** Tokens the provider counted (estimated where it reports none, see `estimated`). */
  promptTokens: number;
  estimated?: boolean;
  /** The model as the provider reported it. */
  model?: string;
}

/** A vector as OpenAI's `encoding_format: "base64"`: the little-endian float32 bytes, base64. */
export function toBase64(vector: number[]): string {
  const floats = Float32Array.from(vector);
  // Float32Array is in the machine's byte order; every platform Node runs on is little-endian, but say so.
  const bytes = Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  return bytes.toString("base64");
}
