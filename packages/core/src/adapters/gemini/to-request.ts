/** OpenAI chat request → Gemini generateContent request. */
import { thinkingBudget } from "../reasoning.js";
import type { ChatMessage, ChatRequest, ContentPart } from "../../openai/schema.js";
import type { GeminiRequest, GeminiRequestPart } from "./wire.js";

const textOf = (content: ChatMessage["content"]): string =>
  typeof content === "string" ? content : (content ?? []).map((p) => (p.type === "text" ? (p as { text: string }).text : "")).join("");

export function toGeminiParts(content: string | ContentPart[] | null | undefined): GeminiRequestPart[] {
  if (content == null) return [];
  if (typeof content === "string") return content ? [{ text: content }] : [];
  const parts: GeminiRequestPart[] = [];
  for (const part of content) {
    if (part.type === "text") parts.push({ text: (part as { text: string }).text });
    else if (part.type === "image_url") {
      const url = (part as { image_url: { url: string } }).image_url.url;
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      parts.push(data ? { inlineData: { mimeType: data[1]!, data: data[2]! } } : { fileData: { fileUri: url } });
    }
  }
  return parts;
}

export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  const system: string[] = [];
  const contents: GeminiRequest["contents"] = [];
  // Tool results in OpenAI name the call id; Gemini wants the function's name.
  const callNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiRequestPart[]) => {
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(textOf(m.content));
        break;
      case "user":
        push("user", toGeminiParts(m.content));
        break;
      case "assistant": {
        const parts = toGeminiParts(m.content);
        for (const call of m.tool_calls ?? []) {
          callNames.set(call.id, call.function.name);
          let args: unknown = {};
          try {
            args = call.function.arguments ? JSON.parse(call.function.arguments) : {};
          } catch {
            /* keep {} */
          }
          parts.push({ functionCall: { name: call.function.name, args } });
        }
        push("model", parts);
        break;
      }
      case "tool": {
        const text = textOf(m.content);
        let response: Record<string, unknown>;
        try {
          const parsed = JSON.parse(text);
          response = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { result: parsed };
        } catch {
          response = { result: text };
        }
        push("user", [{ functionResponse: { name: callNames.get(m.tool_call_id) ?? m.tool_call_id, response } }]);
        break;
      }
    }
  }

  const generationConfig: Record<string, unknown> = {};
  if (req.temperature != null) generationConfig.temperature = req.temperature;
  if (req.top_p != null) generationConfig.topP = req.top_p;
  // top_k is not an OpenAI parameter, but what Messages clients (and vLLM's) send: Gemini takes it as topK.
  if (typeof req.top_k === "number") generationConfig.topK = req.top_k;
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max != null) generationConfig.maxOutputTokens = max;
  if (req.stop != null) generationConfig.stopSequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (req.seed != null) generationConfig.seed = req.seed;
  if (req.n != null) generationConfig.candidateCount = req.n;
  if (req.presence_penalty != null) generationConfig.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) generationConfig.frequencyPenalty = req.frequency_penalty;
  const budget = thinkingBudget(req.reasoning_effort);
  if (budget === null) generationConfig.thinkingConfig = { thinkingBudget: 0 };
  else if (budget) generationConfig.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
  const format = req.response_format;
  if (format?.type === "json_object") generationConfig.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    generationConfig.responseMimeType = "application/json";
    if (format.json_schema.schema) generationConfig.responseJsonSchema = format.json_schema.schema;
  }

  const out: GeminiRequest = { contents };
  if (system.length) out.systemInstruction = { parts: [{ text: system.join("\n\n") }] };
  if (req.tools?.length) {
    out.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
        })),
      },
    ];
  }
  const choice = req.tool_choice;
  if (choice === "auto") out.toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  else if (choice === "required") out.toolConfig = { functionCallingConfig: { mode: "ANY" } };
  else if (choice === "none") out.toolConfig = { functionCallingConfig: { mode: "NONE" } };
  else if (choice && typeof choice === "object") {
    out.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
  }
  if (Object.keys(generationConfig).length) out.generationConfig = generationConfig;
  return out;
}
