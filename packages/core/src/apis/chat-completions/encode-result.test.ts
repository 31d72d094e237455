import { describe, expect, it } from "vitest";
import { encodeLogprobs, encodeResult, encodeUsage } from "./encode-result.js";

describe("canonical result → chat.completion", () => {
  it("encodes each answer: text, reasoning_content, tool calls, finish and logprobs", () => {
    const completion = encodeResult("chatcmpl-1", 7, {
      model: "m",
      choices: [
        {
          content: [
            { type: "reasoning", text: "hm" },
            { type: "text", text: "Hi" },
          ],
          finish: "stop",
          logprobs: [{ token: "Hi", logprob: -0.5, top: [{ token: "Yo", logprob: -1 }] }],
        },
        { content: [{ type: "tool_call", id: "c", name: "f", arguments: "{}" }], finish: "tool_calls" },
      ],
      usage: { inputTokens: 10, outputTokens: 4, cachedInputTokens: 6, reasoningTokens: 2 },
    });
    expect(completion).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 7,
      model: "m",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi", reasoning_content: "hm", refusal: null },
          finish_reason: "stop",
          logprobs: {
            content: [{ token: "Hi", logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: "Yo", logprob: -1, bytes: [89, 111] }] }],
            refusal: null,
          },
        },
        {
          index: 1,
          message: { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }], refusal: null },
          finish_reason: "tool_calls",
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 4,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 6 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it("keeps usage plain when there are no details, and a token's own bytes when the provider gave them", () => {
    expect(encodeUsage({ inputTokens: 1, outputTokens: 2 })).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(encodeLogprobs([{ token: "é", logprob: 0, bytes: [195], top: [] }]).content).toEqual([{ token: "é", logprob: 0, bytes: [195], top_logprobs: [] }]);
    expect(encodeLogprobs([{ token: "é", logprob: 0, top: [] }]).content).toEqual([{ token: "é", logprob: 0, bytes: [195, 169], top_logprobs: [] }]);
  });

  it("gives a Gemini thought signature where Google's OpenAI-compatible API does", () => {
    const completion = encodeResult("c", 1, {
      model: "m",
      choices: [{ content: [{ type: "tool_call", id: "t", name: "f", arguments: "{}", signature: "sig" }], finish: "tool_calls" }],
      usage: { inputTokens: 0, outputTokens: 0 },
    });
    expect(completion.choices[0]!.message.tool_calls![0]).toEqual({
      id: "t",
      type: "function",
      function: { name: "f", arguments: "{}" },
      extra_content: { google: { thought_signature: "sig" } },
    });
  });
});
