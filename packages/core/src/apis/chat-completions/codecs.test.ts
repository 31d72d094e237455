import { describe, expect, it } from "vitest";
import { fixtureChunks } from "../../test-support/fake-server.js";
import type { ChatCompletionChunk } from "../../openai/schema.js";
import type { StreamPart } from "../../canonical/types.js";
import { toChatRequest } from "./encode-request.js";
import { ChatChunkDecoder, resultFromChat } from "./decode-result.js";
import { decodeMessagesRequest } from "../messages/decode-request.js";
import { decodeResponsesRequest } from "../responses/decode-request.js";

describe("canonical → Chat Completions request", () => {
  it("maps every field a chat adapter takes", () => {
    expect(
      toChatRequest({
        model: "m",
        provider: "A B",
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
      model: "m",
      provider: "A B",
      stream: true,
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

describe("Chat Completions answers → canonical", () => {
  it("decodes a recorded real OpenAI stream into the same text, a finish and usage", () => {
    const chunks = fixtureChunks("openai/openai-text.chunks.txt").map((l) => JSON.parse(l) as ChatCompletionChunk);
    const decoder = new ChatChunkDecoder();
    const parts = chunks.flatMap((c) => decoder.decode(c));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(
      parts
        .filter((p) => p.type === "text")
        .map((p) => (p as { delta: string }).delta)
        .join(""),
    ).toBe(text);
    expect(parts.filter((p) => p.type === "finish")).toEqual([{ type: "finish", reason: "stop" }]);
    expect(parts.some((p) => p.type === "usage")).toBe(true);
    expect(parts[0]).toEqual({ type: "model", model: chunks[0]!.model });
  });

  it("opens each tool call once, keeps reasoning_content, and ignores choices after the first", () => {
    const base = { id: "x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    const decoder = new ChatChunkDecoder();
    const parts: StreamPart[] = [
      { ...base, choices: [{ index: 0, delta: { reasoning_content: "hm" }, finish_reason: null }] },
      {
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, id: "c", type: "function" as const, function: { name: "f", arguments: "" } }] }, finish_reason: null },
        ],
      },
      {
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, finish_reason: null },
          { index: 1, delta: { content: "other" }, finish_reason: null },
        ],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" as const }] },
    ].flatMap((c) => decoder.decode(c));
    expect(parts.filter((p) => p.type !== "model")).toEqual([
      { type: "reasoning", delta: "hm" },
      { type: "tool_call_start", index: 0, id: "c", name: "f" },
      { type: "tool_call_delta", index: 0, delta: "{}" },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("decodes a completion with cached and reasoning token details", () => {
    const r = resultFromChat({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "length" }],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
    expect(r).toEqual({
      model: "m",
      content: [{ type: "text", text: "hi" }],
      finish: "length",
      usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, reasoningTokens: 2 },
    });
  });
});
