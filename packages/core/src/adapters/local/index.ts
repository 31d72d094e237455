/** The `local` provider: a GGUF model served in-process (see engine.ts). */
import { availableParallelism } from "node:os";
import type { AdapterFactory, AudioCapability, CallContext, ChatCapability, EmbeddingCapability, TranscriptionResult } from "../types.js";
import type { AudioUpload } from "../../audio/types.js";
import { GatewayError } from "../../errors.js";
import { formatTranscript, LocalTranscriber } from "./transcriber.js";
import { MAX_EMBEDDING_INPUTS, type EmbeddingBatch } from "../../embeddings/types.js";
import { LocalEmbedder } from "./embedder.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { CanonicalParam } from "../../canonical/params.js";
import type { CanonicalRequest, CanonicalResult, StreamPart } from "../../canonical/types.js";
import { LocalEngine, type GenerateOptions } from "./engine.js";
import { parseLocalOptions } from "./options.js";
import { toChatHistory } from "./to-history.js";

/** Sampling and length; no tools, structured output, reasoning, several answers or logprobs. */
export const LOCAL_PARAMS: readonly CanonicalParam[] = [
  "temperature",
  "topP",
  "topK",
  "stop",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "maxOutputTokens",
  "user",
];

function generateOptions(req: CanonicalRequest, signal: AbortSignal): GenerateOptions {
  return {
    maxTokens: req.maxOutputTokens,
    temperature: req.temperature,
    topP: req.topP,
    topK: req.topK,
    seed: req.seed,
    stop: req.stop,
    frequencyPenalty: req.frequencyPenalty,
    presencePenalty: req.presencePenalty,
    signal,
  };
}

const usageOf = (r: { promptTokens: number; completionTokens: number }) => ({ inputTokens: r.promptTokens, outputTokens: r.completionTokens });

export function localChat(engine: LocalEngine): ChatCapability {
  return {
    params: new Set(LOCAL_PARAMS),
    // node-llama-cpp completes a history's last model turn: an unfinished one is carried on (to-history.ts).
    prefill: true,

    async countTokens(req: CanonicalRequest) {
      return engine.countTokens(toChatHistory(req));
    },

    async complete(req: CanonicalRequest, ctx: CallContext): Promise<CanonicalResult> {
      const r = await engine.generate(toChatHistory(req), generateOptions(req, ctx.signal));
      return { model: ctx.upstreamModel, choices: [{ content: [{ type: "text", text: r.text }], finish: r.finish }], usage: usageOf(r) };
    },

    async *stream(req: CanonicalRequest, ctx: CallContext): AsyncGenerator<StreamPart> {
      const history = toChatHistory(req);
      // Bridge the engine's text callback to this generator: pieces queue up until the consumer pulls them.
      const pieces: string[] = [];
      let wake: (() => void) | null = null;
      const notify = () => {
        wake?.();
        wake = null;
      };
      let failure: unknown = null;
      let finished = false;
      const run = engine
        .generate(history, { ...generateOptions(req, ctx.signal), onText: (t) => (pieces.push(t), notify()) })
        .catch((err) => void (failure = err))
        .finally(() => {
          finished = true;
          notify();
        });
      yield { type: "model", model: ctx.upstreamModel };
      while (true) {
        while (pieces.length) yield { type: "text", delta: pieces.shift()! };
        if (finished) break;
        await new Promise<void>((r) => (wake = r));
      }
      const result = await run;
      if (failure) throw failure;
      if (!result) return;
      yield { type: "finish", reason: result.finish };
      yield { type: "usage", usage: usageOf(result) };
    },
  };
}

export function localEmbeddings(embedder: LocalEmbedder): EmbeddingCapability {
  return {
    params: new Set(["user"]),
    // One call evaluates its inputs one after another on the one context: smaller parts only add queueing.
    maxBatch: MAX_EMBEDDING_INPUTS,
    tokenInput: true,
    embed: async (batch: EmbeddingBatch, ctx: CallContext) => embedder.embed(batch.inputs, ctx.signal),
    ...readinessOf(embedder, "the embedding model is loading"),
  };
}

/** A model's readiness as the router reads it: loading (waited for) until it is ready or has failed. */
function readinessOf(model: { readonly ready: boolean; readonly publicError: string | null }, loadingWords: string) {
  return {
    ready: () => model.ready,
    loading: () => !model.ready && !model.publicError,
    notReadyReason: () => model.publicError ?? (model.ready ? null : loadingWords),
  };
}

/** OpenAI's transcription fields the embedded Whisper honours. */
const LOCAL_AUDIO_PARAMS = ["language", "prompt", "response_format", "temperature", "timestamp_granularities[]"];

export function localAudio(transcriber: LocalTranscriber): AudioCapability {
  return {
    params: new Set(LOCAL_AUDIO_PARAMS),
    async transcribe(upload: AudioUpload, task, ctx: CallContext): Promise<TranscriptionResult> {
      const transcript = await transcriber.transcribe(upload, task, ctx.signal);
      const format = typeof upload.fields.response_format === "string" ? upload.fields.response_format : "json";
      return formatTranscript(transcript, format, task, ([] as string[]).concat(upload.fields["timestamp_granularities[]"] ?? []));
    },
    speak() {
      return Promise.reject(
        new GatewayError(400, "invalid_request_error", "model_not_supported", "The embedded speech model transcribes; it does not generate speech.", {
          param: "model",
        }),
      );
    },
    ...readinessOf(transcriber, "the speech model is loading"),
  };
}

export const createLocalAdapter: AdapterFactory = Object.assign(
  (config: ProviderConfig) => {
    const options = parseLocalOptions(config);
    const engine = options.model_path ? new LocalEngine(config.id, { ...options, model_path: options.model_path }) : null;
    const embedder = options.embedding_model_path
      ? new LocalEmbedder(config.id, {
          model_path: options.embedding_model_path,
          max_tokens: options.embedding_max_tokens,
          threads: options.threads,
          queue_size: options.queue_size,
          queue_timeout_ms: options.queue_timeout_ms,
        })
      : null;
    const transcriber = options.stt_model_path
      ? new LocalTranscriber(config.id, {
          model_path: options.stt_model_path,
          python: options.stt_python,
          python_path: options.stt_python_path,
          threads: options.threads || Math.max(1, availableParallelism() - 1),
          queue_size: options.queue_size,
          queue_timeout_ms: options.queue_timeout_ms,
        })
      : null;
    // The provider's readiness is its chat model's (or, without one, its embedding or speech model's).
    const main = engine ?? embedder ?? transcriber!;
    return {
      ...(engine ? { chat: localChat(engine) } : {}),
      ...(embedder ? { embeddings: localEmbeddings(embedder) } : {}),
      ...(transcriber ? { audio: localAudio(transcriber) } : {}),
      ...readinessOf(main, "the model is loading"),
      queueDepth: () => (engine?.queued ?? 0) + (embedder?.queued ?? 0),
      close: async () => void (await Promise.all([engine?.close(), embedder?.close(), transcriber?.close()])),
    };
  },
  { validate: (config: ProviderConfig) => void parseLocalOptions(config) },
);

export { LocalEngine } from "./engine.js";
export {
  defaultLocalProvider,
  DEFAULT_EMBEDDING_MODEL_FILE,
  DEFAULT_EMBEDDING_MODEL_ID,
  DEFAULT_MODEL_FILE,
  DEFAULT_MODEL_ID,
  DEFAULT_STT_MODEL_DIR,
  DEFAULT_STT_MODEL_ID,
} from "./options.js";
