import { describe, expect, it } from "vitest";
import { toOpenAIRequest } from "./to-request.js";
import type { CanonicalRequest } from "../../canonical/types.js";
import { decodeMessagesRequest } from "../../apis/messages/decode-request.js";
import { decodeResponsesRequest } from "../../apis/responses/decode-request.js";

const toChatRequest = (req: CanonicalRequest) => toOpenAIRequest(req, "upstream-m", req.stream);

describe("canonical → OpenAI chat request", () => {
  it("maps every field a chat adapter takes, with the upstream model and usage asked for on streams", () => {
    expect(
      toChatRequest({
        model: "m",
        system: ["s1", "s2"],
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "q" },
              { type: "image", url: "https://i", detail: "high" },
            ],
          },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "r" },
              { type: "tool_call", id: "c", name: "f", arguments: "{}" },
            ],
          },
          { role: "tool", toolCallId: "c", content: "out" },
        ],
        tools: [{ name: "f", parameters: { type: "object" } }],
        toolChoice: { name: "f" },
        output: { type: "json_schema", name: "n", schema: {} },
        maxOutputTokens: 7,
        stop: ["x"],
        topK: 3,
        reasoning: { effort: "low" },
        stream: true,
      }),
    ).toEqual({
      model: "upstream-m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "s1\n\ns2" },
        {
          role: "user",
          content: [
            { type: "text", text: "q" },
            { type: "image_url", image_url: { url: "https://i", detail: "high" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c", content: "out" },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "n", schema: {} } },
      max_tokens: 7,
      stop: ["x"],
      top_k: 3,
      reasoning_effort: "low",
    });
  });

  it("asks for several answers and logprobs, and never sends a thinking budget as an effort", () => {
    const base: CanonicalRequest = { system: [], messages: [{ role: "user", content: [{ type: "text", text: "q" }] }], tools: [], stream: false };
    expect(toChatRequest({ ...base, n: 3, logprobs: { top: 2 }, seed: 1, presencePenalty: 0.5, frequencyPenalty: -0.5, user: "u" })).toEqual({
      model: "upstream-m",
      stream: false,
      messages: [{ role: "user", content: "q" }],
      n: 3,
      logprobs: true,
      top_logprobs: 2,
      seed: 1,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      user: "u",
    });
    expect(toChatRequest({ ...base, reasoning: { budgetTokens: 4000 } })).not.toHaveProperty("reasoning_effort");
  });

  it("sends the same chat request for the same conversation asked through Messages or Responses", () => {
    const viaMessages = toChatRequest(
      decodeMessagesRequest({
        model: "m",
        max_tokens: 50,
        system: "sys",
        tools: [{ name: "f", description: "d", input_schema: { type: "object" } }],
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: [{ type: "tool_use", id: "c", name: "f", input: { a: 1 } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "c", content: "r" }] },
        ],
      }),
    );
    const viaResponses = toChatRequest(
      decodeResponsesRequest({
        model: "m",
        max_output_tokens: 50,
        instructions: "sys",
        tools: [{ type: "function", name: "f", description: "d", parameters: { type: "object" } }],
        input: [
          { role: "user", content: "q" },
          { type: "function_call", call_id: "c", name: "f", arguments: '{"a":1}' },
          { type: "function_call_output", call_id: "c", output: "r" },
        ],
      }),
    );
    expect(viaMessages).toEqual(viaResponses);
  });
});

describe("prefill: how each kind of server is told to continue the last assistant message", () => {
  const req: CanonicalRequest = {
    system: [],
    messages: [
      { role: "user", content: [{ type: "text", text: "q" }] },
      { role: "assistant", content: [{ type: "text", text: "Once upon" }] },
    ],
    tools: [],
    stream: true,
    prefill: true,
  };

  it("assistant (llama.cpp's server): the trailing message as it is", () => {
    const body = toOpenAIRequest(req, "m", true, "assistant");
    expect((body.messages as unknown[]).at(-1)).toEqual({ role: "assistant", content: "Once upon" });
    expect(body).not.toHaveProperty("continue_final_message");
  });

  it("prefix (DeepSeek): prefix: true on that message", () => {
    expect((toOpenAIRequest(req, "m", true, "prefix").messages as unknown[]).at(-1)).toEqual({ role: "assistant", content: "Once upon", prefix: true });
  });

  it("continue_final_message (vLLM): its two flags", () => {
    expect(toOpenAIRequest(req, "m", true, "continue_final_message")).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
  });

  it("nothing of it on a request that is not a continuation", () => {
    const body = toOpenAIRequest({ ...req, prefill: undefined }, "m", true, "prefix");
    expect((body.messages as unknown[]).at(-1)).toEqual({ role: "assistant", content: "Once upon" });
  });
});
