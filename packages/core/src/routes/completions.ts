/**
 * POST /v1/completions, OpenAI's legacy text completions: passed through to providers with a native endpoint
 * (`completions_api: true`), served through chat by every other provider.
 */
import { UpstreamError, badRequest } from "../errors.js";
import type { CallContext } from "../adapters/types.js";
import { completionsRequestSchema, TRANSLATED_FIELDS, type TextCompletion } from "../apis/completions/schema.js";
import { chunkFromChat, fromChat, promptsOf, toChatRequest } from "../apis/completions/translate.js";
import { completionId } from "../openai/ids.js";
import type { ChatCompletion } from "../openai/schema.js";
import { requestDeadline, requestFor, runWithFailover, type Candidate } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { validate } from "./body.js";
import { nativeBody, planMixed, speaks } from "./native.js";
import {
  chatItems,
  eventData,
  isSubstantiveChunk,
  noteRequest,
  recordChunk,
  streamWithFailover,
  type RelayItem,
  type ServeDeps,
  type StreamSource,
} from "./serve-chat.js";

const native = speaks("completions");
const isNative = (c: Candidate) => native(c.runtime);

export async function createCompletion(
  deps: ServeDeps,
  rawBody: Record<string, unknown>,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(completionsRequestSchema, rawBody);
  let prompts: string[] = [];
  const { plan, chat } = planMixed(deps.registry, rawBody, auth, "completions", TRANSLATED_FIELDS, () => {
    prompts = promptsOf(body);
    if (body.stream && prompts.length > 1) {
      throw badRequest("unsupported_value", "streaming several prompts at once is served only by providers with a native completions endpoint", "prompt");
    }
    return toChatRequest(body, prompts[0]!);
  });
  await log.meter?.reserve(JSON.stringify(body.prompt).length, body.max_tokens ?? undefined);
  log.setAttempts(plan.attempts);
  const id = completionId("cmpl");
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        if (isNative(c)) {
          const answer = (await c.runtime.adapter.native!.completions!.send("/completions", nativeBody(rawBody, ctx.upstreamModel), {}, ctx)) as TextCompletion;
          if (!answer || !Array.isArray(answer.choices)) throw new UpstreamError("response has no choices", "protocol");
          return answer;
        }
        const answers: ChatCompletion[] = [];
        for (const prompt of prompts) answers.push(await c.runtime.adapter.chat!.complete(requestFor(toChatRequest(body, prompt), c), ctx));
        return fromChat(
          id,
          answers.map((a) => ({ ...a, model: a.model || ctx.upstreamModel })),
          body.n ?? 1,
        );
      });
      release();
      const provider = candidate.runtime.config.id;
      log.entry.provider = provider;
      log.entry.servedModel = result.model;
      log.setUsage(result.usage);
      log.finish(200);
      return json(200, { ...result, provider }, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const source: StreamSource<RelayItem> = {
    open: (c, ctx) => (isNative(c) ? nativeEvents(c, ctx, nativeBody(rawBody, ctx.upstreamModel, true)) : chatItems(c, ctx, chat!)),
    substantive: (item) =>
      "chunk" in item
        ? isSubstantiveChunk(item.chunk)
        : !item.data || Boolean(item.data.usage || (item.data as TextCompletion).choices?.some((c) => c.text || c.finish_reason)),
    encoder(candidate) {
      const provider = candidate.runtime.config.id;
      return {
        chunk(item) {
          if (!("chunk" in item)) {
            if (item.data?.usage) log.setUsage(item.data.usage);
            for (const c of item.data?.choices ?? []) log.deliveredChars += c.text?.length ?? 0;
            return `data: ${item.event.data}\n\n`;
          }
          recordChunk(item.chunk, log);
          if (!item.chunk.choices.length && !(includeUsage && item.chunk.usage)) return null;
          const out = chunkFromChat(id, item.chunk);
          if (!includeUsage) delete out.usage;
          out.provider = provider;
          return `data: ${JSON.stringify(out)}\n\n`;
        },
        end: () => (isNative(candidate) ? "" : "data: [DONE]\n\n"),
        fail: (e) => `data: ${JSON.stringify(e.toBody())}\n\ndata: [DONE]\n\n`,
      };
    },
  };
  try {
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

/** A native provider's chunks, relayed with their closing [DONE]. */
async function* nativeEvents(c: Candidate, ctx: CallContext, body: Record<string, unknown>): AsyncGenerator<RelayItem> {
  for await (const event of c.runtime.adapter.native!.completions!.stream("/completions", body, {}, ctx)) {
    if (event.data === "[DONE]") {
      yield { event, data: null };
      return;
    }
    const data = eventData(event) as TextCompletion & { error?: { message?: string } };
    if (data?.error) throw new UpstreamError(`error in stream: ${data.error.message ?? "unknown"}`, "protocol");
    yield { event, data };
  }
  throw new UpstreamError("stream ended before [DONE]", "protocol");
}
