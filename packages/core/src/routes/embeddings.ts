/**
 * POST /v1/embeddings: OpenAI's embeddings API over every provider that serves embedding models, with the same
 * provider choice and failover as chat. A request larger than a provider's batch limit goes to it in parts, put
 * back in input order; a part that fails fails the whole attempt over to the next provider, so a client never gets
 * a partial list.
 */
import type { RoutingPolicy } from "../routing/policy.js";
import { estimatePromptTokens } from "../routing/context-window.js";
import { GatewayError, UpstreamError } from "../errors.js";
import { embeddingInputs, embeddingRequestSchema, toBase64, type EmbeddingInputs, type EmbeddingResult } from "../embeddings/types.js";
import { fieldsWithValues, planRoute, requestDeadline, requestFor, runWithFailover, requireProviderFor, type RoutePlan } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import type { CallContext, EmbeddingCapability } from "../adapters/types.js";
import { scopeOf } from "../auth/scope.js";
import { validate } from "./body.js";
import { noteRequest, noteServed, reserveUsage } from "./serve-chat.js";
import { estimateTokens } from "../ratelimit/meter.js";

/** Fields the gateway reads itself; any other field set is a parameter the provider must take. */
const EMBEDDING_GATEWAY_FIELDS = new Set(["input", "model", "provider", "encoding_format", "drop_params"]);

/** Parts of one request sent to a provider at once (each part a batch of its own size). */
const PARTS_IN_FLIGHT = 4;

export interface EmbeddingDeps {
  registry: ProviderRegistry;
  timeouts: Timeouts;
}

/** `inputs` in parts of at most `size`, in order. */
export function splitInputs(inputs: EmbeddingInputs, size: number): EmbeddingInputs[] {
  const parts: EmbeddingInputs[] = [];
  for (let i = 0; i < inputs.values.length; i += size) parts.push({ kind: inputs.kind, values: inputs.values.slice(i, i + size) } as EmbeddingInputs);
  return parts;
}

/**
 * Embeds every part on one provider, a few at a time, and joins them in order. The first part to fail stops the
 * others (they share an abort) and fails the attempt.
 */
export async function embedAll(
  cap: EmbeddingCapability,
  inputs: EmbeddingInputs,
  options: { dimensions?: number | null; user?: string | null },
  ctx: CallContext,
): Promise<EmbeddingResult> {
  const parts = splitInputs(inputs, cap.maxBatch);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const results: EmbeddingResult[] = Array.from({ length: parts.length });
  let next = 0;
  const worker = async () => {
    while (next < parts.length) {
      const i = next++;
      results[i] = await cap.embed({ inputs: parts[i]!, ...options }, { ...ctx, signal });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, parts.length) }, worker));
  } catch (err) {
    stop.abort();
    throw err;
  }
  const vectors = results.flatMap((r) => r.vectors);
  const dims = new Set(vectors.map((v) => v.length));
  if (dims.size > 1) throw new UpstreamError(`the provider answered vectors of different sizes (${[...dims].join(", ")})`, "protocol");
  return {
    vectors,
    promptTokens: results.reduce((n, r) => n + r.promptTokens, 0),
    estimated: results.some((r) => r.estimated),
    model: results[0]?.model,
  };
}

/** Token arrays reach only providers that take them (their model's own token ids); the others are skipped. */
function keepTokenTakers(plan: RoutePlan): void {
  const takers = plan.candidates.filter((c) => c.runtime.adapter.embeddings?.tokenInput);
  for (const c of plan.candidates) {
    if (!takers.includes(c))
      plan.attempts.push({ provider: c.runtime.config.id, outcome: "skipped", reason: "takes text only, not token arrays", planned: true });
  }
  if (!takers.length) {
    throw new GatewayError(400, "invalid_request_error", "unsupported_input", "No provider for this request takes token arrays as input: send text.", {
      param: "input",
    });
  }
  plan.candidates = takers;
}

export async function createEmbeddings(
  deps: EmbeddingDeps,
  req: GatewayHttpRequest,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(embeddingRequestSchema, rawBody);
  requireProviderFor(
    deps.registry,
    "embeddings",
    "no_embedding_provider",
    "No embedding provider is configured. Add `embedding_models: [...]` to a provider in interference.yaml (type openai, gemini or local; " +
      "see the README, 'Embeddings').",
  );
  const inputs = embeddingInputs(body.input);
  const plan = planRoute(
    deps.registry,
    {
      model: body.model,
      policy,
      drop_params: body.drop_params,
      params: fieldsWithValues(body, EMBEDDING_GATEWAY_FIELDS),
      promptTokens: () => estimatePromptTokens(body),
    },
    "embeddings",
    scopeOf(auth),
  );
  log.setPlan(plan);
  if (inputs.kind === "tokens") keepTokenTakers(plan);
  // What a key's TPM and budget reserve: the input tokens (counted when given as tokens, else four characters a token).
  const promptChars = inputs.kind === "text" ? inputs.values.reduce((n, t) => n + t.length, 0) : inputs.values.reduce((n, t) => n + t.length * 4, 0);
  await reserveUsage(log, plan, () => estimateTokens(promptChars), 0);

  const deadline = requestDeadline(req, deps.timeouts);
  let served;
  try {
    served = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, (c, ctx) => {
      const sent = requestFor(body, c);
      return embedAll(c.runtime.adapter.embeddings!, inputs, { dimensions: sent.dimensions, user: sent.user }, ctx);
    });
    served.release();
  } finally {
    deadline.clear();
  }
  const { result, candidate } = served;
  noteServed(log, candidate, result.model);
  const promptTokens = result.estimated && !result.promptTokens ? estimateTokens(promptChars) : result.promptTokens;
  log.setUsage({ inputTokens: promptTokens, outputTokens: 0 });
  if (result.estimated) log.entry.costEstimated = true;
  log.finish(200);

  const base64 = body.encoding_format === "base64";
  const id = candidate.runtime.config.id;
  return json(
    200,
    {
      object: "list",
      data: result.vectors.map((v, index) => ({ object: "embedding", index, embedding: base64 ? toBase64(v) : v })),
      model: result.model ?? candidate.model.upstream,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, ...(log.entry.cost !== null ? { cost: log.entry.cost } : {}) },
      provider: id,
    },
    { "x-interference-provider": id },
  );
}
