/** The `local` provider: a GGUF model served in-process (see engine.ts). */
import type { AdapterFactory, CallContext, ChatCapability } from "../types.js";
import type { ProviderConfig } from "../../config/schema.js";
import { completionId, nowSeconds } from "../../openai/ids.js";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../../openai/schema.js";
import { LocalEngine, type GenerateOptions } from "./engine.js";
import { parseLocalOptions } from "./options.js";
import { toChatHistory } from "./to-history.js";

export const LOCAL_PARAMS = [
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "user",
] as const;

function generateOptions(req: ChatRequest, signal: AbortSignal): GenerateOptions {
  return {
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
    temperature: req.temperature ?? undefined,
    topP: req.top_p ?? undefined,
    topK: typeof req.top_k === "number" ? req.top_k : undefined,
    seed: req.seed ?? undefined,
    stop: req.stop == null ? undefined : Array.isArray(req.stop) ? req.stop : [req.stop],
    frequencyPenalty: req.frequency_penalty ?? undefined,
    presencePenalty: req.presence_penalty ?? undefined,
    signal,
  };
}

export function localChat(engine: LocalEngine): ChatCapability {
  return {
    params: new Set(LOCAL_PARAMS),

    async countTokens(req: ChatRequest) {
      return engine.countTokens(toChatHistory(req.messages));
    },

    async complete(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
      const history = toChatHistory(req.messages);
      const r = await engine.generate(history, generateOptions(req, ctx.signal));
      return {
        id: completionId(),
        object: "chat.completion",
        created: nowSeconds(),
        model: ctx.upstreamModel,
        choices: [{ index: 0, message: { role: "assistant", content: r.text, refusal: null }, finish_reason: r.finish, logprobs: null }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      };
    },

    async *stream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
      const history = toChatHistory(req.messages);
      const id = completionId();
      const created = nowSeconds();
      const chunk = (delta: ChatCompletionChunk["choices"][0]["delta"], finish: "stop" | "length" | null = null): ChatCompletionChunk => ({
        id,
        object: "chat.completion.chunk",
        created,
        model: ctx.upstreamModel,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
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
      yield chunk({ role: "assistant", content: "" });
      while (true) {
        while (pieces.length) yield chunk({ content: pieces.shift()! });
        if (finished) break;
        await new Promise<void>((r) => (wake = r));
      }
      const result = await run;
      if (failure) throw failure;
      if (!result) return;
      yield chunk({}, result.finish);
      yield {
        id,
        object: "chat.completion.chunk",
        created,
        model: ctx.upstreamModel,
        choices: [],
        usage: { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens },
      };
    },
  };
}

export const createLocalAdapter: AdapterFactory = Object.assign(
  (config: ProviderConfig) => {
    const engine = new LocalEngine(config.id, parseLocalOptions(config));
    return {
      chat: localChat(engine),
      ready: () => engine.ready,
      notReadyReason: () => engine.publicError ?? (engine.ready ? null : "the model is loading"),
      close: () => engine.close(),
    };
  },
  { validate: (config: ProviderConfig) => void parseLocalOptions(config) },
);

export { LocalEngine } from "./engine.js";
export { defaultLocalProvider, DEFAULT_MODEL_FILE, DEFAULT_MODEL_ID } from "./options.js";
