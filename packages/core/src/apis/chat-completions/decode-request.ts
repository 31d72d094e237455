/** Chat Completions request → canonical request (for providers that do not speak Chat Completions themselves). */
import { badRequest } from "../../errors.js";
import type { AssistantPart, CanonicalMessage, CanonicalRequest, OutputFormat, ToolChoice, UserPart } from "../../canonical/types.js";
import { thoughtSignatureOf, type ChatMessage, type ChatRequest, type ContentPart } from "../../openai/schema.js";

function textOf(content: ChatMessage["content"], at: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .map((p, i) => {
      if (p.type === "text") return (p as { text: string }).text;
      throw unsupportedPart(p.type, `${at}.content.${i}`, "text");
    })
    .join("");
}

function unsupportedPart(type: string, at: string, supported: string) {
  return badRequest(
    "unsupported_content",
    `${at}: content part type '${type}' is served only by providers that speak Chat Completions themselves; here ${supported} parts are`,
    at,
  );
}

function userParts(content: string | ContentPart[], at: string): UserPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((p, i): UserPart => {
    if (p.type === "text") return { type: "text", text: (p as { text: string }).text };
    if (p.type === "image_url") {
      const image = (p as { image_url: { url: string; detail?: "auto" | "low" | "high" | null } }).image_url;
      return { type: "image", url: image.url, ...(image.detail ? { detail: image.detail } : {}) };
    }
    throw unsupportedPart(p.type, `${at}.content.${i}`, "text and image_url");
  });
}

function decodeMessage(m: ChatMessage, i: number, system: string[], out: CanonicalMessage[]): void {
  const at = `messages.${i}`;
  switch (m.role) {
    case "system":
    case "developer":
      system.push(textOf(m.content, at));
      return;
    case "user":
      out.push({ role: "user", content: userParts(m.content, at) });
      return;
    case "tool":
      out.push({ role: "tool", toolCallId: m.tool_call_id, content: textOf(m.content, at) });
      return;
    case "assistant": {
      const content: AssistantPart[] = [];
      // DeepSeek's and vLLM's field for the reasoning of an earlier turn.
      const reasoning = (m as { reasoning_content?: unknown }).reasoning_content;
      if (typeof reasoning === "string" && reasoning) content.push({ type: "reasoning", text: reasoning });
      const text = textOf(m.content, at);
      if (text) content.push({ type: "text", text });
      for (const call of m.tool_calls ?? []) {
        const signature = thoughtSignatureOf(call);
        content.push({ type: "tool_call", id: call.id, name: call.function.name, arguments: call.function.arguments, ...(signature ? { signature } : {}) });
      }
      out.push({ role: "assistant", content });
    }
  }
}

function decodeOutput(format: ChatRequest["response_format"]): OutputFormat | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const s = format.json_schema;
  return {
    type: "json_schema",
    name: s.name,
    schema: s.schema ?? { type: "object" },
    ...(s.description != null ? { description: s.description } : {}),
    ...(s.strict != null ? { strict: s.strict } : {}),
  };
}

function decodeToolChoice(choice: ChatRequest["tool_choice"]): ToolChoice | undefined {
  if (choice == null) return undefined;
  return typeof choice === "string" ? choice : { name: choice.function.name };
}

export function decodeChatRequest(body: ChatRequest): CanonicalRequest {
  const system: string[] = [];
  const messages: CanonicalMessage[] = [];
  body.messages.forEach((m, i) => decodeMessage(m, i, system, messages));
  const req: CanonicalRequest = {
    system,
    messages,
    tools: (body.tools ?? []).map((t) => ({
      name: t.function.name,
      ...(t.function.description != null ? { description: t.function.description } : {}),
      parameters: t.function.parameters ?? { type: "object", properties: {} },
      ...(t.function.strict != null ? { strict: t.function.strict } : {}),
    })),
    stream: body.stream === true,
  };
  if (body.model) req.model = body.model;
  if (body.drop_params) req.dropParams = true;
  const choice = decodeToolChoice(body.tool_choice);
  if (choice) req.toolChoice = choice;
  if (body.parallel_tool_calls != null) req.parallelToolCalls = body.parallel_tool_calls;
  const output = decodeOutput(body.response_format);
  if (output) req.output = output;
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max != null) req.maxOutputTokens = max;
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.topP = body.top_p;
  // Not an OpenAI parameter, but what vLLM, llama.cpp and Together take.
  if (typeof body.top_k === "number") req.topK = body.top_k;
  if (body.stop != null) req.stop = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (body.seed != null) req.seed = body.seed;
  if (body.presence_penalty != null) req.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) req.frequencyPenalty = body.frequency_penalty;
  if (typeof body.reasoning_effort === "string") req.reasoning = { effort: body.reasoning_effort };
  if (body.n != null && body.n > 1) req.n = body.n;
  if (body.logprobs) req.logprobs = { top: body.top_logprobs ?? 0 };
  if (body.user) req.user = body.user;
  return req;
}
