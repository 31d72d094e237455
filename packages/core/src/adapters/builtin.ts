/** Adapter factories by provider type. Each family lives in its own folder behind the ProviderAdapter interface. */
import type { AdapterFactories } from "./types.js";
import { createOpenAIAdapter } from "./openai/index.js";
import { createAnthropicAdapter } from "./anthropic/index.js";
import { createGeminiAdapter } from "./gemini/index.js";
import { createLocalAdapter } from "./local/index.js";
import { createHuggingFaceAdapter } from "./huggingface/index.js";

export const builtinAdapters: AdapterFactories = {
  openai: createOpenAIAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
  local: createLocalAdapter,
  huggingface: createHuggingFaceAdapter,
};
