import { describe, expect, it } from "vitest";
import { decodeChatRequest } from "./decode-request.js";
import { chatRequestSchema } from "../../openai/schema.js";

const decode = (body: Record<string, unknown>) => decodeChatRequest(chatRequestSchema.parse(body));

describe("Chat Completions request → canonical", () => {
  it("maps every translated field", () => {
    expect(
      decode({
        model: "m",
        drop_params: true,
        stream: true,
        messages: [
          { role: "system", content: "s1" },
          { role: "developer", content: [{ type: "text", text: "s2" }] },
          {
            role: "user",
            content: [
              { type: "text", text: "q" },
              { type: "image_url", image_url: { url: "https://i", detail: "low" } },
            ],
          },
          {
            role: "assistant",
            content: null,
            reasoning_content: "thought",
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c", content: "out" },
        ],
        tools: [{ type: "function", function: { name: "f", description: null, parameters: null, strict: true } }],
        tool_choice: { type: "function", function: { name: "f" } },
        parallel_tool_calls: false,
        response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "object" }, strict: true } },
        max_completion_tokens: 9,
        max_tokens: 5,
        temperature: 0.5,
        top_p: 0.9,
        top_k: 4,
        stop: "END",
        seed: 3,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        reasoning_effort: "high",
        n: 2,
        logprobs: true,
        top_logprobs: 3,
        user: "u",
      }),
    ).toEqual({
      model: "m",
      dropParams: true,
      stream: true,
      system: ["s1", "s2"],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "q" },
            { type: "image", url: "https://i", detail: "low" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "thought" },
            { type: "tool_call", id: "c", name: "f", arguments: "{}" },
          ],
        },
        { role: "tool", toolCallId: "c", content: "out" },
      ],
      tools: [{ name: "f", parameters: { type: "object", properties: {} }, strict: true }],
      toolChoice: { name: "f" },
      parallelToolCalls: false,
      output: { type: "json_schema", name: "n", schema: { type: "object" }, strict: true },
      maxOutputTokens: 9,
      temperature: 0.5,
      topP: 0.9,
      topK: 4,
      stop: ["END"],
      seed: 3,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      reasoning: { effort: "high" },
      n: 2,
      logprobs: { top: 3 },
      user: "u",
    });
  });

  it("leaves defaults out: one answer, text output, no logprobs", () => {
    const req = decode({ messages: [{ role: "user", content: "q" }], n: 1, logprobs: false, response_format: { type: "text" } });
    expect(req).toEqual({ system: [], messages: [{ role: "user", content: [{ type: "text", text: "q" }] }], tools: [], stream: false });
  });

  it("refuses content parts a translating provider cannot take, naming where", () => {
    expect(() => decode({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }] })).toThrow(
      /messages\.0\.content\.0: content part type 'input_audio'/,
    );
    expect(() => decode({ messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "x" } }] }] })).toThrow(/messages\.0\.content\.0/);
  });

  it("reads a Gemini thought signature back from where Google's OpenAI-compatible API puts it", () => {
    const req = decode({
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{}" }, extra_content: { google: { thought_signature: "sig" } } }],
        },
      ],
    });
    expect(req.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool_call", id: "t", name: "f", arguments: "{}", signature: "sig" }] });
  });
});
