import { describe, expect, it } from "vitest";
import { SKIP_SIGNATURE, toGeminiRequest, validatesSignatures } from "./to-request.js";
import type { CanonicalRequest } from "../../canonical/types.js";
import { canonicalRequest } from "../../test-support/canonical.js";

const ask = canonicalRequest;

describe("toGeminiRequest", () => {
  it("maps roles, system instruction, images, tool calls and tool results (by function name)", () => {
    const out = toGeminiRequest(
      ask({
        system: ["Be brief."],
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Look" },
              { type: "image", url: "data:image/jpeg;base64,QUJD" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "earlier thoughts", signature: "sig" },
              { type: "tool_call", id: "call_9", name: "weather", arguments: '{"city":"Oslo"}' },
            ],
          },
          { role: "tool", toolCallId: "call_9", content: '{"temp": 3}' },
          { role: "tool", toolCallId: "call_9", content: "plain text" },
        ],
      }),
    );
    expect(out.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(out.contents).toEqual([
      { role: "user", parts: [{ text: "Look" }, { inlineData: { mimeType: "image/jpeg", data: "QUJD" } }] },
      { role: "model", parts: [{ functionCall: { name: "weather", args: { city: "Oslo" } } }] },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "weather", response: { temp: 3 } } },
          { functionResponse: { name: "weather", response: { result: "plain text" } } },
        ],
      },
    ]);
  });

  it("maps generation settings, several answers, logprobs, tools, tool choice and JSON schema output", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const out = toGeminiRequest(
      ask({
        temperature: 0.2,
        topP: 0.8,
        topK: 40,
        maxOutputTokens: 64,
        stop: ["END"],
        seed: 7,
        n: 2,
        logprobs: { top: 3 },
        tools: [{ name: "f", parameters: schema }],
        toolChoice: { name: "f" },
        output: { type: "json_schema", name: "s", schema },
      }),
    );
    expect(out.generationConfig).toEqual({
      temperature: 0.2,
      topP: 0.8,
      topK: 40,
      maxOutputTokens: 64,
      stopSequences: ["END"],
      seed: 7,
      candidateCount: 2,
      responseLogprobs: true,
      logprobs: 3,
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    expect(out.tools).toEqual([{ functionDeclarations: [{ name: "f", parameters: schema }] }]);
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
  });

  it("thinks on Anthropic's budget or OpenAI's effort; effort none turns thinking off", () => {
    expect(toGeminiRequest(ask({ reasoning: { budgetTokens: 3000 } })).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 3000, includeThoughts: true },
    });
    expect(toGeminiRequest(ask({ reasoning: { effort: "medium" } })).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 8192, includeThoughts: true },
    });
    expect(toGeminiRequest(ask({ reasoning: { effort: "none" } })).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
  });

  it("sends a call's thought signature back; Gemini 3 gets the placeholder for an unsigned turn, Gemini 2 nothing", () => {
    const turn = (signature?: string) =>
      ask({
        messages: [
          { role: "user", content: [{ type: "text", text: "x" }] },
          {
            role: "assistant",
            content: [
              { type: "tool_call", id: "a", name: "f", arguments: "{}", ...(signature ? { signature } : {}) },
              { type: "tool_call", id: "b", name: "f", arguments: "{}" },
            ],
          },
          { role: "tool", toolCallId: "a", content: "1" },
          { role: "tool", toolCallId: "b", content: "2" },
        ],
      });
    const signatures = (req: CanonicalRequest, model: string) =>
      toGeminiRequest(req, model).contents[1]!.parts.map((p) => (p as { thoughtSignature?: string }).thoughtSignature);
    expect(signatures(turn("real"), "gemini-3-pro-preview")).toEqual(["real", undefined]);
    expect(signatures(turn(), "gemini-3.1-flash")).toEqual([SKIP_SIGNATURE, undefined]);
    expect(signatures(turn(), "gemini-2.5-flash")).toEqual([undefined, undefined]);
    expect(signatures(turn("real"), "gemini-2.5-flash")).toEqual(["real", undefined]);
    expect([validatesSignatures("models/gemini-10-ultra"), validatesSignatures("gemma-3-27b"), validatesSignatures("gemini-2.0-flash")]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
