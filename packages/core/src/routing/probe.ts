/**
 * "Test connection": one real, minimal call to a provider, outside routing (no retries, no failover, no breaker,
 * no request log), so an admin sees what the provider itself answers now. A chat model gets a one-word prompt
 * with a few output tokens; a provider with only embedding models embeds one word. Image and audio models cost
 * real money per call and are not probed.
 */
import { DEFAULT_TIMEOUTS } from "../upstream/client.js";
import { redact, secretsOf } from "../upstream/redact.js";
import { UpstreamError } from "../errors.js";
import type { ProviderRuntime } from "./registry.js";
import type { CallContext } from "../adapters/types.js";
import type { Timeouts } from "../config/schema.js";
import { providerSecrets } from "../config/form.js";

export interface ProbeResult {
  ok: boolean;
  /** What was called: "chat" or "embeddings"; null when nothing could be. */
  capability: "chat" | "embeddings" | null;
  /** The model id sent upstream. */
  model: string | null;
  latencyMs: number;
  /** The answer's first words, or the vector's length; on failure, why (secrets redacted). */
  detail: string;
  /** The upstream's HTTP status, when it answered one. */
  status?: number;
}

/** No probe waits longer than this, whatever the provider's own timeouts. */
const PROBE_MAX_MS = 20_000;

const concrete = (models: ReadonlyArray<{ id: string; upstream: string }>) => models.find((m) => m.id !== "*");

export async function probeProvider(runtime: ProviderRuntime, globalTimeouts: Timeouts = {}): Promise<ProbeResult> {
  const { config, adapter } = runtime;
  const chatModel = adapter.chat ? concrete(config.models) : undefined;
  const embeddingModel = adapter.embeddings ? concrete(config.embedding_models) : undefined;
  const model = chatModel ?? embeddingModel;
  if (!model) {
    const why = config.models.some((m) => m.id === "*")
      ? 'it lists only "*": add a model id to test with'
      : "it has no chat or embedding model (image and audio models are not probed: each call is billed)";
    return { ok: false, capability: null, model: null, latencyMs: 0, detail: `Nothing to test: ${why}.` };
  }
  if (adapter.ready && !adapter.ready()) {
    return { ok: false, capability: null, model: model.upstream, latencyMs: 0, detail: adapter.notReadyReason?.() ?? "The provider is not ready yet." };
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...globalTimeouts, ...config.timeouts };
  const limit = Math.min(timeouts.total_ms ?? PROBE_MAX_MS, PROBE_MAX_MS);
  const ctx: CallContext = { signal: AbortSignal.timeout(limit), upstreamModel: model.upstream, timeouts: { ...timeouts, total_ms: limit } };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    if (chatModel) {
      const result = await adapter.chat!.complete(
        {
          model: chatModel.id,
          system: [],
          messages: [{ role: "user", content: [{ type: "text", text: "Say OK." }] }],
          tools: [],
          maxOutputTokens: 16,
          stream: false,
        },
        ctx,
      );
      const text = result.choices[0]?.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("") ?? "";
      return {
        ok: true,
        capability: "chat",
        model: result.model || chatModel.upstream,
        latencyMs: elapsed(),
        detail: text ? `answered: ${text.slice(0, 80)}` : "answered (no text)",
      };
    }
    const result = await adapter.embeddings!.embed({ inputs: { kind: "text", values: ["ping"] } }, ctx);
    return {
      ok: true,
      capability: "embeddings",
      model: embeddingModel!.upstream,
      latencyMs: elapsed(),
      detail: `a vector of ${result.vectors[0]?.length ?? 0} dimensions`,
    };
  } catch (err) {
    const secrets = [...providerSecrets(config), ...secretsOf(config.headers)];
    const upstream = err instanceof UpstreamError ? err : null;
    const message = ctx.signal.aborted && !upstream ? `no answer within ${limit} ms` : ((err as Error)?.message ?? String(err));
    return {
      ok: false,
      capability: chatModel ? "chat" : "embeddings",
      model: model.upstream,
      latencyMs: elapsed(),
      detail: redact(message, secrets, 300),
      ...(upstream?.status ? { status: upstream.status } : {}),
    };
  }
}
