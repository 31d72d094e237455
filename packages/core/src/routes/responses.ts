/**
 * The OpenAI Responses API: POST /v1/responses (JSON or its event stream), and the stored responses behind
 * GET / DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items. A provider marked `responses_api` gets
 * the request as it came; any other family gets it decoded into the canonical model.
 */
import type { RoutingPolicy } from "../routing/policy.js";
import { estimatePromptTokens } from "../routing/context-window.js";
import type { EventSourceMessage } from "eventsource-parser";
import { GatewayError, UpstreamError, badRequest, notFound } from "../errors.js";
import type { CanonicalMessage } from "../canonical/types.js";
import { encodeInput } from "../apis/responses/encode-input.js";
import { canonicalFor, nativeBody, planMixed, speaks, type ApiTranslation } from "./native.js";
import { encodedIfUnchanged } from "./native-bytes.js";
import { decodeInput, decodeResponsesRequest, namespacedNames } from "../apis/responses/decode-request.js";
import { encodeResult, itemId, responseShell } from "../apis/responses/encode-result.js";
import { ResponsesStreamEncoder, type ResponsesResume } from "../apis/responses/encode-stream.js";
import { responsesRequestSchema, TRANSLATED_FIELDS, type ResponseObject, type ResponsesRequest } from "../apis/responses/schema.js";
import { responsesParamName } from "../apis/responses/params.js";
import type { ResponseStore } from "../apis/responses/store.js";
import { requestDeadline, runWithFailover, type Candidate, type RoutePlan } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { validate } from "./body.js";
import {
  eventData,
  addCost,
  isSubstantivePart,
  noteRequest,
  reserveUsage,
  noteServed,
  partsEncoder,
  streamWithFailover,
  translatedParts,
  nativeItems,
  type NativeItem,
  type ServeDeps,
  type StreamSource,
  canonicalOrNull,
  recoveryMode,
} from "./serve-chat.js";

export interface ResponsesDeps extends ServeDeps {
  store: ResponseStore;
  retentionMs: number;
}

/** Responses events that show the client something: failover is over once one is sent. */
const QUIET_EVENTS = new Set(["response.created", "response.in_progress", "response.queued"]);
const FINAL_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);

export async function createResponse(
  deps: ResponsesDeps,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
  /** A response cache hit's plan (cache/hit.ts). */
  cached?: RoutePlan | null,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(responsesRequestSchema, rawBody);
  if (body.background) throw badRequest("unsupported_parameter", "background responses are not supported: send the request without 'background'", "background");
  let history: CanonicalMessage[] = [];
  if (body.previous_response_id) {
    const previous = await deps.store.get(body.previous_response_id, auth.keyId);
    if (!previous) throw previousNotFound(body.previous_response_id);
    history = previous.conversation;
  }
  const { plan, canonical, promptTokens } = planMixed(
    deps.registry,
    rawBody,
    policy,
    auth,
    RESPONSES,
    (lenient) => decodeResponsesRequest(body, history, { dropUnsupportedTools: lenient }),
    // The stored conversation is part of the prompt the provider reads.
    () => estimatePromptTokens(rawBody) + (history.length ? Math.ceil(JSON.stringify(history).length / 4) : 0),
    cached,
  );
  const names = namespacedNames(body.tools);
  if (!cached) await reserveUsage(log, plan, promptTokens, body.max_output_tokens);
  log.setPlan(plan);
  const newTurns = () => (canonical ? canonical.messages.slice(history.length) : decodeInput(body.input, "input", true).messages);
  // A native provider gets the stored conversation as input items: it never saw the turns other providers served.
  const nativeRequest = (model: string, stream: boolean) => {
    const native = nativeBody(rawBody, model, stream);
    if (!body.previous_response_id) return encodedIfUnchanged(rawBody, native);
    delete native.previous_response_id;
    native.input = [...encodeInput(history), ...inputItemsOf(body)];
    return native;
  };
  const store = body.store !== false;
  // Gemini's thought signatures by call id: the output items have no field for them, the stored conversation does.
  const save = async (response: ResponseObject, signatures?: ReadonlyMap<string, string>) => {
    if (!store) return;
    const output = decodeInput(response.output as never, "output", true).messages;
    if (signatures?.size) {
      for (const m of output) {
        if (m.role !== "assistant") continue;
        for (const p of m.content) if (p.type === "tool_call" && signatures.has(p.id)) p.signature = signatures.get(p.id);
      }
    }
    const now = Date.now();
    await deps.store.save({
      id: response.id,
      keyId: auth.keyId,
      createdAt: new Date(now),
      expiresAt: new Date(now + deps.retentionMs),
      response,
      inputItems: inputItemsOf(body),
      conversation: [...history, ...newTurns(), ...output],
    });
  };
  const id = itemId("resp");
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { result, candidate, release } = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, async (c, ctx) => {
        if (isNative(c)) {
          const answer = (await c.runtime.adapter.native!.responses!.send("/responses", nativeRequest(ctx.upstreamModel, false), {}, ctx)) as ResponseObject;
          if (!answer || typeof answer !== "object" || answer.object !== "response" || !Array.isArray(answer.output)) {
            throw new UpstreamError("response is not a Responses-API response", "protocol");
          }
          return { response: answer, signatures: undefined };
        }
        const result = await c.runtime.adapter.chat!.complete(canonicalFor(canonical!, c), ctx);
        const signatures = new Map<string, string>();
        for (const p of result.choices[0]!.content) if (p.type === "tool_call" && p.signature) signatures.set(p.id, p.signature);
        return { response: encodeResult(responseShell(body, id, result.model || ctx.upstreamModel), result, names), signatures };
      });
      release();
      const provider = candidate.runtime.config.id;
      const response = { ...result.response, provider };
      noteServed(log, candidate, response.model);
      recordResponseUsage(log, response.usage);
      addCost(response.usage as Record<string, unknown> | undefined, log);
      await save(response, result.signatures);
      log.finish(200);
      return json(200, response, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  const source: StreamSource = {
    open: (c, ctx) =>
      isNative(c)
        ? nativeEvents(c.runtime.adapter.native!.responses!.stream("/responses", nativeRequest(ctx.upstreamModel, true), {}, ctx))
        : translatedParts(c, ctx, canonical!),
    substantive: (item) => (item.type === "native" ? !QUIET_EVENTS.has(item.data.type) : isSubstantivePart(item)),
    encoder(candidate) {
      const provider = candidate.runtime.config.id;
      if (isNative(candidate)) {
        // Relayed as they came; the final response is read for the log and the store, and what a continuation
        // needs on the side: the response, its items, the open message, the text, the next sequence number.
        let final: ResponseObject | null = null;
        const resume: ResponsesResume = { sequence: 0, output: [], open: null };
        let shell: ResponseObject | null = null;
        let text = "";
        let plain = true;
        return {
          resume() {
            if (!plain || !shell) return null;
            const encoder = new ResponsesStreamEncoder({ ...shell, provider }, names, structuredClone(resume));
            const finish = { fail: (e: GatewayError) => encoder.fail(e.status, e.code, e.message), saved: () => save(encoder.response, encoder.signatures) };
            return { text, complete: false, encoder: partsEncoder(encoder, log, finish, { text }) };
          },
          chunk(item) {
            if (item.type !== "native") return null;
            const d = item.data;
            if (typeof d.sequence_number === "number") resume.sequence = d.sequence_number + 1;
            if (d.type === "response.output_text.delta" || d.type === "response.function_call_arguments.delta")
              log.deliveredChars += String(d.delta ?? "").length;
            if (d.type === "response.created" && d.response) shell = d.response;
            else if (d.type === "response.output_item.added" || d.type === "response.output_item.done") {
              resume.output[d.output_index] = d.item;
              const type = d.item?.type;
              // A tool call or a built-in tool's item: not carried on by another provider.
              if (type !== "message" && type !== "reasoning") plain = false;
              if (type === "message") resume.open = d.type.endsWith("added") ? { index: d.output_index, text: "" } : null;
            } else if (d.type === "response.output_text.delta") {
              const open = resume.open;
              if (open && open.index === d.output_index) {
                open.text += d.delta ?? "";
                text += d.delta ?? "";
              }
            }
            if (FINAL_EVENTS.has(d.type) && d.response) {
              log.entry.servedModel = d.response.model;
              recordResponseUsage(log, d.response.usage);
              // The final event carries what it cost: the one event re-encoded rather than relayed.
              if (log.cost !== null && d.response.usage) {
                addCost(d.response.usage, log);
                final = { ...d.response, provider };
                return `event: ${item.event.event ?? d.type}\ndata: ${JSON.stringify(d)}\n\n`;
              }
              final = { ...d.response, provider };
            }
            return `event: ${item.event.event ?? d.type}\ndata: ${item.event.data}\n\n`;
          },
          async end() {
            if (final) await save(final);
            return "";
          },
          fail: (e) => `event: error\ndata: ${JSON.stringify({ type: "error", code: e.code, message: e.message, param: null, sequence_number: 0 })}\n\n`,
        };
      }
      const shell = responseShell(body, id, body.model ?? candidate.model.id);
      shell.provider = provider;
      const encoder = new ResponsesStreamEncoder(shell, names);
      return partsEncoder(encoder, log, {
        fail: (error) => encoder.fail(error.status, error.code, error.message),
        saved: () => save(encoder.response, encoder.signatures),
      });
    },
    recovery: {
      mode: recoveryMode(policy, auth),
      request: () => canonical ?? canonicalOrNull(() => decodeResponsesRequest(body, history, { dropUnsupportedTools: false })),
    },
  };
  try {
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

const native = speaks("responses");
const isNative = (c: Candidate) => native(c.runtime);

const RESPONSES: ApiTranslation = { api: "responses", translatedFields: TRANSLATED_FIELDS, paramName: responsesParamName };

/** A Responses usage object as canonical usage: cached input and reasoning output are priced apart. */
function recordResponseUsage(log: LogRecorder, usage: ResponseObject["usage"] | undefined): void {
  if (!usage) return;
  const cached = (usage.input_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens;
  const reasoning = (usage.output_tokens_details as { reasoning_tokens?: number } | undefined)?.reasoning_tokens;
  log.setUsage({
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  });
}

/** A native provider's events, parsed on the side, ending with its final response event. */
function nativeEvents(batches: AsyncIterable<EventSourceMessage[]>): AsyncIterator<NativeItem[]> {
  let quiet = true;
  const item = (event: EventSourceMessage): NativeItem => {
    const data = eventData(event);
    const failed = data?.type === "error" || data?.type === "response.failed";
    if (failed && quiet) {
      // Before any output a failure is a failed attempt like any other: the router may fail over.
      const error = data.type === "error" ? data : data.response?.error;
      throw new UpstreamError(`error in stream: ${error?.message ?? "unknown"}`, "protocol", undefined, undefined, error?.code ?? undefined);
    }
    quiet &&= QUIET_EVENTS.has(data?.type);
    return { type: "native", event, data };
  };
  return nativeItems(batches, item, endsResponse, "stream ended before response.completed");
}

const endsResponse = (item: NativeItem) => FINAL_EVENTS.has(item.data?.type) || item.data?.type === "error";

function previousNotFound(id: string): GatewayError {
  return new GatewayError(404, "invalid_request_error", "previous_response_not_found", `Previous response with id '${id}' not found.`, {
    param: "previous_response_id",
  });
}

function responseNotFound(id: string): GatewayError {
  return notFound("response_not_found", `Response with id '${id}' not found.`);
}

/** This request's input as items with ids, in the shape GET …/input_items lists them. */
export function inputItemsOf(body: { input: ResponsesRequest["input"] }): Array<Record<string, unknown>> {
  const items = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : body.input;
  return items.map((raw) => {
    const item: Record<string, unknown> = { ...raw };
    const type = (item.type as string | undefined) ?? "message";
    item.type = type;
    if (type === "message") {
      if (typeof item.content === "string") {
        item.content = [{ type: item.role === "assistant" ? "output_text" : "input_text", text: item.content }];
      }
      item.status ??= "completed";
    }
    item.id ??= itemId(type === "message" ? "msg" : type === "function_call" ? "fc" : type === "function_call_output" ? "fco" : "item");
    return item;
  });
}

export async function getResponse(store: ResponseStore, id: string, auth: AuthContext): Promise<GatewayHttpResponse> {
  const stored = await store.get(id, auth.keyId);
  if (!stored) throw responseNotFound(id);
  const provider = stored.response.provider;
  return json(200, stored.response, provider ? { "x-interference-provider": provider } : {});
}

export async function deleteResponse(store: ResponseStore, id: string, auth: AuthContext): Promise<GatewayHttpResponse> {
  if (!(await store.delete(id, auth.keyId))) throw responseNotFound(id);
  return json(200, { id, object: "response.deleted", deleted: true });
}

/** GET /v1/responses/{id}/input_items: `limit` (1–100, default 20), `order` (desc by default, as OpenAI), `after`. */
export async function listInputItems(store: ResponseStore, id: string, auth: AuthContext, query: URLSearchParams): Promise<GatewayHttpResponse> {
  const stored = await store.get(id, auth.keyId);
  if (!stored) throw responseNotFound(id);
  const limitText = query.get("limit");
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest("invalid_value", "limit must be an integer from 1 to 100", "limit");
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw badRequest("invalid_value", "order must be 'asc' or 'desc'", "order");
  let items = order === "desc" ? [...stored.inputItems].reverse() : stored.inputItems;
  const after = query.get("after");
  if (after) {
    const at = items.findIndex((i) => i.id === after);
    if (at < 0) throw badRequest("invalid_value", `No input item '${after}' in this response`, "after");
    items = items.slice(at + 1);
  }
  const data = items.slice(0, limit);
  return json(200, {
    object: "list",
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: items.length > limit,
  });
}
