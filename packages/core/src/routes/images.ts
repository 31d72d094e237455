/**
 * POST /v1/images/generate and /v1/images/generations: plan image providers, fail over in order, answer with
 * URLs the gateway serves itself (/media/…) or base64, never a provider's own short-lived link.
 */
import type { RoutingPolicy } from "../routing/policy.js";
import { GatewayError, UpstreamError } from "../errors.js";
import { imageRequestSchema, MAX_IMAGE_BYTES, type GeneratedImage, type ImageRequest } from "../images/types.js";
import { fieldsWithValues, planRoute, requestDeadline, requestFor, runWithFailover, requireProviderFor } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import type { UpstreamClient } from "../upstream/client.js";
import type { CallContext } from "../adapters/types.js";
import type { MediaStore } from "../media/store.js";
import { sniffImage } from "../media/store.js";
import { nowSeconds } from "../openai/ids.js";
import { priceFor } from "../spend/price.js";
import { validate } from "./body.js";
import { scopeOf } from "../auth/scope.js";
import { noteRequest, reserveBudget } from "./serve-chat.js";

/** Fields every image provider takes (or the gateway reads itself): never checked against a provider's list. */
const IMAGE_GATEWAY_FIELDS = new Set(["prompt", "model", "provider", "drop_params"]);

export interface ImageDeps {
  registry: ProviderRegistry;
  timeouts: Timeouts;
  media: MediaStore;
  /** Downloads images that providers return as links: a guarded client (public addresses only, pinned DNS). */
  fetcher: UpstreamClient;
  /** PUBLIC_URL: the gateway's address as clients reach it (else taken from the request's headers). */
  publicUrl?: string;
}

/** The gateway's own base URL as the client sees it, behind reverse proxies too. */
export function publicBaseUrl(req: GatewayHttpRequest, configured?: string): string {
  if (configured) return configured.replace(/\/+$/, "");
  const first = (v: string | undefined) => v?.split(",")[0]?.trim();
  const proto = first(req.headers["x-forwarded-proto"]) ?? "http";
  const host = first(req.headers["x-forwarded-host"]) ?? req.headers.host ?? "localhost";
  const safeProto = proto === "https" ? "https" : "http";
  const safeHost = /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : "localhost";
  return `${safeProto}://${safeHost}`;
}

/** The image's bytes and real type, fetching provider links with the request's deadline and a size cap. */
async function toBytes(img: GeneratedImage, deps: ImageDeps, ctx: CallContext): Promise<{ data: Buffer; mimeType: string; revisedPrompt?: string }> {
  let data: Buffer;
  if (img.kind === "bytes") data = img.data;
  else {
    if (!/^https?:\/\//.test(img.url)) throw new UpstreamError("provider returned a non-http image URL", "protocol");
    try {
      data = (await deps.fetcher.bytes({ url: img.url, method: "GET", signal: ctx.signal, timeouts: ctx.timeouts }, MAX_IMAGE_BYTES)).data;
    } catch (err) {
      // What a link's server answers is not the provider's to relay: the status is kept, never its body.
      if (err instanceof UpstreamError && err.kind === "http") throw new UpstreamError(`image link answered HTTP ${err.status}`, "protocol");
      throw err;
    }
  }
  if (data.length > MAX_IMAGE_BYTES) throw new UpstreamError(`image larger than ${MAX_IMAGE_BYTES} bytes`, "protocol");
  const mimeType = sniffImage(data);
  if (!mimeType) throw new UpstreamError("provider returned something that is not a PNG, JPEG, WebP or GIF image", "protocol");
  return { data, mimeType, revisedPrompt: img.revisedPrompt };
}

export async function generateImages(
  deps: ImageDeps,
  req: GatewayHttpRequest,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(imageRequestSchema, rawBody);
  requireProviderFor(
    deps.registry,
    "images",
    "no_image_provider",
    "No image provider is configured. Add one to interference.yaml: a provider of type openai (OpenAI, Together, LocalAI…) " +
      "or huggingface with `image_models: [...]` (see the README, 'Image generation').",
  );
  const plan = planRoute(
    deps.registry,
    { model: body.model, policy, drop_params: body.drop_params, params: fieldsWithValues(body, IMAGE_GATEWAY_FIELDS) },
    "images",
    scopeOf(auth),
  );
  log.setPlan(plan);
  // A budgeted key reserves its images at the dearest candidate's price per image.
  await reserveBudget(log, plan, (price) => (body.n ?? 1) * (price.per_image ?? 0));
  const format = body.response_format ?? "url";
  // Fetching and checking the images is part of the provider's attempt: a broken image fails over too.
  const deadline = requestDeadline(req, deps.timeouts);
  let served;
  try {
    served = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
      const out = await c.runtime.adapter.images!.generate(requestFor(body, c) as ImageRequest, ctx);
      if (!out.images.length) throw new UpstreamError("provider returned no image", "protocol");
      return Promise.all(out.images.map((img) => toBytes(img, deps, ctx)));
    });
    served.release();
  } finally {
    deadline.clear();
  }
  const { result, candidate } = served;
  const base = publicBaseUrl(req, deps.publicUrl);
  const data = await Promise.all(
    result.map(async (img) => {
      const revised = img.revisedPrompt ? { revised_prompt: img.revisedPrompt } : {};
      if (format === "b64_json") return { b64_json: img.data.toString("base64"), ...revised };
      return { url: `${base}/media/${await deps.media.put(img.data, img.mimeType)}`, ...revised };
    }),
  );
  const id = candidate.runtime.config.id;
  log.entry.provider = id;
  log.entry.servedModel = candidate.model.upstream;
  // Billed per image: `per_image` in the image model's price.
  log.price = priceFor(candidate.runtime.config, candidate.model);
  log.images = data.length;
  log.finish(200);
  return json(200, { created: nowSeconds(), data, provider: id, model: candidate.model.upstream }, { "x-interference-provider": id });
}

/**
 * GET /media/{name}: a stored image, or a JSON 404. Its bytes never change (names never repeat), but caches may
 * keep it only as long as the gateway does: max-age is what is left of its retention.
 */
export async function serveMedia(media: MediaStore, name: string, req: GatewayHttpRequest): Promise<GatewayHttpResponse> {
  const file = await media.open(name);
  if (!file) {
    return json(404, new GatewayError(404, "not_found_error", "media_not_found", "No such media (unknown, expired or malformed id).").toBody());
  }
  const etag = `"${name}"`;
  const leftS = Math.max(0, Math.floor((media.options.maxAgeMs - (Date.now() - file.mtime.getTime())) / 1000));
  const headers = {
    "content-type": file.mimeType,
    "cache-control": `public, max-age=${leftS}, immutable`,
    etag,
    "last-modified": file.mtime.toUTCString(),
    "x-content-type-options": "nosniff",
  };
  if (req.headers["if-none-match"] === etag) {
    await file.handle.close();
    return { status: 304, headers };
  }
  const data = req.method === "HEAD" ? undefined : await file.handle.readFile();
  await file.handle.close();
  return { status: 200, headers: { ...headers, "content-length": String(file.size) }, body: data };
}
