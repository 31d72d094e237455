/**
 * The canonical request's optional settings, by name: what an adapter declares it honours, what routing checks a
 * request against, and what drop_params removes. Each public API names them in its own words (apis/<api>/params).
 */
import type { CanonicalRequest } from "./types.js";

export const CANONICAL_PARAMS = [
  "temperature",
  "topP",
  "topK",
  "stop",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "maxOutputTokens",
  "tools",
  "toolChoice",
  "parallelToolCalls",
  "output",
  "reasoning",
  "n",
  "logprobs",
  "user",
] as const;
export type CanonicalParam = (typeof CANONICAL_PARAMS)[number];

/** The settings `req` carries. Defaults (one answer, plain text output, parallel tool calls allowed) ask for nothing. */
export function requestedParams(req: CanonicalRequest): CanonicalParam[] {
  const out: CanonicalParam[] = [];
  for (const p of CANONICAL_PARAMS) {
    const value = req[p];
    if (value === undefined) continue;
    if (p === "tools" && !req.tools.length) continue;
    if (p === "n" && value === 1) continue;
    if (p === "parallelToolCalls" && value === true) continue;
    if (p === "output" && req.output?.type === "text") continue;
    out.push(p);
  }
  return out;
}

/** `req` without `params` (drop_params); a shallow copy, made only when something is removed. */
export function withoutParams(req: CanonicalRequest, params: readonly CanonicalParam[]): CanonicalRequest {
  if (!params.length) return req;
  const copy: CanonicalRequest = { ...req };
  for (const p of params) {
    if (p === "tools") {
      // Without tools, a choice among them or their parallelism means nothing.
      copy.tools = [];
      delete copy.toolChoice;
      delete copy.parallelToolCalls;
    } else delete copy[p];
  }
  return copy;
}
