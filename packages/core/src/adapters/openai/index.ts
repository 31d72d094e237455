import type { AdapterFactory } from "../types.js";
import { UpstreamClient } from "../../upstream/client.js";
import { openaiChat } from "./chat.js";
import { openaiImages } from "./images.js";

export const createOpenAIAdapter: AdapterFactory = (config, deps = {}) => {
  const client = new UpstreamClient({ connectTimeoutMs: config.timeouts?.connect_ms, guard: deps.guard });
  return {
    chat: openaiChat(config, client),
    images: openaiImages(config, client),
    close: () => client.close(),
  };
};
