/** The Responses API's own names for the canonical settings its decoder sets. */
import type { CanonicalParam } from "../../canonical/params.js";
import { CHAT_PARAM_NAMES } from "../chat-completions/params.js";

const NAMES: Partial<Record<CanonicalParam, string>> = {
  maxOutputTokens: "max_output_tokens",
  output: "text.format",
  reasoning: "reasoning",
};

export const responsesParamName = (param: CanonicalParam): string => NAMES[param] ?? CHAT_PARAM_NAMES[param];
