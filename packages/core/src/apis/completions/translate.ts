/**
 * Legacy completions through a chat provider: each prompt becomes one user message, the chat answer's choices
 * become text choices, chat chunks become text_completion chunks.
 */
import { badRequest } from "../../errors.js";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../../openai/schema.js";
import { CHAT_FIELDS, DEFAULT_MAX_TOKENS, type CompletionsRequest, type TextCompletion } from "./schema.js";

/** The prompts as text; token arrays need the model's own tokenizer, so only a native endpoint takes them. */
export function promptsOf(body: CompletionsRequest): string[] {
  const p = body.prompt;
  if (typeof p === "string") return [p];
  if (p.every((x): x is string => typeof x === "string")) return p;
  throw badRequest("unsupported_value", "token-array prompts are served only by providers with a native completions endpoint; send text", "prompt");
}

export function toChatRequest(body: CompletionsRequest, prompt: string): ChatRequest {
  const chat: ChatRequest = { messages: [{ role: "user", content: prompt }], max_tokens: body.max_tokens || DEFAULT_MAX_TOKENS };
  for (const key of CHAT_FIELDS) {
    if (body[key] != null) (chat as Record<string, unknown>)[key] = body[key];
  }
  if (body.stream) chat.stream = true;
  return chat;
}

/** One chat completion per prompt → one text completion; prompt i's choices are numbered i·n … i·n+n−1, as OpenAI does. */
export function fromChat(id: string, completions: ChatCompletion[], n: number): TextCompletion {
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const choices = completions.flatMap((c, p) => {
    usage.prompt_tokens += c.usage?.prompt_tokens ?? 0;
    usage.completion_tokens += c.usage?.completion_tokens ?? 0;
    usage.total_tokens += c.usage?.total_tokens ?? 0;
    return c.choices.map((choice) => ({
      text: choice.message.content ?? "",
      index: p * n + choice.index,
      logprobs: null,
      finish_reason: choice.finish_reason,
    }));
  });
  return { id, object: "text_completion", created: completions[0]!.created, model: completions[0]!.model, choices, usage };
}

export function chunkFromChat(id: string, chunk: ChatCompletionChunk): TextCompletion {
  return {
    id,
    object: "text_completion",
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices.map((c) => ({ text: c.delta.content ?? "", index: c.index, logprobs: null, finish_reason: c.finish_reason })),
    ...(chunk.usage ? { usage: chunk.usage } : {}),
  };
}
