import { describe, expect, it } from "vitest";
import { toGeminiRequest } from "./to-request.js";

describe("toGeminiRequest", () => {
  it("maps roles, system instruction, images, tool calls and tool results (by function name)", () => {
    const out = toGeminiRequest({
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "Look" },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,QUJD" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "call_9", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] },
        { role: "tool", tool_call_id: "call_9", content: '{"temp": 3}' },
        { role: "tool", tool_call_id: "call_9", content: "plain text" },
      ],
    });
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

  it("maps generation settings, tools, tool choice and JSON schema output", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const out = toGeminiRequest({
      messages: [{ role: "user", content: "x" }],
      temperature: 0.2,
      top_p: 0.8,
      max_tokens: 64,
      stop: ["END"],
      seed: 7,
      n: 2,
      tools: [{ type: "function", function: { name: "f", parameters: schema } }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "s", schema } },
    });
    expect(out.generationConfig).toEqual({
      temperature: 0.2,
      topP: 0.8,
      maxOutputTokens: 64,
      stopSequences: ["END"],
      seed: 7,
      candidateCount: 2,
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    expect(out.tools).toEqual([{ functionDeclarations: [{ name: "f", parameters: schema }] }]);
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } });
  });
});
