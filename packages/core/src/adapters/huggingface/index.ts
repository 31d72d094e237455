/**
 * Hugging Face Inference text-to-image: POST {base_url}/{model} with {"inputs", "parameters"}; the answer is the
 * image's bytes. One call makes one image, so n images are n calls (seeds seed, seed+1, … when a seed is given).
 */
import type { AdapterFactory, CallContext, ImageCapability } from "../types.js";
import { UpstreamClient } from "../../upstream/client.js";
import type { ProviderConfig } from "../../config/schema.js";
import { MAX_IMAGE_BYTES, type ImageRequest, type ImageResult } from "../../images/types.js";

export const HF_IMAGE_PARAMS = ["n", "size", "response_format", "seed", "negative_prompt"] as const;

export function toHfBody(req: ImageRequest, seed: number | undefined): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (req.negative_prompt) parameters.negative_prompt = req.negative_prompt;
  if (seed !== undefined) parameters.seed = seed;
  const size = req.size && req.size !== "auto" ? req.size.split("x").map(Number) : null;
  if (size) [parameters.width, parameters.height] = size;
  return { inputs: req.prompt, ...(Object.keys(parameters).length ? { parameters } : {}) };
}

export function huggingfaceImages(config: ProviderConfig, client: UpstreamClient): ImageCapability {
  const headers = {
    "content-type": "application/json",
    accept: "image/png",
    ...(config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}),
    ...config.headers,
  };
  return {
    params: new Set(HF_IMAGE_PARAMS),
    async generate(req: ImageRequest, ctx: CallContext): Promise<ImageResult> {
      const n = req.n ?? 1;
      const calls = Array.from({ length: n }, (_, i) =>
        client.bytes(
          {
            url: `${config.base_url}/${ctx.upstreamModel.split("/").map(encodeURIComponent).join("/")}`,
            headers,
            body: JSON.stringify(toHfBody(req, req.seed != null ? req.seed + i : undefined)),
            signal: ctx.signal,
            timeouts: ctx.timeouts,
          },
          MAX_IMAGE_BYTES,
        ),
      );
      const results = await Promise.all(calls);
      return { images: results.map((r) => ({ kind: "bytes" as const, data: r.data, mimeType: r.contentType })) };
    },
  };
}

export const createHuggingFaceAdapter: AdapterFactory = (config, deps = {}) => {
  const client = new UpstreamClient({ connectTimeoutMs: config.timeouts?.connect_ms, guard: deps.guard });
  return { images: huggingfaceImages(config, client), close: () => client.close() };
};
