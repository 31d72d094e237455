/** Image generation over OpenAI-compatible APIs (OpenAI, Together, LocalAI, …): POST {base}/images/generations. */
import { z } from "zod";
import { UpstreamError } from "../../errors.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { ImageRequest, ImageResult } from "../../images/types.js";
import type { CallContext, ImageCapability } from "../types.js";
import { authHeaders } from "./chat.js";

const responseSchema = z.object({
  data: z.array(z.looseObject({ b64_json: z.string().nullish(), url: z.string().nullish(), revised_prompt: z.string().nullish() })),
});

/**
 * Passed through as the OpenAI-compatible services name them (seed and negative_prompt: Together, LocalAI;
 * output_format, output_compression, background and moderation: OpenAI's gpt-image models).
 */
export const OPENAI_IMAGE_PARAMS = [
  "n",
  "size",
  "response_format",
  "quality",
  "style",
  "user",
  "seed",
  "negative_prompt",
  "output_format",
  "output_compression",
  "background",
  "moderation",
] as const;

/** OpenAI's gpt-image models always answer base64 and refuse a response_format. */
const alwaysBase64 = (model: string) => /^gpt-image/i.test(model);

export function toOpenAIImageBody(req: ImageRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, prompt: req.prompt };
  for (const k of OPENAI_IMAGE_PARAMS) if (req[k] != null && k !== "response_format") body[k] = req[k];
  // Bytes are what the gateway stores or encodes, so they are asked for directly rather than a URL to fetch.
  if (!alwaysBase64(model)) body.response_format = "b64_json";
  return body;
}

export function openaiImages(config: ProviderConfig, client: UpstreamClient): ImageCapability {
  const url = `${config.base_url}/images/generations`;
  const headers = authHeaders(config);
  return {
    params: new Set(OPENAI_IMAGE_PARAMS),
    async generate(req: ImageRequest, ctx: CallContext): Promise<ImageResult> {
      const raw = await client.json({
        url,
        headers,
        body: JSON.stringify(toOpenAIImageBody(req, ctx.upstreamModel)),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success || !parsed.data.data.length) throw new UpstreamError("images response has no data", "protocol");
      return {
        images: parsed.data.data.map((d) => {
          const revisedPrompt = d.revised_prompt ?? undefined;
          if (d.b64_json) return { kind: "bytes" as const, data: Buffer.from(d.b64_json, "base64"), mimeType: "application/octet-stream", revisedPrompt };
          if (d.url) return { kind: "url" as const, url: d.url, revisedPrompt };
          throw new UpstreamError("image entry has neither b64_json nor url", "protocol");
        }),
      };
    },
  };
}
