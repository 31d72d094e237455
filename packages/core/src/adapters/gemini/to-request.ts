/** Canonical request → Gemini generateContent request. */
import { thinkingBudget } from "../reasoning.js";
import type { AssistantPart, CanonicalRequest, UserPart } from "../../canonical/types.js";
import type { GeminiRequest, GeminiRequestPart } from "./wire.js";

function userParts(parts: UserPart[]): GeminiRequestPart[] {
  return parts.map((p): GeminiRequestPart => {
    if (p.type === "text") return { text: p.text };
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(p.url);
    return data ? { inlineData: { mimeType: data[1]!, data: data[2]! } } : { fileData: { fileUri: p.url } };
  });
}

/**
 * What Google documents for a function call whose thought signature was lost (a client that keeps its own history
 * in an API with no field for it): Gemini 3 refuses a replayed call without one, and accepts this in its place.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

/** Gemini 3 and later validate thought signatures on replayed function calls; 2.x ignores them. */
export const validatesSignatures = (model: string) => Number(/gemini-(\d+)/.exec(model)?.[1] ?? 0) >= 3;

function modelParts(parts: AssistantPart[], callNames: Map<string, string>, signatures: boolean): GeminiRequestPart[] {
  const out: GeminiRequestPart[] = [];
  // A turn's parallel calls carry one signature, on the first: a turn that lost it gets the placeholder there.
  let unsigned = signatures && !parts.some((p) => p.type === "tool_call" && p.signature);
  for (const p of parts) {
    if (p.type === "text") {
      if (p.text) out.push({ text: p.text });
    } else if (p.type === "tool_call") {
      callNames.set(p.id, p.name);
      let args: unknown = {};
      try {
        args = p.arguments ? JSON.parse(p.arguments) : {};
      } catch {
        /* keep {} */
      }
      const signature = p.signature ?? (unsigned ? SKIP_SIGNATURE : undefined);
      unsigned = false;
      out.push({ functionCall: { name: p.name, args }, ...(signature ? { thoughtSignature: signature } : {}) });
    }
    // Earlier reasoning is not sent: Gemini re-reasons, and another provider's thoughts mean nothing to it.
  }
  return out;
}

/** A tool's output as Gemini's functionResponse.response, which must be an object. */
function responseObject(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { result: parsed };
  } catch {
    return { result: text };
  }
}

export function toGeminiRequest(req: CanonicalRequest, model = ""): GeminiRequest {
  const contents: GeminiRequest["contents"] = [];
  // Tool results name the call id; Gemini wants the function's name.
  const callNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiRequestPart[]) => {
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of req.messages) {
    if (m.role === "user") push("user", userParts(m.content));
    else if (m.role === "assistant") push("model", modelParts(m.content, callNames, validatesSignatures(model)));
    else push("user", [{ functionResponse: { name: callNames.get(m.toolCallId) ?? m.toolCallId, response: responseObject(m.content) } }]);
  }

  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set("temperature", req.temperature);
  set("topP", req.topP);
  set("topK", req.topK);
  set("maxOutputTokens", req.maxOutputTokens);
  set("stopSequences", req.stop?.length ? req.stop : undefined);
  set("seed", req.seed);
  set("candidateCount", req.n);
  set("presencePenalty", req.presencePenalty);
  set("frequencyPenalty", req.frequencyPenalty);
  if (req.logprobs) {
    config.responseLogprobs = true;
    if (req.logprobs.top) config.logprobs = req.logprobs.top;
  }
  const budget = req.reasoning ? (req.reasoning.budgetTokens ?? thinkingBudget(req.reasoning.effort)) : undefined;
  if (budget === null) config.thinkingConfig = { thinkingBudget: 0 };
  else if (budget) config.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
  if (req.output?.type === "json_object") config.responseMimeType = "application/json";
  if (req.output?.type === "json_schema") {
    config.responseMimeType = "application/json";
    config.responseJsonSchema = req.output.schema;
  }

  const out: GeminiRequest = { contents };
  if (req.system.length) out.systemInstruction = { parts: [{ text: req.system.join("\n\n") }] };
  if (req.tools.length) {
    out.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters })),
      },
    ];
  }
  const choice = req.toolChoice;
  if (choice === "auto") out.toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  else if (choice === "required") out.toolConfig = { functionCallingConfig: { mode: "ANY" } };
  else if (choice === "none") out.toolConfig = { functionCallingConfig: { mode: "NONE" } };
  else if (choice) out.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.name] } };
  if (Object.keys(config).length) out.generationConfig = config;
  return out;
}
