/** The image-generation request and result shapes (OpenAI's images API plus the gateway's `provider`). */
import { z } from "zod";

export const imageRequestSchema = z.looseObject({
  prompt: z.string().min(1, "prompt must not be empty").max(32_000),
  model: z.string().min(1).optional(),
  provider: z.string().optional(),
  n: z.number().int().min(1).max(10).nullish(),
  size: z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$|^auto$/, "size must look like 1024x1024")
    .nullish(),
  response_format: z.enum(["url", "b64_json"]).nullish(),
  seed: z.number().int().nullish(),
  negative_prompt: z.string().nullish(),
  quality: z.string().nullish(),
  style: z.string().nullish(),
  user: z.string().nullish(),
  // OpenAI's gpt-image models.
  output_format: z.enum(["png", "jpeg", "webp"]).nullish(),
  output_compression: z.number().int().min(0).max(100).nullish(),
  background: z.enum(["transparent", "opaque", "auto"]).nullish(),
  moderation: z.enum(["low", "auto"]).nullish(),
  drop_params: z.boolean().optional(),
});
export type ImageRequest = z.infer<typeof imageRequestSchema>;

/** One generated image: raw bytes with their type, or a URL the provider hosts. */
export type GeneratedImage = { kind: "bytes"; data: Buffer; mimeType: string; revisedPrompt?: string } | { kind: "url"; url: string; revisedPrompt?: string };

export interface ImageResult {
  images: GeneratedImage[];
}

/** Largest image accepted from a provider, inline or behind a link (read with this cap, never whole first). */
export const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
