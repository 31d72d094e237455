/** Responses request → canonical request. A stored conversation (previous_response_id) comes first. */
import { badRequest } from "../../errors.js";
import type { AssistantPart, CanonicalMessage, CanonicalRequest, CanonicalTool, OutputFormat, ToolChoice, UserPart } from "../../canonical/types.js";
import type { InputItem, ResponsesRequest } from "./schema.js";
import { signatureOf } from "./encode-result.js";

type Part = { type: string; [k: string]: unknown };

function userParts(content: string | Part[], at: string): UserPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((p, i): UserPart => {
    if (p.type === "input_text" || p.type === "output_text") return { type: "text", text: p.text as string };
    if (p.type === "input_image") {
      if (!p.image_url)
        throw badRequest(
          "unsupported_content",
          `${at}.content.${i}: input_image needs image_url (a URL or data: URL); file_id is not supported`,
          `${at}.content`,
        );
      return { type: "image", url: p.image_url as string, ...(p.detail ? { detail: p.detail as "auto" | "low" | "high" } : {}) };
    }
    throw badRequest("unsupported_content", `${at}.content.${i}: content type '${p.type}' is not supported (use input_text or input_image)`, `${at}.content`);
  });
}

function textOfParts(content: string | Part[]): string {
  if (typeof content === "string") return content;
  return content.map((p) => (typeof p.text === "string" ? p.text : typeof p.refusal === "string" ? p.refusal : "")).join("");
}

/** Appends to the last assistant turn, so a message, its reasoning and its function calls stay one turn. */
function pushAssistant(messages: CanonicalMessage[], part: AssistantPart): void {
  const last = messages.at(-1);
  if (last?.role === "assistant") last.content.push(part);
  else messages.push({ role: "assistant", content: [part] });
}

/**
 * Input items → system texts and messages. `lenient` skips what the canonical model has no place for (a native
 * provider's built-in tool calls, item references) instead of refusing it: for keeping a conversation, not for
 * sending one.
 */
export function decodeInput(input: string | InputItem[], path = "input", lenient = false): { system: string[]; messages: CanonicalMessage[] } {
  const system: string[] = [];
  const messages: CanonicalMessage[] = [];
  if (typeof input === "string") return { system, messages: [{ role: "user", content: [{ type: "text", text: input }] }] };
  input.forEach((raw, i) => {
    const at = `${path}.${i}`;
    const item = raw as Part;
    const type = item.type ?? "message";
    if (type === "message") {
      const role = item.role as string;
      const content = item.content as string | Part[];
      if (role === "system" || role === "developer") system.push(textOfParts(content));
      else if (role === "assistant") {
        const text = textOfParts(content);
        if (text) pushAssistant(messages, { type: "text", text });
      } else messages.push({ role: "user", content: userParts(content, at) });
    } else if (type === "function_call") {
      const name = item.namespace ? `${item.namespace as string}${NAMESPACE_SEPARATOR}${item.name as string}` : (item.name as string);
      pushAssistant(messages, { type: "tool_call", id: item.call_id as string, name, arguments: item.arguments as string });
    } else if (type === "function_call_output") {
      messages.push({ role: "tool", toolCallId: item.call_id as string, content: textOfParts(item.output as string | Part[]) });
    } else if (type === "reasoning") {
      const summary = (item.summary as Part[] | null | undefined) ?? [];
      const content = (item.content as Part[] | null | undefined) ?? [];
      const text = [...content, ...(content.length ? [] : summary)].map((p) => p.text as string).join("\n");
      // Anthropic's signature (encode-result's blob) goes back with its thinking; OpenAI's own encrypted reasoning
      // means nothing to a translating provider.
      const signature = signatureOf(item.encrypted_content);
      if (text) pushAssistant(messages, { type: "reasoning", text, ...(signature ? { signature } : {}) });
    } else if (!lenient) {
      throw badRequest(
        "unsupported_input_item",
        `${at}: input items of type '${type}' are not supported (messages, function_call, function_call_output and reasoning are)`,
        at,
      );
    }
  });
  return { system, messages };
}

/**
 * A namespace's functions (Codex groups its sub-agent tools so) become plain tools named
 * `<namespace>__<name>`, which every family accepts; the encoders split the name back (namespacedNames).
 */
export const NAMESPACE_SEPARATOR = "__";

export interface DecodeOptions {
  /** Skip tools a translating provider cannot run (built-in tools) instead of refusing them: drop_params. */
  dropUnsupportedTools?: boolean;
}

function functionTool(t: Record<string, unknown>, name: string): CanonicalTool {
  const f = t as { description?: string | null; parameters?: Record<string, unknown> | null; strict?: boolean | null };
  return {
    name,
    ...(f.description != null ? { description: f.description } : {}),
    parameters: f.parameters ?? { type: "object", properties: {} },
    ...(f.strict != null ? { strict: f.strict } : {}),
  };
}

function unsupportedTool(type: string, at: string) {
  return badRequest(
    "unsupported_tool",
    `${at}: tool type '${type}' is not supported through the gateway; only function tools (and namespaces of them) are (built-in tools run only on OpenAI itself; drop_params drops them)`,
    `${at}.type`,
  );
}

function decodeTools(tools: ResponsesRequest["tools"], options: DecodeOptions): CanonicalTool[] {
  const out: CanonicalTool[] = [];
  (tools ?? []).forEach((raw, i) => {
    const t = raw as Record<string, unknown> & { type: string };
    if (t.type === "function") out.push(functionTool(t, t.name as string));
    else if (t.type === "namespace" && Array.isArray(t.tools)) {
      (t.tools as Array<Record<string, unknown> & { type: string }>).forEach((inner, j) => {
        if (inner.type === "function") out.push(functionTool(inner, `${t.name as string}${NAMESPACE_SEPARATOR}${inner.name as string}`));
        else if (!options.dropUnsupportedTools) throw unsupportedTool(inner.type, `tools.${i}.tools.${j}`);
      });
    } else if (!options.dropUnsupportedTools) throw unsupportedTool(t.type, `tools.${i}`);
  });
  return out;
}

/** Flat tool name → its namespace and own name, for the request's namespaced tools. */
export function namespacedNames(tools: ResponsesRequest["tools"]): Map<string, { namespace: string; name: string }> {
  const names = new Map<string, { namespace: string; name: string }>();
  for (const raw of tools ?? []) {
    const t = raw as Record<string, unknown>;
    if (t.type !== "namespace" || !Array.isArray(t.tools)) continue;
    for (const inner of t.tools as Array<Record<string, unknown>>) {
      names.set(`${t.name as string}${NAMESPACE_SEPARATOR}${inner.name as string}`, { namespace: t.name as string, name: inner.name as string });
    }
  }
  return names;
}

function decodeToolChoice(choice: ResponsesRequest["tool_choice"]): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && choice.name) {
    return { name: typeof choice.namespace === "string" ? `${choice.namespace}${NAMESPACE_SEPARATOR}${choice.name}` : choice.name };
  }
  throw badRequest(
    "unsupported_tool_choice",
    `tool_choice of type '${choice.type}' is not supported; use 'auto', 'none', 'required' or {type: 'function', name}`,
    "tool_choice",
  );
}

function decodeFormat(format: NonNullable<ResponsesRequest["text"]>["format"]): OutputFormat | undefined {
  if (!format) return undefined;
  if (format.type !== "json_schema") return format;
  return {
    type: "json_schema",
    name: format.name,
    schema: format.schema,
    ...(format.description != null ? { description: format.description } : {}),
    ...(format.strict != null ? { strict: format.strict } : {}),
  };
}

/** `history` is the stored conversation of previous_response_id (its input and output), already canonical. */
export function decodeResponsesRequest(body: ResponsesRequest, history: CanonicalMessage[] = [], options: DecodeOptions = {}): CanonicalRequest {
  const { system, messages } = decodeInput(body.input);
  if (body.instructions) system.unshift(body.instructions);
  const req: CanonicalRequest = {
    system,
    messages: [...history, ...messages],
    tools: decodeTools(body.tools, options),
    stream: body.stream === true,
  };
  if (!req.messages.length) throw badRequest("invalid_value", "input must contain at least one message or item", "input");
  if (body.model) req.model = body.model;
  if (body.drop_params) req.dropParams = true;
  const choice = decodeToolChoice(body.tool_choice);
  if (choice) req.toolChoice = choice;
  if (body.parallel_tool_calls != null) req.parallelToolCalls = body.parallel_tool_calls;
  const format = decodeFormat(body.text?.format);
  if (format) req.output = format;
  if (body.max_output_tokens != null) req.maxOutputTokens = body.max_output_tokens;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  if (body.reasoning?.effort) req.reasoning = { effort: body.reasoning.effort };
  if (body.user) req.user = body.user;
  if (body.metadata) req.metadata = body.metadata;
  return req;
}
