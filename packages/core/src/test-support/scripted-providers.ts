/**
 * Fake providers that answer from what they were sent, in three wire formats (OpenAI chat, Anthropic Messages,
 * Gemini): with tools and no tool result yet they call the first tool; otherwise they reply
 * "<tag> heard: <the conversation>", so a test sees which turns reached the provider. Streams and JSON both.
 */
import type { ServerResponse } from "node:http";
import { sendJson, sendSse, startFakeServer, type FakeHandler, type FakeServer } from "./fake-server.js";

interface Turn {
  role: string;
  text: string;
}

function script(tag: string, turns: Turn[], toolName: string | undefined): { text?: string; tool?: { name: string; args: string } } {
  const last = turns.at(-1);
  if (toolName && last?.role === "user") return { tool: { name: toolName, args: JSON.stringify({ q: last.text }) } };
  return { text: `${tag} heard: ${turns.map((t) => `${t.role}:${t.text}`).join(" | ")}` };
}

const words = (text: string) => text.match(/\S+\s*/g) ?? [text];

/** OpenAI Chat Completions. */
export function openaiTurns(body: any): Turn[] {
  return body.messages.map((m: any) => ({
    role: m.role,
    text:
      (typeof m.content === "string" ? m.content : (m.content ?? []).map((p: any) => p.text ?? `[${p.type}]`).join("")) +
      (m.tool_calls ?? []).map((c: any) => `call ${c.function.name}(${c.function.arguments})`).join(""),
  }));
}

export const startScriptedOpenAI = (tag: string): Promise<FakeServer> => startFakeServer(scriptedOpenAI(tag));

export function scriptedOpenAI(tag: string): FakeHandler {
  return (_req, res, body) => {
    const answer = script(tag, openaiTurns(body), body.tools?.[0]?.function?.name);
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const base = { id: "chatcmpl-s", created: 1_700_000_000, model: body.model };
    const call = answer.tool && { id: "call_1", type: "function", function: { name: answer.tool.name, arguments: answer.tool.args } };
    const finish = call ? "tool_calls" : "stop";
    if (!body.stream) {
      return sendJson(res, 200, {
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: answer.text ?? null, ...(call ? { tool_calls: [call] } : {}) }, finish_reason: finish }],
        usage,
      });
    }
    const chunk = (delta: object, finish_reason: string | null = null) => ({
      data: JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] }),
    });
    const events = [chunk({ role: "assistant", content: "" })];
    if (answer.text) for (const w of words(answer.text)) events.push(chunk({ content: w }));
    if (call) {
      events.push(chunk({ tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }));
      const args = call.function.arguments;
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }));
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }));
    }
    events.push(chunk({}, finish));
    events.push({ data: JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage }) });
    events.push({ data: "[DONE]" });
    return sendSse(res, events);
  };
}

/** Anthropic Messages (non-native: what the gateway's anthropic adapter sends, or a passthrough). */
export function anthropicTurns(body: any): Turn[] {
  const system = typeof body.system === "string" ? body.system : (body.system ?? []).map((b: any) => b.text).join("");
  const turns: Turn[] = system ? [{ role: "system", text: system }] : [];
  for (const m of body.messages) {
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    const toolResult = blocks.find((b: any) => b.type === "tool_result");
    const text = blocks
      .map((b: any) =>
        b.type === "text"
          ? b.text
          : b.type === "tool_use"
            ? `call ${b.name}(${JSON.stringify(b.input)})`
            : b.type === "tool_result"
              ? typeof b.content === "string"
                ? b.content
                : b.content.map((c: any) => c.text).join("")
              : `[${b.type}]`,
      )
      .join("");
    turns.push({ role: toolResult ? "tool" : m.role, text });
  }
  return turns;
}

function anthropicSse(res: ServerResponse, body: any, answer: ReturnType<typeof script>): Promise<void> {
  const ev = (type: string, data: object) => ({ event: type, data: JSON.stringify({ type, ...data }) });
  const events = [
    ev("message_start", {
      message: {
        id: "msg_s",
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 11, output_tokens: 1 },
      },
    }),
    ev("ping", {}),
  ];
  let index = 0;
  if (body.thinking?.type === "enabled") {
    events.push(ev("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }));
    events.push(ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: "pondering " } }));
    events.push(ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: "deeply" } }));
    events.push(ev("content_block_delta", { index, delta: { type: "signature_delta", signature: "sig-abc" } }));
    events.push(ev("content_block_stop", { index }));
    index++;
  }
  if (answer.text) {
    events.push(ev("content_block_start", { index, content_block: { type: "text", text: "" } }));
    for (const w of words(answer.text)) events.push(ev("content_block_delta", { index, delta: { type: "text_delta", text: w } }));
    events.push(ev("content_block_stop", { index }));
  }
  if (answer.tool) {
    events.push(ev("content_block_start", { index, content_block: { type: "tool_use", id: "toolu_1", name: answer.tool.name, input: {} } }));
    events.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: answer.tool.args.slice(0, 5) } }));
    events.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: answer.tool.args.slice(5) } }));
    events.push(ev("content_block_stop", { index }));
  }
  events.push(ev("message_delta", { delta: { stop_reason: answer.tool ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: 7 } }));
  events.push(ev("message_stop", {}));
  return sendSse(res, events);
}

export const startScriptedAnthropic = (tag: string): Promise<FakeServer> => startFakeServer(scriptedAnthropic(tag));

export function scriptedAnthropic(tag: string): FakeHandler {
  return (req, res, body) => {
    if (req.url?.endsWith("/count_tokens")) return sendJson(res, 200, { input_tokens: 1234 });
    const answer = script(tag, anthropicTurns(body), body.tools?.[0]?.name);
    if (body.stream) return anthropicSse(res, body, answer);
    const content: object[] = answer.tool
      ? [{ type: "tool_use", id: "toolu_1", name: answer.tool.name, input: JSON.parse(answer.tool.args) }]
      : [{ type: "text", text: answer.text }];
    if (body.thinking?.type === "enabled") content.unshift({ type: "thinking", thinking: "pondering deeply", signature: "sig-abc" });
    return sendJson(res, 200, {
      id: "msg_s",
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: answer.tool ? "tool_use" : "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 11, output_tokens: 7 },
    });
  };
}

/** Gemini generateContent / streamGenerateContent. */
export async function startScriptedGemini(tag: string): Promise<FakeServer> {
  return startFakeServer((req, res, body) => {
    const system = (body.systemInstruction?.parts ?? []).map((p: any) => p.text).join("");
    const turns: Turn[] = system ? [{ role: "system", text: system }] : [];
    for (const c of body.contents) {
      const isTool = c.parts.some((p: any) => p.functionResponse);
      const text = c.parts
        .map((p: any) =>
          p.text !== undefined
            ? p.text
            : p.functionCall
              ? `call ${p.functionCall.name}(${JSON.stringify(p.functionCall.args)})`
              : p.functionResponse
                ? JSON.stringify(p.functionResponse.response)
                : "[part]",
        )
        .join("");
      turns.push({ role: isTool ? "tool" : c.role === "model" ? "assistant" : "user", text });
    }
    const answer = script(tag, turns, body.tools?.[0]?.functionDeclarations?.[0]?.name);
    // Asked for JSON (structured output), it answers JSON, as Gemini does.
    if (body.generationConfig?.responseMimeType === "application/json" && answer.text) answer.text = JSON.stringify({ q: turns.at(-1)?.text ?? "" });
    // Gemini 3 signs each turn's first function call; the signature must come back with the call.
    const parts: object[] = answer.tool
      ? [{ functionCall: { name: answer.tool.name, args: JSON.parse(answer.tool.args) }, thoughtSignature: "gsig-1" }]
      : [{ text: answer.text }];
    if (body.generationConfig?.thinkingConfig?.includeThoughts) parts.unshift({ text: "pondering deeply", thought: true });
    const usageMetadata = { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 };
    const reply = { candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }], usageMetadata, modelVersion: "gemini-fake" };
    if (!req.url?.includes("streamGenerateContent")) return sendJson(res, 200, reply);
    return sendSse(res, [{ data: JSON.stringify(reply) }]);
  });
}
