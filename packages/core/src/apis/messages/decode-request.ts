/** Messages request → canonical request (for providers that do not speak Messages themselves). */
import { badRequest } from "../../errors.js";
import type { AssistantPart, CanonicalMessage, CanonicalRequest, CanonicalTool, ToolChoice, UserPart } from "../../canonical/types.js";
import type { Block, MessagesRequest } from "./schema.js";

type AnyBlock = Block & Record<string, unknown>;

function imageUrl(block: AnyBlock, at: string): string {
  const source = block.source as { type: string; media_type?: string; data?: string; url?: string };
  if (source.type === "base64") return `data:${source.media_type};base64,${source.data}`;
  if (source.type === "url") return source.url!;
  throw badRequest("unsupported_content", `${at}: image source '${source.type}' is not supported (base64 or url are)`, at);
}

/** A tool result's content as text (images inside results have no place in a chat tool message). */
function resultText(content: unknown): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return (content as AnyBlock[]).map((b) => (b.type === "text" ? (b.text as string) : `[${b.type}]`)).join("");
}

function decodeMessage(m: MessagesRequest["messages"][number], i: number, out: CanonicalMessage[]): void {
  const blocks: AnyBlock[] = typeof m.content === "string" ? [{ type: "text", text: m.content }] : (m.content as AnyBlock[]);
  if (m.role === "assistant") {
    const content: AssistantPart[] = [];
    blocks.forEach((b, j) => {
      if (b.type === "text") content.push({ type: "text", text: b.text as string });
      else if (b.type === "tool_use") content.push({ type: "tool_call", id: b.id as string, name: b.name as string, arguments: JSON.stringify(b.input ?? {}) });
      else if (b.type === "thinking")
        content.push({ type: "reasoning", text: b.thinking as string, ...(b.signature ? { signature: b.signature as string } : {}) });
      else if (b.type !== "redacted_thinking") throw unsupportedBlock(b.type, `messages.${i}.content.${j}`);
    });
    out.push({ role: "assistant", content });
    return;
  }
  // A user turn may carry tool results and new content together: results become tool messages, in order.
  let user: UserPart[] = [];
  const flush = () => {
    if (user.length) out.push({ role: "user", content: user });
    user = [];
  };
  blocks.forEach((b, j) => {
    const at = `messages.${i}.content.${j}`;
    if (b.type === "text") user.push({ type: "text", text: b.text as string });
    else if (b.type === "image") user.push({ type: "image", url: imageUrl(b, at) });
    else if (b.type === "tool_result") {
      flush();
      out.push({ role: "tool", toolCallId: b.tool_use_id as string, content: resultText(b.content), ...(b.is_error ? { isError: true } : {}) });
    } else throw unsupportedBlock(b.type, at);
  });
  flush();
}

function unsupportedBlock(type: string, at: string) {
  return badRequest(
    "unsupported_content",
    `${at}: content block type '${type}' is not supported by this provider (text, image, tool_use, tool_result, thinking are)`,
    at,
  );
}

function decodeTools(tools: MessagesRequest["tools"], dropUnsupported: boolean): CanonicalTool[] {
  const out: CanonicalTool[] = [];
  (tools ?? []).forEach((t, i) => {
    // Anthropic's server tools (web_search_…, bash_…, text_editor_…) run only on Anthropic itself.
    if (t.type && t.type !== "custom") {
      if (dropUnsupported) return;
      throw badRequest(
        "unsupported_tool",
        `tools.${i}: tool type '${t.type}' runs only on Anthropic itself; this provider takes custom tools (drop_params drops it)`,
        `tools.${i}.type`,
      );
    }
    out.push({
      name: t.name,
      ...(t.description != null ? { description: t.description } : {}),
      parameters: t.input_schema ?? { type: "object", properties: {} },
    });
  });
  return out;
}

function decodeToolChoice(choice: MessagesRequest["tool_choice"]): ToolChoice | undefined {
  if (!choice) return undefined;
  if (choice.type === "any") return "required";
  if (choice.type === "tool") {
    if (!choice.name) throw badRequest("invalid_value", "tool_choice of type 'tool' needs a name", "tool_choice.name");
    return { name: choice.name };
  }
  return choice.type;
}

/** `dropUnsupportedTools`: leave server tools out instead of refusing them (a provider with drop_params). */
export function decodeMessagesRequest(body: MessagesRequest, options: { dropUnsupportedTools?: boolean } = {}): CanonicalRequest {
  const system = body.system == null ? [] : typeof body.system === "string" ? [body.system] : [body.system.map((b) => b.text).join("\n")];
  const messages: CanonicalMessage[] = [];
  body.messages.forEach((m, i) => decodeMessage(m, i, messages));
  const req: CanonicalRequest = {
    system: system.filter(Boolean),
    messages,
    tools: decodeTools(body.tools, options.dropUnsupportedTools === true),
    maxOutputTokens: body.max_tokens,
    stream: body.stream === true,
  };
  if (body.model) req.model = body.model;
  if (body.drop_params) req.dropParams = true;
  const choice = decodeToolChoice(body.tool_choice);
  if (choice) req.toolChoice = choice;
  if (body.tool_choice?.disable_parallel_tool_use) req.parallelToolCalls = false;
  if (body.stop_sequences?.length) req.stop = body.stop_sequences;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  if (body.top_k != null) req.topK = body.top_k;
  if (body.metadata?.user_id) req.user = body.metadata.user_id;
  if (body.thinking?.type === "enabled" && body.thinking.budget_tokens) req.reasoning = { budgetTokens: body.thinking.budget_tokens };
  return req;
}
