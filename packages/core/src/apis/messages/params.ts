/** The Messages API's own names for the canonical settings its decoder sets. */
import type { CanonicalParam } from "../../canonical/params.js";
import { CHAT_PARAM_NAMES } from "../chat-completions/params.js";

const NAMES: Partial<Record<CanonicalParam, string>> = {
  maxOutputTokens: "max_tokens",
  stop: "stop_sequences",
  user: "metadata.user_id",
  reasoning: "thinking",
  parallelToolCalls: "tool_choice.disable_parallel_tool_use",
};

export const messagesParamName = (param: CanonicalParam): string => NAMES[param] ?? CHAT_PARAM_NAMES[param];

/**
 * `thinking` asks for what a provider may not have: one that cannot think answers without it, as Anthropic's own
 * models without extended thinking do (Claude Code sends it on every request).
 */
export const MESSAGES_HINTS: ReadonlySet<CanonicalParam> = new Set(["reasoning"]);
