/** Canonical results (one per prompt) → a legacy `text_completion`. */
import type { AssistantPart, CanonicalResult, CanonicalUsage } from "../../canonical/types.js";
import type { TextCompletion } from "./schema.js";

const textOf = (parts: AssistantPart[]) => parts.map((p) => (p.type === "text" ? p.text : "")).join("");

export function encodeUsage(u: CanonicalUsage): NonNullable<TextCompletion["usage"]> {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    ...(u.cost !== undefined ? { cost: u.cost } : {}),
  };
}

/** Prompt p's choices are numbered p·n … p·n+n−1, as OpenAI does. */
export function encodeResult(id: string, created: number, results: CanonicalResult[], n: number): TextCompletion {
  const usage = { inputTokens: 0, outputTokens: 0 };
  const choices = results.flatMap((r, p) => {
    usage.inputTokens += r.usage.inputTokens;
    usage.outputTokens += r.usage.outputTokens;
    return r.choices.map((choice, i) => ({ text: textOf(choice.content), index: p * n + i, logprobs: null, finish_reason: choice.finish }));
  });
  return { id, object: "text_completion", created, model: results[0]!.model, choices, usage: encodeUsage(usage) };
}
