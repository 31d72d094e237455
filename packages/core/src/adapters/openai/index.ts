import type { AdapterFactory } from "../types.js";
import { UpstreamClient } from "../../upstream/client.js";
import { authHeaders, openaiChat } from "./chat.js";
import { PREFILL_STYLES } from "./to-request.js";
import { openaiImages } from "./images.js";
import { openaiEmbeddings } from "./embeddings.js";
import { openaiAudio } from "./audio.js";
import { nativeApi } from "../native.js";

/**
 * Chat Completions requests pass through natively (every parameter, next month's included). `responses_api: true`
 * marks a provider that serves OpenAI's Responses API itself (OpenAI does; most OpenAI-compatible servers do not):
 * /v1/responses requests then pass through to it untranslated. `completions_api: true` does the same for the
 * legacy /v1/completions (vLLM, llama.cpp, Ollama serve it). Other APIs reach it translated into chat.
 * `prefill` says how the server continues an unfinished assistant message (to-request.ts), for answer continuity.
 */
export const createOpenAIAdapter: AdapterFactory = Object.assign(
  (config: Parameters<AdapterFactory>[0], deps: Parameters<AdapterFactory>[1] = {}) => {
    const client = new UpstreamClient({ connectTimeoutMs: config.timeouts?.connect_ms, guard: deps.guard });
    const headers = authHeaders(config);
    const native = nativeApi(client, config.base_url, () => headers);
    return {
      chat: openaiChat(config, client),
      images: openaiImages(config, client),
      embeddings: openaiEmbeddings(config, client),
      audio: openaiAudio(config, client),
      native: {
        chat: native,
        ...(config.options.responses_api === true ? { responses: native } : {}),
        ...(config.options.completions_api === true ? { completions: native } : {}),
      },
      close: () => client.close(),
    };
  },
  {
    validate(config: Parameters<AdapterFactory>[0]) {
      for (const option of ["responses_api", "completions_api"]) {
        const flag = config.options[option];
        if (flag !== undefined && typeof flag !== "boolean") throw new Error(`${option} must be true or false`);
      }
      const prefill = config.options.prefill;
      if (prefill !== undefined && !PREFILL_STYLES.includes(prefill as never)) throw new Error(`prefill must be one of ${PREFILL_STYLES.join(", ")}`);
      const size = config.options.embedding_batch_size;
      if (size !== undefined && !(Number.isInteger(size) && (size as number) >= 1)) throw new Error("embedding_batch_size must be a whole number from 1");
    },
  },
);
