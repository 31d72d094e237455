/** A legacy completions request → one canonical request per prompt (each prompt is one user message). */
import { badRequest } from "../../errors.js";
import type { CanonicalRequest } from "../../canonical/types.js";
import { DEFAULT_MAX_TOKENS, type CompletionsRequest } from "./schema.js";

/** The prompts as text; token arrays need the model's own tokenizer, so only a native endpoint takes them. */
export function promptsOf(body: CompletionsRequest): string[] {
  const p = body.prompt;
  if (typeof p === "string") return [p];
  if (p.every((x): x is string => typeof x === "string")) return p;
  throw badRequest("unsupported_value", "token-array prompts are served only by providers with a native completions endpoint; send text", "prompt");
}

export function decodeCompletionsRequest(body: CompletionsRequest, prompt: string): CanonicalRequest {
  const req: CanonicalRequest = {
    system: [],
    messages: [{ role: "user", content: [{ type: "text", text: prompt }] }],
    tools: [],
    // OpenAI's default for this API (chat has none): clients of the legacy API count on it.
    maxOutputTokens: body.max_tokens || DEFAULT_MAX_TOKENS,
    stream: body.stream === true,
  };
  if (body.model) req.model = body.model;
  if (body.drop_params) req.dropParams = true;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  if (body.n != null && body.n > 1) req.n = body.n;
  if (body.stop != null) req.stop = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (body.presence_penalty != null) req.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) req.frequencyPenalty = body.frequency_penalty;
  if (body.seed != null) req.seed = body.seed;
  if (body.user) req.user = body.user;
  return req;
}
