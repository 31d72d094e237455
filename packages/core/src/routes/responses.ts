/**
 * The OpenAI Responses API: POST /v1/responses (JSON or its event stream), and the stored responses behind
 * GET / DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items. Any provider family serves it: the
 * request is decoded into the canonical model and reaches the provider through its chat capability.
 */
import { GatewayError, badRequest, notFound } from "../errors.js";
import type { CanonicalMessage } from "../canonical/types.js";
import { toChatRequest } from "../apis/chat-completions/encode-request.js";
import { ChatChunkDecoder, resultFromChat } from "../apis/chat-completions/decode-result.js";
import { decodeInput, decodeResponsesRequest } from "../apis/responses/decode-request.js";
import { encodeResult, itemId, responseShell } from "../apis/responses/encode-result.js";
import { ResponsesStreamEncoder } from "../apis/responses/encode-stream.js";
import { responsesRequestSchema, TRANSLATED_FIELDS, type ResponseObject, type ResponsesRequest } from "../apis/responses/schema.js";
import type { ResponseStore } from "../apis/responses/store.js";
import { planRoute, requestDeadline } from "../routing/router.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import { scopeOf } from "../auth/scope.js";
import { validate } from "./body.js";
import { chatSource, completeWithFailover, streamWithFailover, type ServeDeps } from "./serve-chat.js";

export interface ResponsesDeps extends ServeDeps {
  store: ResponseStore;
  retentionMs: number;
}

/** Fields a translating provider cannot honour are refused by name, unless drop_params drops them. */
function refuseUntranslatable(raw: Record<string, unknown>, body: ResponsesRequest): void {
  if (body.background) throw badRequest("unsupported_parameter", "background responses are not supported: send the request without 'background'", "background");
  if (body.drop_params) return;
  const unknown = Object.keys(raw).filter((k) => !TRANSLATED_FIELDS.has(k) && raw[k] !== null && raw[k] !== undefined);
  if (unknown.length) {
    throw badRequest(
      "unsupported_parameter",
      `Parameter '${unknown[0]}' is not supported on /v1/responses by the gateway. Set "drop_params": true to drop unsupported parameters.`,
      unknown[0],
    );
  }
}

export async function createResponse(
  deps: ResponsesDeps,
  rawBody: Record<string, unknown>,
  auth: AuthContext,
  request: Pick<GatewayHttpRequest, "signal" | "abort">,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  log.entry.model = typeof rawBody.model === "string" ? rawBody.model : null;
  log.entry.requestedProviders = typeof rawBody.provider === "string" ? rawBody.provider : null;
  log.entry.stream = rawBody.stream === true;
  const body = validate(responsesRequestSchema, rawBody);
  refuseUntranslatable(rawBody, body);
  let history: CanonicalMessage[] = [];
  if (body.previous_response_id) {
    const previous = await deps.store.get(body.previous_response_id, auth.keyId);
    if (!previous) throw previousNotFound(body.previous_response_id);
    history = previous.conversation;
  }
  const canonical = decodeResponsesRequest(body, history);
  const chat = toChatRequest(canonical);
  await log.meter?.reserve(JSON.stringify(chat.messages).length, chat.max_tokens);
  const plan = planRoute(deps.registry, chat, "chat", scopeOf(auth));
  log.setAttempts(plan.attempts);
  const id = itemId("resp");
  const store = body.store !== false;
  const save = async (response: ResponseObject) => {
    if (!store) return;
    const now = Date.now();
    await deps.store.save({
      id,
      keyId: auth.keyId,
      createdAt: new Date(now),
      expiresAt: new Date(now + deps.retentionMs),
      response,
      inputItems: inputItemsOf(body),
      conversation: [...canonical.messages, ...decodeInput(response.output as never).messages],
    });
  };
  const deadline = requestDeadline(request, deps.timeouts);
  if (!body.stream) {
    try {
      const { completion, provider } = await completeWithFailover(deps, chat, plan, deadline.signal, log);
      const shell = responseShell(body, id, completion.model);
      shell.provider = provider;
      const response = encodeResult(shell, resultFromChat(completion));
      await save(response);
      log.finish(200);
      return json(200, response, { "x-interference-provider": provider });
    } finally {
      deadline.clear();
    }
  }
  try {
    const source = chatSource(chat, log, (candidate) => {
      const shell = responseShell(body, id, body.model ?? candidate.model.id);
      shell.provider = candidate.runtime.config.id;
      const encoder = new ResponsesStreamEncoder(shell);
      const decoder = new ChatChunkDecoder();
      let started = false;
      const start = () => (started ? "" : ((started = true), encoder.start()));
      return {
        chunk(chunk) {
          let out = start();
          for (const part of decoder.decode(chunk)) out += encoder.part(part);
          return out || null;
        },
        async end() {
          const out = start() + encoder.end();
          await save(encoder.response);
          return out;
        },
        fail: (error: GatewayError) => start() + encoder.fail(error.code, error.message),
      };
    });
    return await streamWithFailover(deps, plan, deadline, log, source);
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

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
  return json(200, stored.response);
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
