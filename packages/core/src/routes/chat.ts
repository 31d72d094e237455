/** POST /v1/chat/completions: plan the providers, fail over in order, answer JSON or SSE. */
import { chatRequestSchema, type ChatCompletionChunk } from "../openai/schema.js";
import { planRoute, requestDeadline } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { validate } from "./body.js";
import { scopeOf } from "../auth/scope.js";
import { chatSource, completeWithFailover, noteRequest, streamWithFailover, type ServeDeps, type StreamEncoder } from "./serve-chat.js";

export type ChatDeps = ServeDeps;

export async function chatCompletions(
  deps: ChatDeps,
  rawBody: Record<string, unknown>,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(chatRequestSchema, rawBody);
  await log.meter?.reserve(JSON.stringify(body.messages).length, body.max_completion_tokens ?? body.max_tokens);
  const plan = planRoute(deps.registry, body, "chat", scopeOf(auth));
  log.setAttempts(plan.attempts);
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { completion, provider } = await completeWithFailover(deps, body, plan, deadline.signal, log);
      completion.provider = provider;
      // Fields OpenAI's spec requires that some compatible servers leave out (Ollama, vLLM, the fakes of tests).
      for (const choice of completion.choices) {
        if (choice.logprobs === undefined) choice.logprobs = null;
        if (choice.message && choice.message.refusal === undefined) choice.message.refusal = null;
      }
      log.finish(200);
      return json(200, completion, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  const includeUsage = body.stream_options?.include_usage === true;
  try {
    const source = chatSource(body, log, (candidate) => chunkEncoder(candidate.runtime.config.id, includeUsage));
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear(); // a stream that started clears it when it ends
    throw err;
  }
}

/** Chat Completions' own stream: the chunks as they came, named with the provider; usage only when asked for. */
function chunkEncoder(provider: string, includeUsage: boolean): StreamEncoder {
  return {
    chunk(chunk: ChatCompletionChunk) {
      // Azure opens with a choice-less chunk of prompt-filter results (empty id, model and object): not a chunk
      // OpenAI clients expect, so it is left out.
      if (!chunk.choices.length && !chunk.usage) return null;
      if (!includeUsage && "usage" in chunk) {
        if (!chunk.choices.length) return null;
        delete chunk.usage;
      }
      chunk.provider = provider;
      return `data: ${JSON.stringify(chunk)}\n\n`;
    },
    end: () => "data: [DONE]\n\n",
    fail: (error) => `data: ${JSON.stringify(error.toBody())}\n\ndata: [DONE]\n\n`,
  };
}
