/** Canonical result → the Responses API's `response` object. */
import { randomToken } from "../../ids.js";
import type { CanonicalResult, CanonicalUsage, FinishReason } from "../../canonical/types.js";
import type { OutputItem, ResponseObject, ResponsesRequest, ResponseUsage } from "./schema.js";

/**
 * A reasoning item's `encrypted_content` when it holds Anthropic's thinking signature: the opaque blob OpenAI's own
 * reasoning items carry, which clients send back as it came (Codex does, with store: false). The prefix tells it
 * from OpenAI's own encrypted reasoning, which no other provider could read.
 */
const SIGNATURE_PREFIX = "interference-signature:";
export const signatureBlob = (signature: string) => `${SIGNATURE_PREFIX}${signature}`;
export function signatureOf(blob: unknown): string | undefined {
  return typeof blob === "string" && blob.startsWith(SIGNATURE_PREFIX) ? blob.slice(SIGNATURE_PREFIX.length) : undefined;
}

/** An id in OpenAI's style for objects the gateway makes (resp_…, msg_…, fc_…, rs_…). */
export function itemId(prefix: string): string {
  return `${prefix}_${randomToken(16, "hex")}`;
}

export function encodeUsage(u: CanonicalUsage): ResponseUsage {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0, cache_write_tokens: u.cacheWriteTokens ?? 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens,
    ...(u.cost !== undefined ? { cost: u.cost } : {}),
  };
}

/** The response as it stands before any output: what `response.created` carries, and what the result fills. */
export function responseShell(body: ResponsesRequest, id: string, model: string, createdAt = Math.floor(Date.now() / 1000)): ResponseObject {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    store: body.store ?? true,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map(echoTool),
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? "disabled",
    // `usage` comes with the result: OpenAI's spec has it absent, not null, until then.
    // OpenAI's spec types `user` as a string: absent, not null, when the client sent none.
    ...(body.user ? { user: body.user } : {}),
    metadata: body.metadata ?? {},
  };
}

/** A function tool as the response object lists it: every field OpenAI's spec requires, null when not sent. */
function echoTool(tool: NonNullable<ResponsesRequest["tools"]>[number]): unknown {
  if (tool.type !== "function") return tool;
  const f = tool as { name: string; description?: string | null; parameters?: Record<string, unknown> | null; strict?: boolean | null };
  return { ...f, type: "function", name: f.name, description: f.description ?? null, parameters: f.parameters ?? null, strict: f.strict ?? null };
}

/** The final status for how the answer ended. */
export function settle(response: ResponseObject, finish: FinishReason): void {
  if (finish === "length") {
    response.status = "incomplete";
    response.incomplete_details = { reason: "max_output_tokens" };
  } else if (finish === "content_filter") {
    response.status = "incomplete";
    response.incomplete_details = { reason: "content_filter" };
  } else response.status = "completed";
}

/** A tool name as the Responses API shows it: a namespaced tool's flat name split back into namespace and name. */
export type ToolNames = ReadonlyMap<string, { namespace: string; name: string }>;
export function callName(flat: string, names?: ToolNames): { name: string; namespace?: string } {
  return names?.get(flat) ?? { name: flat };
}

/** Responses has one answer: the first. */
export function outputItems(result: CanonicalResult, names?: ToolNames): OutputItem[] {
  const [answer] = result.choices;
  const status = answer!.finish === "length" ? "incomplete" : "completed";
  const items: OutputItem[] = [];
  let message: Extract<OutputItem, { type: "message" }> | null = null;
  for (const part of answer!.content) {
    if (part.type === "reasoning") {
      items.push({
        type: "reasoning",
        id: itemId("rs"),
        summary: [],
        content: [{ type: "reasoning_text", text: part.text }],
        ...(part.signature ? { encrypted_content: signatureBlob(part.signature) } : {}),
        status,
      });
    } else if (part.type === "text") {
      if (!message) {
        message = { type: "message", id: itemId("msg"), status, role: "assistant", content: [] };
        items.push(message);
      }
      message.content.push({ type: "output_text", text: part.text, annotations: [], logprobs: [] });
    } else {
      items.push({ type: "function_call", id: itemId("fc"), call_id: part.id, ...callName(part.name, names), arguments: part.arguments, status: "completed" });
    }
  }
  return items;
}

export function encodeResult(shell: ResponseObject, result: CanonicalResult, names?: ToolNames): ResponseObject {
  const response: ResponseObject = { ...shell, model: result.model || shell.model, output: outputItems(result, names), usage: encodeUsage(result.usage) };
  settle(response, result.choices[0]!.finish);
  return response;
}
