/** OpenAI's legacy Completions API (POST /v1/completions): the request (zod) and the objects it answers with. */
import { z } from "zod";

const tokens = z.array(z.number().int());

export const completionsRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokens.min(1), z.array(tokens).min(1)]),
  drop_params: z.boolean().optional(),
  max_tokens: z.number().int().min(0).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().nullish(),
});
export type CompletionsRequest = z.infer<typeof completionsRequestSchema>;

/**
 * What decode-request carries into the canonical model; echo, logprobs, suffix, best_of and logit_bias need a
 * native completions endpoint.
 */
export const TRANSLATED_FIELDS = new Set<string>([
  "model",
  "prompt",
  "provider",
  "drop_params",
  "max_tokens",
  "temperature",
  "top_p",
  "n",
  "stream",
  "stream_options",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "user",
]);

/** OpenAI's default for this API (chat has none): clients of the legacy API count on it. */
export const DEFAULT_MAX_TOKENS = 16;

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: null;
  finish_reason: string | null;
}

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  provider?: string;
  [extra: string]: unknown;
}
