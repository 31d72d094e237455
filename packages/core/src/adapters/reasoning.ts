/**
 * OpenAI's `reasoning_effort` as a thinking budget in tokens, for the families that take a budget (Anthropic's
 * `thinking.budget_tokens`, Gemini's `thinkingBudget`). Anthropic's minimum budget is 1,024.
 */
const BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

/** Null for no thinking ("none"), undefined when the effort is not one this knows (left to the provider's default). */
export function thinkingBudget(effort: unknown): number | null | undefined {
  if (effort === "none") return null;
  return typeof effort === "string" ? BUDGETS[effort] : undefined;
}
