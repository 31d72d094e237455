/** Gemini responses → canonical results; also the pieces the stream translation shares. */
import { randomToken } from "../../ids.js";
import type { AssistantPart, CanonicalChoice, CanonicalResult, CanonicalUsage, FinishReason, TokenLogprob } from "../../canonical/types.js";
import type { GeminiLogprobs, GeminiResponse, GeminiUsage } from "./wire.js";

export const toolCallId = () => `call_${randomToken(12, "base64url")}`;

export function toFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason | null {
  if (!reason) return null;
  if (hasToolCalls && (reason === "STOP" || reason === "FINISH_REASON_UNSPECIFIED")) return "tool_calls";
  switch (reason) {
    case "STOP":
      return "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return "stop";
  }
}

export function toUsage(u: GeminiUsage | undefined): CanonicalUsage | undefined {
  if (!u || u.promptTokenCount === undefined) return undefined;
  const thoughts = u.thoughtsTokenCount ?? 0;
  return {
    inputTokens: u.promptTokenCount,
    // Thinking tokens are billed as output, as OpenAI counts reasoning tokens in completion_tokens.
    outputTokens: (u.candidatesTokenCount ?? 0) + thoughts,
    ...(u.cachedContentTokenCount ? { cachedInputTokens: u.cachedContentTokenCount } : {}),
    ...(thoughts ? { reasoningTokens: thoughts } : {}),
  };
}

/** Gemini's per-step logprobs → canonical token logprobs. */
export function toLogprobs(result: GeminiLogprobs | undefined): TokenLogprob[] | undefined {
  if (!result?.chosenCandidates) return undefined;
  return result.chosenCandidates.map((chosen, step) => ({
    token: chosen.token ?? "",
    logprob: chosen.logProbability ?? 0,
    top: (result.topCandidates?.[step]?.candidates ?? []).map((c) => ({ token: c.token ?? "", logprob: c.logProbability ?? 0 })),
  }));
}

export function fromGeminiResponse(res: GeminiResponse, model: string): CanonicalResult {
  const choices: CanonicalChoice[] = [];
  const candidates = [...(res.candidates ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  for (const c of candidates) {
    const content: AssistantPart[] = [];
    let calls = 0;
    for (const p of c.content?.parts ?? []) {
      // Thought summaries (asked for with a reasoning effort or budget) are reasoning, never the answer.
      if (p.thought) {
        if (p.text) content.push({ type: "reasoning", text: p.text });
        continue;
      }
      if (p.text) content.push({ type: "text", text: p.text });
      if (p.functionCall?.name) {
        calls++;
        content.push({
          type: "tool_call",
          id: toolCallId(),
          name: p.functionCall.name,
          arguments: JSON.stringify(p.functionCall.args ?? {}),
          ...(p.thoughtSignature ? { signature: p.thoughtSignature } : {}),
        });
      }
    }
    const logprobs = toLogprobs(c.logprobsResult);
    choices.push({ content, finish: toFinishReason(c.finishReason, calls > 0) ?? "stop", ...(logprobs ? { logprobs } : {}) });
  }
  // A prompt Gemini blocked has no candidate: an empty answer, filtered.
  if (!choices.length) choices.push({ content: [], finish: res.promptFeedback?.blockReason ? "content_filter" : "stop" });
  return { model: res.modelVersion ?? model, choices, usage: toUsage(res.usageMetadata) ?? { inputTokens: 0, outputTokens: 0 } };
}
