/**
 * The playground: a chat request sent from the dashboard to one provider and model, through the gateway itself
 * (routing, the log row, its cost: everything a client's request gets), on behalf of the signed-in person, who is
 * its end user, tagged "playground". A replay sends a logged request's stored body again, to another provider.
 */
import { z } from "zod";
import type { UserRecord } from "@interference/db";
import type { Runtime } from "@/lib/runtime";
import { answerText } from "@/lib/answer-text";

export const playgroundSchema = z.object({
  provider: z.string().trim().min(1, "provider: choose one").max(64),
  model: z.string().trim().min(1, "model: choose one").max(200),
  messages: z
    .array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(100_000) }))
    .min(1, "messages: write one")
    .max(100),
  max_tokens: z.number().int().min(1).max(32_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
});
export type PlaygroundInput = z.infer<typeof playgroundSchema>;

export const PLAYGROUND_TAG = "playground";

/**
 * The request for this provider alone (no failover), as `path`'s API takes it: on Chat Completions the person is
 * its `user`; a Responses request is not stored again.
 */
export function playgroundBody(
  input: Record<string, unknown>,
  provider: string,
  model: string,
  user: Pick<UserRecord, "email">,
  stream: boolean,
  path = CHAT_PATH,
) {
  const { provider: _p, stream: _s, stream_options: _o, ...rest } = input;
  if (path === "/v1/responses") return { ...rest, model, provider, stream, store: false };
  if (path !== CHAT_PATH) return { ...rest, model, provider, stream };
  return { ...rest, model, provider, user: user.email, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) };
}

const CHAT_PATH = "/v1/chat/completions";

/** Sends a Chat Completions body through the gateway as the playground (no API key: the person is signed in). */
export function sendThroughGateway(runtime: Runtime, body: object, signal?: AbortSignal, path = CHAT_PATH): Promise<Response> {
  const handler = runtime.gateway.webHandlerAs({ keyId: null });
  return handler(
    new Request(`http://playground.internal${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-interference-tags": PLAYGROUND_TAG },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    }),
  );
}

/**
 * A finished (not streamed) answer as the playground shows it beside others, with the figures its log row has
 * (the gateway's own latency and cost), read once the row is written.
 */
export async function answerOf(runtime: Runtime, res: Response) {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  const requestId = res.headers.get("x-request-id");
  await runtime.store.logs.sink.flush?.();
  const row = requestId ? await runtime.store.logs.get(requestId) : null;
  return {
    requestId,
    status: res.status,
    provider: row?.provider ?? res.headers.get("x-interference-provider"),
    servedModel: row?.servedModel ?? null,
    latencyMs: row?.latencyMs ?? null,
    cost: row?.cost ?? null,
    promptTokens: row?.promptTokens ?? null,
    completionTokens: row?.completionTokens ?? null,
    text: answerText(body),
    error: res.status >= 400 ? (body?.error?.message ?? `HTTP ${res.status}`) : null,
  };
}
